/**
 * Worker-thread entry of `convertThreads` (lib/export/parallel.ts): runs one thread job at a time
 * with {@link runThreadJob} and posts its NDJSON back as transferred pieces.
 *
 * Protocol (jobs run one at a time, in the order sent; the main thread sends the next one before
 * the current one is done, so that the worker never waits for a round trip):
 *   main → worker  `init` {init} (first, once)   `job` {id, job}   `ack` {size, bytes?} (one per piece stored, with its size; with the piece's buffer, transferred back, once it is in a spill file)   `close`
 *   worker → main  `ready` (after init)   `piece` {id, bytes: ArrayBuffer, transferred}   `done` {id, result}   `closed`
 * The options come in a message, not as workerData, so that a worker can be started before they
 * are known (prestartWorkers in parallel.ts); it posts nothing before `init`, so nothing is lost
 * while no one listens.
 * Credit-based backpressure: at most `credit` × `pieceBytes` bytes are unacknowledged, so a worker
 * whose output the main thread cannot take yet (a slow sink, a spill file) stops, and memory stays
 * bounded. Counted in bytes, not pieces: every thread ends with a short piece, and a worker running
 * short threads used up a count of 4 pieces within one turn of the busy main thread (a 2 GB export
 * at --jobs 2: 272 waits, 0.64 s in all; counted in bytes, 115 waits, 0.02 s).
 * `close` aborts the job in progress (its streams are destroyed, its sort files removed), closes
 * the zip archives this worker opened (each listed once per worker and kept open between jobs),
 * then answers `closed`; the main thread terminates the worker after that.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import type { StageSettings } from '../options.js';
import { createPartOpener, failedResult, PiecePool, runThreadJob, type JobResult, type ThreadJob } from './thread-job.js';

export interface WorkerInit {
  options: StageSettings;
  pieceBytes: number;
  /** Output that may be in flight unacknowledged, in full pieces (`credit` × `pieceBytes` bytes). */
  credit: number;
}

/** An ack may bring a piece's buffer back, for the worker's next pieces (see Run.piece). */
export type ToWorker = { type: 'init'; init: WorkerInit } | { type: 'job'; id: number; job: ThreadJob } | { type: 'ack'; size: number; bytes?: ArrayBuffer } | { type: 'close' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'piece'; id: number; bytes: ArrayBuffer }
  /** Input bytes read since the last report (at most every READ_REPORT_BYTES, and at the end). */
  | { type: 'read'; id: number; bytes: number }
  | { type: 'done'; id: number; result: JobResult }
  | { type: 'closed'; error?: string };

const READ_REPORT_BYTES = 4 * 1024 * 1024;

function main(): void {
  const port = parentPort;
  if (!port) throw new Error('lib/export/worker.js is a worker_threads entry, not a module to import');
  port.once('message', (msg: ToWorker) => {
    if (msg.type !== 'init') throw new Error(`worker: expected init first, got ${msg.type}`);
    serve(port, msg.init);
  });
}

function serve(port: MessagePort, { options, pieceBytes, credit }: WorkerInit): void {
  const post = (msg: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(msg, transfer);
  const opener = createPartOpener();
  const budget = credit * pieceBytes;
  /** Bytes posted and not acknowledged. One piece may always go (none is larger than a full one). */
  let inFlight = 0;
  /** Piece buffers given back: at most `credit` full pieces are out at once, so no more come back. */
  const pool = new PiecePool(pieceBytes, credit);
  let wake: (() => void) | null = null;
  let current: AbortController | null = null;
  let queue: Promise<void> = Promise.resolve();
  let closing = false;

  const emitFor = (id: number, signal: AbortSignal) => async (bytes: Uint8Array) => {
    while (inFlight > 0 && inFlight + bytes.byteLength > budget) {
      signal.throwIfAborted();
      await new Promise<void>((resolve) => (wake = resolve));
    }
    signal.throwIfAborted();
    inFlight += bytes.byteLength;
    // pieces own their whole buffer (lib/export/thread-job.ts); copy anything else before moving it
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
    const buffer = whole ? (bytes.buffer as ArrayBuffer) : (bytes.slice().buffer as ArrayBuffer);
    post({ type: 'piece', id, bytes: buffer }, [buffer]);
  };

  const run = async (id: number, job: ThreadJob): Promise<void> => {
    if (closing) return;
    const ac = new AbortController();
    current = ac;
    let result: JobResult;
    let unreported = 0;
    const onRead = (n: number) => {
      unreported += n;
      if (unreported < READ_REPORT_BYTES) return;
      post({ type: 'read', id, bytes: unreported });
      unreported = 0;
    };
    try {
      result = await runThreadJob(job, options, emitFor(id, ac.signal), { opener, signal: ac.signal, pieceBytes, onRead, pieces: pool });
      if (unreported) post({ type: 'read', id, bytes: unreported });
    } catch (err) {
      if (ac.signal.aborted) return; // closing: the main thread no longer waits for this job
      result = failedResult(err);
    } finally {
      current = null;
    }
    post({ type: 'done', id, result });
  };

  port.on('message', (msg: ToWorker) => {
    switch (msg.type) {
      case 'job':
        queue = queue.then(() => run(msg.id, msg.job));
        return;
      case 'ack': {
        inFlight -= msg.size;
        if (msg.bytes) pool.give(msg.bytes);
        const w = wake;
        wake = null;
        w?.();
        return;
      }
      case 'close': {
        closing = true;
        current?.abort();
        const w = wake;
        wake = null;
        w?.();
        queue
          .then(() => opener.close())
          .then(
            () => post({ type: 'closed' }),
            (err: unknown) => post({ type: 'closed', error: (err as Error)?.message ?? String(err) }),
          );
        return;
      }
    }
  });
  post({ type: 'ready' });
}

main();
