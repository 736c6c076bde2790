/**
 * lib/streams/order.ts: the order stage's stream gives what its core gives in memory, however the
 * input is batched, spilling to temporary files past a small budget; it leaves none behind.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { createOrder } from '../../lib/core/order/order.js';
import { createOrderStream } from '../../lib/streams/order.js';
import { createFileSpill } from '../../lib/streams/spill-files.js';
import { filtered } from '../support/sample-stages.js';
import { checkBatchings, failedOnce, failingRun, runStage } from '../support/stage.js';

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'fbstream-order-stream-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('batches of one message and random batchings: the core\'s output, in memory or spilled', async (t) => {
  const sorted = runStage(createOrder(), [filtered()]);
  t.not(sorted.map((m) => m.timestampMs).join(), filtered().map((m) => m.timestampMs).join(), 'the sample arrives out of order');
  const dir = tempDir(t);
  const noneLeft = () => t.same(readdirSync(dir), [], 'no temporary file left');
  await checkBatchings(t, { input: filtered, core: () => createOrder(), stream: () => createOrderStream({ dir }), after: noneLeft });
  let spills = 0;
  const spilling = () => {
    // the stream's own kind of store, made here to count its runs
    const files = createFileSpill({ dir });
    const spill = { ...files, writeBlocks: (blocks: readonly Uint8Array[], reverse: boolean) => (++spills, files.writeBlocks(blocks, reverse)) };
    return createOrderStream({ memoryBytes: 1024, spill });
  };
  await checkBatchings(t, { input: filtered, core: () => createOrder(), stream: spilling, after: noneLeft, numRuns: 10 });
  t.ok(spills > 0, 'runs were spilled to files');
});

t.test('an error inside the core (no folder for its runs) reaches the stream and the pipeline callback once', async (t) => {
  const input = filtered();
  const missing = join(tempDir(t), 'missing', 'folder');
  const run = await failingRun(createOrderStream({ memoryBytes: 1024, dir: missing }), input.map((m) => [m]));
  failedOnce(t, run, { code: 'FBS_IO' });
  t.equal(run.records, 0, 'nothing released: the thread was not complete');
});
