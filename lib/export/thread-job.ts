/**
 * One thread of a whole export as a unit of work (docs/architecture.md, "Export flow"): a
 * serializable description ({@link ThreadJob}, the {@link StageOptions}) that can cross to a worker
 * thread, and {@link runThreadJob}, which runs the whole per-thread pipeline in whatever thread it
 * is called from (open parts → tokenize → decode → order → … → serialize) and hands the finished
 * NDJSON back as bytes, in pieces of at most `pieceBytes`, under backpressure.
 *
 * A data or read error in the thread does not throw: it comes back in {@link JobResult.error}, so
 * that the caller reports it and goes on with the other threads. The caller must then discard the
 * bytes already emitted for that job (never half a thread in the output).
 */
import { recordsOf, type Output } from '../core/stage.js';
import { FbstreamError, OptionError } from '../errors.js';
import { createPipelineCoreFor, pipelineCounts } from '../pipeline.js';
import type { Counts } from '../stats.js';
import { normalizeStageOptions, type StageOptions, type StageSettings } from '../options.js';
import { Report } from '../report.js';
import type { ThreadPlan } from './export-index.js';
import { partRefOf, type PartRef } from './part-ref.js';
import { tokenizeSources, type Source } from '../sources/files.js';
import { createPartOpener, type PartOpener } from './part-opener.js';

/** One thread: its parts in reading order (`message_1` … `message_N`, from whichever inputs). */
export interface ThreadJob {
  /** The caller's number for the thread (e.g. its place in the export index); informational. */
  index: number;
  /** The thread's key (`inbox/alice_123`): shown in summaries and failures. */
  key: string;
  parts: PartRef[];
  /** Bytes of its parts (uncompressed), as far as known before reading: scheduling and progress. */
  bytes?: number;
  /**
   * Every document of the job is one conversation, whatever its thread id: a thread the export
   * joined from an `e2ee_cutover` thread and its E2EE download (lib/export/e2ee-join.ts), whose
   * documents carry different ids. Default false: documents join when their ids agree.
   */
  joinAll?: boolean;
}

/** The threads of an export index as jobs, in the index's order. */
export function jobsFromPlans(plans: readonly ThreadPlan[]): ThreadJob[] {
  return plans.map((plan, index) => ({ index, key: plan.key, parts: plan.parts.map(partRefOf), bytes: plan.parts.reduce((n, e) => n + e.size, 0), ...(plan.joined && { joinAll: true }) }));
}

/** A report as plain data: `[reason, count, samples]` per reason, in the order first noted. */
export type ReportEntries = [reason: string, count: number, samples: string[]][];

export interface JobError {
  /** `FBS_*` for our errors; a Node code (`ERR_WORKER_OUT_OF_MEMORY`) or `ERR_INTERNAL` otherwise. */
  code: string;
  message: string;
}

export interface JobResult {
  /** Threads the role mapper saw (1, or 0 when every message was filtered out; langchain: one per file). */
  threads: number;
  examples: number;
  assistantTurns: number;
  /** Every participant and sender seen (repaired names), sorted. */
  people: string[];
  report: ReportEntries;
  /** The pipeline's counters (`--stats`), plain data. */
  counts: Counts;
  /** Bytes emitted. */
  bytes: number;
  /** Set when the thread failed: its emitted bytes must be discarded, and the counts above are 0. */
  error?: JobError;
}

/**
 * Receives each finished piece of NDJSON; ownership passes with it (the piece is never written to
 * again, so it may be transferred to another thread). The job waits for the returned promise.
 */
export type Emit = (bytes: Uint8Array) => void | Promise<void>;

export interface JobEnv {
  /** Where parts come from. Default: a new opener, closed when the job ends. */
  opener?: PartOpener;
  /** Ends the job: it rejects with the abort reason (an abort is not a failure of the thread). */
  signal?: AbortSignal;
  /** Largest piece handed to `emit`, bytes. Default 1 MiB. */
  pieceBytes?: number;
  /** Input bytes read (inflated, for a zip entry), as they are read: progress inside a long thread. */
  onRead?: (n: number) => void;
  /**
   * Buffers for the pieces: `take()` gives one of `pieceBytes` (one the caller is done with, or a
   * new one); the job gives back, when it ends, the one it was filling (its last piece goes out as
   * a copy of the bytes used). Default: a new buffer each time.
   */
  pieces?: PieceBuffers;
  /**
   * Output bytes between two turns of the event loop. A thread's messages come out of the order
   * stage at its end, all in one synchronous pass but for full pieces; in the calling thread that
   * pass kept the workers' messages (their output, their `done`) waiting until it ended, and them
   * idle. Default: no turns but the input's (lib/sources/files.ts).
   */
  turnBytes?: number;
}

export interface PieceBuffers {
  take(): Uint8Array;
  give(buffer: ArrayBuffer): void;
}

export const DEFAULT_PIECE_BYTES = 1024 * 1024;

/**
 * Piece buffers given back to be filled again (see `OrderedOutput.store`,
 * lib/export/ordered-output.ts), for {@link JobEnv.pieces}. Keeps at most `max`; a buffer of
 * another size is left to the GC. Without it, every piece, and each thread's last one, was a new
 * 1 MiB buffer that only a GC gave back.
 */
export class PiecePool implements PieceBuffers {
  readonly #spare: ArrayBuffer[] = [];
  constructor(
    readonly pieceBytes: number,
    readonly max: number,
  ) {}

  take(): Uint8Array {
    const b = this.#spare.pop();
    return b ? new Uint8Array(b) : new Uint8Array(this.pieceBytes);
  }

  /** A spare buffer if there is one (nothing allocated), to hand to another pool. */
  takeSpare(): ArrayBuffer | undefined {
    return this.#spare.pop();
  }

  give(buffer: ArrayBuffer): void {
    if (buffer.byteLength === this.pieceBytes && this.#spare.length < this.max) this.#spare.push(buffer);
  }

  /** `bytes` are the whole of a buffer this pool takes back. */
  isWhole(bytes: Uint8Array): boolean {
    return bytes.byteOffset === 0 && bytes.byteLength === this.pieceBytes && bytes.buffer instanceof ArrayBuffer && bytes.buffer.byteLength === this.pieceBytes;
  }
}

export function checkPieceBytes(value: unknown): number {
  // 4: the longest UTF-8 sequence; a piece never splits a character
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 4) throw new OptionError('pieceBytes', 'must be an integer >= 4', value);
  return value;
}

/**
 * Run one thread's pipeline. Resolves with the counts, or with `error` set when the thread's data
 * or files fail; rejects only on a bad option, on abort, or when `emit` rejects (the output failed).
 */
export async function runThreadJob(job: ThreadJob, options: StageOptions, emit: Emit, env: JobEnv = {}): Promise<JobResult> {
  const pieceBytes = checkPieceBytes(env.pieceBytes ?? DEFAULT_PIECE_BYTES);
  const signal = env.signal;
  const report = new Report();
  // a bad option is the caller's mistake, not the thread's: it throws
  const p = createPipelineCoreFor(settingsOf(options), { report, ...(job.joinAll && { joinParts: 'all' as const }) });
  const opener = env.opener ?? createPartOpener();
  const out = new PieceWriter(pieceBytes, emit, env.pieces, signal, env.turnBytes);
  try {
    signal?.throwIfAborted();
    const sources: Source[] = [];
    for (const part of job.parts) sources.push(await opener.source(part));
    // the stages as one (lib/core/chain.ts): nothing waits between them, so nothing piles up there
    const chunks = tokenizeSources(sources, {
      ...(signal && { signal }),
      ...(env.onRead && { onBytes: env.onRead }),
      onInvalidUtf8: (n, source) => report.note('invalid UTF-8 sequences replaced', { source }, n),
    });
    for await (const chunk of chunks) await out.write(p.stage.push(chunk));
    await out.write(p.stage.flush());
    await out.sendLast();
    signal?.throwIfAborted();
    out.release();
    return {
      threads: p.stats.threads,
      examples: p.stats.examples,
      assistantTurns: p.stats.assistantTurns,
      people: [...p.stats.people].sort(),
      report: reportEntries(report),
      counts: pipelineCounts(p.stats),
      bytes: out.bytes,
    };
  } catch (err) {
    if (out.emitError !== undefined) throw out.emitError;
    if (signal?.aborted) throw signal.reason;
    return failedResult(err);
  } finally {
    p.stage.destroy?.();
    if (!env.opener) await opener.close();
  }
}

/** The options of a run's jobs, normalized once per options object (not once per thread). */
const settingsCache = new WeakMap<StageOptions, StageSettings>();
function settingsOf(options: StageOptions): StageSettings {
  let settings = settingsCache.get(options);
  if (!settings) settingsCache.set(options, (settings = normalizeStageOptions(options)));
  return settings;
}

/** The result of a thread that failed with `err`. */
export function failedResult(err: unknown): JobResult {
  return { threads: 0, examples: 0, assistantTurns: 0, people: [], report: [], counts: {}, bytes: 0, error: jobError(err) };
}

export function jobError(err: unknown): JobError {
  const e = err as (Error & { code?: unknown }) | undefined;
  const code = err instanceof FbstreamError ? err.code : typeof e?.code === 'string' ? e.code : 'ERR_INTERNAL';
  return { code, message: typeof e?.message === 'string' ? e.message : String(err) };
}

export function reportEntries(report: Report): ReportEntries {
  return [...report.counts].map(([reason, count]) => [reason, count, [...(report.samples.get(reason) ?? [])]]);
}

/** Every job's: encodeInto keeps no state. */
const encoder = new TextEncoder();

/**
 * The end of the job's pipeline: the serializer's strings, UTF-8 encoded straight into pieces of
 * `size` bytes (never splitting a character), each handed to `emit` once full; `sendLast()` emits the
 * last one. A piece emitted is never touched again.
 */
class PieceWriter {
  bytes = 0;
  emitError: unknown;
  #piece: Uint8Array | null = null;
  #used = 0;

  readonly #size: number;
  readonly #deliver: Emit;
  readonly #buffers: PieceBuffers | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #turnBytes: number;
  /** Bytes encoded when the event loop last had a turn. */
  #turnAt = 0;

  constructor(size: number, deliver: Emit, buffers?: PieceBuffers, signal?: AbortSignal, turnBytes = Infinity) {
    this.#size = size;
    this.#deliver = deliver;
    this.#buffers = buffers;
    this.#signal = signal;
    this.#turnBytes = turnBytes;
  }

  /**
   * All the lines of one output of the pipeline, encoded as they are read (a lazy output runs the
   * rest of the pipeline as it is read). Waits only while a full piece goes out; stops there when
   * the job is aborted.
   */
  async write(out: Output<string>): Promise<void> {
    for (const line of recordsOf(out)) {
      const sending = this.#add(line);
      if (sending) await sending;
      else if (this.bytes + this.#used - this.#turnAt < this.#turnBytes) continue;
      else {
        this.#turnAt = this.bytes + this.#used;
        await new Promise(setImmediate);
      }
      this.#signal?.throwIfAborted();
    }
  }

  /** Encode `text` into pieces; a promise when a full piece was handed over (the rest follows it). */
  #add(text: string): Promise<void> | undefined {
    this.#piece ??= this.#buffers ? this.#buffers.take() : new Uint8Array(this.#size);
    const { read, written } = encoder.encodeInto(text, this.#used === 0 ? this.#piece : this.#piece.subarray(this.#used));
    this.#used += written;
    if (read === text.length && this.#used < this.#size) return undefined;
    const rest = text.slice(read);
    return this.#send().then(() => (rest.length > 0 ? this.#add(rest) : undefined));
  }

  async #send(): Promise<void> {
    const piece = this.#piece;
    if (!piece || this.#used === 0) return;
    // a partial piece goes as an exact-size copy (held bytes are counted by buffer size downstream),
    // and the piece is filled again; a full one goes as it is, never touched here again
    const bytes = this.#used === piece.length ? piece : piece.slice(0, this.#used);
    if (bytes === piece) this.#piece = null;
    this.#used = 0;
    this.bytes += bytes.length;
    try {
      await this.#deliver(bytes);
    } catch (err) {
      this.emitError = err ?? new Error('emit failed');
      throw err;
    }
  }

  /** After the pipeline: the last, partial piece. */
  async sendLast(): Promise<void> {
    await this.#send();
  }

  /** Done: the buffer being filled (its bytes went out as a copy, if any) goes back to be reused. */
  release(): void {
    const piece = this.#piece;
    this.#piece = null;
    if (piece && this.#buffers) this.#buffers.give(piece.buffer as ArrayBuffer);
  }
}
