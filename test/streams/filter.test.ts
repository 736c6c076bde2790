/** lib/streams/filter.ts: the filter's stream gives what its core gives, however the input is batched. */
import t from 'tap';
import { createFilter } from '../../lib/core/filter.js';
import { createFilterStream } from '../../lib/streams/filter.js';
import { FILTER, decoded } from '../support/sample-stages.js';
import { checkBatchings, failedOnce, failingRun, poisoned, runStage } from '../support/stage.js';

t.test('batches of one message and random batchings: the core\'s output on the whole input', async (t) => {
  const kept = runStage(createFilter(FILTER), [decoded()]);
  t.ok(kept.length > 40 && kept.length < decoded().length, `the sample leaves some out (${kept.length} of ${decoded().length})`);
  await checkBatchings(t, { input: decoded, core: () => createFilter(FILTER), stream: () => createFilterStream(FILTER) });
});

t.test('an error inside the core reaches the stream and the pipeline callback once', async (t) => {
  const input = decoded();
  const boom = new Error('poisoned message');
  const run = await failingRun(createFilterStream(FILTER), [input.slice(0, 10), [poisoned(input[10]!, 'text', boom)], input.slice(11)]);
  failedOnce(t, run, { message: 'poisoned message' });
  t.ok(run.records > 0, 'the messages before it went through');
});
