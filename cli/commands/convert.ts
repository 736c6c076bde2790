/**
 * `fbstream [inputs..]` (the default command): parses the flags, runs the conversion service
 * (lib/convert.ts) and prints what a person wants to know on stderr. The work is all in lib/.
 */
import type { Argv, CommandModule } from 'yargs';
import type { ConvertResult } from '../../lib/convert.js';
import { CONVERT_OPTIONS, CONVERT_TRAIN_OPTIONS, type ConvertOptions } from '../../lib/options.js';
import { statsLines } from '../../lib/stats.js';
import { UsageError } from '../../lib/errors.js';
import { addFlags, flagValues } from '../flags.js';
import { say, type Io } from '../io.js';
import { reportError, withSignals } from '../output.js';
import { createProgress } from '../progress.js';
import { tuneScavenger } from '../scavenger.js';

export interface ConvertArgs extends ConvertOptions {
  inputs: string[];
  quiet: boolean;
  /** The one go: convert, then start a fine-tuning job (cli/commands/convert-train.ts). */
  train?: boolean;
}

/** The flags, from the options module: its names in kebab-case, its defaults and help lines. */
export function convertOptions<T>(y: Argv<T>): Argv<T> {
  const out = addFlags(y.positional('inputs', { describe: 'Export folders, .zip parts, thread files (message_N.json); none or - reads stdin', type: 'string', array: true, default: [] as string[] }), CONVERT_OPTIONS);
  return addFlags(out.option('quiet', { alias: 'q', describe: 'No progress or summary on stderr', type: 'boolean', default: false }), CONVERT_TRAIN_OPTIONS);
}

export function convertCommand(io: Io, setExit: (code: number) => void): CommandModule<object, ConvertArgs> {
  return {
    command: '$0 [inputs..]',
    describe: 'Convert Messenger JSON to OpenAI chat fine-tuning JSONL',
    builder: (y) => convertOptions(y) as unknown as Argv<ConvertArgs>,
    handler: async (args) => setExit(await runConvert(args, io)),
  };
}

/** The whole run; returns the exit code (0 ok, 1 data, 2 usage, 3 I/O, 129/130/143 signal). */
export async function runConvert(args: ConvertArgs, io: Io): Promise<number> {
  if (args.inputs.length === 0 && (io.stdin as { isTTY?: boolean }).isTTY) {
    throw new UsageError('no input: name an export folder, .zip parts or thread files, or pipe a message_N.json into stdin');
  }
  if (args.train === true || Object.keys(flagValues(args, CONVERT_TRAIN_OPTIONS)).some((name) => name !== 'train')) {
    const { runConvertTrain } = await import('./convert-train.js');
    return runConvertTrain(args, io);
  }
  const options = optionsOf(args);
  return withSignals(io, async (signal) => {
    try {
      return printResult(io, args, await convertWithProgress(options, args, io, signal));
    } catch (err) {
      if (signal.aborted) throw err;
      return reportError(io, err);
    }
  });
}

/** The conversion with its progress and notices on stderr. */
export async function convertWithProgress(options: ConvertOptions, args: ConvertArgs, io: Io, signal: AbortSignal): Promise<ConvertResult> {
  let progress = createProgress(io, true, 0, 0);
  // loaded on use: the pipeline is not needed to start the other commands
  const { convert } = await import('../../lib/convert.js');
  return convert(options, {
    stdin: io.stdin,
    stdout: io.stdout,
    signal,
    onNotice: (line) => args.quiet || say(io, line),
    onStart: (threads, bytes, jobs) => {
      tuneScavenger(jobs); // young collections without helper threads when every core runs a job
      progress = createProgress(io, args.quiet, threads, bytes);
    },
    onRead: (n) => progress.read(n),
    onThreadDone: () => progress.thread(),
  }).finally(() => progress.done());
}

export function printResult(io: Io, args: ConvertArgs, r: ConvertResult): number {
  if (!args.quiet) {
    const where = args.out !== undefined && args.out !== '-' ? ` to ${args.out}` : '';
    say(io, `${r.examples} example${r.examples === 1 ? '' : 's'}${where} from ${r.threads} thread${r.threads === 1 ? '' : 's'}`);
    for (const line of r.report.lines()) say(io, line);
  }
  if (args.stats) for (const line of statsLines(r.stats)) say(io, `stats: ${line}`);
  for (const w of r.warnings) say(io, `warning: ${w}`);
  for (const f of r.failed) say(io, `error: ${f.what} left out: ${f.message}`);
  return r.exitCode;
}

/** The parsed flags as the service's options: only what was given (yargs adds aliases and both spellings). */
export function optionsOf(args: ConvertArgs): ConvertOptions {
  return { inputs: args.inputs, ...flagValues(args, CONVERT_OPTIONS) } as ConvertOptions;
}
