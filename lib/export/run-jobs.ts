/**
 * Thread jobs (an export's threads, or thread files) converted into the run's outputs: all into
 * the training output, or with `split`, each whole thread into training or validation.
 */
import type { ConvertIo, LeftOut } from '../convert.js';
import { stageSettings, type NormalizedConvertOptions } from '../options.js';
import { Report } from '../report.js';
import type { RunSink } from '../sinks/run-sink.js';
import { addCounts, type Counts } from '../stats.js';
import type { RunSummary } from './parallel.js';
import { splitJobs } from './split.js';
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
  counts: Counts;
}

export interface RunOutputs {
  training: RunSink;
  /** With `split`. */
  validation: RunSink | null;
}

export async function runJobs(jobs: readonly ThreadJob[], o: NormalizedConvertOptions, me: string, outputs: RunOutputs, io: ConvertIo): Promise<ThreadsResult> {
  const { convertThreads } = await import('./parallel.js');
  const parallel = Math.max(1, Math.min(o.jobs, jobs.length));
  io.onStart?.(jobs.length, jobs.reduce((n, j) => n + (j.bytes ?? 0), 0), parallel);
  const [training, validation] = outputs.validation && o.split !== null ? splitJobs(jobs, o.split, o.seed) : [jobs, []];
  const settings = stageSettings(o, me);
  const hooks = {
    ...(io.onThreadDone && { onThreadDone: () => io.onThreadDone!() }),
    ...(io.onRead && { onRead: io.onRead }),
  };
  const summaries: RunSummary[] = [];
  for (const [set, sink] of [[training, outputs.training], [validation, outputs.validation]] as const) {
    if (!sink || set.length === 0) continue;
    summaries.push(await convertThreads(set, { ...settings, jobs: Math.min(parallel, set.length), ...(io.signal && { signal: io.signal }) }, sink.stream, hooks));
  }
  return threadsResult(summaries);
}

function threadsResult(summaries: readonly RunSummary[]): ThreadsResult {
  const r: ThreadsResult = { examples: 0, threads: 0, assistantTurns: 0, people: [], failed: [], report: new Report(), counts: {} };
  const people = new Set<string>();
  for (const s of summaries) {
    r.examples += s.examples;
    r.threads += s.threads;
    r.assistantTurns += s.assistantTurns;
    for (const p of s.people) people.add(p);
    r.failed.push(...s.failed.map((f) => ({ what: f.key, code: f.code, message: f.message })));
    r.report.merge(s.report);
    addCounts(r.counts, s.counts);
  }
  r.people = [...people].sort();
  return r;
}
