/**
 * Together AI's fine-tunes: create exactly one, look at them and their events, cancel one.
 *
 * Together has neither metadata nor an idempotency key, so a create whose answer is lost cannot be
 * looked up by a tag. Instead the job ids are noted before the create (`GET /fine-tunes` lists
 * every job); the create goes out once (sent again only after a 429, which created nothing); when
 * its answer is lost (dropped connection, timeout, 5xx) the list is read again and the new job on
 * the same training file, model and suffix is the one. When there is none, the create is not sent
 * again automatically: a slow create could still land, and a second would make two jobs. The error
 * says no job was found, and running the command again is then the person's call.
 */
import { ApiError, OptionError } from '../../errors.js';
import type { FineTuneJob, JobEvent, JobRequest, Trainer } from '../trainer.js';
import { jsonOf, type TogetherCall } from './http.js';
import { eventsAfter, eventsOf, jobListOf, jobOf, newJobsMatching, type TogetherEvent, type TogetherJob } from './job-view.js';

/** Together takes an absolute learning rate; `--lr-multiplier` scales its default (its SDKs' 1e-5). */
export const TOGETHER_DEFAULT_LEARNING_RATE = 1e-5;
export const TOGETHER_MAX_SUFFIX = 40;

export type TogetherJobs = Omit<Trainer, 'provider' | 'upload' | 'shutdownDate'>;

export function createTogetherJobs(call: TogetherCall): TogetherJobs {
  const get = async <T>(url: string, what: string, signal?: AbortSignal) => jsonOf<T>(await call({ method: 'GET', url, what, retry: 'idempotent', signal }), what);
  const allJobs = async (what: string, signal?: AbortSignal) => jobListOf(await get<unknown>('/fine-tunes', what, signal));
  const path = (id: string) => `/fine-tunes/${encodeURIComponent(id)}`;

  async function createJob(request: JobRequest): Promise<FineTuneJob> {
    const { signal } = request;
    const body = createBody(request);
    const before = new Set((await allJobs('list the jobs before creating one', signal)).map((j) => j.id));
    try {
      const answer = await call({
        method: 'POST', url: '/fine-tunes', what: `create the job (${request.model} on ${request.trainingFile})`, retry: 'only-429', signal,
        headers: { 'content-type': 'application/json' },
        body: () => JSON.stringify(body),
      });
      return jobOf(jsonOf<TogetherJob>(answer, 'create the job'));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (neverSent(err)) throw new ApiError('together', `${err.message}\nNo job was created: the connection was refused before the request went out.`, undefined, { cause: err });
      if (!answerMayBeLost(err)) throw err;
      return findCreated(request, before, err);
    }
  }

  async function findCreated(request: JobRequest, before: Set<string>, lost: ApiError): Promise<FineTuneJob> {
    let jobs: TogetherJob[];
    try {
      jobs = await allJobs('look for the job just created', request.signal);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      throw new ApiError('together', `${lost.message}\nThe job may have been created, and the job list could not be read to check (${err.message}). Look with \`fbstream jobs list --provider together\` before trying again.`, lost.status, { cause: lost });
    }
    const found = newJobsMatching(jobs, before, { trainingFile: request.trainingFile, model: request.model, suffix: request.suffix });
    if (found.length === 1) return jobOf(found[0]!);
    if (found.length > 1) {
      throw new ApiError('together', `${lost.message}\nSeveral new jobs on ${request.trainingFile} appeared meanwhile (${found.map((j) => j.id).join(', ')}): one is this run's; cancel the ones you do not want (\`fbstream jobs cancel ID --provider together\`).`, lost.status, { cause: lost });
    }
    throw new ApiError('together', `${lost.message}\nNo job was created: no new job on ${request.trainingFile} is in Together's job list. Run the command again to try once more.`, lost.status, { cause: lost });
  }

  async function getJob(id: string, signal?: AbortSignal): Promise<FineTuneJob> {
    return jobOf(await get<TogetherJob>(path(id), `look at job ${id}`, signal));
  }

  async function listJobs(limit: number, signal?: AbortSignal): Promise<FineTuneJob[]> {
    const jobs = (await allJobs('list the jobs', signal)).map(jobOf);
    return jobs.sort((a, b) => b.createdAt - a.createdAt).slice(0, Math.max(0, limit));
  }

  async function listEvents(id: string, afterId: string | null, signal?: AbortSignal): Promise<JobEvent[]> {
    const body = await get<{ data?: TogetherEvent[] } | TogetherEvent[]>(`${path(id)}/events`, `read the events of job ${id}`, signal);
    const raw = Array.isArray(body) ? body : body?.data ?? [];
    return eventsAfter(eventsOf(raw), afterId);
  }

  async function cancelJob(id: string, signal?: AbortSignal): Promise<FineTuneJob> {
    // cancelling a job twice is cancelling it once: resent like a read
    const answer = await call({ method: 'POST', url: `${path(id)}/cancel`, what: `cancel job ${id}`, retry: 'idempotent', signal });
    return jobOf(jsonOf<TogetherJob>(answer, `cancel job ${id}`));
  }

  return { createJob, getJob, listJobs, listEvents, cancelJob };
}

/**
 * The create's body. `training_type` is left out: Together then trains a LoRA adapter (its default,
 * with the rank its model limits give), as its SDKs do when LoRA is not configured.
 */
export function createBody(request: JobRequest): Record<string, unknown> {
  if (request.suffix !== null && (request.suffix.length === 0 || request.suffix.length > TOGETHER_MAX_SUFFIX)) {
    throw new OptionError('--suffix', `must be 1 to ${TOGETHER_MAX_SUFFIX} characters for together`, request.suffix);
  }
  const body: Record<string, unknown> = { training_file: request.trainingFile, model: request.model };
  if (request.validationFile !== null) body.validation_file = request.validationFile;
  if (request.suffix !== null) body.suffix = request.suffix;
  if (request.epochs !== null) body.n_epochs = request.epochs;
  if (request.batchSize !== null) body.batch_size = request.batchSize;
  if (request.lrMultiplier !== null) body.learning_rate = request.lrMultiplier * TOGETHER_DEFAULT_LEARNING_RATE;
  if (request.seed !== null) body.random_seed = request.seed;
  return body;
}

/** No answer (a dropped connection, a timeout) or a 5xx/408: the job may have been made. A 4xx made nothing. */
function answerMayBeLost(err: ApiError): boolean {
  return err.status === undefined || err.status === 408 || err.status >= 500;
}

/** A connection that was never opened carried no request. */
function neverSent(err: ApiError): boolean {
  return err.status === undefined && (err.cause as { code?: string } | undefined)?.code === 'ECONNREFUSED';
}
