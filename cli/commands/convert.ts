/**
 * `fbstream [inputs..]` (the default command): Messenger JSON in, OpenAI chat fine-tuning JSONL out.
 */
import { statSync } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Argv, CommandModule } from 'yargs';
import { createPipeline, type Preset } from '../../lib/pipeline.js';
import { resolveInputs, tokenizeSources, type Source } from '../../lib/sources/files.js';
import { createAtomicFile, type AtomicFile } from '../../lib/sinks/atomic-file.js';
import { exitCodeOf, FbstreamError, OptionError, UsageError } from '../../lib/errors.js';
import { say, type Io } from '../io.js';

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
  quiet: boolean;
}

export function convertOptions<T>(y: Argv<T>) {
  return y
    .positional('inputs', { describe: 'Thread files (message_N.json) or export folders; none or - reads stdin', type: 'string', array: true, default: [] as string[] })
    .option('me', { describe: 'Your name as it appears in the export: your messages become assistant turns', type: 'string', requiresArg: true })
    .option('out', { alias: 'o', describe: 'Write to FILE (atomically: complete or not at all) instead of stdout', type: 'string', requiresArg: true })
    .option('window', { describe: 'Turns per example', type: 'number', default: 8, requiresArg: true })
    .option('overlap', { describe: 'Turns shared by consecutive examples', type: 'number', default: 2, requiresArg: true })
    .option('merge', { describe: 'Merge consecutive messages of one sender into one turn (--no-merge: one turn per message)', type: 'boolean', default: true })
    .option('preset', { describe: 'langchain: reproduce LangChain\'s Facebook Messenger walkthrough exactly', choices: ['default', 'langchain'] as const, default: 'default' as Preset })
    .option('names', { describe: 'Add each speaker\'s name to user turns in group chats', type: 'boolean', default: false })
    .option('system', { describe: 'System message to start every example with', type: 'string', requiresArg: true })
    .option('session-gap', { describe: 'Start a new conversation after this many hours of silence', type: 'number', requiresArg: true })
    .option('merge-gap', { describe: 'Merge a sender\'s messages only within this many minutes', type: 'number', requiresArg: true })
    .option('sort-memory', { describe: 'MB of messages held per thread before sorting spills to temporary files', type: 'number', default: 20, requiresArg: true })
    .option('tmp-dir', { describe: 'Folder for temporary sort files (default: the system temp folder)', type: 'string', requiresArg: true })
    .option('quiet', { alias: 'q', describe: 'No summary on stderr', type: 'boolean', default: false })
    .check((argv) => {
      if (argv['help'] || argv['version']) return true; // yargs checks before it prints them
      const a = argv as unknown as ConvertArgs;
      integerAtLeast('--window', a.window, 1);
      integerAtLeast('--overlap', a.overlap, 0);
      if (a.overlap >= a.window) throw new OptionError('--overlap', `must be less than --window (${a.window})`, a.overlap);
      if (a.sessionGap !== undefined && !(a.sessionGap > 0)) throw new OptionError('--session-gap', 'must be a number of hours > 0', a.sessionGap);
      if (a.mergeGap !== undefined && !(a.mergeGap > 0)) throw new OptionError('--merge-gap', 'must be a number of minutes > 0', a.mergeGap);
      if (!(a.sortMemory >= 1)) throw new OptionError('--sort-memory', 'must be a number of MB >= 1', a.sortMemory);
      if (a.me !== undefined && a.me.trim() === '') throw new OptionError('--me', 'must be a name', a.me);
      return true;
    });
}

function integerAtLeast(option: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new OptionError(option, `must be an integer >= ${min}`, value);
}

export function convertCommand(io: Io, setExit: (code: number) => void): CommandModule<object, ConvertArgs> {
  return {
    command: '$0 [inputs..]',
    describe: 'Convert Messenger JSON to OpenAI chat fine-tuning JSONL',
    builder: (y) => convertOptions(y) as unknown as Argv<ConvertArgs>,
    handler: async (args) => setExit(await runConvert(args, io)),
  };
}

/** The whole run; returns the exit code (DESIGN.md: 0 ok, 1 data, 2 usage, 3 I/O, 130/143 signal). */
export async function runConvert(args: ConvertArgs, io: Io): Promise<number> {
  if (args.me === undefined) {
    throw new UsageError('--me is required: your name as the export writes it (your messages become the assistant\'s turns)');
  }
  if (args.inputs.length === 0 && (io.stdin as { isTTY?: boolean }).isTTY) {
    throw new UsageError('no input: name thread files or export folders, or pipe a message_N.json into stdin');
  }
  const sources = await resolveInputs(args.inputs, { langchain: args.preset === 'langchain', stdin: io.stdin });
  if (args.out !== undefined) refuseOverwritingInput(args.out, sources);

  const p = createPipeline({
    me: args.me,
    preset: args.preset,
    tokenizer: false,
    window: args.window,
    overlap: args.overlap,
    merge: args.merge,
    names: args.names,
    memoryBytes: Math.round(args.sortMemory * 1024 * 1024),
    ...(args.system !== undefined && { system: args.system }),
    ...(args.sessionGap !== undefined && { sessionGapMs: args.sessionGap * 3_600_000 }),
    ...(args.mergeGap !== undefined && { mergeGapMs: args.mergeGap * 60_000 }),
    ...(args.tmpDir !== undefined && { tmpDir: args.tmpDir }),
  });

  // signals first: from the moment a temporary file exists, an interrupt must remove it
  const abort = new AbortController();
  let signalCode = 0;
  let file: AtomicFile | null = null;
  const onSignal = (code: number) => () => {
    signalCode = code;
    file?.abort();
    abort.abort();
  };
  const onInt = onSignal(130);
  const onTerm = onSignal(143);
  io.signals.once('SIGINT', onInt);
  io.signals.once('SIGTERM', onTerm);

  try {
    if (args.out !== undefined) file = createAtomicFile(args.out);
    const sink: Writable = file ? file.stream : io.stdout;
    const input = Readable.from(tokenizeSources(sources, {
      signal: abort.signal,
      onInvalidUtf8: (n, source) => p.report.note('invalid UTF-8 sequences replaced', { source }, n),
    }));
    // stdout is not ended: it belongs to the process, and the summary still follows on stderr
    await pipeline([input, ...p.streams, sink], { signal: abort.signal, end: file !== null });
    p.checkMe();
    await file?.commit();
  } catch (err) {
    file?.abort();
    if (signalCode) return signalCode;
    if (isBrokenPipe(err)) return 0; // `| head -1`: the reader has what it wanted
    if (err instanceof FbstreamError) {
      say(io, `error: ${err.message}`);
      if (exitCodeOf(err) === 2 && err.code !== 'FBS_UNKNOWN_SENDER') say(io, "try 'fbstream --help'");
      return exitCodeOf(err);
    }
    say(io, `error: ${(err as Error).message ?? String(err)}`);
    return 3;
  } finally {
    io.signals.removeListener('SIGINT', onInt);
    io.signals.removeListener('SIGTERM', onTerm);
  }

  if (!args.quiet) {
    const where = args.out !== undefined ? ` to ${args.out}` : '';
    say(io, `${p.stats.examples} example${p.stats.examples === 1 ? '' : 's'}${where} from ${p.stats.threads} thread${p.stats.threads === 1 ? '' : 's'}`);
    for (const line of p.report.lines()) say(io, line);
  }
  return 0;
}

function isBrokenPipe(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EPIPE';
}

/** `-o` naming one of the inputs (also through a link) would destroy it: refuse before reading. */
function refuseOverwritingInput(out: string, sources: readonly Source[]): void {
  let target: { dev: number; ino: number } | null = null;
  try {
    target = statSync(out);
  } catch {
    return; // does not exist yet: cannot be an input
  }
  for (const s of sources) {
    try {
      const st = statSync(s.name);
      if (st.dev === target.dev && st.ino === target.ino) {
        throw new UsageError(`--out ${out} is the input ${s.name}: refusing to overwrite it`, 'FBS_OUTPUT_IS_INPUT');
      }
    } catch (err) {
      if (err instanceof UsageError) throw err;
    }
  }
}
