/**
 * The messages between the main thread (lib/export/runners.ts) and a worker thread
 * (lib/export/worker.ts); a leaf, imported by both sides. See docs/architecture.md, "the worker
 * protocol".
 *
 * Jobs run one at a time, in the order sent; the main thread sends the next ones before the
 * current one is done, so that a worker never waits for a round trip:
 *   main → worker  `init` {init} (first, once)   `job` {id, job}   `ack` {size, bytes?}   `close`
 *   worker → main  `ready` (after init)   `piece` {id, bytes, transferred}   `read` {id, bytes}   `done` {id, result}   `closed`
 * The options come in a message, not as workerData, so that a worker can be started before they
 * are known (prestartWorkers); it posts nothing before `init` unless asked, so nothing is lost while
 * no one listens. Before `init`, a prestarted worker reads thread headers for the main thread, which
 * needs them all (the owner) before any job starts:
 *   main → worker  `headers` {id, parts}        worker → main  `headers` {id, headers}
 *
 * Credit-based backpressure: at most `credit` × `pieceBytes` bytes are unacknowledged, so a worker
 * whose output the main thread cannot take yet (a slow sink, a spill file) stops, and memory stays
 * bounded. Counted in bytes, not pieces: every thread ends with a short piece, and a count of
 * pieces made a worker running short threads wait for the busy main thread (docs/performance.md).
 * `close` aborts the job in progress (its streams are destroyed, its sort files removed), closes
 * the zip archives the worker opened, then is answered with `closed`; the main thread terminates
 * the worker after that.
 */
import type { StageSettings } from '../options.js';
import type { ThreadHeader } from './thread-header.js';
import type { PartRef } from './part-ref.js';
import type { JobResult, ThreadJob } from './thread-job.js';

export interface WorkerInit {
  options: StageSettings;
  pieceBytes: number;
  /** Output that may be in flight unacknowledged, in full pieces (`credit` × `pieceBytes` bytes). */
  credit: number;
}

/**
 * One `ack` per piece stored, with its size; with the piece's buffer, transferred back, once the
 * main thread is done with it (written to a spill file), for the worker's next pieces.
 */
export type ToWorker =
  | { type: 'init'; init: WorkerInit }
  /** The header of each part (the first part of a thread), read as the main thread reads it. */
  | { type: 'headers'; id: number; parts: PartRef[] }
  | { type: 'job'; id: number; job: ThreadJob } | { type: 'ack'; size: number; bytes?: ArrayBuffer } | { type: 'close' };

export type FromWorker =
  | { type: 'ready' }
  /** A piece of the job's output; its buffer is transferred (the worker never touches it again). */
  | { type: 'piece'; id: number; bytes: ArrayBuffer }
  /** Input bytes read since the last report (at most every {@link READ_REPORT_BYTES}, and at the end). */
  | { type: 'read'; id: number; bytes: number }
  | { type: 'done'; id: number; result: JobResult }
  /** One per part asked; null where reading failed (the main thread reads that one again, for its error). */
  | { type: 'headers'; id: number; headers: (ThreadHeader | null)[] }
  | { type: 'closed'; error?: string };

/** A worker reports input read (progress) in steps of this many bytes. */
export const READ_REPORT_BYTES = 4 * 1024 * 1024;

/** Unacknowledged output per worker, in full pieces, unless the run says otherwise. */
export const DEFAULT_CREDIT = 4;
