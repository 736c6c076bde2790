/**
 * `fbstream [inputs..]` (the default command): Messenger JSON in, OpenAI chat fine-tuning JSONL out.
 *
 * Two ways in, chosen by the inputs:
 * - a stream: stdin, or `.json` thread files — one pipeline, documents one after another;
 * - an export: any folder or `.zip` among the inputs — the export is indexed (lib/export), the owner
 *   found, threads selected, and each thread converted on its own, in worker threads, so that one
 *   bad thread is reported and left out while the others come out.
 */
import { availableParallelism } from 'node:os';
import { statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Argv, CommandModule } from 'yargs';
import { createPipelineCore, textFrom, type PipelineOptions } from '../../lib/pipeline.js';
import type { Preset } from '../../lib/options.js';
import { resolveInputs, tokenizeSources } from '../../lib/sources/files.js';
import { OptionError, UsageError, UnknownSenderError } from '../../lib/errors.js';
import { ALL_SECTIONS, DEFAULT_SECTIONS } from '../../lib/options.js';
import { noThreadsError, resolveOwner, selectThreads } from '../../lib/export/select.js';
import { closestName } from '../../lib/text/closest.js';
import type { ThreadSection } from '../../lib/export/export-index.js';
import type { OpenedExport } from '../../lib/export/open-export.js';
import { say, type Io } from '../io.js';
import { withOutput } from '../output.js';
import { createProgress } from '../progress.js';
import { tuneScavenger } from '../scavenger.js';

export interface ConvertArgs {
  inputs: string[];
  me?: string;
  out?: string;
  window: number;
  overlap: number;
  merge: boolean;
  preset: Preset;
  names: boolean;
  system?: string;
  sessionGap?: number;
  mergeGap?: number;
  sortMemory: number;
  tmpDir?: string;
  jobs?: number;
  sections?: string[];
  groups?: boolean;
  thread?: string[];
  since?: string;
  until?: string;
  quiet: boolean;
}

export function convertOptions<T>(y: Argv<T>) {
  return y
    .positional('inputs', { describe: 'Export folders, .zip parts, thread files (message_N.json); none or - reads stdin', type: 'string', array: true, default: [] as string[] })
    .option('me', { describe: 'Your name as the export writes it: your messages become assistant turns (default for an export: its owner)', type: 'string', requiresArg: true })
    .option('out', { alias: 'o', describe: 'Write to FILE (atomically: complete or not at all) instead of stdout', type: 'string', requiresArg: true })
    .option('window', { describe: 'Turns per example', type: 'number', default: 8, requiresArg: true })
    .option('overlap', { describe: 'Turns shared by consecutive examples', type: 'number', default: 2, requiresArg: true })
    .option('merge', { describe: 'Merge consecutive messages of one sender into one turn (--no-merge: one turn per message)', type: 'boolean', default: true })
    .option('preset', { describe: 'langchain: reproduce LangChain\'s Facebook Messenger walkthrough exactly', choices: ['default', 'langchain'] as const, default: 'default' as Preset })
    .option('sections', { describe: `Export sections to read, comma-separated (${ALL_SECTIONS.join(', ')})`, type: 'string', array: true, requiresArg: true, defaultDescription: DEFAULT_SECTIONS.join(',') })
    .option('groups', { describe: 'Include group chats (--no-groups: 1:1 only)', type: 'boolean', default: true })
    .option('thread', { describe: 'Only threads whose name, title or a participant matches (substring, or * ? wildcards); repeatable', type: 'string', array: true, requiresArg: true })
    .option('since', { describe: 'Only messages from this date on (YYYY-MM-DD or ISO 8601)', type: 'string', requiresArg: true })
    .option('until', { describe: 'Only messages before this date', type: 'string', requiresArg: true })
    .option('jobs', { alias: 'j', describe: 'Threads converted at once (this one and N - 1 worker threads)', type: 'number', requiresArg: true, defaultDescription: 'the number of cores' })
    .option('names', { describe: 'Add each speaker\'s name to user turns in group chats', type: 'boolean', default: false })
    .option('system', { describe: 'System message to start every example with', type: 'string', requiresArg: true })
    .option('session-gap', { describe: 'Start a new conversation after this many hours of silence', type: 'number', requiresArg: true })
    .option('merge-gap', { describe: 'Merge a sender\'s messages only within this many minutes', type: 'number', requiresArg: true })
    .option('sort-memory', { describe: 'MB of messages held per thread before sorting spills to temporary files', type: 'number', default: 4, requiresArg: true })
    .option('tmp-dir', { describe: 'Folder for temporary sort files (default: the system temp folder)', type: 'string', requiresArg: true })
    .option('quiet', { alias: 'q', describe: 'No progress or summary on stderr', type: 'boolean', default: false })
    .check((argv) => {
      if (argv['help'] || argv['version']) return true; // yargs checks before it prints them
      const a = argv as unknown as ConvertArgs;
      integerAtLeast('--window', a.window, 1);
      integerAtLeast('--overlap', a.overlap, 0);
      if (a.overlap >= a.window) throw new OptionError('--overlap', `must be less than --window (${a.window})`, a.overlap);
      if (a.sessionGap !== undefined && !(a.sessionGap > 0)) throw new OptionError('--session-gap', 'must be a number of hours > 0', a.sessionGap);
      if (a.mergeGap !== undefined && !(a.mergeGap > 0)) throw new OptionError('--merge-gap', 'must be a number of minutes > 0', a.mergeGap);
      if (!(a.sortMemory >= 1)) throw new OptionError('--sort-memory', 'must be a number of MB >= 1', a.sortMemory);
      if (a.jobs !== undefined) integerAtLeast('--jobs', a.jobs, 1);
      if (a.me !== undefined && a.me.trim() === '') throw new OptionError('--me', 'must be a name', a.me);
      sectionsOf(a.sections);
      const since = dateOf('--since', a.since);
      const until = dateOf('--until', a.until);
      if (since !== undefined && until !== undefined && since >= until) {
        throw new OptionError('--until', `must be after --since (${a.since}): messages are kept from --since up to, not including, --until`, a.until);
      }
      return true;
    });
}

function integerAtLeast(option: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new OptionError(option, `must be an integer >= ${min}`, value);
}

function sectionsOf(values: string[] | undefined): ThreadSection[] | undefined {
  if (values === undefined) return undefined;
  const list = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  for (const s of list) {
    if (!ALL_SECTIONS.includes(s as ThreadSection)) throw new OptionError('--sections', `each must be one of ${ALL_SECTIONS.join(', ')}`, s);
  }
  return list as ThreadSection[];
}

/** `YYYY-MM-DD` is midnight UTC; anything else Date.parse reads. */
function dateOf(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : Date.parse(value);
  if (Number.isNaN(ms)) throw new OptionError(option, 'must be a date (YYYY-MM-DD or ISO 8601)', value);
  return ms;
}

export function convertCommand(io: Io, setExit: (code: number) => void): CommandModule<object, ConvertArgs> {
  return {
    command: '$0 [inputs..]',
    describe: 'Convert Messenger JSON to OpenAI chat fine-tuning JSONL',
    builder: (y) => convertOptions(y) as unknown as Argv<ConvertArgs>,
    handler: async (args) => setExit(await runConvert(args, io)),
  };
}

/** Stage options from the command line (everything but `me`). */
function pipelineOptions(args: ConvertArgs): Omit<PipelineOptions, 'me'> {
  const since = dateOf('--since', args.since);
  const until = dateOf('--until', args.until);
  return {
    preset: args.preset,
    window: args.window,
    overlap: args.overlap,
    merge: args.merge,
    names: args.names,
    memoryBytes: Math.round(args.sortMemory * 1024 * 1024),
    ...(args.system !== undefined && { system: args.system }),
    ...(args.sessionGap !== undefined && { sessionGapMs: args.sessionGap * 3_600_000 }),
    ...(args.mergeGap !== undefined && { mergeGapMs: args.mergeGap * 60_000 }),
    ...(args.tmpDir !== undefined && { tmpDir: args.tmpDir }),
    ...(since !== undefined && { sinceMs: since }),
    ...(until !== undefined && { untilMs: until }),
  };
}

/** The whole run; returns the exit code (DESIGN.md: 0 ok, 1 data, 2 usage, 3 I/O, 130/143 signal). */
export async function runConvert(args: ConvertArgs, io: Io): Promise<number> {
  if (args.inputs.length === 0 && (io.stdin as { isTTY?: boolean }).isTTY) {
    throw new UsageError('no input: name an export folder, .zip parts or thread files, or pipe a message_N.json into stdin');
  }
  if (args.preset !== 'langchain' && args.inputs.some(isExportInput)) return runExport(args, io);
  if (args.me === undefined) {
    const names = await participantsOf(args.inputs);
    const hint = names.length ? `; the participants: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''}` : '';
    throw new UsageError(`--me is required for thread files and stdin: your name as the export writes it (your messages become the assistant's turns)${hint}`);
  }
  const me = args.me;
  const sources = await resolveInputs(args.inputs, { langchain: args.preset === 'langchain', stdin: io.stdin });
  if (args.out !== undefined) refuseOverwritingInput(args.out, sources.map((s) => s.name));
  // the stages as one (lib/core/chain.ts), as for the threads of an export: no stream between them
  const p = createPipelineCore({ me, ...pipelineOptions(args) });
  return withOutput(args.out, io, async ({ sink, signal, isFile }) => {
    const chunks = tokenizeSources(sources, {
      signal,
      onInvalidUtf8: (n, source) => p.report.note('invalid UTF-8 sequences replaced', { source }, n),
    });
    try {
      // stdout is not ended: it belongs to the process, and the summary still follows on stderr
      await pipeline([Readable.from(textFrom(p.stage, chunks)), sink], { signal, end: isFile });
    } finally {
      p.stage.destroy?.();
    }
    p.checkMe();
    if (!args.quiet) {
      summary(io, args, p.stats.examples, p.stats.threads);
      for (const line of p.report.lines()) say(io, line);
    }
    return 0;
  });
}

/**
 * The participants the thread files among `inputs` name (not stdin), for a missing `--me`: with one
 * thread, every participant is in every thread, so the owner cannot be told; the user picks. A file
 * that cannot be read says so later, when it is converted.
 */
async function participantsOf(inputs: readonly string[]): Promise<string[]> {
  const { readThreadHeader } = await import('../../lib/export/thread-header.js');
  const { fileEntry } = await import('../../lib/sources/folder.js');
  const names = new Set<string>();
  for (const input of inputs) {
    if (input === '-') continue;
    const header = await readThreadHeader(fileEntry(dirname(input), basename(input), input, 0)).catch(() => null);
    for (const name of header?.participants ?? []) if (name) names.add(name);
  }
  return [...names];
}

/** A folder or a zip archive: the input is (part of) a whole export. */
function isExportInput(input: string): boolean {
  if (input === '-') return false;
  if (/\.zip$/i.test(input)) return true;
  return statSync(input, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

async function runExport(args: ConvertArgs, io: Io): Promise<number> {
  // loaded here, not at start-up: zip reading and workers are for whole exports only (~25 ms)
  const [{ openExport }, { convertThreads, prestartWorkers }, { jobsFromPlans }] = await Promise.all([
    import('../../lib/export/open-export.js'),
    import('../../lib/export/parallel.js'),
    import('../../lib/export/thread-job.js'),
  ]);
  const jobs = args.jobs ?? availableParallelism();
  tuneScavenger(jobs);
  // the workers start on the idle core while this one lists the export and reads its headers
  prestartWorkers(jobs - 1);
  const opened = await openExport(args.inputs);
  try {
    const { index } = opened;
    for (const p of opened.problems) say(io, `skipped ${p.error.message}`);
    if (index.threads.length === 0) throw noThreadsError(index, args.inputs);
    if (args.out !== undefined) refuseOverwritingInput(args.out, [...args.inputs, ...index.threads.flatMap((t) => t.parts.map((p) => p.name))]);
    const me = args.me ?? (await resolveOwner(opened));
    const sections = sectionsOf(args.sections);
    const { selected, left } = await selectThreads(opened, {
      ...(sections && { sections }),
      groups: args.groups ?? true,
      ...(args.thread && { threads: args.thread }),
    });
    if (selected.length === 0) {
      const why = [...left].map(([reason, n]) => `${n} (${reason})`).join(', ');
      throw new UsageError(`no thread selected: of ${index.threads.length}, left out ${why}`);
    }
    if (args.me !== undefined) await refuseTypoMe(opened, args.me);
    if (!args.quiet) {
      const was = args.me === undefined ? ' (the export owner; --me to change)' : '';
      say(io, `${selected.length} of ${index.threads.length} threads, as ${me}${was}`);
      for (const [why, n] of left) say(io, `left out: ${n} thread${n === 1 ? '' : 's'} (${why})`);
      const joined = selected.filter((t) => t.joined).length;
      if (joined) say(io, `joined: ${joined} E2EE chat${joined === 1 ? '' : 's'} with ${joined === 1 ? 'its' : 'their'} e2ee_cutover thread${joined === 1 ? '' : 's'} (one conversation each)`);
      for (const a of opened.ambiguousE2ee) say(io, `not joined: ${a.keys.join(', ')} (the same participants; which continues which is unclear)`);
      for (const s of index.skipped) say(io, `not read: ${s.count} file${s.count === 1 ? '' : 's'} (${s.reason})`);
      for (const t of selected) if (t.missingParts.length) say(io, `${t.key}: parts ${t.missingParts.join(', ')} missing (a zip part not given?)`);
    }
    const threadJobs = jobsFromPlans(selected);
    const progress = createProgress(io, args.quiet, threadJobs.length, threadJobs.reduce((n, j) => n + (j.bytes ?? 0), 0));
    return await withOutput(args.out, io, async ({ sink, signal }) => {
      const result = await convertThreads(threadJobs, { me, ...pipelineOptions(args), jobs, signal }, sink, {
        onThreadDone: () => progress.thread(),
        onRead: (n) => progress.read(n),
      }).finally(() => progress.done());
      if (result.assistantTurns === 0 && args.me !== undefined && !result.people.includes(me)) {
        throw new UnknownSenderError(me, result.people, closestName(me, result.people));
      }
      if (!args.quiet) {
        summary(io, args, result.examples, result.threads);
        for (const line of result.report.lines()) say(io, line);
      }
      for (const f of result.failed) say(io, `error: ${f.key} left out: ${f.message}`);
      return result.failed.length ? 1 : 0;
    });
  } finally {
    await opened.close();
  }
}

/**
 * `--me` close to a participant's name but nobody's in the whole input is a typo (the owner is a
 * participant of their threads): said now, from the headers (~0.1 s for 500 threads), not after
 * converting the whole export. A name with no near match, or a header that cannot be read, is
 * left to the check after the run, which knows the senders too (someone who left a group chat
 * sent messages in it but is no longer listed as a participant).
 */
async function refuseTypoMe(opened: OpenedExport, me: string): Promise<void> {
  const people = new Set<string>();
  for (const plan of opened.index.threads) {
    const header = await opened.header(plan).catch(() => null);
    if (header === null || header.participants.includes(me)) return;
    for (const p of header.participants) people.add(p);
  }
  const found = [...people].sort();
  const suggestion = closestName(me, found);
  if (suggestion !== undefined) throw new UnknownSenderError(me, found, suggestion);
}

function summary(io: Io, args: ConvertArgs, examples: number, threads: number): void {
  const where = args.out !== undefined ? ` to ${args.out}` : '';
  say(io, `${examples} example${examples === 1 ? '' : 's'}${where} from ${threads} thread${threads === 1 ? '' : 's'}`);
}

/** `-o` naming one of the inputs (also through a link) would destroy it: refuse before reading. */
function refuseOverwritingInput(out: string, inputs: readonly string[]): void {
  const target = statSync(out, { throwIfNoEntry: false });
  if (!target) return; // does not exist yet: cannot be an input
  for (const name of inputs) {
    const st = statSync(name, { throwIfNoEntry: false });
    if (st && st.dev === target.dev && st.ino === target.ino) {
      throw new UsageError(`--out ${out} is the input ${name}: refusing to overwrite it`, 'FBS_OUTPUT_IS_INPUT');
    }
  }
}

