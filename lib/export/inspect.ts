/**
 * What an export holds before converting it: the owner, threads per section and dialect,
 * participants, messages per kind, the date range. Every thread is read through (its messages
 * counted by kind); a thread that cannot be read is listed with its error.
 *
 * Each thread is counted by the message counter (lib/core/message-counter.ts) from its files'
 * bytes (lib/export/entry-bytes.ts); a thread the counter does not vouch for is read again by the
 * decoder, as every thread once was, which gives the same figures and the errors users see.
 */
import { createDecoder } from '../core/decoder.js';
import { countThreadPart, type PartCount } from '../core/message-counter.js';
import { FbstreamError } from '../errors.js';
import { tokenizeSources } from '../sources/files.js';
import type { Message, MessageKind } from '../types.js';
import type { ThreadPlan } from './export-index.js';
import { prestartCountWorker, shareCounting } from './count-share.js';
import { createEntryBytesReader, type EntryBytesReader } from './entry-bytes.js';
import { openExport, type OpenedExport } from './open-export.js';
import { detectOwner } from './owner.js';
import { noThreadsError } from './select.js';

export interface ThreadSummary {
  key: string;
  section: string | null;
  dialect: string;
  parts: number;
  /** Part numbers below the highest that no input holds (a zip part not given?). */
  missingParts?: number[];
  /** A thread joined from an `e2ee_cutover` thread and its E2EE download: their keys. */
  joined?: string[];
  participants: string[];
  messages: number;
  kinds: Partial<Record<MessageKind, number>>;
  firstMs: number | null;
  lastMs: number | null;
  error?: { code: string; message: string };
}

export interface InspectResult {
  owner: string | null;
  ownerCandidates: { name: string; threads: number }[];
  threads: ThreadSummary[];
  messages: { total: number; kinds: Partial<Record<MessageKind, number>> };
  dateRange: { first: string | null; last: string | null };
  participants: { name: string; threads: number }[];
  skipped: { reason: string; count: number; examples: string[] }[];
  notJoined: { participants: string[]; keys: string[] }[];
  /** Zip entries refused, one line each. */
  problems: string[];
}

export interface InspectOptions {
  /**
   * Count messages with the message counter where it can (lib/core/message-counter.ts). Default
   * true; false reads every thread with the decoder (the same figures, slower: for comparisons).
   */
  counter?: boolean;
  /**
   * Bytes of thread files from which a worker thread counts a share of the threads
   * (lib/export/count-share.ts). Default 32 MiB; Infinity: never.
   */
  workerBytes?: number;
  /** The counting worker's module: a seam for tests. */
  workerUrl?: URL;
  /** Leave the first batch of threads to the worker (a seam for tests: the worker surely counts some). */
  workerFirst?: boolean;
}

export async function inspectExport(inputs: readonly string[], options: InspectOptions = {}): Promise<InspectResult> {
  const useCounter = options.counter ?? true;
  const workerOptions = { ...(options.workerBytes !== undefined && { minBytes: options.workerBytes }), ...(options.workerUrl && { workerUrl: options.workerUrl }) };
  const prestarted = useCounter ? prestartCountWorker(inputs, workerOptions) : null;
  let opened: OpenedExport;
  try {
    opened = await openExport(inputs);
  } catch (err) {
    void prestarted?.thread.terminate();
    throw err;
  }
  try {
    const { index } = opened;
    if (index.threads.length === 0) {
      void prestarted?.thread.terminate();
      throw noThreadsError(index, inputs);
    }
    const plans = index.threads;
    const found: (ThreadSummary | undefined)[] = new Array(plans.length);
    const bytes = createEntryBytesReader(MAX_PART_BYTES);
    const share = shareCounting(plans, { maxPartBytes: MAX_PART_BYTES, ...workerOptions, ...(!useCounter && { minBytes: Infinity }), prestarted });
    try {
      if (options.workerFirst) await share.started;
      let sinceTurn = 0;
      for (let batch = share.take(); batch; batch = share.take()) {
        for (let t = batch[0]; t < batch[1]; ++t) {
          found[t] = (useCounter ? await summarizeCounted(opened, plans[t]!, bytes) : null) ?? (await summarize(opened, plans[t]!));
          // reads are synchronous: a turn of the event loop now and then (signals, stdout, the worker's counts)
          if (++sinceTurn === THREADS_PER_TURN) {
            sinceTurn = 0;
            await new Promise(setImmediate);
          }
        }
      }
      const theirs = await share.theirs();
      for (let t = 0; t < plans.length; ++t) {
        if (found[t]) continue;
        const counts = theirs.get(t);
        const plan = plans[t]!;
        found[t] = (counts ? await summaryOfCounts(opened, plan, counts) : null) ?? (useCounter ? await summarizeCounted(opened, plan, bytes) : null) ?? (await summarize(opened, plan));
      }
    } finally {
      await share.close();
    }
    const threads = found as ThreadSummary[];
    const messenger = threads.filter((t) => t.dialect !== 'instagram');
    const owner = detectOwner((messenger.length ? messenger : threads).map((t) => t.participants));
    const kinds: Partial<Record<MessageKind, number>> = {};
    const people = new Map<string, number>();
    let first: number | null = null;
    let last: number | null = null;
    for (const t of threads) {
      for (const [k, n] of Object.entries(t.kinds) as [MessageKind, number][]) kinds[k] = (kinds[k] ?? 0) + n;
      for (const p of t.participants) people.set(p, (people.get(p) ?? 0) + 1);
      if (t.firstMs !== null && (first === null || t.firstMs < first)) first = t.firstMs;
      if (t.lastMs !== null && (last === null || t.lastMs > last)) last = t.lastMs;
    }
    return {
      owner: owner.owner ?? null,
      ownerCandidates: owner.owner === undefined ? owner.candidates : [],
      threads,
      messages: { total: threads.reduce((n, t) => n + t.messages, 0), kinds },
      dateRange: { first: iso(first), last: iso(last) },
      participants: [...people].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([name, n]) => ({ name, threads: n })),
      skipped: index.skipped.map((s) => ({ reason: s.reason, count: s.count, examples: s.examples })),
      notJoined: opened.ambiguousE2ee,
      problems: opened.problems.map((p) => p.error.message),
    };
  } finally {
    await opened.close();
  }
}

/** Parts larger are read by the decoder (streamed); Meta's are a few MB. */
const MAX_PART_BYTES = 16 * 1024 * 1024;
const THREADS_PER_TURN = 32;

function newSummary(plan: ThreadPlan): ThreadSummary {
  const summary: ThreadSummary = {
    key: plan.key, section: plan.section, dialect: plan.dialect, parts: plan.parts.length,
    participants: [], messages: 0, kinds: {}, firstMs: null, lastMs: null,
  };
  if (plan.missingParts.length) summary.missingParts = plan.missingParts;
  if (plan.joined) summary.joined = plan.joined.map((p) => p.key);
  return summary;
}

/**
 * The thread counted from its parts' bytes, or null when any part is not one the counter vouches
 * for: then {@link summarize} reads it all again.
 */
async function summarizeCounted(opened: OpenedExport, plan: ThreadPlan, reader: EntryBytesReader): Promise<ThreadSummary | null> {
  const counts: PartCount[] = [];
  for (const part of plan.parts) {
    const bytes = reader.read(part);
    const count = bytes && countThreadPart(bytes);
    if (!count) return null;
    counts.push(count);
  }
  return summaryOfCounts(opened, plan, counts);
}

/** The thread from its parts' counts (here or in the worker), or null when its header cannot be read so. */
async function summaryOfCounts(opened: OpenedExport, plan: ThreadPlan, counts: readonly PartCount[]): Promise<ThreadSummary | null> {
  let header = counts[0]?.header;
  if (!header) {
    try {
      header = await opened.header(plan);
    } catch {
      return null;
    }
  }
  const summary = newSummary(plan);
  summary.participants = header.participants;
  if (summary.dialect !== 'instagram') summary.dialect = header.format;
  for (const c of counts) {
    summary.messages += c.messages;
    for (const [k, n] of Object.entries(c.kinds) as [MessageKind, number][]) summary.kinds[k] = (summary.kinds[k] ?? 0) + n;
    if (c.firstMs !== null && (summary.firstMs === null || c.firstMs < summary.firstMs)) summary.firstMs = c.firstMs;
    if (c.lastMs !== null && (summary.lastMs === null || c.lastMs > summary.lastMs)) summary.lastMs = c.lastMs;
  }
  return summary;
}

/** The thread read through by the decoder: its figures up to a fault, and the fault. */
async function summarize(opened: OpenedExport, plan: ThreadPlan): Promise<ThreadSummary> {
  const summary = newSummary(plan);
  try {
    const header = await opened.header(plan);
    summary.participants = header.participants;
    // the path guessed the dialect; the file itself tells E2EE from classic (Instagram only by path)
    if (summary.dialect !== 'instagram') summary.dialect = header.format;
    const decoder = createDecoder();
    for await (const chunks of tokenizeSources(plan.parts)) {
      for (const m of decoder.push(chunks) as Message[]) {
        ++summary.messages;
        summary.kinds[m.kind] = (summary.kinds[m.kind] ?? 0) + 1;
        if (summary.firstMs === null || m.timestampMs < summary.firstMs) summary.firstMs = m.timestampMs;
        if (summary.lastMs === null || m.timestampMs > summary.lastMs) summary.lastMs = m.timestampMs;
      }
    }
    decoder.flush();
  } catch (err) {
    summary.error = err instanceof FbstreamError ? { code: err.code, message: err.message } : { code: 'ERR_INTERNAL', message: String(err) };
  }
  return summary;
}

export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
