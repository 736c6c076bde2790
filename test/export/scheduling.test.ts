/** Which threads start first (startOrder), and how many a worker holds (workerTakes): lib/export/scheduler.ts. */
import t from 'tap';
import { startOrder, workerTakes } from '../../lib/export/scheduler.js';
import type { ThreadJob } from '../../lib/export/thread-job.js';

const jobs = (sizes: (number | undefined)[]): ThreadJob[] =>
  sizes.map((bytes, index) => ({ index, key: `inbox/t_${index}`, parts: [], ...(bytes !== undefined && { bytes }) }));

t.test('one worker: job order', async (t) => {
  t.same(startOrder(jobs([1, 500, 2]), 1), [0, 1, 2]);
});

t.test('big threads first, biggest first; the others after, in job order', async (t) => {
  // 2 workers: big = past 1/16 of the total (1,000 here)
  const sizes = [10, 10, 300, 10, 10, 10, 400, 10, 50, 10, 60, 130];
  t.same(startOrder(jobs(sizes), 2), [6, 2, 11, 0, 1, 3, 4, 5, 7, 8, 9, 10]);
});

t.test('equal big threads keep job order; sizes unknown count as small', async (t) => {
  t.same(startOrder(jobs([undefined, 100, 5, 100, undefined]), 2), [1, 3, 0, 2, 4]);
  t.same(startOrder(jobs([undefined, undefined]), 4), [0, 1]);
});

t.test('every job exactly once', async (t) => {
  const sizes = Array.from({ length: 200 }, (_, i) => ((i * 7919) % 997) * (i % 13 === 0 ? 50 : 1));
  for (const workers of [2, 3, 8]) {
    const order = startOrder(jobs(sizes), workers);
    t.same([...order].sort((a, b) => a - b), sizes.map((_, i) => i), `${workers} workers`);
  }
});

t.test('a worker holds at least 4 jobs, and more while those queued stay within 8 MiB of input, at most 64', async (t) => {
  const MiB = 1024 * 1024;
  t.ok(workerTakes(0, 500 * MiB), 'nothing held: it takes even a huge thread');
  t.ok(workerTakes(3, 400 * MiB), 'the fourth, whatever it holds');
  t.ok(workerTakes(4, 8 * MiB), 'a fifth within 8 MiB queued');
  t.notOk(workerTakes(4, 8 * MiB + 1), 'not past 8 MiB');
  t.ok(workerTakes(63, 1000), 'many short threads');
  t.notOk(workerTakes(64, 1000), 'but not more than 64');
});

t.test('near the end of a run a worker holding two jobs queues no more than its share of the input left', async (t) => {
  const MiB = 1024 * 1024;
  t.ok(workerTakes(2, 3 * MiB, 100 * MiB), 'far from the end: as before');
  t.notOk(workerTakes(2, 3 * MiB, 2 * MiB), 'past its share of what is left');
  t.notOk(workerTakes(3, 1000, 999), 'even under four held');
  t.ok(workerTakes(2, 2 * MiB, 2 * MiB), 'within its share');
  t.ok(workerTakes(1, 400 * MiB, 0), 'the one after the running job, whatever is left');
  t.ok(workerTakes(0, 500 * MiB, 0), 'nothing held: it takes any');
});
