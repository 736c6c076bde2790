/**
 * Inspect's counting on two cores: the calling thread and one worker thread
 * (lib/export/count-worker.ts) take the export's threads from one shared counter, a batch at a
 * time, so that neither waits for the other however the threads' sizes fall. The worker posts the
 * counts of each thread it took; a thread it could not vouch for, or did not report (it died, it
 * could not start), is the caller's to read. Below {@link CountShareOptions.minBytes} of thread
 * files, or with one core, there is no worker: the caller takes every batch.
 */
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { PartCount } from '../core/message-counter.js';
import type { ExportEntry } from '../sources/entry.js';
import type { ZipEntry } from '../sources/zip.js';
import type { ThreadPlan } from './export-index.js';

/**
 * One part of a thread as the worker reads it: a file (its size as listed), or a zip entry where
 * the calling thread's listing found its data (`archive`: an index into {@link CountJob.archives}),
 * read through the worker's own descriptor; null: not read there (the caller reads the thread).
 */
export type CountPart =
  | { kind: 'file'; path: string; size: number; listedRegular: boolean }
  | { kind: 'zip'; archive: number; start: number; method: number; crc32: number; compressedSize: number; size: number }
  | null;

export interface CountJob {
  /** Each thread's parts, in the export index's order. */
  threads: CountPart[][];
  /** The zip archives' paths. */
  archives: string[];
  /** An Int32Array's buffer: the first thread not taken yet. */
  next: SharedArrayBuffer;
  /** Threads taken at once. */
  batch: number;
  /** Parts larger are left to the caller (lib/export/entry-bytes.ts). */
  maxPartBytes: number;
}

/** `zip`: zip inputs are coming (sent to a worker started ahead, to load the zip reader meanwhile). */
export type ToCountWorker = { type: 'count'; job: CountJob } | { type: 'zip' };

export type FromCountWorker =
  /** Threads `from` .. `from + counts.length - 1`: their parts' counts, or null: the caller reads it. */
  | { type: 'counts'; from: number; counts: (PartCount[] | null)[] }
  | { type: 'done' }
  | { type: 'failed'; message: string };

export interface CountShareOptions {
  /** Parts larger are read by the caller. */
  maxPartBytes: number;
  /** Bytes of thread files below which no worker starts (its start-up would cost more than it saves). Default 32 MiB. */
  minBytes?: number;
  /** The worker's module; a seam for tests. Default lib/export/count-worker.js. */
  workerUrl?: URL;
  /** A worker started ahead ({@link prestartCountWorker}): used if there is enough to count, else ended. */
  prestarted?: CountWorkerThread | null;
}

export interface CountShare {
  /**
   * Resolves once the worker has reported its first batch, or ended (at once without a worker):
   * a caller that waits for it before taking leaves the first batch to the worker (tests do).
   */
  started: Promise<void>;
  /** The next threads for the caller, `[from, to)` in the index's order; null once all are taken. */
  take(): [from: number, to: number] | null;
  /**
   * Once the caller has taken its last batch: the counts of threads the worker took, by index.
   * A thread taken by neither the caller nor (as reported) the worker is missing: the caller's to read.
   */
  theirs(): Promise<Map<number, PartCount[] | null>>;
  /** Stops the worker (idempotent); resolves once it has closed its archives and ended. */
  close(): Promise<void>;
}

const DEFAULT_MIN_BYTES = 32 * 1024 * 1024;
/** Threads per batch: a few ms of counting, so that the last batch keeps the other core waiting briefly. */
const BATCH = 16;
/** The worker holds one part's bytes and a counter's state: a small heap, and a young generation to match. */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 64 };
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './count-worker.ts' : './count-worker.js', import.meta.url);

export function shareCounting(plans: readonly ThreadPlan[], options: CountShareOptions): CountShare {
  const n = plans.length;
  const next = new Int32Array(new SharedArrayBuffer(4));
  const bytes = plans.reduce((sum, p) => sum + p.parts.reduce((s, e) => s + e.size, 0), 0);
  const enough = bytes >= (options.minBytes ?? DEFAULT_MIN_BYTES) && availableParallelism() > 1;
  if (!enough) void options.prestarted?.thread.terminate();
  const worker = enough ? startWorker(plans, next, options) : null;
  let mine = 0;
  return {
    started: worker ? worker.started : Promise.resolve(),
    take() {
      const from = Atomics.add(next, 0, BATCH);
      if (from >= n) return null;
      const to = Math.min(n, from + BATCH);
      mine += to - from;
      return [from, to];
    },
    theirs: () => (worker && mine < n ? worker.results : Promise.resolve(new Map())),
    close() {
      Atomics.store(next, 0, n);
      // it took nothing, so it holds no archive open: no need to wait for its start-up
      if (worker && mine >= n) void worker.thread.terminate();
      return worker ? worker.ended : Promise.resolve();
    },
  };
}

interface CountWorker {
  thread: Worker;
  started: Promise<void>;
  /** Resolves when it is done, or has died: what it reported. */
  results: Promise<Map<number, PartCount[] | null>>;
  ended: Promise<void>;
}

/** A worker thread as started, listened to from the start: its death is known whenever it comes. */
export interface CountWorkerThread {
  thread: Worker;
  exited: Promise<void>;
}

/**
 * A worker started while the export is listed, so that its start-up (its own V8 isolate, the
 * counter's modules) overlaps the listing: when zip inputs alone hold `minBytes` (their JSON may
 * be less: then it ends unused), or a folder is given, whose size is known only once listed (a
 * small one ends it unused: on a free core, at no cost to the listing). Null when not worth it.
 */
export function prestartCountWorker(inputs: readonly string[], options: Pick<CountShareOptions, 'minBytes' | 'workerUrl'> = {}): CountWorkerThread | null {
  if (availableParallelism() < 2) return null;
  let zipBytes = 0;
  let folders = false;
  for (const input of inputs) {
    const stat = statSync(input, { throwIfNoEntry: false });
    if (/\.zip$/i.test(input)) zipBytes += stat?.size ?? 0;
    else if (stat?.isDirectory()) folders = true;
  }
  const spawned = folders || zipBytes >= (options.minBytes ?? DEFAULT_MIN_BYTES) ? spawn(options.workerUrl) : null;
  // not keeping the process alive until it is given its job (a caller that fails first may forget it)
  spawned?.thread.unref();
  if (zipBytes > 0) spawned?.thread.postMessage({ type: 'zip' } satisfies ToCountWorker);
  return spawned;
}

function spawn(url: URL | undefined): CountWorkerThread | null {
  let thread: Worker;
  try {
    thread = new Worker(url ?? WORKER_URL, { resourceLimits: WORKER_LIMITS });
  } catch {
    return null;
  }
  // a worker that dies leaves what it did not report to the caller: no error of the export's ('exit' follows)
  thread.on('error', () => {});
  return { thread, exited: new Promise<void>((resolve) => thread.once('exit', () => resolve())) };
}

function startWorker(plans: readonly ThreadPlan[], next: Int32Array, options: CountShareOptions): CountWorker | null {
  const spawned = options.prestarted ?? spawn(options.workerUrl);
  if (!spawned) return null;
  const { thread, exited: ended } = spawned;
  thread.ref();
  const got = new Map<number, PartCount[] | null>();
  let reported!: () => void;
  const results = new Promise<Map<number, PartCount[] | null>>((resolve) => (reported = () => resolve(got)));
  let started!: () => void;
  const first = new Promise<void>((resolve) => (started = resolve));
  thread.on('message', (msg: FromCountWorker) => {
    if (msg.type === 'counts') msg.counts.forEach((c, k) => got.set(msg.from + k, c));
    else reported();
    started();
  });
  void ended.then(() => reported());
  void results.then(() => started());
  const archives = new Map<string, number>();
  const threads = plans.map((p) => p.parts.map((e) => countPart(e, archives)));
  const job: CountJob = { threads, archives: [...archives.keys()], next: next.buffer as SharedArrayBuffer, batch: BATCH, maxPartBytes: options.maxPartBytes };
  thread.postMessage({ type: 'count', job } satisfies ToCountWorker);
  return { thread, started: first, results, ended };
}

function countPart(e: ExportEntry, archives: Map<string, number>): CountPart {
  if (e.skip !== undefined) return null;
  const zip = e as Partial<ZipEntry>;
  // not a zip entry: a file, by its filesystem path (lib/sources/folder.ts)
  if (typeof zip.compressedSize !== 'number') return e.readInPlace ? { kind: 'file', path: e.name, size: e.size, listedRegular: e.listedRegular === true } : null;
  const at = zip.dataAt?.();
  // a stored entry whose sizes disagree is refused when read: the caller reads it, for that error
  if (!at || (at.method === 0 && zip.compressedSize !== e.size)) return null;
  let archive = archives.get(e.input);
  if (archive === undefined) archives.set(e.input, (archive = archives.size));
  return { kind: 'zip', archive, start: at.start, method: at.method, crc32: at.crc32, compressedSize: zip.compressedSize, size: e.size };
}
