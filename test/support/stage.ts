/**
 * Helpers for stage tests: drive a pure stage with arrays and collect everything it releases; feed
 * a stage's stream and collect its records, or watch it fail.
 */
import { pipeline as pipelineWithCallback, Readable, Writable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Test } from 'tap';
import type { Output, Stage } from '../../lib/core/stage.js';

export function drain<T>(out: Output<T>): T[] {
  if (Array.isArray(out)) return out.slice();
  const all: T[] = [];
  for (const batch of out) all.push(...batch);
  return all;
}

/** Push each input chunk, then flush; all outputs in order. */
export function runStage<In, Out>(stage: Stage<In, Out>, inputs: In[]): Out[] {
  const all: Out[] = [];
  for (const input of inputs) all.push(...drain(stage.push(input)));
  all.push(...drain(stage.flush()));
  return all;
}

/** Records cut into batches at the given points (taken modulo the length, deduplicated): for batching properties. */
export function rebatch<T>(records: readonly T[], cuts: readonly number[]): T[][] {
  const points = [...new Set(cuts.map((c) => c % (records.length + 1)))].sort((a, b) => a - b);
  const out: T[][] = [];
  let from = 0;
  for (const p of [...points, records.length]) {
    if (p > from) out.push(records.slice(from, p));
    from = p;
  }
  return out;
}

/** Every record a stage's stream gives for `chunks` (each written as one chunk), through stream.pipeline. */
export async function streamRecords<Out>(stream: Transform, chunks: readonly unknown[]): Promise<Out[]> {
  const out: Out[] = [];
  const sink = new Writable({
    objectMode: true,
    write(chunk: Out | Out[], _encoding, callback) {
      if (Array.isArray(chunk)) for (const r of chunk) out.push(r);
      else out.push(chunk);
      callback();
    },
  });
  await pipeline(Readable.from(chunks, { objectMode: true }), stream, sink);
  return out;
}

export interface FailedRun {
  /** Errors the stage's stream emitted. */
  streamErrors: unknown[];
  /** What stream.pipeline's callback was called with, once per call. */
  callbacks: unknown[];
  /** Records that reached the sink before the error. */
  records: number;
}

/** Run `chunks` through `stream` with stream.pipeline's callback, and watch a few turns of the event loop after it. */
export async function failingRun(stream: Transform, chunks: readonly unknown[]): Promise<FailedRun> {
  const run: FailedRun = { streamErrors: [], callbacks: [], records: 0 };
  stream.on('error', (err) => run.streamErrors.push(err));
  const sink = new Writable({
    objectMode: true,
    write(chunk: unknown, _encoding, callback) {
      run.records += Array.isArray(chunk) ? chunk.length : 1;
      callback();
    },
  });
  await new Promise<void>((resolve) => {
    pipelineWithCallback(Readable.from(chunks, { objectMode: true }), stream, sink, (err) => {
      run.callbacks.push(err);
      resolve();
    });
  });
  // a second error or callback would come later than the first
  for (let i = 0; i < 5; ++i) await new Promise((resolve) => setImmediate(resolve));
  return run;
}

/** A copy of `record` whose `key` throws `error` when read: an error inside a core, whatever the stage. */
export function poisoned<T extends object>(record: T, key: keyof T & string, error: Error): T {
  return Object.defineProperty({ ...record }, key, { enumerable: true, get: () => { throw error; } });
}

export interface StreamCase<In, Out> {
  /** Fresh input records each call (stages write into the records they pass on). */
  input: () => In[];
  core: () => Stage<In[], Out>;
  stream: () => Transform;
  /** What is compared; default the records themselves. */
  view?: (records: Out[]) => unknown;
  /** Checked after every stream run (say, that no temporary file is left). */
  after?: () => void;
  numRuns?: number;
}

/**
 * A stage's stream gives what its core gives for the whole input in one push: fed whole, one record
 * per batch, and in random batchings.
 */
export async function checkBatchings<In, Out>(t: Test, c: StreamCase<In, Out>): Promise<void> {
  const view = c.view ?? ((records: Out[]) => records);
  const want = view(runStage(c.core(), [c.input()]));
  const viaStream = async (batches: In[][]) => {
    const got = view(await streamRecords<Out>(c.stream(), batches));
    c.after?.();
    return got;
  };
  t.same(await viaStream([c.input()]), want, 'the stream on the whole input: the core\'s output');
  t.same(await viaStream(c.input().map((r) => [r])), want, 'one record per batch');
  t.same(view(runStage(c.core(), c.input().map((r) => [r]))), want, 'the core, one record per push');
  await fc.assert(fc.asyncProperty(fc.array(fc.nat(), { maxLength: 24 }), async (cuts) => {
    assert.deepStrictEqual(await viaStream(rebatch(c.input(), cuts)), want);
  }), { numRuns: c.numRuns ?? 25 });
  t.pass('random batchings');
}

/** One error, the same on the stream and in stream.pipeline's callback, each once. */
export function failedOnce(t: Test, run: FailedRun, expected: object): void {
  t.equal(run.streamErrors.length, 1, 'one error event');
  t.equal(run.callbacks.length, 1, 'one pipeline callback');
  t.equal(run.callbacks[0], run.streamErrors[0], 'the same error');
  t.match(run.callbacks[0], expected);
}
