/**
 * Fine-tuning jobs through the openai SDK (OpenAI and Azure OpenAI): create exactly one, look at
 * them, their events, cancel one, and the base model's shutdown date.
 *
 * A create has no idempotency key, and the SDK resends one whose answer was lost: that makes a
 * second job. So the create goes out with `maxRetries: 0`, tagged with the run's `metadata`; when
 * its answer may have been lost (dropped connection, timeout, 5xx, 408, 409) the job is looked up
 * by that tag before anything is sent again. A 429 created nothing: it waits and sends again.
 * 400, 401, 403 and 404 are final. Every other call is a read or harmless to repeat: the SDK's
 * own retries apply.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI, { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import type { FineTuningJob, FineTuningJobEvent, JobCreateParams } from 'openai/resources/fine-tuning/jobs/jobs';
import { ApiError } from '../../errors.js';
import { apiErrorOf } from '../api-error.js';
import type { FineTuneJob, JobEvent, JobRequest, JobStatus, Trainer } from '../trainer.js';
import { withRequestSignal } from '../request-signal.js';

/** The metadata key a job is tagged with, its value the run's `runTag`. */
export const RUN_TAG_KEY = 'fbstream_run';

export interface CreateRetryPolicy {
  /** Creates sent at most (the first included). Default: the client's maxRetries + 1. */
  attempts?: number;
  /** First wait between creates when the API says nothing (doubles each time). Default 500 ms. */
  baseDelayMs?: number;
  /** Longest wait, also for a `retry-after`. Default 60 s. */
  maxDelayMs?: number;
}

export type OpenAIJobs = Omit<Trainer, 'provider' | 'upload'>;

/** How an event page is asked for: the most the API gives in one. */
const EVENTS_PAGE = 100;
/** Jobs looked through for the run's tag (it is filtered by the API; this bounds a server that ignores the filter). */
const LOOKUP_LIMIT = 50;

export function createOpenAIJobs(client: OpenAI, provider: 'openai' | 'azure', policy: CreateRetryPolicy = {}): OpenAIJobs {
  const attempts = Math.max(1, policy.attempts ?? client.maxRetries + 1);
  const baseDelayMs = policy.baseDelayMs ?? 500;
  const maxDelayMs = policy.maxDelayMs ?? 60_000;
  const fail = (what: string) => (err: unknown): never => {
    throw apiErrorOf(provider, what, err);
  };

  async function findTagged(runTag: string, signal?: AbortSignal): Promise<FineTuningJob | undefined> {
    const page = await withRequestSignal(signal, (signal) => client.fineTuning.jobs.list({ metadata: { [RUN_TAG_KEY]: runTag }, limit: LOOKUP_LIMIT }, { signal })).catch((err: unknown) => {
      const e = apiErrorOf(provider, 'look up the job just created', err);
      if (!(e instanceof ApiError)) throw e;
      throw new ApiError(provider, `${e.message}\nThe create's answer was lost: the job may exist. Check with \`fbstream jobs list --provider ${provider}\` before trying again.`, e.status, { cause: err });
    });
    return page.data.find((job) => job.metadata?.[RUN_TAG_KEY] === runTag);
  }

  async function createJob(request: JobRequest): Promise<FineTuneJob> {
    const { signal } = request;
    const body = createBody(request);
    let maybeCreated = false;
    for (let attempt = 1; ; attempt++) {
      if (maybeCreated) {
        const found = await findTagged(request.runTag, signal);
        if (found) return jobOf(found);
      }
      try {
        return jobOf(await withRequestSignal(signal, (signal) => client.fineTuning.jobs.create(body, { maxRetries: 0, signal })));
      } catch (err) {
        const kind = createFailure(err);
        if (kind === 'final' || attempt >= attempts) {
          if (kind === 'lost' || (kind !== 'final' && maybeCreated)) {
            const found = await findTagged(request.runTag, signal);
            if (found) return jobOf(found);
          }
          throw apiErrorOf(provider, `create the fine-tuning job (${attempt} attempt${attempt === 1 ? '' : 's'})`, err);
        }
        if (kind === 'lost') maybeCreated = true;
        const backoff = Math.min(baseDelayMs * 2 ** (attempt - 1), maxDelayMs);
        await sleep(Math.min(retryAfterMs(err) ?? backoff, maxDelayMs), undefined, { signal });
      }
    }
  }

  return {
    createJob,
    getJob: (id, signal) => withRequestSignal(signal, (signal) => client.fineTuning.jobs.retrieve(id, { signal })).then(jobOf, fail(`get the fine-tuning job ${id}`)),
    async listJobs(limit, signal) {
      const page = await withRequestSignal(signal, (signal) => client.fineTuning.jobs.list({ limit }, { signal })).catch(fail('list the fine-tuning jobs'));
      return page.data.map(jobOf).sort((a, b) => b.createdAt - a.createdAt).slice(0, limit);
    },
    async listEvents(id, afterId, signal) {
      // pages come newest first, `after` pointing further back: read back until the last event seen
      const newer: JobEvent[] = [];
      try {
        await withRequestSignal(signal, async (signal) => {
          for await (const event of client.fineTuning.jobs.listEvents(id, { limit: EVENTS_PAGE }, { signal })) {
            if (event.id === afterId) break;
            newer.push(eventOf(event));
          }
        });
      } catch (err) {
        fail(`read the events of the fine-tuning job ${id}`)(err);
      }
      return newer.reverse();
    },
    cancelJob: (id, signal) => withRequestSignal(signal, (signal) => client.fineTuning.jobs.cancel(id, { signal })).then(jobOf, fail(`cancel the fine-tuning job ${id}`)),
    async shutdownDate(model, signal) {
      try {
        // a warning's worth: one quick try, never in the way of training
        const info = (await withRequestSignal(signal, (signal) => client.models.retrieve(model, { signal, maxRetries: 1, timeout: Math.min(client.timeout, 30_000) }))) as unknown as ModelDates;
        return dateOf(info.shutdown_date) ?? dateOf(info.deprecation?.inference);
      } catch (err) {
        if (signal?.aborted || err instanceof APIUserAbortError) throw err;
        return null;
      }
    },
  };
}

function createBody(r: JobRequest): JobCreateParams {
  const hyperparameters = {
    ...(r.epochs !== null && { n_epochs: r.epochs }),
    ...(r.batchSize !== null && { batch_size: r.batchSize }),
    ...(r.lrMultiplier !== null && { learning_rate_multiplier: r.lrMultiplier }),
  };
  return {
    model: r.model,
    training_file: r.trainingFile,
    ...(r.validationFile !== null && { validation_file: r.validationFile }),
    ...(r.suffix !== null && { suffix: r.suffix }),
    ...(r.seed !== null && { seed: r.seed }),
    metadata: { [RUN_TAG_KEY]: r.runTag },
    method: { type: 'supervised', supervised: { hyperparameters } },
  };
}

/**
 * `lost`: the job may exist (no answer, or a 5xx/408/409 after the server may have acted); `busy`:
 * a 429, nothing was made; `final`: an answer that a resend would only repeat (or an abort).
 */
export function createFailure(err: unknown): 'lost' | 'busy' | 'final' {
  if (err instanceof APIUserAbortError) return 'final';
  if (err instanceof APIConnectionError) return 'lost';
  if (err instanceof APIError && typeof err.status === 'number') {
    if (err.status === 429) return 'busy';
    if (err.status === 408 || err.status === 409 || err.status >= 500) return 'lost';
  }
  return 'final';
}

/** The wait an answer asks for (`retry-after-ms`, `retry-after` in seconds or as a date). */
export function retryAfterMs(err: unknown): number | undefined {
  const headers = err instanceof APIError ? (err.headers as Headers | undefined) : undefined;
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const after = headers?.get('retry-after');
  if (!after) return undefined;
  const seconds = Number.parseFloat(after);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

const STATUSES: Record<string, JobStatus> = {
  validating_files: 'validating_files',
  queued: 'queued',
  created: 'queued', // Azure
  pending: 'queued', // Azure
  running: 'running',
  paused: 'paused',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  canceled: 'cancelled',
};

export function jobOf(job: FineTuningJob): FineTuneJob {
  const error = job.error as { code?: string | null; message?: string | null } | null | undefined;
  const failed = error?.message ? `${error.message}${error.code ? ` (${error.code})` : ''}` : null;
  return {
    id: job.id,
    // a word we do not know yet is a job still under way, followed until it says otherwise
    status: STATUSES[job.status] ?? 'running',
    providerStatus: job.status,
    model: job.model,
    trainingFile: job.training_file,
    validationFile: job.validation_file ?? null,
    suffix: (job as { suffix?: string | null }).suffix ?? null,
    fineTunedModel: job.fine_tuned_model ?? null,
    error: failed ?? (job.status === 'failed' ? 'the trainer gave no reason' : null),
    createdAt: job.created_at,
  };
}

function eventOf(e: FineTuningJobEvent): JobEvent {
  return { id: e.id, createdAt: e.created_at, level: e.level, message: e.message };
}

/** OpenAI's `shutdown_date`; Azure's `deprecation.inference` (seconds). */
interface ModelDates {
  shutdown_date?: unknown;
  deprecation?: { inference?: unknown };
}

/** `YYYY-MM-DD` from a date string or seconds since the epoch; null for anything else. */
function dateOf(value: unknown): string | null {
  const time = typeof value === 'number' ? value * 1000 : typeof value === 'string' && value !== '' ? Date.parse(value) : NaN;
  return Number.isFinite(time) ? new Date(time).toISOString().slice(0, 10) : null;
}
