/**
 * Follow a fine-tuning job until it ends: its status and its new events, polled at most every
 * `pollMs`, each event handed on once, in order. A provider that stumbles for a while (429, 5xx, a
 * dropped connection, after the client's own retries) does not end the follow: it polls again,
 * waiting longer each time, and gives up (exit 3) only after `maxFailures` misses in a row. The
 * job itself is never touched: aborting the follow leaves it running.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError } from '../errors.js';
import { TRAIN_OPTIONS } from '../options.js';
import { FINAL_STATUSES, type FineTuneJob, type JobEvent, type Trainer } from './trainer.js';

export interface FollowOptions {
  /** Milliseconds between polls. Default 10 s (`--poll`). */
  pollMs?: number;
  /** Stops following (the job goes on); the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Each event once, oldest first. */
  onEvent?: (event: JobEvent) => void;
  /** The job when first seen and whenever its status changes. */
  onStatus?: (job: FineTuneJob) => void;
  /** Failed polls in a row before giving up. Default 8. */
  maxFailures?: number;
  /** Longest wait between failed polls. Default 2 min. */
  maxBackoffMs?: number;
}

/** Resolves with the job once it succeeded, failed or was cancelled (a failed job is no error here). */
export async function followJob(trainer: Trainer, id: string, options: FollowOptions = {}): Promise<FineTuneJob> {
  const pollMs = options.pollMs ?? TRAIN_OPTIONS.poll.default * 1000;
  const maxFailures = options.maxFailures ?? 8;
  const maxBackoffMs = Math.max(pollMs, options.maxBackoffMs ?? 120_000);
  const { signal } = options;
  let lastEventId: string | null = null;
  const seen = new Set<string>();
  let lastStatus: string | null = null;
  let failures = 0;
  for (;;) {
    signal?.throwIfAborted();
    try {
      // the status first, then the events: the events of a job seen final are all there
      const job = await trainer.getJob(id, signal);
      const events = await trainer.listEvents(id, lastEventId, signal);
      failures = 0;
      for (const event of events) {
        lastEventId = event.id;
        if (seen.has(event.id)) continue;
        seen.add(event.id);
        options.onEvent?.(event);
      }
      if (job.providerStatus !== lastStatus) {
        lastStatus = job.providerStatus;
        options.onStatus?.(job);
      }
      if (FINAL_STATUSES.includes(job.status)) return job;
      await sleep(pollMs, undefined, { signal });
    } catch (err) {
      if (signal?.aborted || !isTransient(err)) throw err;
      failures++;
      if (failures >= maxFailures) {
        throw new ApiError(trainer.provider, `lost touch with the job ${id} (${failures} failed polls in a row): ${(err as Error).message}\nThe job may still be running: fbstream jobs follow ${id} --provider ${trainer.provider}`, (err as ApiError).status, { cause: err });
      }
      await sleep(Math.min(pollMs * 2 ** failures, maxBackoffMs), undefined, { signal });
    }
  }
}

/** A miss worth polling through: no answer, or 408, 409, 429, 5xx (401, 403, 404 and 400 are not). */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof ApiError) || err.code !== 'FBS_API') return false;
  const status = err.status;
  return status === undefined || status === 408 || status === 409 || status === 429 || status >= 500;
}
