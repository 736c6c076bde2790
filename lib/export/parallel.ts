/**
 * The threads of a whole export, converted in parallel (DESIGN.md "Whole exports and
 * parallelism"): each thread job runs its whole pipeline in a worker thread and hands back finished
 * NDJSON as transferred pieces; the main thread only stores, orders and writes them.
 *
 * Output: the threads in job order, each whole, byte-identical for any number of workers. A thread
 * is written only once it has finished without error; a failed thread's bytes are dropped and its
 * error goes to the summary, and the other threads come out.
 *
 * Memory, in the main thread: at most `bufferBytes` of finished-or-running threads' output is held
 * in memory; past it, a thread's further pieces are appended to its own temporary file (written out
 * after its memory pieces when its turn comes), so even one huge thread, or a huge thread that
 * holds up the ones after it, costs no more memory. A spill file is open only while its thread
 * runs. Each worker has at most `credit` full pieces' worth of output in flight (it waits for the
 * acks of pieces stored; a thread's last, short piece counts by its size).
 * Workers: their pipeline's own bounds (the order stage spills past `memoryBytes`) plus `credit`
 * pieces; each holds its next jobs while it runs one (no idle round trip between jobs).
 * Main-thread memory for the output is thus about bufferBytes + jobs × credit × pieceBytes,
 * whatever the input, beside the one pipeline it runs itself.
 *
 * Scheduling: threads are started biggest first when they are big (see {@link startOrder}), the
 * rest in job order, and workers go on past a thread that is still running: a worker never waits
 * for another's long thread while threads are left. The cost is disk, not memory: the output of
 * threads finished after a long one waits in spill files until it is written. `ahead` can bound
 * that (threads started past the one being written).
 *
 * Why a finished thread is held rather than streamed while it runs: a thread may still fail after
 * emitting (a corrupt last part, a worker out of memory), and the output must never hold half a
 * thread. The cost is one extra write and read of a thread's output past `bufferBytes` (on disk).
 *
 * `jobs: N` converts N threads at once: one in the calling thread and N - 1 in workers from
 * lib/export/worker.js beside this file (worker.ts when this file runs as TypeScript source: the
 * worker inherits `process.execArgv`, so the TypeScript loader that runs the caller, e.g. tap's,
 * runs the worker too). The calling thread has little else to do (store pieces, write), and every
 * isolate costs its own heap: N - 1 workers rather than N saved ~20 MB of peak RSS at --jobs 2 on
 * a 2 GB export, at the same speed (bench/export.ts).
 * With `resourceLimits` all N run in workers, the only place the limits apply.
 */
import { once } from 'node:events';
import { WriteStream } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { IoError, OptionError } from '../errors.js';
import { normalizeStageOptions, type StageOptions, type StageSettings } from '../options.js';
import { Report, SAMPLES_PER_REASON } from '../report.js';
import {
  checkPieceBytes,
  createPartOpener,
  DEFAULT_PIECE_BYTES,
  failedResult,
  jobError,
  PiecePool,
  runThreadJob,
  type JobResult,
  type ThreadJob,
} from './thread-job.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker.js';

export interface ConvertThreadsOptions extends StageOptions {
  /** Threads converted at once: the calling thread and jobs - 1 workers (jobs workers with resourceLimits). */
  jobs: number;
  /** Stops the run: workers closed, temporary files removed; the promise rejects with the reason. */
  signal?: AbortSignal;
  /** Largest piece of output a job hands back, bytes. Default 1 MiB. */
  pieceBytes?: number;
  /** Output held in memory by the main thread before threads spill to temporary files. Default 4 MiB. */
  bufferBytes?: number;
  /** Threads started past the one being written. Default: no bound (see the scheduling note above). */
  ahead?: number;
  /** Unacknowledged output per worker, in full pieces (`credit` × `pieceBytes` bytes). Default 4. */
  credit?: number;
  /**
   * Heap limits of each worker (worker_threads `resourceLimits`). A worker that runs out dies
   * (`ERR_WORKER_OUT_OF_MEMORY`): its thread is reported failed, a new worker goes on. Default: Node's,
   * but for a 24 MB young generation (`maxYoungGenerationSizeMb`, see WORKER_YOUNG_MB), which these
   * limits may override.
   */
  resourceLimits?: ResourceLimits;
}

export interface ConvertHooks {
  /** Each thread in job order, as it is written (or dropped, when `result.error` is set). */
  onThreadDone?(job: ThreadJob, result: JobResult): void;
  /** Bytes just written to the sink. */
  onBytes?(n: number): void;
  /** Input bytes just read by some thread (reported in steps of a few MB while a thread runs). */
  onRead?(n: number): void;
}

export interface FailedThread {
  key: string;
  code: string;
  message: string;
}

export interface RunSummary {
  /** Threads written (as counted by the pipeline: langchain counts one per file). */
  threads: number;
  examples: number;
  assistantTurns: number;
  /** Every participant and sender of the threads written, sorted. */
  people: string[];
  /** Threads left out of the output, in job order. */
  failed: FailedThread[];
  /** Merged in job order over the threads written. */
  report: Report;
  /** Bytes written to the sink. */
  bytes: number;
}

/** Where output goes: a byte stream (not ended here) or a function awaited for each piece. */
export type ThreadSink = Writable | ((bytes: Uint8Array) => Promise<void>);

export const DEFAULT_BUFFER_BYTES = 4 * 1024 * 1024;
const DEFAULT_CREDIT = 4;
/** Piece buffers kept for reuse in the calling thread (see Run.spare). */
const SPARE_PIECES = 4;
const EMPTY = new Uint8Array(0);
/**
 * Jobs a worker holds: the one it runs and at least the next three. With only the next one, a
 * worker ran dry between short threads whenever the main thread, busy with its own thread, was slow
 * to hand out more: 15% of its time idle on a 2 GB export, 5% with three (bench/export.ts, CPU
 * profiles). Short threads take a few ms each, and the main thread answers only between turns of
 * its own job (~10 ms, some 40-180 ms), so a worker still waited for jobs 23-37 times for more than
 * 5 ms, 0.4-0.6 s in all; it now also takes more while what it holds beyond the running job is
 * under {@link QUEUED_BYTES} of input: 4 such waits, 0.03-0.08 s (with credit counted in bytes,
 * lib/export/worker.ts).
 */
const MIN_HELD = 4;
const MAX_HELD = 64;
/**
 * Input bytes a worker may hold queued (beyond the job it runs) past {@link MIN_HELD} jobs: about
 * 80 ms of work, which is also the most the last jobs can keep one worker busy after the others ran
 * out (jobs started late are in job order, mostly short).
 */
const QUEUED_BYTES = 8 * 1024 * 1024;
const CLOSE_GRACE_MS = 2_000;
/**
 * A worker's young generation, MB (V8's default for this heap size is 48: two 16 MB semi-spaces and
 * room for large objects). A thread job keeps little alive between young collections, so more of
 * them, each as cheap, cost no time, and each worker's heap is ~20 MB smaller: peak RSS at --jobs 2
 * on a 2 GB export 207-209 MB against 212-226, at the same speed (bench/export.ts; `--trace-gc-nvp`).
 * 12 made some runs promote ten times as much. The calling thread's heap is made before any of our
 * code runs, so it keeps V8's default.
 */
const WORKER_YOUNG_MB = 24;
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

interface Normalized {
  jobs: number;
  pieceBytes: number;
  bufferBytes: number;
  ahead: number;
  credit: number;
}

/** `value`, an integer >= `min`, or an OptionError naming the option. */
function int(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw new OptionError(name, `must be an integer >= ${min}`, value);
  return value;
}

function normalize(options: ConvertThreadsOptions): Normalized {
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
  let runDir: string;
  try {
    runDir = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'fbstream-jobs-'));
  } catch (err) {
    throw new IoError(`cannot create a temporary folder: ${(err as Error).message}`, { cause: err });
  }
  const run = new Run(jobs, { ...settings, tmpDir: runDir }, o, runDir, sink, hooks, options.resourceLimits);
  const onAbort = () => run.fail(options.signal!.reason ?? new DOMException('This operation was aborted', 'AbortError'));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await run.start();
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await run.close();
    await rm(runDir, { recursive: true, force: true });
  }
}

/** A thread's output while it waits for its turn: pieces in memory, then (past the budget) a file. */
interface Slot {
  pos: number;
  job: ThreadJob;
  pieces: Uint8Array[];
  held: number;
  spill: Spill | null;
  /** Stores of this slot's pieces, in order. */
  chain: Promise<void>;
  result: JobResult | null;
}

interface Runner {
  /** Jobs given and not finished. */
  load: number;
  /** It may take `job` now: a worker gets its next jobs before it finishes one (no idle round trip). */
  takes(job: ThreadJob): boolean;
  start(slot: Slot): void;
  close(): Promise<void>;
}

class Run {
  readonly slots = new Map<number, Slot>();
  readonly runners: Runner[] = [];
  readonly summary: RunSummary = { threads: 0, examples: 0, assistantTurns: 0, people: [], failed: [], report: new Report(), bytes: 0 };
  readonly people = new Set<string>();
  readonly writer: Writer;
  /** Reused to copy spill files to the sink (allocated at the first). */
  readBuffer: Buffer | null = null;
  /**
   * Piece buffers the run is done with, filled again by the job in this thread or sent back to a
   * worker with an ack. Pieces held in memory and then written, and each job's last buffer (see
   * JobEnv.pieces), were left to the GC: on a 2 GB export at --jobs 2, ~380 new 1 MiB buffers
   * (now ~50), and 61 MB of ArrayBuffers alive or not yet collected at heaptrack's malloc peak (now
   * 13 MB of a 60 MB peak, was 82-89 MB).
   */
  readonly spare: PiecePool;
  /** Job positions in the order they are started. */
  readonly order: number[];
  /** How many of `order` are started. */
  next = 0;
  head = 0;
  held = 0;
  spills = 0;
  draining = false;
  stopped = false;
  resolve!: (s: RunSummary) => void;
  reject!: (err: unknown) => void;
  readonly done = new Promise<RunSummary>((res, rej) => ((this.resolve = res), (this.reject = rej)));

  constructor(
    readonly jobs: readonly ThreadJob[],
    readonly jobOptions: StageSettings,
    readonly o: Normalized,
    readonly dir: string,
    sink: ThreadSink,
    readonly hooks: ConvertHooks,
    readonly resourceLimits?: ResourceLimits,
  ) {
    this.writer = writerFor(sink);
    this.spare = new PiecePool(o.pieceBytes, SPARE_PIECES);
    this.order = startOrder(jobs, o.jobs);
    this.done.catch(() => {});
  }

  start(): Promise<RunSummary> {
    if (this.jobs.length === 0) this.finish();
    else {
      const n = Math.min(this.o.jobs, this.jobs.length);
      const inWorkers = this.resourceLimits && this.o.jobs > 1 ? n : n - 1;
      if (inWorkers < n) this.runners.push(new MainRunner(this));
      for (let i = 0; i < inWorkers; ++i) this.runners.push(new WorkerRunner(this));
      this.pump();
    }
    return this.done;
  }

  /** Start jobs on idle runners, within `ahead` of the thread being written. */
  pump(): void {
    if (this.stopped) return;
    // the least loaded first, so that every worker has a job running before any gets a second
    for (let load = 0; load < MAX_HELD; ++load) {
      for (const runner of this.runners) {
        if (this.next >= this.order.length || this.order[this.next]! >= this.head + this.o.ahead) return;
        const pos = this.order[this.next]!;
        if (runner.load > load || !runner.takes(this.jobs[pos]!)) continue;
        ++this.next;
        const slot: Slot = { pos, job: this.jobs[pos]!, pieces: [], held: 0, spill: null, chain: Promise.resolve(), result: null };
        this.slots.set(pos, slot);
        ++runner.load;
        runner.start(slot);
      }
    }
  }

  /** A piece of `slot`'s output: kept in memory within the budget, else appended to its spill file. */
  /**
   * Store a piece of `slot`'s output. Resolves with the piece's buffer when the run is done with it
   * (written to the thread's spill file), for the job to fill again: without it, every 1 MiB piece
   * was garbage that only a GC gave back, and tens of MB of dead ArrayBuffers piled up per isolate
   * before external memory alone made V8 collect them. Null when the piece is held in memory.
   */
  piece(slot: Slot, bytes: Uint8Array): Promise<ArrayBuffer | null> {
    const stored = slot.chain.then(async () => {
      if (this.stopped) return null;
      if (slot.spill === null && this.held + bytes.byteLength <= this.o.bufferBytes) {
        slot.pieces.push(bytes);
        slot.held += bytes.byteLength;
        this.held += bytes.byteLength;
        return null;
      }
      slot.spill ??= new Spill(join(this.dir, `thread-${slot.pos}.ndjson`));
      ++this.spills;
      await slot.spill.append(bytes);
      return this.spare.isWhole(bytes) ? (bytes.buffer as ArrayBuffer) : null;
    });
    slot.chain = stored.then(() => {});
    slot.chain.catch((err: unknown) => this.fail(err));
    return stored;
  }

  /** `slot`'s job ended (its runner is free again). */
  finished(slot: Slot, runner: Runner, result: JobResult): void {
    slot.chain.then(async () => {
      await slot.spill?.seal().catch(() => {}); // read() opens the file again anyway
      if (this.stopped) return;
      slot.result = result;
      --runner.load;
      if (result.error) this.drop(slot);
      this.pump();
      void this.drain();
    }, () => {});
  }

  drop(slot: Slot): void {
    this.held -= slot.held;
    slot.pieces = [];
    slot.held = 0;
    const spill = slot.spill;
    slot.spill = null;
    spill?.remove().catch(() => {});
  }

  /** Write every finished thread at the head, in job order. */
  async drain(): Promise<void> {
    if (this.draining || this.stopped) return;
    this.draining = true;
    try {
      for (let slot = this.slots.get(this.head); slot?.result; slot = this.slots.get(this.head)) {
        await this.commit(slot, slot.result);
        if (this.stopped) return;
        this.slots.delete(this.head++);
        this.pump();
      }
    } catch (err) {
      this.fail(err);
      return;
    } finally {
      this.draining = false;
    }
    if (this.head === this.jobs.length) this.finish();
  }

  async commit(slot: Slot, result: JobResult): Promise<void> {
    if (result.error) {
      this.summary.failed.push({ key: slot.job.key, ...result.error });
      this.hooks.onThreadDone?.(slot.job, result);
      return;
    }
    const pieces = slot.pieces;
    for (let i = 0; i < pieces.length; ++i) {
      const bytes = pieces[i]!;
      pieces[i] = EMPTY; // released as written
      slot.held -= bytes.byteLength;
      this.held -= bytes.byteLength;
      // a sink that keeps what it is given gets the piece itself; else it is filled again
      if (!this.writer.handsToOs || !this.spare.isWhole(bytes)) await this.out(bytes);
      else {
        await this.out(bytes, true);
        this.spare.give(bytes.buffer as ArrayBuffer);
      }
    }
    slot.pieces = [];
    if (slot.spill) {
      const spill = slot.spill;
      slot.spill = null;
      // one buffer for every spill file: a new one per chunk made 435 MB of ArrayBuffers at --jobs 2
      // on a 2 GB export, and the main thread's garbage collector ran after them (1.5-2.6 CPU s)
      this.readBuffer ??= Buffer.allocUnsafe(this.o.pieceBytes);
      await spill.copyTo(this.readBuffer, (bytes) => this.out(bytes, true));
      await spill.remove();
    }
    const s = this.summary;
    s.threads += result.threads;
    s.examples += result.examples;
    s.assistantTurns += result.assistantTurns;
    for (const p of result.people) this.people.add(p);
    mergeReport(s.report, result.report);
    this.hooks.onThreadDone?.(slot.job, result);
  }

  /** Write `bytes`; `borrowed`: they are reused once this resolves, so wait until the sink is done with them. */
  async out(bytes: Uint8Array, borrowed = false): Promise<void> {
    if (this.stopped) return;
    await (borrowed ? this.writer.writeBorrowed(bytes) : this.writer.write(bytes));
    this.summary.bytes += bytes.byteLength;
    this.hooks.onBytes?.(bytes.byteLength);
  }

  finish(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.summary.people = [...this.people].sort();
    this.resolve(this.summary);
  }

  fail(err: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.reject(err);
  }

  /** Stop the runners and drop what is held (spill files go with the run's folder). */
  async close(): Promise<void> {
    this.stopped = true;
    this.writer.release();
    await Promise.allSettled(this.runners.map((r) => r.close()));
    for (const slot of this.slots.values()) this.drop(slot);
    this.slots.clear();
  }
}

/**
 * Whether a worker holding `held` jobs (the one it runs and those queued behind it) takes one more,
 * after which it would hold `queued` input bytes beyond the one it runs.
 */
export function workerTakes(held: number, queued: number): boolean {
  return held < MIN_HELD || (held < MAX_HELD && queued <= QUEUED_BYTES);
}

/** Jobs in the calling thread, one after another. */
class MainRunner implements Runner {
  load = 0;
  takes(): boolean {
    return this.load === 0;
  }
  readonly opener = createPartOpener();
  readonly ac = new AbortController();
  current: Promise<unknown> = Promise.resolve();
  constructor(readonly run: Run) {}

  start(slot: Slot): void {
    const { run } = this;
    const pool = run.spare;
    const emit = (bytes: Uint8Array) =>
      run.piece(slot, bytes).then((spent) => {
        if (spent) pool.give(spent);
      });
    this.current = runThreadJob(slot.job, run.jobOptions, emit, { opener: this.opener, signal: this.ac.signal, pieceBytes: pool.pieceBytes, pieces: pool, ...(run.hooks.onRead && { onRead: run.hooks.onRead }) }).then(
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
class WorkerRunner implements Runner {
  load = 0;
  worker!: Worker;
  ready = false;
  /** The current worker has exited (it is not replaced once the run has failed). */
  exited = false;
  /** Jobs posted and not done, in the order posted: the worker runs the first. */
  readonly slots = new Map<number, Slot>();
  closing: Promise<void> | null = null;

  constructor(readonly run: Run) {
    this.spawn();
  }

  spawn(): void {
    const init: WorkerInit = { options: this.run.jobOptions, pieceBytes: this.run.o.pieceBytes, credit: this.run.o.credit };
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
    return workerTakes(this.load, queued);
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
        if (this.slots.has(msg.id)) this.run.hooks.onRead?.(msg.bytes);
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

/** A new worker; what it prints is forwarded to stderr by its runner. */
function startWorker(limits?: ResourceLimits): Worker {
  // stdout: true keeps anything a worker prints away from the process's stdout, which may be the data
  return new Worker(WORKER_URL, { stdout: true, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB, ...limits } });
}

/** Workers started ahead of a run, and whether each has died since. */
const prestarted: { worker: Worker; failed: boolean; onFail: () => void }[] = [];

/**
 * Start `count` workers now (beyond those already waiting), for the next runs without
 * `resourceLimits` to take. A worker takes ~120 ms to start on an idle core (its own V8 isolate,
 * Node's bootstrap, our modules), ~270 ms beside a busy one: the CLI starts them before it lists
 * the export and reads its headers, work of one core while the other is idle. Workers waiting do
 * not keep the process alive. Returns how many are waiting (`prestartWorkers(0)`: only that).
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

/** A thread's output past the memory budget: appended in order, read back once, removed. */
class Spill {
  #fh: Promise<FileHandle> | null = null;
  #closed = false;

  constructor(readonly path: string) {}

  async append(bytes: Uint8Array): Promise<void> {
    const fh = await (this.#fh ??= open(this.path, 'wx'));
    let off = 0;
    while (off < bytes.byteLength) off += (await fh.write(bytes, off, bytes.byteLength - off)).bytesWritten;
  }

  /** Hand the file's bytes to `write`, read into `buffer` a chunk at a time (`write` must be done with each before it resolves). */
  async copyTo(buffer: Buffer, write: (bytes: Uint8Array) => Promise<void>): Promise<void> {
    await this.seal();
    const fh = await open(this.path, 'r');
    try {
      for (;;) {
        const { bytesRead } = await fh.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) return;
        await write(buffer.subarray(0, bytesRead));
      }
    } finally {
      await fh.close();
    }
  }

  /** No more appends: the file handle is closed (reopened by copyTo). */
  async seal(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const fh = await this.#fh?.catch(() => null);
    await fh?.close();
  }

  async remove(): Promise<void> {
    await this.seal().catch(() => {});
    await rm(this.path, { force: true });
  }
}

interface Writer {
  /** Honours the sink's backpressure and errors; `bytes` are the sink's from then on. */
  write(bytes: Uint8Array): Promise<void>;
  /** Resolves once the sink is done with `bytes` (written out), so that the caller may reuse them. */
  writeBorrowed(bytes: Uint8Array): Promise<void>;
  /** writeBorrowed() costs no copy: the sink hands the bytes to the OS. */
  readonly handsToOs: boolean;
  /** The run is over: stop waiting, and leave the stream's listeners as they were. */
  release(): void;
}

function writerFor(sink: ThreadSink): Writer {
  // a function sink may keep what it is given: it gets a copy of borrowed bytes (new Uint8Array
  // copies; a Buffer's slice() would not)
  if (typeof sink === 'function') return { write: sink, writeBorrowed: (bytes) => sink(new Uint8Array(bytes)), handsToOs: false, release: () => {} };
  // only a stream that hands chunks to the OS is done with them when their callback comes; any
  // other (a PassThrough passes the chunk itself on) gets a copy
  const handsToOs = sink instanceof WriteStream || sink instanceof Socket || sink === process.stdout || sink === process.stderr;
  let failed: Error | null = null;
  const onError = (err: Error) => void (failed ??= err);
  sink.on('error', onError);
  let waiting: AbortController | null = null;
  const write = async (bytes: Uint8Array): Promise<void> => {
    if (failed) throw failed;
    if (sink.destroyed || sink.writableEnded) throw new IoError('cannot write the output: the stream is closed');
    if (sink.write(bytes)) return;
    const ac = (waiting = new AbortController());
    const closed = once(sink, 'close', { signal: ac.signal }).then(() => {
      throw failed ?? new IoError('cannot write the output: the stream closed');
    });
    try {
      await Promise.race([once(sink, 'drain', { signal: ac.signal }), closed]);
    } finally {
      waiting = null;
      ac.abort();
    }
    if (failed) throw failed;
  };
  const writeBorrowed = (bytes: Uint8Array): Promise<void> => {
    if (!handsToOs) return write(new Uint8Array(bytes));
    if (failed) return Promise.reject(failed);
    if (sink.destroyed || sink.writableEnded) return Promise.reject(new IoError('cannot write the output: the stream is closed'));
    // the callback comes once the bytes are written out, or with the error that stopped them
    return new Promise((resolve, reject) => sink.write(bytes, (err) => (err ? reject(failed ?? err) : resolve())));
  };
  // the run is over: stop waiting for a drain that may never come, and leave the stream as it was
  const release = () => {
    waiting?.abort();
    sink.removeListener('error', onError);
  };
  return { write, writeBorrowed, handsToOs, release };
}

/** Add a job's report to the run's: counts summed, samples kept up to the usual few. */
function mergeReport(into: Report, entries: JobResult['report']): void {
  for (const [reason, count, samples] of entries) {
    into.counts.set(reason, (into.counts.get(reason) ?? 0) + count);
    if (samples.length === 0) continue;
    let list = into.samples.get(reason);
    if (!list) into.samples.set(reason, (list = []));
    for (const s of samples) if (list.length < SAMPLES_PER_REASON) list.push(s);
  }
}

/**
 * The order jobs are started in. A thread bigger than an eighth of one worker's share of the
 * export would, started in its turn, keep one worker busy long after the others ran out of work
 * (the usual export: a few long conversations among hundreds of short ones). These go first,
 * biggest first; the others follow in job order, so that output starts early. Output order
 * is job order whatever the start order. A job without `bytes` counts as small.
 */
export function startOrder(jobs: readonly ThreadJob[], workers: number): number[] {
  const positions = jobs.map((_, i) => i);
  if (workers <= 1) return positions;
  const total = jobs.reduce((sum, j) => sum + (j.bytes ?? 0), 0);
  const big = total / (workers * 8);
  const first = positions.filter((i) => (jobs[i]!.bytes ?? 0) > big).sort((a, b) => jobs[b]!.bytes! - jobs[a]!.bytes! || a - b);
  const bigs = new Set(first);
  return [...first, ...positions.filter((i) => !bigs.has(i))];
}
