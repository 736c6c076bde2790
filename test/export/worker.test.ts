/**
 * lib/export/worker.ts, spoken to directly: its credit counts output bytes in flight, not pieces.
 * Runs the worker through the same TypeScript loader as this file (Worker inherits execArgv).
 */
import { normalizeStageOptions } from '../../lib/options.js';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import t from 'tap';
import type { ThreadJob } from '../../lib/export/thread-job.js';
import type { FromWorker, ToWorker } from '../../lib/export/protocol.js';

const INBOX = fileURLToPath(new URL('../fixtures/parallel/export/messages/inbox/', import.meta.url));
const WORKER = new URL('../../lib/export/worker.ts', import.meta.url);
// dave_1004 fails halfway; the others are short threads, one short piece each
const THREADS = readdirSync(INBOX)
  .filter((d) => d !== 'dave_1004')
  .sort();
const jobs: ThreadJob[] = THREADS.map((d, index) => ({ index, key: `inbox/${d}`, parts: [{ kind: 'file', path: join(INBOX, d, 'message_1.json') }] }));

/** A worker given `jobs` with this credit, whose messages are kept in `got`. */
function start(pieceBytes: number, credit: number) {
  const worker = new Worker(WORKER, { stdout: true });
  const got: FromWorker[] = [];
  let waiter: { until: () => boolean; resolve: () => void } | null = null;
  worker.on('message', (msg: FromWorker) => {
    got.push(msg);
    if (waiter?.until()) waiter.resolve();
  });
  const post = (msg: ToWorker) => worker.postMessage(msg);
  post({ type: 'init', init: { options: normalizeStageOptions({ me: 'Ada Lovelace' }), pieceBytes, credit } });
  for (const job of jobs) post({ type: 'job', id: job.index, job });
  const pieces = () => got.flatMap((m) => (m.type === 'piece' ? [m] : []));
  const dones = () => got.filter((m) => m.type === 'done').length;
  /**
   * Resolves once `until()` holds, or after `ms` (then the test sees what came). The worker loads
   * its modules through the test runner's TypeScript loader first: seconds on a busy machine.
   */
  const settle = (until: () => boolean, ms = 60_000) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      const done = () => (clearTimeout(timer), resolve());
      if (until()) done();
      else waiter = { until, resolve: done };
    });
  return { worker, post, got, pieces, dones, settle };
}

t.test('short pieces count by their size: the short threads all go out within one piece of credit, unacknowledged', async (t) => {
  const w = start(1024 * 1024, 1);
  t.teardown(() => w.worker.terminate());
  await w.settle(() => w.dones() === jobs.length);
  t.equal(w.dones(), jobs.length, 'every job done without an ack');
  const pieces = w.pieces();
  t.equal(pieces.length, jobs.length, 'one short piece each');
  const bytes = pieces.reduce((n, p) => n + p.bytes.byteLength, 0);
  t.ok(bytes > 0 && bytes < 1024 * 1024, `${bytes} bytes in flight, within the credit`);
});

t.test('past the credit in bytes the worker waits for acks, and goes on with each', async (t) => {
  // learn the pieces' sizes, then give credit for about half of them
  const free = start(1024 * 1024, 1);
  await free.settle(() => free.dones() === jobs.length);
  const sizes = free.pieces().map((p) => p.bytes.byteLength);
  await free.worker.terminate();
  const total = sizes.reduce((a, b) => a + b, 0);
  t.ok(sizes.length === jobs.length && total < 1024 * 1024, 'the fixture: short threads, one piece each');

  // a budget (credit 1 × pieceBytes) of half their bytes
  const budget = Math.floor(total / 2);
  const w = start(budget, 1);
  t.teardown(() => w.worker.terminate());
  await w.settle(() => w.pieces().length > 0);
  await w.settle(() => false, 300); // time for more to come, if the worker went on
  const before = w.pieces();
  const inFlight = before.reduce((n, p) => n + p.bytes.byteLength, 0);
  t.ok(before.length >= 1, 'the first piece goes whatever its size');
  t.ok(before.length < jobs.length, `stopped after ${before.length} of ${jobs.length} threads' pieces`);
  t.ok(before.length === 1 || inFlight <= budget, `${inFlight} bytes in flight, budget ${budget}`);
  t.ok(w.dones() < jobs.length, 'not all done');

  // ack everything as it comes: the rest follow
  let acked = 0;
  const ackAll = () => {
    for (const p of w.pieces().slice(acked)) w.post({ type: 'ack', size: p.bytes.byteLength });
    acked = w.pieces().length;
  };
  w.worker.on('message', ackAll);
  ackAll();
  await w.settle(() => w.dones() === jobs.length);
  t.equal(w.dones(), jobs.length, 'all done once acked');
  // output bytes identical to the run with ample credit (pieces may be cut differently)
  const joined = (list: { bytes: ArrayBuffer }[]) => Buffer.concat(list.map((p) => Buffer.from(p.bytes))).toString('utf8');
  t.equal(joined(w.pieces()), joined(free.pieces()), 'the same output');
});
