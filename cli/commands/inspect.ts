/**
 * `fbstream inspect [inputs..] [--json]`: what an export holds before converting it — the owner,
 * threads per section and dialect, participants, messages per kind, the date range.
 */
import type { Argv, CommandModule } from 'yargs';
import { createDecoder } from '../../lib/core/decoder.js';
import { FbstreamError } from '../../lib/errors.js';
import type { OpenedExport } from '../../lib/export/open-export.js';
import { noThreadsError } from '../../lib/export/select.js';
import { detectOwner } from '../../lib/export/owner.js';
import { tokenizeSources } from '../../lib/sources/files.js';
import type { ThreadPlan } from '../../lib/export/export-index.js';
import type { Message, MessageKind } from '../../lib/types.js';
import { say, type Io } from '../io.js';
import { isEpipe, reportError, writeStdout } from '../output.js';

export interface InspectArgs {
  inputs: string[];
  json: boolean;
}

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

export function inspectCommand(io: Io, setExit: (code: number) => void): CommandModule<object, InspectArgs> {
  return {
    command: 'inspect <inputs..>',
    describe: 'Show what an export holds: owner, threads, participants, messages per kind, dates',
    builder: (y) =>
      (y as Argv)
        .positional('inputs', { describe: 'Export folders, .zip parts or thread files', type: 'string', array: true })
        .option('json', { describe: 'One JSON object on stdout', type: 'boolean', default: false }) as unknown as Argv<InspectArgs>,
    handler: async (args) => setExit(await runInspect(args, io)),
  };
}

export async function runInspect(args: InspectArgs, io: Io): Promise<number> {
  let opened: OpenedExport;
  try {
    // loaded on use: the zip reader is not needed to start every command
    const { openExport } = await import('../../lib/export/open-export.js');
    opened = await openExport(args.inputs);
  } catch (err) {
    return reportError(io, err);
  }
  try {
    const { index } = opened;
    if (index.threads.length === 0) throw noThreadsError(index, args.inputs);
    const threads: ThreadSummary[] = [];
    for (const plan of index.threads) threads.push(await summarize(plan));
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
    const result = {
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
    await writeStdout(io, args.json ? JSON.stringify(result, null, 2) + '\n' : humanText(result));
    const failed = threads.filter((t) => t.error);
    for (const t of failed) say(io, `error: ${t.key}: ${t.error!.message}`);
    return failed.length ? 1 : 0;
  } catch (err) {
    if (isEpipe(err)) return 0; // `| head`: the reader has what it wanted
    return reportError(io, err);
  } finally {
    await opened.close();
  }

  async function summarize(plan: ThreadPlan): Promise<ThreadSummary> {
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
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function humanText(r: {
  owner: string | null; ownerCandidates: { name: string; threads: number }[]; threads: ThreadSummary[];
  messages: { total: number; kinds: Partial<Record<MessageKind, number>> }; dateRange: { first: string | null; last: string | null };
  participants: { name: string; threads: number }[]; skipped: { reason: string; count: number }[]; problems: string[];
  notJoined: { participants: string[]; keys: string[] }[];
}): string {
  const out: string[] = [];
  const tally = (values: (string | null)[]) => {
    const m = new Map<string, number>();
    for (const v of values) m.set(v ?? 'other', (m.get(v ?? 'other') ?? 0) + 1);
    return [...m].map(([k, n]) => `${k} ${n}`).join(', ');
  };
  // "Ada Lovelace (3 threads)": a count right after a name reads as part of it ("Test User 1")
  const inThreads = (p: { name: string; threads: number }) => `${p.name} (${p.threads} thread${p.threads === 1 ? '' : 's'})`;
  out.push(`owner: ${r.owner ?? `unknown (candidates: ${r.ownerCandidates.map(inThreads).join(', ') || 'none'})`}`);
  out.push(`threads: ${r.threads.length} (by section: ${tally(r.threads.map((t) => t.section))}; by dialect: ${tally(r.threads.map((t) => t.dialect))})`);
  for (const t of r.threads) {
    const dates = t.firstMs !== null ? `${iso(t.firstMs)!.slice(0, 10)} → ${iso(t.lastMs)!.slice(0, 10)}` : 'no messages';
    const key = t.joined ? t.joined.join(' + ') : t.key;
    const missing = t.missingParts ? `  (parts ${t.missingParts.join(', ')} missing)` : '';
    out.push(`  ${key}  ${t.participants.length} people  ${t.messages} messages  ${dates}${missing}${t.error ? '  (unreadable)' : ''}`);
  }
  out.push(`participants: ${r.participants.length} (${r.participants.slice(0, 10).map(inThreads).join(', ')}${r.participants.length > 10 ? ', …' : ''})`);
  out.push(`messages: ${r.messages.total} (${Object.entries(r.messages.kinds).map(([k, n]) => `${k} ${n}`).join(', ')})`);
  out.push(`dates: ${r.dateRange.first?.slice(0, 10) ?? '-'} → ${r.dateRange.last?.slice(0, 10) ?? '-'}`);
  for (const s of r.skipped) out.push(`not read: ${s.count} file${s.count === 1 ? '' : 's'} (${s.reason})`);
  for (const p of r.problems) out.push(`skipped ${p}`);
  for (const n of r.notJoined) out.push(`not joined (same participants, no one-to-one match): ${n.keys.join(', ')}`);
  return out.join('\n') + '\n';
}
