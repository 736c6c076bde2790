/**
 * lib/streams/serializer.ts: the serializer's stream gives the text its core gives, however the
 * input is batched (strings cut elsewhere, the same text), and emits strings, not arrays.
 */
import t from 'tap';
import { createSerializer } from '../../lib/core/serializer.js';
import { createSerializerStream } from '../../lib/streams/serializer.js';
import { examples } from '../support/sample-stages.js';
import { checkBatchings, failedOnce, failingRun, poisoned, streamRecords } from '../support/stage.js';

const text = (strings: string[]) => strings.join('');

t.test('batches of one example and random batchings: the core\'s text on the whole input', async (t) => {
  await checkBatchings(t, { input: examples, core: () => createSerializer(), stream: () => createSerializerStream(), view: text });
});

t.test('the stream emits strings of whole lines, and counts the examples', async (t) => {
  const stats = { examples: 0 };
  const input = examples();
  const out = await streamRecords<unknown>(createSerializerStream({ stats }), input.map((e) => [e]));
  t.ok(out.every((s) => typeof s === 'string' && s.endsWith('\n')));
  t.equal(stats.examples, input.length);
  t.equal(text(out as string[]).split('\n').length, input.length + 1);
});

t.test('an error inside the core reaches the stream and the pipeline callback once', async (t) => {
  const input = examples();
  const boom = new Error('poisoned example');
  const run = await failingRun(createSerializerStream(), [input.slice(0, 3), [poisoned(input[3]!, 'messages', boom)], input.slice(4)]);
  failedOnce(t, run, { message: 'poisoned example' });
  t.equal(run.records, 1, 'the first batch\'s text went through, nothing after the error');
});
