/**
 * A counting worker (lib/export/count-worker.ts) that dies: it takes every thread left, reports
 * none and throws, so the caller must read every thread it took (test/export/count-share.test.ts,
 * test/export/inspect.test.ts).
 */
import { parentPort } from 'node:worker_threads';
import type { ToCountWorker } from '../../lib/export/count-share.js';

parentPort!.on('message', (msg: ToCountWorker) => {
  if (msg.type !== 'count') return;
  Atomics.add(new Int32Array(msg.job.next), 0, msg.job.threads.length);
  throw new Error('count worker died');
});
