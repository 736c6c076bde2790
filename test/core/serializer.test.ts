/** lib/core/serializer.ts: examples to NDJSON lines. */
import t from 'tap';
import { createSerializer } from '../../lib/core/serializer.js';
import { threadInfo } from '../support/messages.js';
import { runStage } from '../support/stage.js';

t.test('serializer: one line per example, valid JSON even for lone surrogates', async (t) => {
  const stats = { examples: 0 };
  const th = threadInfo();
  const meta = { session: 0, firstTimestampMs: 0, lastTimestampMs: 0 };
  const [text] = runStage(createSerializer({ stats }), [[
    { thread: th, messages: [{ role: 'user', content: 'a\n"b"' }, { role: 'assistant', content: 'x\ud800', name: undefined as never }], meta },
    { thread: th, messages: [{ role: 'user', content: 'c', name: 'Bob' }, { role: 'assistant', content: 'd' }], meta },
  ]]);
  const lines = text!.split('\n');
  t.equal(lines.pop(), '', 'newline terminated');
  t.same(lines.map((l) => JSON.parse(l)), [
    { messages: [{ role: 'user', content: 'a\n"b"' }, { role: 'assistant', content: 'x\ud800' }] },
    { messages: [{ role: 'user', content: 'c', name: 'Bob' }, { role: 'assistant', content: 'd' }] },
  ]);
  t.ok(Buffer.from(text!, 'utf8').toString('utf8') === text, 'round-trips as UTF-8');
  t.equal(stats.examples, 2);
});

t.test('serializer: a big batch comes out as several strings of whole lines, each cut soon after 16 Ki chars', async (t) => {
  const th = threadInfo();
  const meta = { session: 0, firstTimestampMs: 0, lastTimestampMs: 0 };
  const batch = Array.from({ length: 400 }, (_, i) => ({ thread: th, messages: [{ role: 'user' as const, content: `${i} 🎉 ${'y'.repeat(i)}` }, { role: 'assistant' as const, content: 'ok' }], meta }));
  const out = runStage(createSerializer(), [batch]);
  const longest = Math.max(...batch.map((e) => JSON.stringify({ messages: e.messages }).length + 1));
  t.ok(out.length > 3, `${out.length} strings`);
  t.ok(out.every((s) => s.endsWith('\n') && s.length < 16 * 1024 + longest), `lengths ${out.map((s) => s.length)}`);
  t.same(out.join('').split('\n').slice(0, -1).map((l) => JSON.parse(l)), batch.map((e) => ({ messages: e.messages })));
});
