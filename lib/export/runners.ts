/**
 * Who runs the jobs of `convertThreads` (lib/export/parallel.ts): the calling thread
 * ({@link MainRunner}) and worker threads ({@link WorkerRunner}, lib/export/worker.ts, speaking
 * lib/export/protocol.ts), started ahead of a run by {@link prestartWorkers}.
 *
 * The worker is lib/export/worker.js beside this file (worker.ts when this file runs as TypeScript
 * source: the worker inherits `process.execArgv`, so the TypeScript loader that runs the caller,
 * e.g. tap's, runs the worker too).
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { IoError, OptionError } from '../errors.js';
import type { StageSettings } from '../options.js';
import type { Slot } from './ordered-output.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';
import type { HeaderReaders } from './open-export.js';
import type { ThreadHeader } from './thread-header.js';
import type { PartRef } from './part-ref.js';
import { createPartOpener } from './part-opener.js';
import { failedResult, jobError, runThreadJob, type JobResult, type PiecePool, type ThreadJob } from './thread-job.js';

/** What a runner needs of its run (lib/export/scheduler.ts). */
export interface RunnerHost {
  readonly jobOptions: StageSettings;
  readonly pieceBytes: number;
  readonly credit: number;
  readonly resourceLimits: ResourceLimits | undefined;
  readonly spare: PiecePool;
  readonly onRead: ((n: number) => void) | undefined;
  /** Store a piece of `slot`'s output; resolves with its buffer when the run is done with it. */
  piece(slot: Slot, bytes: Uint8Array): Promise<ArrayBuffer | null>;
  /** `slot`'s job ended. */
  finished(slot: Slot, runner: Runner, result: JobResult): void;
  /** The run cannot go on. */
  fail(err: unknown): void;
}

export interface Runner {
  /** Jobs given and not finished. */
  load: number;
  /** It may take `job` now: a worker gets its next jobs before it finishes one (no idle round trip). */
  takes(job: ThreadJob): boolean;
  start(slot: Slot): void;
  close(): Promise<void>;
}

/** How long a worker asked to close may take to answer before it is terminated. */
const CLOSE_GRACE_MS = 2_000;
/**
 * A worker's young generation, MB (V8's default for this heap size is 48). A thread job keeps
 * little alive between young collections, so more of them cost no time, and each worker's heap is
 * smaller (docs/performance.md, "Parallel export"). The calling thread's heap keeps V8's default.
 */
const WORKER_YOUNG_MB = 24;
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

/**
 * Output of the calling thread's job between two turns of its event loop, where the workers'
 * messages are taken: about the work of the input's own turns (1 MiB read, lib/sources/files.ts).
 */
const MAIN_TURN_BYTES = 256 * 1024;

/** Jobs in the calling thread, one after another. */
export class MainRunner implements Runner {
  load = 0;
  takes(): boolean {
    return this.load === 0;
  }
  readonly opener = createPartOpener();
  readonly ac = new AbortController();
  current: Promise<unknown> = Promise.resolve();
  constructor(readonly run: RunnerHost) {}

  start(slot: Slot): void {
    const { run } = this;
    const pool = run.spare;
    const emit = (bytes: Uint8Array) =>
      run.piece(slot, bytes).then((spent) => {
        if (spent) pool.give(spent);
      });
    const env = { opener: this.opener, signal: this.ac.signal, pieceBytes: pool.pieceBytes, pieces: pool, turnBytes: MAIN_TURN_BYTES, ...(run.onRead && { onRead: run.onRead }) };
    // a turn of the event loop first: the jobs follow each other in promise callbacks, and a run of
    // short threads (no input or output turn of their own) kept the workers' messages waiting
    this.current = new Promise(setImmediate).then(() => runThreadJob(slot.job, run.jobOptions, emit, env)).then(
      (result) => run.finished(slot, this, result),
      (err: unknown) => run.fail(err),
    );
  }

  async close(): Promise<void> {
    this.ac.abort();
    await this.current;
    await this.opener.close().catch(() => {});
  }
}

/** One worker thread (lib/export/worker.ts); replaced when it dies in the middle of a job. */
export class WorkerRunner implements Runner {
  load = 0;
  worker!: Worker;
  ready = false;
  /** The current worker has exited (it is not replaced once the run has failed). */
  exited = false;
  /** Jobs posted and not done, in the order posted: the worker runs the first. */
  readonly slots = new Map<number, Slot>();
  closing: Promise<void> | null = null;

  constructor(
    readonly run: RunnerHost,
    /** Whether a run may hold this many jobs, and this much queued input, on one worker. */
    readonly takesMore: (held: number, queued: number) => boolean,
  ) {
    this.spawn();
  }

  spawn(): void {
    const init: WorkerInit = { options: this.run.jobOptions, pieceBytes: this.run.pieceBytes, credit: this.run.credit };
    const limits = this.run.resourceLimits;
    const worker = (limits === undefined && takePrestarted()) || startWorker(limits);
    // not before: a 'data' listener keeps the process alive, even with the worker unref()'d
    worker.stdout.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    worker.postMessage({ type: 'init', init } satisfies ToWorker);
    this.worker = worker;
    this.ready = false;
    this.exited = false;
    // these stay attached (an 'error' without a listener would throw); they act for the current worker only
    const mine = () => this.worker === worker && !this.exited;
    worker.on('message', (msg: FromWorker) => mine() && this.onMessage(msg));
    worker.on('error', (err) => mine() && this.onDeath(err));
    worker.on('exit', (code) => mine() && this.onDeath(new Error(`worker thread exited with code ${code}`)));
  }

  post(msg: ToWorker, transfer?: ArrayBuffer[]): void {
    this.worker.postMessage(msg, transfer);
  }

  takes(job: ThreadJob): boolean {
    // the input it would hold beyond the job it runs (the first posted)
    let queued = job.bytes ?? 0;
    let running = true;
    for (const slot of this.slots.values()) {
      if (running) running = false;
      else queued += slot.job.bytes ?? 0;
    }
    return this.takesMore(this.load, queued);
  }

  start(slot: Slot): void {
    this.slots.set(slot.pos, slot);
    this.post({ type: 'job', id: slot.pos, job: slot.job });
  }

  onMessage(msg: FromWorker): void {
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        return;
      case 'piece': {
        const slot = this.slots.get(msg.id);
        if (!slot) return;
        const bytes = new Uint8Array(msg.bytes);
        const size = bytes.byteLength;
        this.run.piece(slot, bytes).then(
          (stored) => {
            if (this.closing) return;
            // the piece back to fill again, or, for a full piece held here, a spare one of the run's
            // (a short piece was a copy: the worker's buffer was not used up)
            const spent = stored ?? (this.run.spare.isWhole(bytes) ? this.run.spare.takeSpare() : undefined);
            this.post(spent ? { type: 'ack', size, bytes: spent } : { type: 'ack', size }, spent ? [spent] : undefined);
          },
          () => {},
        );
        return;
      }
      case 'read':
        if (this.slots.has(msg.id)) this.run.onRead?.(msg.bytes);
        return;
      case 'done': {
        const slot = this.slots.get(msg.id);
        if (!slot) return;
        this.slots.delete(msg.id);
        this.run.finished(slot, this, msg.result);
        return;
      }
      case 'closed':
        return;
    }
  }

  /**
   * The worker died: before it started, the run fails; in a job, that thread fails, a new worker
   * takes over, and the jobs queued behind it are given to the new one.
   */
  onDeath(err: Error): void {
    if (this.closing) return;
    this.exited = true;
    void this.worker.terminate();
    if (!this.ready) return this.run.fail(new IoError(`a worker thread failed to start: ${err.message}`, { cause: err }));
    const [running, ...queued] = this.slots.values();
    this.slots.clear();
    this.spawn();
    for (const slot of queued) this.start(slot);
    if (running) {
      const e = jobError(err);
      this.run.finished(running, this, failedResult(Object.assign(new Error(`worker thread died: ${e.message}`), { code: e.code })));
    }
  }

  close(): Promise<void> {
    return (this.closing ??= this.#close());
  }

  async #close(): Promise<void> {
    const worker = this.worker;
    if (this.exited) return void (await worker.terminate());
    const closed = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, CLOSE_GRACE_MS);
      worker.on('message', (msg: FromWorker) => msg.type === 'closed' && (clearTimeout(timer), resolve()));
      worker.once('exit', () => (clearTimeout(timer), resolve()));
    });
    try {
      this.post({ type: 'close' });
    } catch {
      // already gone
    }
    await closed;
    await worker.terminate();
  }
}

/** `value`, an integer >= `min`, or an OptionError naming the option (the run's options are checked with it too). */
export function int(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw new OptionError(name, `must be an integer >= ${min}`, value);
  return value;
}

/** A new worker; what it prints is forwarded to stderr by its runner. */
export function startWorker(limits?: ResourceLimits): Worker {
  // stdout: true keeps anything a worker prints away from the process's stdout, which may be the data
  return new Worker(WORKER_URL, { stdout: true, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB, ...limits } });
}

/** Workers started ahead of a run, and whether each has died since. */
const prestarted: { worker: Worker; failed: boolean; onFail: () => void }[] = [];

/**
 * Start `count` workers now (beyond those already waiting), for the next runs without
 * `resourceLimits` to take. A worker takes a few hundred ms to start (its own V8 isolate, Node's
 * bootstrap, our modules): the CLI starts them before it lists the export and reads its headers,
 * work of one core while the other is idle. Workers waiting do not keep the process alive.
 * Returns how many are waiting (`prestartWorkers(0)`: only that).
 */
export function prestartWorkers(count: number): number {
  int('count', count, 0);
  while (prestarted.length < count) {
    const worker = startWorker();
    const entry = { worker, failed: false, onFail: () => void (entry.failed = true) };
    worker.on('error', entry.onFail).on('exit', entry.onFail);
    worker.unref();
    prestarted.push(entry);
  }
  return prestarted.length;
}

let headerRequests = 0;

/**
 * Headers (of threads' first parts) read by the workers waiting for a run, a share each; null for
 * one that could not be read there (or a worker that died), which the caller reads itself. The
 * main thread needs every header (the owner) before any job starts, while the workers would
 * otherwise wait idle.
 */
export const headersInWaitingWorkers: HeaderReaders = {
  count: () => prestarted.filter((e) => !e.failed).length,
  read(parts) {
    const alive = prestarted.filter((e) => !e.failed);
    const share = Math.ceil(parts.length / Math.max(1, alive.length));
    return alive.map((entry, i) => headersIn(entry, parts.slice(i * share, (i + 1) * share)));
  },
};

function headersIn(entry: (typeof prestarted)[number], parts: PartRef[]): Promise<(ThreadHeader | null)[]> {
  const none = () => parts.map(() => null);
  if (parts.length === 0) return Promise.resolve([]);
  const { worker } = entry;
  const id = ++headerRequests;
  return new Promise((resolve) => {
    const done = (got: (ThreadHeader | null)[]) => {
      worker.off('message', onMessage).off('exit', onExit);
      if (!entry.failed && prestarted.includes(entry)) worker.unref();
      resolve(got);
    };
    const onMessage = (msg: FromWorker) => {
      if (msg.type === 'headers' && msg.id === id) done(msg.headers.length === parts.length ? msg.headers : none());
    };
    const onExit = () => done(none());
    // held while it answers: an unref()'d worker alone would let the process exit
    worker.ref();
    worker.on('message', onMessage).on('exit', onExit);
    try {
      worker.postMessage({ type: 'headers', id, parts } satisfies ToWorker);
    } catch {
      done(none());
    }
  });
}

/** A prestarted worker still alive, or undefined. */
function takePrestarted(): Worker | undefined {
  for (let entry = prestarted.shift(); entry; entry = prestarted.shift()) {
    const { worker, onFail } = entry;
    worker.off('error', onFail).off('exit', onFail);
    if (entry.failed) {
      void worker.terminate();
      continue;
    }
    worker.ref();
    return worker;
  }
  return undefined;
}
