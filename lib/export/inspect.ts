/**
 * What an export holds before converting it: the owner, threads per section and dialect,
 * participants, messages per kind, the date range. Every thread is read through (its messages
 * counted by kind); a thread that cannot be read is listed with its error.
 */
import { createDecoder } from '../core/decoder.js';
import { FbstreamError } from '../errors.js';
import { tokenizeSources } from '../sources/files.js';
import type { Message, MessageKind } from '../types.js';
import type { ThreadPlan } from './export-index.js';
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

export async function inspectExport(inputs: readonly string[]): Promise<InspectResult> {
  const opened = await openExport(inputs);
  try {
    const { index } = opened;
    if (index.threads.length === 0) throw noThreadsError(index, inputs);
    const threads: ThreadSummary[] = [];
    for (const plan of index.threads) threads.push(await summarize(opened, plan));
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

async function summarize(opened: OpenedExport, plan: ThreadPlan): Promise<ThreadSummary> {
  const summary: ThreadSummary = {
    key: plan.key, section: plan.section, dialect: plan.dialect, parts: plan.parts.length,
    participants: [], messages: 0, kinds: {}, firstMs: null, lastMs: null,
  };
  if (plan.missingParts.length) summary.missingParts = plan.missingParts;
  if (plan.joined) summary.joined = plan.joined.map((p) => p.key);
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
