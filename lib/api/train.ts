/**
 * `startFineTune`: a dataset to a fine-tuning job, through any {@link Trainer}. The files are checked
 * first (lib/api/train-check.ts: a file with format errors is refused before any request), the base
 * model's shutdown date said, the files uploaded, exactly one job created (tagged with a run tag the
 * trainer finds it again by when the create's answer is lost) and, with `wait`, followed to its end.
 */
import { randomBytes } from 'node:crypto';
import { JobFailedError } from '../errors.js';
import type { NormalizedTrainOptions } from '../options.js';
import { followJob } from './follow.js';
import { resolveProvider, type Env, type ProviderConfig } from './provider.js';
import { checkDataset } from './train-check.js';
import type { FineTuneJob, JobEvent, Trainer, UploadedFile } from './trainer.js';

export interface FineTuneRequest {
  /** The training JSONL. */
  file: string;
  /** From `normalizeTrainOptions` (lib/options.ts). */
  options: NormalizedTrainOptions;
  /** The provider's settings; default: resolved from `env` for `options.provider`. */
  config?: ProviderConfig;
  /** Where the keys are read from when no `config` is given. Default process.env. */
  env?: Env;
  /** The trainer to use; default: the one for the provider (tests give a fake). */
  trainer?: Trainer;
  /** How messages name the training and validation files. Default: their paths. */
  labels?: { training?: string; validation?: string };
  /** Tokens per example for the check, over the model's (a model outside the token table is checked for format only without it). */
  maxTokens?: number;
  /** Stops checking, uploading or following; a job already created keeps running. */
  signal?: AbortSignal;
  /** Each step as it begins: what an interruption stopped. */
  onStep?(step: FineTuneStep): void;
  /** Lines for a person: dataset warnings, the model's shutdown date, a resumed upload. */
  onNotice?(line: string): void;
  /** Bytes of `file` acknowledged, of `total`. */
  onProgress?(file: string, sent: number, total: number): void;
  /** The job as created, before it is followed. */
  onJob?(job: FineTuneJob): void;
  /** Each new event of the job while following (oldest first). */
  onEvent?(event: JobEvent): void;
  /** The job each time its status changes while following. */
  onStatus?(job: FineTuneJob): void;
}

/** The steps of {@link startFineTune}, in order (`follow` only with `wait`). */
export type FineTuneStep = 'check' | 'upload' | 'create' | 'follow';

export interface FineTuneResult {
  trainingFile: UploadedFile;
  validationFile: UploadedFile | null;
  /** The job as last seen: as created, or, with `wait`, as it ended (succeeded). */
  job: FineTuneJob;
  /** The tag the job was created with (OpenAI: `metadata.fbstream_run`). */
  runTag: string;
  /** The model to use, once the job has succeeded. */
  fineTunedModel: string | null;
}

/** OpenAI takes no new fine-tuning jobs from anyone after this day (README "From a dataset to a model"). */
export const OPENAI_LAST_JOB_DAY = '2027-01-06';

/**
 * Check, upload, create one job and, with `options.wait`, follow it. Rejects with a JobFailedError
 * (exit 1) for a refused dataset (`FBS_INVALID_DATASET`, before any request) or a job that ended
 * failed or cancelled (`FBS_JOB_FAILED`), a MissingKeyError (2), an ApiError (3), or the abort.
 */
export async function startFineTune(request: FineTuneRequest): Promise<FineTuneResult> {
  const { file, options: o, signal } = request;
  const notice = (line: string) => request.onNotice?.(line);
  const trainer = request.trainer ?? (await trainerFor(request.config ?? resolveProvider(o, request.env ?? process.env)));

  const step = (name: FineTuneStep) => request.onStep?.(name);
  step('check');
  const check = { provider: o.provider, model: o.model, ...(request.maxTokens !== undefined && { maxTokens: request.maxTokens }), ...(signal && { signal }) };
  const labels = request.labels ?? {};
  for (const line of await checkDataset(file, { ...check, role: 'training', ...(labels.training !== undefined && { label: labels.training }) })) notice(line);
  if (o.validation !== null) for (const line of await checkDataset(o.validation, { ...check, role: 'validation', ...(labels.validation !== undefined && { label: labels.validation }) })) notice(line);

  const shutdown = await trainer.shutdownDate(o.model, signal);
  if (shutdown !== null) notice(`warning: ${o.model} shuts down on ${shutdown}: its fine-tunes stop working then too`);
  if (o.provider === 'openai') notice(`note: OpenAI takes no new fine-tuning jobs after ${OPENAI_LAST_JOB_DAY}; the same data trains on --provider azure or together`);

  const upload = (path: string) =>
    trainer.upload({
      path,
      uploads: o.uploads,
      partSizeBytes: o.partSizeBytes,
      concurrency: o.concurrency,
      onNotice: notice,
      ...(signal && { signal }),
      ...(request.onProgress && { onProgress: (sent: number, total: number) => request.onProgress!(path, sent, total) }),
    });
  step('upload');
  const trainingFile = await upload(file);
  const validationFile = o.validation === null ? null : await upload(o.validation);

  const runTag = newRunTag();
  step('create');
  const created = await trainer.createJob({
    model: o.model,
    trainingFile: trainingFile.id,
    validationFile: validationFile?.id ?? null,
    suffix: o.suffix,
    epochs: o.epochs,
    batchSize: o.batchSize,
    lrMultiplier: o.lrMultiplier,
    seed: o.seed,
    runTag,
    ...(signal && { signal }),
  });
  request.onJob?.(created);
  const result = { trainingFile, validationFile, runTag };
  if (!o.wait) return { ...result, job: created, fineTunedModel: created.fineTunedModel };

  step('follow');
  const ended = await followJob(trainer, created.id, {
    pollMs: o.pollMs,
    ...(signal && { signal }),
    ...(request.onEvent && { onEvent: request.onEvent }),
    ...(request.onStatus && { onStatus: request.onStatus }),
  });
  if (ended.status !== 'succeeded') throw jobEndedError(ended);
  return { ...result, job: ended, fineTunedModel: ended.fineTunedModel };
}

/** The provider's trainer, its SDK loaded only when one is used. */
async function trainerFor(config: ProviderConfig): Promise<Trainer> {
  const { createTrainer } = await import('./trainers.js');
  return createTrainer(config);
}

/** A job that ended failed or cancelled, with its error: exit 1. */
export function jobEndedError(job: FineTuneJob): JobFailedError {
  const why = job.error ? `: ${job.error}` : job.status === 'cancelled' ? ' (cancelled)' : ': no reason given';
  return new JobFailedError(`fine-tuning job ${job.id} (${job.model}, training file ${job.trainingFile}) ended ${job.status}${why}`);
}

/** Unique per run: the time and 8 random hex digits. */
export function newRunTag(now = Date.now()): string {
  return `fbstream-${now.toString(36)}-${randomBytes(4).toString('hex')}`;
}
