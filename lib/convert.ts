/**
 * The one conversion service: Messenger JSON in, fine-tuning JSONL out, for the CLI and for
 * library users alike. Three ways in, chosen by the inputs:
 * - standard input (no input, or `-`): one pipeline, documents one after another;
 * - thread files (`message_N.json`): each thread (its parts together) converted on its own, so
 *   that a bad file is reported and left out while the others come out;
 * - an export (a folder or `.zip` parts among the inputs): indexed, its owner found, threads
 *   selected, each thread converted on its own (lib/export/convert-export.ts).
 * The langchain preset reads files and folders as LangChain's loaders do (see lib/sources/files.ts).
 */
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NothingToTrainError, UsageError } from './errors.js';
import { convertThreadFiles } from './export/convert-files.js';
import type { RunOutputs, ThreadsResult } from './export/run-jobs.js';
import { checkMe, checkMeEarly } from './me.js';
import { normalizeConvertOptions, stageSettings, type ConvertOptions, type NormalizedConvertOptions } from './options.js';
import { createPipelineCore, pipelineCounts, textFrom } from './pipeline.js';
import type { Report } from './report.js';
import { openOutput, type OutputTarget } from './sinks/output.js';
import { runSink } from './sinks/run-sink.js';
import { resolveInputs, tokenizeSources } from './sources/files.js';
import { convertStats, type ConvertStats } from './stats.js';

/** Where a conversion reads and speaks. Every field is optional. */
export interface ConvertIo {
  /** Read for no input or `-`. Default process.stdin. */
  stdin?: Readable;
  /** Written when there is no `out` (or `out` is `-`); never ended. Default process.stdout. */
  stdout?: Writable;
  /** Stops the run: the output file is not made, temporary files are removed, the promise rejects. */
  signal?: AbortSignal;
  /** What a person would want to know along the way: what was selected, left out, skipped, joined. */
  onNotice?(line: string): void;
  /** Once the threads are chosen: how many, their bytes, and how many are converted at once. */
  onStart?(threads: number, bytes: number, jobs: number): void;
  /** Input bytes just read. */
  onRead?(bytes: number): void;
  /** One more thread done. */
  onThreadDone?(): void;
}

/** A thread, input or entry left out of the output, and why. */
export interface LeftOut {
  /** The thread key, file or zip entry. */
  what: string;
  code: string;
  message: string;
}

export interface ConvertResult {
  /** Whose turns became `assistant`. */
  me: string;
  /** `me` is the export's owner, found in the data (no `me` given). */
  meIsOwner: boolean;
  examples: number;
  threads: number;
  assistantTurns: number;
  /** Threads, files and inputs left out whole because they failed: the run's exit code is 1. */
  failed: LeftOut[];
  /** What the stages skipped or repaired, counted by reason. */
  report: Report;
  /** Messages, conversations, turns, examples, replies trained, what was dropped (`--stats`). */
  stats: ConvertStats;
  /** Warnings for a person (e.g. examples a trainer will refuse). */
  warnings: string[];
  /** 0: everything converted; 1: something was left out (see `failed`), the rest is written. */
  exitCode: 0 | 1;
}

/**
 * Convert `options.inputs` into `options.out` (or `io.stdout`). Resolves with the counts; rejects
 * with an FbstreamError (a usage error, bad data, I/O) and then writes no output file.
 */
export async function convert(options: ConvertOptions, io: ConvertIo = {}): Promise<ConvertResult> {
  const o = normalizeConvertOptions(options);
  io.signal?.throwIfAborted();
  const kinds = await classifyInputs(o.inputs);
  if (o.stages.preset !== 'langchain' && kinds.some((k) => k === 'export')) {
    const { convertExport } = await import('./export/convert-export.js');
    return convertExport(o, io);
  }
  const stdin = kinds.length === 0 || kinds.includes('stdin');
  if (o.me === null) throw await meRequired(o.inputs);
  const me = o.me;
  if (!stdin) checkMeEarly(me, await participantsOf(o.inputs), o.stages.preset);
  await refuseOverwritingInput(o.out, o.inputs);
  if (stdin && o.split !== null) throw new UsageError('--split needs thread files or an export: standard input is one stream, its threads cannot be told apart before they are written');
  return withOutput(o, io, async (outputs) => {
    const result = stdin ? await convertStream(o, me, outputs, io) : await convertThreadFiles(o, me, outputs, io);
    return finish(o, me, false, result);
  });
}

/** The verdict on a finished run: `me` taught something, or why not. */
export function finish(o: NormalizedConvertOptions, me: string, meIsOwner: boolean, r: ThreadsResult): ConvertResult {
  const failed = r.failed;
  if (r.assistantTurns === 0 && !(r.threads === 0 && failed.length > 0)) {
    // every thread failed: their own errors are the news, not `me`
    checkMe(me, r.people, o.stages.preset);
    if (r.examples === 0) throw new NothingToTrainError(me);
  }
  const warnings: string[] = [];
  const withoutReply = r.counts['withoutReply'] ?? 0;
  if (withoutReply) warnings.push(`${withoutReply} example${withoutReply === 1 ? ' has' : 's have'} no assistant message: OpenAI refuses such a file (fbstream validate lists them); the default preset never writes one`);
  const stats = convertStats(r.threads, r.examples, r.counts, r.report);
  return { me, meIsOwner, examples: r.examples, threads: r.threads, assistantTurns: r.assistantTurns, failed, report: r.report, stats, warnings, exitCode: failed.length ? 1 : 0 };
}

/**
 * Run `work` with the output open: committed when `work` resolves (a run with threads left out is
 * still complete for the others), removed when it throws or the run is aborted.
 */
export async function withOutput(o: NormalizedConvertOptions, io: ConvertIo, work: (outputs: RunOutputs) => Promise<ConvertResult>): Promise<ConvertResult> {
  const targets: OutputTarget[] = [];
  try {
    targets.push(openOutput(o.out, io.stdout ?? process.stdout));
    if (o.validationOut !== null) targets.push(openOutput(o.validationOut, io.stdout ?? process.stdout));
    // the langchain preset writes what LangChain writes, copies included
    const dedupe = o.stages.preset !== 'langchain';
    const [training, validation = null] = targets.map((t) => runSink(t, dedupe, io.signal));
    const result = await work({ training: training!, validation });
    for (const sink of [training!, validation]) await sink?.finish();
    io.signal?.throwIfAborted();
    for (const target of targets) await target.commit();
    const copies = training!.dropped() + (validation?.dropped() ?? 0);
    if (copies) {
      result.report.note('examples written once: copies of earlier examples dropped', undefined, copies);
      result.examples -= copies;
      result.stats.examples = result.examples;
      result.stats.dropped = Object.fromEntries(result.report.counts);
    }
    if (o.statsJson !== null) await writeJson(o.statsJson, result.stats, io);
    return result;
  } catch (err) {
    for (const target of targets) await target.abort();
    throw err;
  }
}

/** A small JSON file, written whole or not at all. */
async function writeJson(path: string, value: unknown, io: ConvertIo): Promise<void> {
  const target = openOutput(path, io.stdout ?? process.stdout);
  try {
    await pipeline([Readable.from([JSON.stringify(value, null, 2) + '\n']), target.sink], { end: target.end });
    await target.commit();
  } catch (err) {
    await target.abort();
    throw err;
  }
}

/** Standard input (and any files named with it): one pipeline over every document in turn. */
async function convertStream(o: NormalizedConvertOptions, me: string, outputs: RunOutputs, io: ConvertIo): Promise<ThreadsResult> {
  const sources = await resolveInputs(o.inputs, { langchain: o.stages.preset === 'langchain', ...(io.stdin && { stdin: io.stdin }) });
  // the stages as one (lib/core/chain.ts): no stream between them
  const p = createPipelineCore(stageSettings(o, me));
  const chunks = tokenizeSources(sources, {
    ...(io.signal && { signal: io.signal }),
    ...(io.onRead && { onBytes: io.onRead }),
    onInvalidUtf8: (n, source) => p.report.note('invalid UTF-8 sequences replaced', { source }, n),
  });
  try {
    await pipeline([Readable.from(textFrom(p.stage, chunks)), outputs.training.stream], { ...(io.signal && { signal: io.signal }), end: false });
  } finally {
    p.stage.destroy?.();
  }
  const { stats } = p;
  return { examples: stats.examples, threads: stats.threads, assistantTurns: stats.assistantTurns, people: [...stats.people], failed: [], report: p.report, counts: pipelineCounts(stats) };
}

type InputKind = 'stdin' | 'file' | 'export';

/** Each input's kind; a missing one is said first, before anything asks for `--me`. */
async function classifyInputs(inputs: readonly string[]): Promise<InputKind[]> {
  const kinds: InputKind[] = [];
  for (const input of inputs) {
    if (input === '-') {
      kinds.push('stdin');
      continue;
    }
    const info = await stat(input).catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(`cannot read input ${input}: ${err.code === 'ENOENT' ? 'no such file or folder' : err.message}`, 'FBS_NO_INPUT');
    });
    kinds.push(info.isDirectory() || /\.zip$/i.test(input) ? 'export' : 'file');
  }
  return kinds;
}

/** `--me` missing for thread files or stdin: with one thread, every participant is in every thread. */
async function meRequired(inputs: readonly string[]): Promise<UsageError> {
  const names = await participantsOf(inputs);
  const hint = names.length ? `; the participants: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''}` : '';
  return new UsageError(`--me is required for thread files and stdin: your name as the export writes it (your messages become the assistant's turns)${hint}`);
}

/** The participants the thread files among `inputs` name (not stdin). A file that cannot be read says so when it is converted. */
async function participantsOf(inputs: readonly string[]): Promise<string[]> {
  const { readThreadHeader } = await import('./export/thread-header.js');
  const { fileEntry } = await import('./sources/folder.js');
  const names = new Set<string>();
  for (const input of inputs) {
    if (input === '-') continue;
    const header = await readThreadHeader(fileEntry(dirname(input), basename(input), input, 0)).catch(() => null);
    for (const name of header?.participants ?? []) if (name) names.add(name);
  }
  return [...names];
}

/**
 * `out` naming one of the inputs (also through a link) would destroy it: refuse before reading.
 * `files`: the files found in the inputs (an export's thread parts), with their sizes as listed;
 * only those of the output's size can be it, so thousands of parts cost no `stat` each.
 */
export async function refuseOverwritingInput(out: string | null, inputs: readonly string[], files: readonly { name: string; size: number }[] = []): Promise<void> {
  if (out === null || out === '-') return;
  const target = await stat(out).catch(() => null);
  if (!target?.isFile()) return; // new, or written in place (a device, a FIFO): cannot be an input
  const names = [...inputs, ...files.filter((f) => f.size === target.size).map((f) => f.name)];
  for (const name of names) {
    const st = name === '-' ? null : await stat(name).catch(() => null);
    if (st && st.dev === target.dev && st.ino === target.ino) {
      throw new UsageError(`--out ${out} is the input ${name}: refusing to overwrite it`, 'FBS_OUTPUT_IS_INPUT');
    }
  }
}
