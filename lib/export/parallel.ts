/**
 * The threads of a whole export, converted in parallel (docs/architecture.md, "Export flow"): each
 * thread job runs its whole pipeline in a worker thread and hands back finished NDJSON as
 * transferred pieces; the main thread only stores, orders and writes them.
 *
 * Output: the threads in job order, each whole, byte-identical for any number of workers. A thread
 * is written only once it has finished without error; a failed thread's bytes are dropped and its
 * error goes to the summary, and the other threads come out. A thread is held rather than streamed
 * while it runs because it may still fail after emitting (a corrupt last part, a worker out of
 * memory), and the output must never hold half a thread.
 *
 * The roles, one file each:
 * - lib/export/scheduler.ts: the run, the order jobs start in, handing them out;
 * - lib/export/runners.ts: the calling thread and the worker threads that run them;
 * - lib/export/protocol.ts: the messages between the main thread and a worker (worker.ts);
 * - lib/export/ordered-output.ts: each thread's output held (memory, then a spill file in the
 *   run's private temporary folder, lib/temp-files.ts) and written whole, in job order.
 *
 * Memory, in the main thread: at most `bufferBytes` of finished-or-running threads' output, plus
 * `credit` pieces in flight per worker: about bufferBytes + jobs × credit × pieceBytes, whatever
 * the input, beside the one pipeline it runs itself. Workers: their pipeline's own bounds (the
 * order stage spills past `memoryBytes`) plus `credit` pieces.
 *
 * `jobs: N` converts N threads at once: one in the calling thread and N - 1 in workers (the calling
 * thread has little else to do, and every isolate costs its own heap; docs/performance.md). With
 * `resourceLimits` all N run in workers, the only place the limits apply.
 */
import type { ResourceLimits } from 'node:worker_threads';
import { normalizeStageOptions, type StageOptions } from '../options.js';
import { createTempFolder } from '../temp-files.js';
import { OrderedOutput, type ThreadSink } from './ordered-output.js';
import { DEFAULT_CREDIT } from './protocol.js';
import { int } from './runners.js';
import { Run, type ConvertHooks, type RunLimits, type RunSummary } from './scheduler.js';
import { checkPieceBytes, DEFAULT_PIECE_BYTES, type ThreadJob } from './thread-job.js';

export { prestartWorkers } from './runners.js';
export { startOrder, workerTakes, type ConvertHooks, type FailedThread, type RunSummary } from './scheduler.js';
export type { ThreadSink } from './ordered-output.js';

export interface ConvertThreadsOptions extends StageOptions {
  /** Threads converted at once: the calling thread and jobs - 1 workers (jobs workers with resourceLimits). */
  jobs: number;
  /** Stops the run: workers closed, temporary files removed; the promise rejects with the reason. */
  signal?: AbortSignal;
  /** Largest piece of output a job hands back, bytes. Default 1 MiB. */
  pieceBytes?: number;
  /** Output held in memory by the main thread before threads spill to temporary files. Default 4 MiB. */
  bufferBytes?: number;
  /** Threads started past the one being written. Default: no bound (see lib/export/scheduler.ts). */
  ahead?: number;
  /** Unacknowledged output per worker, in full pieces (`credit` × `pieceBytes` bytes). Default 4. */
  credit?: number;
  /**
   * Heap limits of each worker (worker_threads `resourceLimits`). A worker that runs out dies
   * (`ERR_WORKER_OUT_OF_MEMORY`): its thread is reported failed, a new worker goes on. Default: Node's,
   * but for a 24 MB young generation (`maxYoungGenerationSizeMb`, lib/export/runners.ts), which
   * these limits may override.
   */
  resourceLimits?: ResourceLimits;
}

export const DEFAULT_BUFFER_BYTES = 4 * 1024 * 1024;

function normalize(options: ConvertThreadsOptions): RunLimits {
  const jobs = int('jobs', options.jobs, 1);
  return {
    jobs,
    pieceBytes: checkPieceBytes(options.pieceBytes ?? DEFAULT_PIECE_BYTES),
    bufferBytes: int('bufferBytes', options.bufferBytes ?? DEFAULT_BUFFER_BYTES, 0),
    ahead: int('ahead', options.ahead ?? Number.MAX_SAFE_INTEGER, 1),
    credit: int('credit', options.credit ?? DEFAULT_CREDIT, 1),
  };
}

/** Convert `jobs` (threads) into `sink`, in job order, with `options.jobs` workers. */
export async function convertThreads(jobs: readonly ThreadJob[], options: ConvertThreadsOptions, sink: ThreadSink, hooks: ConvertHooks = {}): Promise<RunSummary> {
  const o = normalize(options);
  const settings = normalizeStageOptions(options); // checked here, before any worker
  options.signal?.throwIfAborted();
  // the run's private folder: the threads' held output, and their sort files (tmpDir below)
  const folder = await createTempFolder('fbstream-jobs-', options.tmpDir);
  const output = new OrderedOutput(sink, folder, o.pieceBytes, o.bufferBytes, hooks.onBytes && ((n) => hooks.onBytes!(n)));
  const run = new Run(jobs, { ...settings, tmpDir: folder.path }, o, output, hooks, options.resourceLimits);
  const onAbort = () => run.fail(options.signal!.reason ?? new DOMException('This operation was aborted', 'AbortError'));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await run.start();
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await run.close();
    await folder.remove();
  }
}
