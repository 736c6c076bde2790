/**
 * What every provider does for fbstream, in one shape: upload a dataset, start a job, look at jobs
 * and their events, cancel one. OpenAI and Azure implement it with the openai SDK
 * (lib/api/openai/), Together with undici (lib/api/together/). The commands and the library
 * functions (lib/api/index.ts) only see this.
 */
import type { Provider } from '../options.js';

/** Job states, the providers' words mapped onto OpenAI's. */
export type JobStatus = 'validating_files' | 'queued' | 'running' | 'paused' | 'succeeded' | 'failed' | 'cancelled';
export const FINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

export interface FineTuneJob {
  id: string;
  status: JobStatus;
  /** The provider's own status word (Together: `pending`, `completed`, `error`, …). */
  providerStatus: string;
  model: string;
  trainingFile: string;
  validationFile: string | null;
  suffix: string | null;
  /** Set when the job succeeded. */
  fineTunedModel: string | null;
  /** Why it failed, when it did. */
  error: string | null;
  /** Seconds since the epoch. */
  createdAt: number;
}

export interface JobEvent {
  id: string;
  /** Seconds since the epoch. */
  createdAt: number;
  level: string;
  message: string;
}

export interface UploadRequest {
  path: string;
  /** Through the Uploads API in parts even when the Files API would take it (OpenAI, Azure). */
  uploads: boolean;
  partSizeBytes: number;
  concurrency: number;
  signal?: AbortSignal;
  /** Bytes acknowledged so far, of `total`. */
  onProgress?: (sent: number, total: number) => void;
  /** A line for the person: a resumed upload, an expired one started over. */
  onNotice?: (line: string) => void;
}

export interface UploadedFile {
  id: string;
  bytes: number;
  filename: string;
  /** `files`: one request; `uploads`: in parts; `signed-url`: Together's PUT. */
  via: 'files' | 'uploads' | 'signed-url';
  /** Parts that an earlier, interrupted run had sent already. */
  resumedParts: number;
}

export interface JobRequest {
  model: string;
  trainingFile: string;
  validationFile: string | null;
  suffix: string | null;
  epochs: number | null;
  batchSize: number | null;
  lrMultiplier: number | null;
  seed: number | null;
  /** Unique per `train` run: how a create whose answer was lost is found again (OpenAI metadata). */
  runTag: string;
  signal?: AbortSignal;
}

export interface Trainer {
  readonly provider: Provider;
  upload(request: UploadRequest): Promise<UploadedFile>;
  /** Creates exactly one job, also when the answer to the create is lost. */
  createJob(request: JobRequest): Promise<FineTuneJob>;
  getJob(id: string, signal?: AbortSignal): Promise<FineTuneJob>;
  /** Newest first, at most `limit`. */
  listJobs(limit: number, signal?: AbortSignal): Promise<FineTuneJob[]>;
  /** Events after `afterId` (all when null), oldest first. */
  listEvents(id: string, afterId: string | null, signal?: AbortSignal): Promise<JobEvent[]>;
  cancelJob(id: string, signal?: AbortSignal): Promise<FineTuneJob>;
  /** The base model's shutdown date (`YYYY-MM-DD`), when the provider announces one. */
  shutdownDate(model: string, signal?: AbortSignal): Promise<string | null>;
}
