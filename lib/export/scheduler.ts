/**
 * The scheduler of `convertThreads` (lib/export/parallel.ts): one {@link Run} hands out the jobs
 * to its runners (lib/export/runners.ts) in {@link startOrder}, within `ahead` of the thread being
 * written, and has the ordered output (lib/export/ordered-output.ts) write each finished thread in
 * job order; it sums the threads written into the run's summary.
 *
 * Workers go on past a thread that is still running: a worker never waits for another's long
 * thread while threads are left. The cost is disk, not memory: the output of threads finished
 * after a long one waits in the spill file until it is written. `ahead` can bound that.
 */
import type { ResourceLimits } from 'node:worker_threads';
import type { StageSettings } from '../options.js';
import { Report, SAMPLES_PER_REASON } from '../report.js';
import { addCounts, type Counts } from '../stats.js';
import type { OrderedOutput, Slot } from './ordered-output.js';
import { MainRunner, WorkerRunner, type Runner, type RunnerHost } from './runners.js';
import type { PiecePool, JobResult, ThreadJob } from './thread-job.js';

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
  /** The pipelines' counters, summed over the threads written. */
  counts: Counts;
}

/** A run's limits, checked (see ConvertThreadsOptions). */
export interface RunLimits {
  jobs: number;
  pieceBytes: number;
  bufferBytes: number;
  ahead: number;
  credit: number;
}

/**
 * Jobs a worker holds: the one it runs and at least the next three, so that it does not run dry
 * between short threads while the main thread, busy with its own job, is slow to hand out more;
 * up to {@link MAX_HELD} while what it holds beyond the running job is under {@link QUEUED_BYTES}
 * of input (docs/performance.md, "Parallel export").
 */
const MIN_HELD = 4;
const MAX_HELD = 64;
/**
 * Input bytes a worker may hold queued (beyond the job it runs) past {@link MIN_HELD} jobs: about
 * 80 ms of work, which is also the most the last jobs can keep one worker busy after the others ran
 * out (jobs started late are in job order, mostly short).
 */
const QUEUED_BYTES = 8 * 1024 * 1024;

/**
 * Whether a worker holding `held` jobs (the one it runs and those queued behind it) takes one more,
 * after which it would hold `queued` input bytes beyond the one it runs. `share`: its share of the
 * input not started yet (the run's, over its jobs). Near the end a worker holding two jobs takes no
 * more than that: jobs queued on one worker while the others run out are the run's tail (the calling
 * thread sat idle ~0.18 s at the end of a 5,000-thread export; docs/performance.md).
 */
export function workerTakes(held: number, queued: number, share = Infinity): boolean {
  if (held >= 2 && queued > share) return false;
  return held < MIN_HELD || (held < MAX_HELD && queued <= QUEUED_BYTES);
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

/** Output written by {@link Run.drain} between two turns of the event loop. */
const DRAIN_TURN_BYTES = 256 * 1024;

export class Run implements RunnerHost {
  readonly slots = new Map<number, Slot>();
  readonly runners: Runner[] = [];
  readonly summary: RunSummary = { threads: 0, examples: 0, assistantTurns: 0, people: [], failed: [], report: new Report(), bytes: 0, counts: {} };
  readonly people = new Set<string>();
  /** Job positions in the order they are started. */
  readonly order: number[];
  readonly spare: PiecePool;
  readonly pieceBytes: number;
  readonly credit: number;
  readonly onRead: ((n: number) => void) | undefined;
  /** How many of `order` are started. */
  next = 0;
  /** Input bytes of the jobs not started yet. */
  unstarted: number;
  /** The job to be written next. */
  head = 0;
  draining = false;
  resolve!: (s: RunSummary) => void;
  reject!: (err: unknown) => void;
  readonly done = new Promise<RunSummary>((res, rej) => ((this.resolve = res), (this.reject = rej)));

  constructor(
    readonly jobs: readonly ThreadJob[],
    readonly jobOptions: StageSettings,
    readonly o: RunLimits,
    readonly output: OrderedOutput,
    readonly hooks: ConvertHooks,
    readonly resourceLimits: ResourceLimits | undefined,
  ) {
    this.spare = output.spare;
    this.pieceBytes = o.pieceBytes;
    this.credit = o.credit;
    this.onRead = hooks.onRead && ((n) => hooks.onRead!(n));
    this.order = startOrder(jobs, o.jobs);
    this.unstarted = jobs.reduce((sum, j) => sum + (j.bytes ?? 0), 0);
    this.done.catch(() => {});
  }

  get stopped(): boolean {
    return this.output.stopped;
  }

  start(): Promise<RunSummary> {
    if (this.jobs.length === 0) this.finish();
    else {
      const n = Math.min(this.o.jobs, this.jobs.length);
      const inWorkers = this.resourceLimits && this.o.jobs > 1 ? n : n - 1;
      if (inWorkers < n) this.runners.push(new MainRunner(this));
      const takes = (held: number, queued: number) => workerTakes(held, queued, this.unstarted / this.o.jobs);
      for (let i = 0; i < inWorkers; ++i) this.runners.push(new WorkerRunner(this, takes));
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
        this.unstarted -= this.jobs[pos]!.bytes ?? 0;
        const slot: Slot = { pos, job: this.jobs[pos]!, pieces: [], held: 0, spilled: [], chain: Promise.resolve(), result: null };
        this.slots.set(pos, slot);
        ++runner.load;
        runner.start(slot);
      }
    }
  }

  /** Store a piece of `slot`'s output, after its earlier ones (see OrderedOutput.store). */
  piece(slot: Slot, bytes: Uint8Array): Promise<ArrayBuffer | null> {
    const stored = slot.chain.then(() => this.output.store(slot, bytes));
    slot.chain = stored.then(() => {});
    slot.chain.catch((err: unknown) => this.fail(err));
    return stored;
  }

  /** `slot`'s job ended (its runner is free again). */
  finished(slot: Slot, runner: Runner, result: JobResult): void {
    slot.chain.then(() => {
      if (this.stopped) return;
      slot.result = result;
      --runner.load;
      if (result.error) this.output.drop(slot);
      this.pump();
      void this.drain();
    }, () => {});
  }

  /** Write every finished thread at the head, in job order. */
  async drain(): Promise<void> {
    if (this.draining || this.stopped) return;
    this.draining = true;
    try {
      let turnAt = this.output.bytes;
      for (let slot = this.slots.get(this.head); slot?.result; slot = this.slots.get(this.head)) {
        await this.commit(slot, slot.result);
        if (this.stopped) return;
        this.slots.delete(this.head++);
        this.pump();
        // a sink that takes every write at once resolves in microtasks: without a turn, writing a
        // backlog of short threads kept the workers' messages waiting, and the workers idle
        if (this.output.bytes - turnAt >= DRAIN_TURN_BYTES) {
          turnAt = this.output.bytes;
          await new Promise(setImmediate);
          if (this.stopped) return;
        }
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
    await this.output.write(slot);
    const s = this.summary;
    s.threads += result.threads;
    s.examples += result.examples;
    s.assistantTurns += result.assistantTurns;
    for (const p of result.people) this.people.add(p);
    mergeReport(s.report, result.report);
    addCounts(s.counts, result.counts);
    this.hooks.onThreadDone?.(slot.job, result);
  }

  finish(): void {
    if (this.stopped) return;
    this.output.stopped = true;
    this.summary.people = [...this.people].sort();
    this.summary.bytes = this.output.bytes;
    this.resolve(this.summary);
  }

  fail(err: unknown): void {
    if (this.stopped) return;
    this.output.stopped = true;
    this.reject(err);
  }

  /** Stop the runners and drop what is held (the spill file goes with the run's folder). */
  async close(): Promise<void> {
    this.output.stop();
    await Promise.allSettled(this.runners.map((r) => r.close()));
    for (const slot of this.slots.values()) this.output.drop(slot);
    this.slots.clear();
    this.output.close();
  }
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
