/** lib/streams/dedupe.ts: the dedupe stage's stream gives what its core gives, however the input is batched. */
import t from 'tap';
import { createDedupe } from '../../lib/core/dedupe.js';
import { createDedupeStream } from '../../lib/streams/dedupe.js';
import { ordered } from '../support/sample-stages.js';
import { checkBatchings, failedOnce, failingRun, poisoned, runStage } from '../support/stage.js';

t.test('batches of one message and random batchings: the core\'s output on the whole input', async (t) => {
  t.equal(runStage(createDedupe(), [ordered()]).length, ordered().length - 1, 'the sample holds one copy, between two batches if cut there');
  await checkBatchings(t, { input: ordered, core: () => createDedupe(), stream: () => createDedupeStream() });
});

t.test('an error inside the core reaches the stream and the pipeline callback once', async (t) => {
  const input = ordered();
  const boom = new Error('poisoned message');
  const run = await failingRun(createDedupeStream(), [input.slice(0, 10), [poisoned(input[10]!, 'thread', boom)], input.slice(11)]);
  failedOnce(t, run, { message: 'poisoned message' });
});
