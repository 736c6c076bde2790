/**
 * Thread files named one by one, converted as an export's threads are: each thread (its
 * `message_N.json` parts together, in numeric order) is one job, so that a file that fails is
 * reported and left out while the others are written. The langchain preset makes each file its
 * own job, in the order given, as LangChain's loaders read them.
 */
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ConvertIo } from '../convert.js';
import type { NormalizedConvertOptions } from '../options.js';
import { orderThreadFiles, partNumber, resolveInputs } from '../sources/files.js';
import { runJobs, type RunOutputs, type ThreadsResult } from './run-jobs.js';
import type { ThreadJob } from './thread-job.js';

export async function convertThreadFiles(o: NormalizedConvertOptions, me: string, outputs: RunOutputs, io: ConvertIo): Promise<ThreadsResult> {
  const langchain = o.stages.preset === 'langchain';
  const paths = langchain ? (await resolveInputs(o.inputs, { langchain })).map((s) => s.name) : orderThreadFiles(o.inputs);
  return runJobs(threadJobs(paths, langchain), o, me, outputs, io);
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
