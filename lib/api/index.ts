/**
 * From a dataset to a model, as a library: {@link uploadTrainingFile}, {@link startFineTune},
 * {@link followJob} and {@link chat}, the same steps as `fbstream upload`, `train`, `jobs follow`
 * and `chat`. Each takes the provider choice every API command takes: `provider` (`openai`,
 * `azure` or `together`), `timeout`, `maxRetries`, and `env`, where the keys and endpoints are read
 * (`OPENAI_API_KEY`, `OPENAI_BASE_URL`, `AZURE_OPENAI_ENDPOINT`, `AZURE_OPENAI_API_KEY`,
 * `TOGETHER_API_KEY`, …; default `process.env`). A missing key rejects with a `MissingKeyError`
 * naming the variable, before any request. Options go through lib/options.ts's normalisers: the
 * same defaults and rules as the CLI flags.
 */
import { OptionError } from '../errors.js';
import { integerIn, positiveAtLeast } from '../option-rules.js';
import { normalizeApiOptions, normalizeTrainOptions, normalizeUploadOptions, type ApiOptions, type NormalizedApiOptions, type NormalizedUploadOptions, type TrainOptions, type UploadOptions } from '../options.js';
import { followJob as followTrainerJob } from './follow.js';
import { createTrainer } from './trainers.js';
import { resolveProvider, type Env } from './provider.js';
import { startFineTune as startWithTrainer, type FineTuneResult, type FineTuneStep } from './train.js';
import type { FineTuneJob, JobEvent, Trainer, UploadedFile } from './trainer.js';

/** Which provider, and where its keys are read. */
export interface ProviderChoice extends ApiOptions {
  /** The environment the keys and endpoints come from. Default `process.env`. */
  env?: Env;
}

/** What {@link uploadTrainingFile} takes: the provider choice and `fbstream upload`'s options. */
export interface UploadTrainingFileOptions extends UploadOptions, ProviderChoice {
  /** Bytes per part, instead of `partSize` in MB (small parts for tests; at most 64 MB). */
  partSizeBytes?: number;
  /** Stops the upload; an upload in parts can be resumed by the same call later (within the hour). */
  signal?: AbortSignal;
  /** Bytes acknowledged so far, of `total`. */
  onProgress?: (sent: number, total: number) => void;
  /** A line for a person: a resumed upload, an expired one started over. */
  onNotice?: (line: string) => void;
  /** The trainer to use instead of the provider's (tests). */
  trainer?: Trainer;
}

/**
 * Upload a JSONL for fine-tuning (purpose `fine-tune`): OpenAI and Azure through the Files API up
 * to 512 MB, larger (or with `uploads`) through the Uploads API in parts, resumable; Together
 * through its signed URL. Resolves with the file's id. Rejects with an `ApiError` (exit 3 in the
 * CLI) when the provider refuses or fails after the safe retries.
 */
export async function uploadTrainingFile(path: string, options: UploadTrainingFileOptions = {}): Promise<UploadedFile> {
  const o = withPartSize(normalizeUploadOptions(options), options.partSizeBytes);
  const trainer = options.trainer ?? (trainerOf(o, options.env));
  return trainer.upload({
    path,
    uploads: o.uploads,
    partSizeBytes: o.partSizeBytes,
    concurrency: o.concurrency,
    ...(options.signal && { signal: options.signal }),
    ...(options.onProgress && { onProgress: options.onProgress }),
    ...(options.onNotice && { onNotice: options.onNotice }),
  });
}

/** What {@link startFineTune} takes: the file, `fbstream train`'s options and the provider choice. */
export interface StartFineTuneOptions extends TrainOptions, ProviderChoice {
  /** The training JSONL. */
  file: string;
  /** Bytes per part, instead of `partSize` in MB. */
  partSizeBytes?: number;
  /** Milliseconds between status checks while waiting, instead of `poll` in seconds. */
  pollMs?: number;
  /** Tokens per example for checking a base model outside the token table (else: format only). */
  maxTokens?: number;
  /** Stops checking, uploading or waiting; a job already created goes on. */
  signal?: AbortSignal;
  /** Each step as it begins (`check`, `upload`, `create`, `follow`): what an interruption stopped. */
  onStep?: (step: FineTuneStep) => void;
  /** Lines for a person: dataset warnings, the model's shutdown date, a resumed upload. */
  onNotice?: (line: string) => void;
  /** Bytes of `file` (the training or validation file) acknowledged, of `total`. */
  onProgress?: (file: string, sent: number, total: number) => void;
  /** The job as created, before waiting. */
  onJob?: (job: FineTuneJob) => void;
  /** Each new event while waiting, oldest first. */
  onEvent?: (event: JobEvent) => void;
  /** The job whenever its status changes while waiting. */
  onStatus?: (job: FineTuneJob) => void;
  /** The trainer to use instead of the provider's (tests). */
  trainer?: Trainer;
}

/**
 * Check the files the way `fbstream validate` does (format errors reject with a `JobFailedError`,
 * code `FBS_INVALID_DATASET`, before any request), warn of the base model's shutdown date, upload,
 * and create exactly one job, also when the answer to the create is lost. With `wait`, follow it:
 * resolves when it succeeded (`fineTunedModel` set), rejects with a `JobFailedError`
 * (`FBS_JOB_FAILED`, the job's error) when it failed or was cancelled.
 */
export async function startFineTune(options: StartFineTuneOptions): Promise<FineTuneResult> {
  const normalized = withPartSize(normalizeTrainOptions(options), options.partSizeBytes);
  const pollMs = options.pollMs === undefined ? normalized.pollMs : integerIn('pollMs', options.pollMs, 1, 3_600_000);
  const trainer = options.trainer ?? (trainerOf(normalized, options.env));
  return startWithTrainer({
    file: options.file,
    options: { ...normalized, pollMs },
    trainer,
    ...(options.maxTokens !== undefined && { maxTokens: options.maxTokens }),
    ...(options.signal && { signal: options.signal }),
    ...(options.onStep && { onStep: options.onStep }),
    ...(options.onNotice && { onNotice: options.onNotice }),
    ...(options.onProgress && { onProgress: options.onProgress }),
    ...(options.onJob && { onJob: options.onJob }),
    ...(options.onEvent && { onEvent: options.onEvent }),
    ...(options.onStatus && { onStatus: options.onStatus }),
  });
}

/** What {@link followJob} takes. */
export interface FollowJobOptions extends ProviderChoice {
  /** Seconds between status checks. Default 10. */
  poll?: number;
  /** Milliseconds between status checks, instead of `poll`. */
  pollMs?: number;
  /** Stops following; the job goes on. */
  signal?: AbortSignal;
  /** Each new event, oldest first. */
  onEvent?: (event: JobEvent) => void;
  /** The job when first seen and whenever its status changes. */
  onStatus?: (job: FineTuneJob) => void;
  /** The trainer to use instead of the provider's (tests). */
  trainer?: Trainer;
}

/**
 * Follow job `id` until it ends, its events handed on once each; resolves with the final job,
 * succeeded, failed or cancelled alike (look at `status`). A provider that stumbles for a while is
 * polled through; aborting leaves the job running.
 */
export async function followJob(id: string, options: FollowJobOptions = {}): Promise<FineTuneJob> {
  const api = normalizeApiOptions(options);
  const pollMs = options.pollMs !== undefined ? integerIn('pollMs', options.pollMs, 1, 3_600_000) : options.poll !== undefined ? positiveAtLeast('poll', options.poll, 1, 'a number of seconds >= 1') * 1000 : undefined;
  const trainer = options.trainer ?? (trainerOf(api, options.env));
  return followTrainerJob(trainer, id, {
    ...(pollMs !== undefined && { pollMs }),
    ...(options.signal && { signal: options.signal }),
    ...(options.onEvent && { onEvent: options.onEvent }),
    ...(options.onStatus && { onStatus: options.onStatus }),
  });
}

// the chat's message is exported as ChatTurn: the library's ChatMessage is a training example's (lib/types.ts)
export { chat, ChatSession, chatProvider, type ChatRequest, type ChatMessage as ChatTurn, type ChatRole } from './chat.js';
export type { FineTuneResult, FineTuneStep } from './train.js';
export type { FineTuneJob, JobEvent, JobStatus, UploadedFile, Trainer, UploadRequest, JobRequest } from './trainer.js';
export { FINAL_STATUSES } from './trainer.js';
export { resolveProvider, type Env, type ProviderConfig, type OpenAIConfig, type AzureConfig, type TogetherConfig } from './provider.js';
export { createTrainer } from './trainers.js';
export {
  PROVIDERS, API_OPTIONS, UPLOAD_OPTIONS, TRAIN_OPTIONS, normalizeApiOptions, normalizeUploadOptions, normalizeTrainOptions,
  type Provider, type ApiOptions, type UploadOptions, type TrainOptions, type NormalizedApiOptions, type NormalizedUploadOptions, type NormalizedTrainOptions,
} from '../options.js';
export { MissingKeyError, ApiError, JobFailedError } from '../errors.js';

/** The provider's trainer, from the environment (a missing key throws here, before any request). */
function trainerOf(options: NormalizedApiOptions, env: Env | undefined): Trainer {
  return createTrainer(resolveProvider(options, env ?? process.env));
}

/** `partSizeBytes` over the normalised `partSize` (the Uploads API takes parts of at most 64 MB). */
function withPartSize<T extends NormalizedUploadOptions>(o: T, partSizeBytes: number | undefined): T {
  if (partSizeBytes === undefined) return o;
  if (!Number.isSafeInteger(partSizeBytes) || partSizeBytes < 1 || partSizeBytes > 64 * 1024 * 1024) throw new OptionError('partSizeBytes', 'must be an integer from 1 to 67108864 (64 MB)', partSizeBytes);
  return Object.freeze({ ...o, partSizeBytes });
}
