/**
 * Thread files named one by one, converted as an export's threads are: each thread (its
 * `message_N.json` parts together, in numeric order) is one job, so that a file that fails is
 * reported and left out while the others are written. The langchain preset makes each file its
 * own job, in the order given, as LangChain's loaders read them.
 */
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ConvertIo, LeftOut } from '../convert.js';
import type { NormalizedConvertOptions } from '../options.js';
import { stageSettings } from '../options.js';
import type { Report } from '../report.js';
import type { OutputTarget } from '../sinks/output.js';
import { orderThreadFiles, partNumber, resolveInputs } from '../sources/files.js';
import type { RunSummary } from './parallel.js';
import type { ThreadJob } from './thread-job.js';

/** What a run of threads gives the service's verdict (lib/convert.ts `finish`). */
export interface ThreadsResult {
  examples: number;
  threads: number;
  assistantTurns: number;
  /** Every participant and sender seen. */
  people: string[];
  failed: LeftOut[];
  report: Report;
}

export async function convertThreadFiles(o: NormalizedConvertOptions, me: string, output: OutputTarget, io: ConvertIo): Promise<ThreadsResult> {
  const langchain = o.stages.preset === 'langchain';
  const paths = langchain ? (await resolveInputs(o.inputs, { langchain })).map((s) => s.name) : orderThreadFiles(o.inputs);
  const jobs = threadJobs(paths, langchain);
  const { convertThreads } = await import('./parallel.js');
  const parallel = Math.min(o.jobs, jobs.length);
  io.onStart?.(jobs.length, jobs.reduce((n, j) => n + (j.bytes ?? 0), 0), parallel);
  const summary = await convertThreads(jobs, { ...stageSettings(o, me), jobs: parallel, ...(io.signal && { signal: io.signal }) }, output.sink, {
    ...(io.onThreadDone && { onThreadDone: () => io.onThreadDone!() }),
    ...(io.onRead && { onRead: io.onRead }),
  });
  return threadsResult(summary);
}

/** The parts of one thread (same folder, `message_N.json`) make one job; any other file is its own. */
function threadJobs(paths: readonly string[], eachFileAlone: boolean): ThreadJob[] {
  const jobs: ThreadJob[] = [];
  let folder: string | null = null;
  for (const path of paths) {
    const part = !eachFileAlone && partNumber(path) !== undefined ? dirname(path) : null;
    const bytes = statSync(path, { throwIfNoEntry: false })?.size ?? 0;
    const last = jobs.at(-1);
    if (part !== null && part === folder && last) {
      last.parts.push({ kind: 'file', path });
      last.key = part;
      last.bytes! += bytes;
    } else {
      jobs.push({ index: jobs.length, key: path, parts: [{ kind: 'file', path }], bytes });
    }
    folder = part;
  }
  return jobs;
}

export function threadsResult(s: RunSummary): ThreadsResult {
  return {
    examples: s.examples,
    threads: s.threads,
    assistantTurns: s.assistantTurns,
    people: s.people,
    failed: s.failed.map((f) => ({ what: f.key, code: f.code, message: f.message })),
    report: s.report,
  };
}
