/** lib/streams/run-merger.ts: the run-merger's stream gives what its core gives, however the input is batched. */
import t from 'tap';
import { createRunMerger } from '../../lib/core/run-merger.js';
import { createRunMergerStream } from '../../lib/streams/run-merger.js';
import { sessioned } from '../support/sample-stages.js';
import { checkBatchings, failedOnce, failingRun, poisoned, runStage } from '../support/stage.js';

t.test('batches of one message and random batchings: the core\'s output on the whole input', async (t) => {
  const merged = runStage(createRunMerger(), [sessioned()]);
  t.ok(merged.some((turn) => turn.count > 2), 'the sample has runs to merge');
  for (const options of [{}, { strip: 'merge' as const, maxGapMs: 90_000 }, { merge: false }]) {
    await checkBatchings(t, { input: sessioned, core: () => createRunMerger(options), stream: () => createRunMergerStream(options) });
  }
});

t.test('an error inside the core reaches the stream and the pipeline callback once', async (t) => {
  const input = sessioned();
  const boom = new Error('poisoned message');
  const run = await failingRun(createRunMergerStream(), [input.slice(0, 10), [poisoned(input[10]!, 'text', boom)], input.slice(11)]);
  failedOnce(t, run, { message: 'poisoned message' });
});
