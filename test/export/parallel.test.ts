/**
 * lib/export/parallel.ts: threads converted in worker threads, written in job order, byte-identical
 * for any number of workers; a failed thread left out whole and reported; zip parts; abort; a
 * thread larger than the main thread's buffer. Workers run lib/export/worker.ts through the same
 * TypeScript loader as this file (tap's, inherited with process.execArgv).
 */
import type { StageOptions } from '../../lib/options.js';
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import t, { type Test } from 'tap';
import { convertThreads, prestartWorkers, type ConvertThreadsOptions, type RunSummary } from '../../lib/export/parallel.js';
import type { PartRef } from '../../lib/export/part-ref.js';
import type { ThreadJob } from '../../lib/export/thread-job.js';
import { yazlZip } from '../support/zip.js';
import { writeThreadParts } from '../../bench/generate.js';
import { INBOX, partsIn, partsOf } from '../support/parallel-export.js';
import { reference } from '../support/reference-pipeline.js';

const ME = 'Ada Lovelace';
const THREADS = readdirSync(INBOX).sort(); // alice … heidi; dave_1004 (4th) has a broken message_2.json
const BAD = 'dave_1004';

const fixtureJobs = (): ThreadJob[] =>
  THREADS.map((thread, index) => ({ index, key: `inbox/${thread}`, parts: partsOf(thread).map((path): PartRef => ({ kind: 'file', path })) }));


interface Ran {
  text: string;
  summary: RunSummary;
  done: string[];
  writes: number[];
}

/** Run into a Writable (or, with `fn`, a function sink), recording writes and onThreadDone order. */
async function run(jobs: ThreadJob[], options: ConvertThreadsOptions, fn = false): Promise<Ran> {
  const chunks: Buffer[] = [];
  const writes: number[] = [];
  const done: string[] = [];
  const hooks = { onThreadDone: (job: ThreadJob) => void done.push(job.key), onBytes: (n: number) => void writes.push(n) };
  let summary: RunSummary;
  if (fn) {
    summary = await convertThreads(jobs, options, async (b) => void chunks.push(Buffer.from(b)), hooks);
  } else {
    const sink = new PassThrough({ highWaterMark: 1024 });
    sink.on('data', (c: Buffer) => chunks.push(c));
    summary = await convertThreads(jobs, options, sink, hooks);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), summary, done, writes };
}

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'fbstream-parallel-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Workers started while `fn` runs (process 'worker' event). */
async function watchWorkers<T>(fn: () => Promise<T>): Promise<{ value?: T; error?: unknown; workers: Worker[]; exited: Promise<unknown> }> {
  const workers: Worker[] = [];
  const exits: Promise<unknown>[] = [];
  const onWorker = (w: Worker) => {
    workers.push(w);
    exits.push(new Promise((resolve) => w.once('exit', resolve)));
  };
  process.on('worker', onWorker);
  try {
    return { value: await fn(), workers, exited: Promise.all(exits) };
  } catch (error) {
    return { error, workers, exited: Promise.all(exits) };
  } finally {
    process.off('worker', onWorker);
  }
}

/** The fixture jobs with parts moved into a zip: odd threads all but message_1, eve_1005 entirely. */
async function zippedJobs(dir: string): Promise<ThreadJob[]> {
  const archive = join(dir, 'export.zip');
  const files: { name: string; content: Buffer }[] = [];
  const toZip = (path: string, entry: string): PartRef => {
    files.push({ name: entry, content: readFileSync(path) });
    return { kind: 'zip', archive, entry };
  };
  const jobs = fixtureJobs().map((job, k): ThreadJob => ({
    ...job,
    parts: job.parts.map((part, i) => {
      if (part.kind !== 'file') return part;
      if (job.key === 'inbox/eve_1005') return toZip(part.path, `z/eve/message_${i + 1}.json`);
      return k % 2 === 1 && i > 0 ? toZip(part.path, `messages/${job.key}/message_${i + 1}.json`) : part;
    }),
  }));
  writeFileSync(archive, await yazlZip(files));
  return jobs;
}

t.test('jobs 1, 2, 3: the same bytes, in job order; the bad thread left out and reported', async (t) => {
  const dir = tempDir(t);
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  const options: StageOptions = { me: ME, window: 4, overlap: 1, tmpDir: tmp };
  const jobs = fixtureJobs();
  let want = '';
  for (const thread of THREADS) if (thread !== BAD) want += await reference(partsOf(thread), options);

  const one = await run(jobs, { ...options, jobs: 1 });
  t.equal(one.text, want, 'jobs 1: the threads in order, each as the one-pipeline path writes it');
  const at = THREADS.filter((x) => x !== BAD).map((thread) => one.text.indexOf(`"${thread} #`));
  t.ok(at.every((i, k) => i >= 0 && (k === 0 || i > at[k - 1]!)), `thread order kept (${at})`);
  t.notMatch(one.text, /dave_1004/);
  t.same(one.summary.failed.map((f) => [f.key, f.code]), [['inbox/dave_1004', 'FBS_JSON_SYNTAX']]);
  t.match(one.summary.failed[0]!.message, /message_2\.json/);
  t.equal(one.summary.threads, THREADS.length - 1);
  t.equal(one.summary.examples, want.split('\n').length - 1);
  t.equal(one.summary.bytes, Buffer.byteLength(want));
  t.ok(one.summary.assistantTurns > 0);
  t.ok(one.summary.people.includes('Alice Åberg') && one.summary.people.includes('Gina Gray'));
  t.notOk(one.summary.people.includes('Dave Dunn'), 'a failed thread adds nobody');
  t.same(one.done, jobs.map((j) => j.key), 'onThreadDone in job order, the failed one included');
  t.equal(one.writes.reduce((a, b) => a + b, 0), one.summary.bytes, 'onBytes adds up');

  // 2 workers, tiny pieces and no memory buffer at all: every piece goes through a spill file
  const two = await run(jobs, { ...options, jobs: 2, pieceBytes: 100, bufferBytes: 0, ahead: 2 }, true);
  t.equal(two.text, want, 'jobs 2 (everything spilled): same bytes');
  t.ok(two.writes.every((n) => n <= 100), 'written in pieces of at most pieceBytes');
  // spill files are copied out through one reused buffer: a sink that keeps the chunks it is
  // given (a PassThrough passes them on as they are) must get copies, a file gets the buffer
  const kept = await run(jobs, { ...options, jobs: 2, pieceBytes: 100, bufferBytes: 0, ahead: 2 });
  t.equal(kept.text, want, 'jobs 2, everything spilled, into a PassThrough whose chunks are kept: same bytes');
  const file = join(dir, 'out.ndjson');
  const fileSink = createWriteStream(file);
  await convertThreads(jobs, { ...options, jobs: 2, pieceBytes: 100, bufferBytes: 0, ahead: 2 }, fileSink);
  await new Promise((resolve) => fileSink.end(resolve));
  t.equal(readFileSync(file, 'utf8'), want, 'the same into a file');
  // pieces held in memory, written to a file, are filled again (Run.spare): only once written
  for (const jobsN of [1, 2]) {
    const held = join(dir, `held-${jobsN}.ndjson`);
    const heldSink = createWriteStream(held);
    await convertThreads(jobs, { ...options, jobs: jobsN, pieceBytes: 64, bufferBytes: 1 << 20 }, heldSink);
    await new Promise((resolve) => heldSink.end(resolve));
    t.equal(readFileSync(held, 'utf8'), want, `jobs ${jobsN}, pieces held then written to a file and reused: same bytes`);
  }
  // 3 workers, parts read from a zip, and threads split between the zip and the folder
  const zipped = await zippedJobs(dir);
  t.ok(zipped.some((j) => j.parts.some((p) => p.kind === 'zip') && j.parts.some((p) => p.kind === 'file')), 'some threads span both');
  t.ok(zipped.some((j) => j.parts.every((p) => p.kind === 'zip')), 'one thread only in the zip');
  const three = await run(zipped, { ...options, jobs: 3 });
  t.equal(three.text, want, 'jobs 3 (zip parts): same bytes');
  t.same(two.summary, one.summary, 'same summary');
  t.match(three.summary.failed[0]!.message, /export\.zip:messages\/inbox\/dave_1004\/message_2\.json/, 'the failure names the zip entry');
  t.same({ ...three.summary, failed: [] }, { ...one.summary, failed: [] }, 'same summary');
  t.same(two.done, one.done);
  t.same(three.done, one.done);
  t.same(readdirSync(tmp), [], 'no temporary file left');
});

t.test('a thread that emitted bytes before failing is left out whole (langchain, one session per file)', async (t) => {
  const options: StageOptions = { me: ME, preset: 'langchain', window: 2, overlap: 0 };
  const jobs = fixtureJobs();
  // jobs 1: the ordering is the same code with workers (they only move where pieces come from)
  const one = await run(jobs, { ...options, jobs: 1, pieceBytes: 64, bufferBytes: 2000 });
  t.notMatch(one.text, /dave_1004/, 'nothing of the failed thread, though its first part was converted');
  t.match(one.text, /heidi_1008/);
  t.same(one.summary.failed.map((f) => f.key), ['inbox/dave_1004']);
});

t.test('a thread larger than the buffer spills, and comes out whole and in order', async (t) => {
  const dir = tempDir(t);
  const big = join(dir, 'in', 'inbox', 'big_1');
  const stats = writeThreadParts(big, { size: 3_000_000, perPart: 4000, seed: 7 });
  t.ok(stats.parts >= 2);
  const jobs: ThreadJob[] = [
    { index: 0, key: 'inbox/big_1', parts: partsIn(big).map((path): PartRef => ({ kind: 'file', path })) },
    ...fixtureJobs().filter((j) => !j.key.includes(BAD)),
  ];
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  const options: StageOptions = { me: 'Ada Lovelace', tmpDir: tmp, memoryBytes: 1_000_000 };
  const pieceBytes = 32 * 1024;
  const bufferBytes = 128 * 1024;
  let spilled: string[] = [];
  const chunks: Buffer[] = [];
  const summary = await convertThreads(jobs, { ...options, jobs: 2, pieceBytes, bufferBytes }, async (b) => {
    if (chunks.length === 0) spilled = readdirSync(tmp).flatMap((d) => readdirSync(join(tmp, d)));
    t.ok(b.byteLength <= pieceBytes || (t.fail(`piece of ${b.byteLength}`), false));
    chunks.push(Buffer.from(b));
  });
  t.ok(spilled.includes('held.ndjson'), `the big thread's output past ${bufferBytes} bytes went to the spill file (${spilled})`);
  t.ok(summary.bytes > 4 * bufferBytes);
  const text = Buffer.concat(chunks).toString('utf8');
  const want = await reference(partsIn(big), options);
  t.equal(text.slice(0, want.length), want, 'the big thread first, whole');
  const one = await run(jobs, { ...options, jobs: 1 });
  t.equal(text, one.text, 'same bytes as jobs 1 with the default buffer');
  t.same(readdirSync(tmp), [], 'temporary files removed');
});

t.test('input bytes are reported as they are read: all of them, and during a thread', async (t) => {
  const dir = tempDir(t);
  const big = join(dir, 'inbox', 'big_1');
  writeThreadParts(big, { size: 2_000_000, perPart: 4000, seed: 3 });
  const jobs: ThreadJob[] = [{ index: 0, key: 'inbox/big_1', parts: partsIn(big).map((path): PartRef => ({ kind: 'file', path })) }, ...fixtureJobs()];
  const total = jobs.flatMap((j) => j.parts).reduce((n, p) => n + statSync((p as { path: string }).path).size, 0);
  for (const workers of [1, 2]) {
    const events: string[] = [];
    let read = 0;
    await convertThreads(jobs, { me: ME, jobs: workers }, new PassThrough().resume(), {
      onRead: (n) => ((read += n), events.push('read')),
      onThreadDone: () => void events.push('done'),
    });
    t.equal(read, total, `jobs ${workers}: every byte of every part`);
    // the 2 MB thread is read a block (256 KiB) at a time, each block reported
    if (workers === 1) t.ok(events.indexOf('read') >= 0 && events.indexOf('done') > events.indexOf('read') + 5, 'jobs 1: many reports before the first thread is done');
  }
});

t.test('jobs N: the calling thread and N - 1 workers; with resourceLimits, N workers; the same bytes', async (t) => {
  const one = await run(fixtureJobs(), { me: ME, jobs: 1 });
  const two = await watchWorkers(() => run(fixtureJobs(), { me: ME, jobs: 2 }));
  t.equal(two.workers.length, 1, 'jobs 2: one worker');
  const limited = await watchWorkers(() => run(fixtureJobs(), { me: ME, jobs: 2, resourceLimits: { maxOldGenerationSizeMb: 256 } }));
  t.equal(limited.workers.length, 2, 'jobs 2 with resourceLimits: two workers');
  await Promise.all([two.exited, limited.exited]);
  t.equal(two.value!.text, one.text);
  t.equal(limited.value!.text, one.text);
});

t.test('prestarted workers: the next run without resourceLimits takes them, the same bytes', async (t) => {
  const one = await run(fixtureJobs(), { me: ME, jobs: 1 });
  // 'worker' is emitted on the next tick
  const started = await watchWorkers(async () => (prestartWorkers(1), await new Promise(setImmediate)));
  t.equal(started.workers.length, 1, 'one worker started');
  t.equal(prestartWorkers(1), 1, 'none more: one is waiting');
  const limited = await watchWorkers(() => run(fixtureJobs(), { me: ME, jobs: 2, resourceLimits: { maxOldGenerationSizeMb: 256 } }));
  t.equal(limited.workers.length, 2, 'a run with resourceLimits starts its own');
  t.equal(prestartWorkers(0), 1, 'and leaves it waiting');
  const two = await watchWorkers(() => run(fixtureJobs(), { me: ME, jobs: 2 }));
  t.equal(two.workers.length, 0, 'jobs 2: no new worker');
  t.equal(prestartWorkers(0), 0, 'the waiting one was taken');
  await Promise.all([started.exited, limited.exited, two.exited]);
  t.equal(two.value!.text, one.text);
  t.equal(limited.value!.text, one.text);
  t.throws(() => prestartWorkers(-1), { code: 'FBS_INVALID_OPTION' });
});

t.test('workers waiting unused do not keep the process alive', async (t) => {
  const url = new URL('../../lib/export/parallel.ts', import.meta.url).href;
  // the child says when each worker is running, and when one dies (it must not: a worker that
  // failed to start would end the process for the wrong reason)
  // (a timer keeps the child alive until both run; then only the waiting workers could)
  const script = [
    `const keep = setInterval(() => {}, 1000);`,
    `process.on('worker', (w) => { w.on('online', () => console.log('online')); w.on('exit', (c) => console.log('exit', c)); });`,
    `const online = new Promise((resolve) => { let n = 0; process.on('worker', (w) => w.on('online', () => ++n === 2 && resolve())); });`,
    `(await import(${JSON.stringify(url)})).prestartWorkers(2);`,
    `await online;`,
    `clearInterval(keep);`,
    `console.log('idle');`,
  ].join('\n');
  const child = spawnSync(process.execPath, [...process.execArgv, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  t.equal(child.error, undefined, 'exits by itself (no timeout)');
  t.equal(child.status, 0, child.stderr);
  t.same(child.stdout.trim().split('\n'), ['online', 'online', 'idle'], 'both workers were running and none died');
});

t.test('abort mid-run: rejects, every worker exits, temporary files go', async (t) => {
  const dir = tempDir(t);
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  const big = join(dir, 'inbox', 'big_2');
  writeThreadParts(big, { size: 2_000_000, perPart: 3000, seed: 3 });
  const bigJob: ThreadJob = { index: 0, key: 'inbox/big_2', parts: partsIn(big).map((path): PartRef => ({ kind: 'file', path })) };
  const jobs = [...fixtureJobs(), ...Array.from({ length: 20 }, (_, i) => ({ ...bigJob, index: i + 10 }))];
  const ac = new AbortController();
  let bytes = 0;
  const watched = await watchWorkers(() =>
    convertThreads(jobs, { me: ME, jobs: 3, tmpDir: tmp, signal: ac.signal, memoryBytes: 500_000 }, async (b) => {
      bytes += b.byteLength;
      if (bytes > 200_000) ac.abort();
    }),
  );
  t.match(watched.error, { name: 'AbortError' });
  t.equal(watched.workers.length, 2, 'jobs 3: the calling thread and two workers');
  await watched.exited;
  t.ok(watched.workers.every((w) => w.threadId === -1), 'every worker has exited');
  t.same(readdirSync(tmp), [], 'temporary files removed');

  const pre = new AbortController();
  pre.abort();
  await t.rejects(convertThreads(jobs, { me: ME, jobs: 2, signal: pre.signal }, async () => {}), { name: 'AbortError' });
});

t.test('a failing sink stops the run', async (t) => {
  await t.rejects(
    convertThreads(fixtureJobs(), { me: ME, jobs: 1 }, async () => {
      throw new Error('disk full');
    }),
    { message: 'disk full' },
  );
  const sink = new Writable({ write: (_c, _e, cb) => cb(new Error('EPIPE-ish')) });
  await t.rejects(convertThreads(fixtureJobs(), { me: ME, jobs: 1 }, sink), { message: 'EPIPE-ish' });
});

t.test('a worker that runs out of memory: its thread fails, a new worker goes on', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'message_1.json');
  const msg = (i: number) => ({ sender_name: i % 2 ? ME : 'Bob', timestamp_ms: 1e12 + i, content: 'x'.repeat(45_000_000) });
  writeFileSync(path, JSON.stringify({ participants: [{ name: ME }, { name: 'Bob' }], messages: [msg(0), msg(1)] }));
  const [alice, bob, carol] = fixtureJobs();
  const jobs = [alice!, { index: 9, key: 'inbox/huge', parts: [{ kind: 'file', path } as PartRef] }, bob!, carol!];
  // 80 MB: room for a worker to start (under tap it also compiles TypeScript), not for both messages
  const r = await run(jobs, { me: ME, jobs: 2, resourceLimits: { maxOldGenerationSizeMb: 80 } });
  t.same(r.summary.failed.map((f) => [f.key, f.code]), [['inbox/huge', 'ERR_WORKER_OUT_OF_MEMORY']]);
  let want = '';
  for (const thread of THREADS.slice(0, 3)) want += await reference(partsOf(thread), { me: ME });
  t.equal(r.text, want, 'the other threads, in order');
});

t.test('reports merge in job order: counts summed, the first few places kept', async (t) => {
  const dir = tempDir(t);
  const jobs: ThreadJob[] = [];
  for (let k = 0; k < 3; ++k) {
    const path = join(dir, `bad-utf8-${k}.json`);
    const doc = JSON.stringify({ participants: [{ name: ME }, { name: 'Bob' }], messages: [0, 1, 2].map((i) => ({ sender_name: i % 2 ? ME : 'Bob', timestamp_ms: 1e12 - i, content: `m${i} @` })) });
    // two invalid UTF-8 bytes in each file, in separate chunks of the tokenizer's input
    writeFileSync(path, Buffer.from(doc.replace(/@/g, '\u0000'), 'utf8').map((b) => (b === 0 ? 0xff : b)));
    jobs.push({ index: k, key: `t${k}`, parts: [{ kind: 'file', path }] });
  }
  const r = await run([...jobs, ...fixtureJobs()], { me: ME, jobs: 1 });
  const reason = 'invalid UTF-8 sequences replaced';
  t.ok(r.summary.report.count(reason) >= 3, `${r.summary.report.count(reason)} counted`);
  t.same(r.summary.report.samples.get(reason), jobs.map((j) => (j.parts[0] as { path: string }).path), 'the first place of each, in job order');
  t.match(r.summary.report.lines(), [new RegExp(`^${reason}: \\d+ \\(`)]);
});

t.test('a sink that closes mid-run fails the run with FBS_IO', async (t) => {
  let n = 0;
  const sink = new Writable({
    highWaterMark: 16,
    write(_c, _e, cb) {
      if (++n === 2) return void this.destroy();
      setImmediate(cb);
    },
  });
  await t.rejects(convertThreads(fixtureJobs(), { me: ME, jobs: 1, pieceBytes: 64 }, sink), { code: 'FBS_IO' });
});

t.test('workers that cannot start fail the run', async (t) => {
  const watched = await watchWorkers(() => convertThreads(fixtureJobs(), { me: ME, jobs: 2, resourceLimits: { maxOldGenerationSizeMb: 2 } }, async () => {}));
  t.match(watched.error, { code: 'FBS_IO', message: /worker thread failed to start/ });
  await watched.exited;
  t.ok(watched.workers.every((w) => w.threadId === -1));
});

t.test('options and edge cases', async (t) => {
  await t.rejects(convertThreads([], { me: ME, jobs: 0 }, async () => {}), { code: 'FBS_INVALID_OPTION', message: /jobs/ });
  await t.rejects(convertThreads([], { me: ME, jobs: 2, pieceBytes: 2 }, async () => {}), { code: 'FBS_INVALID_OPTION' });
  await t.rejects(convertThreads([], { me: ME, jobs: 2, window: 0 }, async () => {}), { code: 'FBS_INVALID_OPTION' });
  const empty = await convertThreads([], { me: ME, jobs: 4 }, async () => {});
  t.same({ ...empty, report: undefined }, { threads: 0, examples: 0, assistantTurns: 0, people: [], failed: [], report: undefined, bytes: 0, counts: {} });
});
