/**
 * `fbstream inspect [inputs..] [--json]`: what an export holds before converting it (the work is
 * lib/export/inspect.ts); this file parses and prints.
 */
import type { Argv, CommandModule } from 'yargs';
import type { InspectResult } from '../../lib/export/inspect.js';
import { say, type Io } from '../io.js';
import { isEpipe, reportError, writeStdout } from '../output.js';
import { pinYoungGeneration } from '../young-generation.js';

export interface InspectArgs {
  inputs: string[];
  json: boolean;
}

export function inspectCommand(io: Io, setExit: (code: number) => void): CommandModule<object, InspectArgs> {
  return {
    command: 'inspect <inputs..>',
    describe: 'Show what an export holds: owner, threads, participants, messages per kind, dates',
    builder: (y) =>
      (y as Argv)
        .positional('inputs', { describe: 'Export folders, .zip parts or thread files', type: 'string', array: true })
        .option('json', { describe: 'One JSON object on stdout', type: 'boolean', default: false }) as unknown as Argv<InspectArgs>,
    handler: async (args) => {
      pinYoungGeneration(); // peak RSS: the inspector keeps little alive (this process is the CLI's own)
      setExit(await runInspect(args, io));
    },
  };
}

export async function runInspect(args: InspectArgs, io: Io): Promise<number> {
  try {
    // loaded on use: no other command needs the export reader and the counter
    const { inspectExport, iso } = await import('../../lib/export/inspect.js');
    const result = await inspectExport(args.inputs);
    await writeStdout(io, args.json ? JSON.stringify(result, null, 2) + '\n' : humanText(result, iso));
    const failed = result.threads.filter((t) => t.error);
    for (const t of failed) say(io, `error: ${t.key}: ${t.error!.message}`);
    return failed.length ? 1 : 0;
  } catch (err) {
    if (isEpipe(err)) return 0; // `| head`: the reader has what it wanted
    return reportError(io, err);
  }
}

function humanText(r: InspectResult, iso: (ms: number | null) => string | null): string {
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
