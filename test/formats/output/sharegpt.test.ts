/** lib/formats/output/sharegpt.ts: ShareGPT `conversations`. */
import t from 'tap';
import fc from 'fast-check';
import { toShareGptLine } from '../../../lib/formats/output/sharegpt.js';
import { anyExample, counts, example, keysOf } from './examples.js';

t.test('sharegpt: system, human, gpt as the ShareGPT shape writes them', async (t) => {
  const c = counts();
  const line = toShareGptLine(example([
    { role: 'system', content: 'You are Ada.' },
    { role: 'user', content: 'What color is the sky?' },
    { role: 'assistant', content: 'It is blue.', weight: 1 },
  ]), c);
  t.equal(line, '{"conversations":[{"from":"system","value":"You are Ada."},{"from":"human","value":"What color is the sky?"},{"from":"gpt","value":"It is blue."}]}\n');
  t.same(c, { examplesSkipped: 0, turnsDropped: 0 });
});

t.test('sharegpt: consecutive turns of a role joined, named ones prefixed; leading gpt and trailing human turns dropped and counted', async (t) => {
  const c = counts();
  const line = toShareGptLine(example([
    { role: 'assistant', content: 'unprompted' },
    { role: 'user', content: 'hi', name: 'Bob' },
    { role: 'user', content: 'hey', name: 'Zoe' },
    { role: 'assistant', content: 'yo' },
    { role: 'assistant', content: 'all well?' },
    { role: 'user', content: 'yes' },
    { role: 'user', content: 'and you?' },
  ]), c);
  t.equal(line, '{"conversations":[{"from":"human","value":"Bob: hi\\n\\nZoe: hey"},{"from":"gpt","value":"yo\\n\\nall well?"}]}\n');
  t.same(c, { examplesSkipped: 0, turnsDropped: 3 });
});

t.test('sharegpt: an example with no reply to a human turn is skipped and counted', async (t) => {
  const c = counts();
  t.equal(toShareGptLine(example([{ role: 'system', content: 's' }, { role: 'assistant', content: 'a' }, { role: 'user', content: 'u' }]), c), '');
  t.same(c, { examplesSkipped: 1, turnsDropped: 0 });
});

t.test('sharegpt: every line is valid UTF-8 JSON: optional system, then human, gpt, … alternating, ending on gpt', async () => {
  fc.assert(
    fc.property(anyExample, (e) => {
      const c = counts();
      const line = toShareGptLine(e, c);
      if (line === '') return c.examplesSkipped === 1;
      const o = JSON.parse(line);
      const froms: string[] = o.conversations.map((m: { from: string }) => m.from);
      if (froms[0] === 'system') froms.shift();
      return (
        Buffer.from(line).toString() === line &&
        line.indexOf('\n') === line.length - 1 &&
        keysOf(o).join() === 'conversations' &&
        o.conversations.every((m: unknown) => keysOf(m).join() === 'from,value') &&
        froms.length % 2 === 0 &&
        froms.length > 0 &&
        froms.every((f, i) => f === (i % 2 === 0 ? 'human' : 'gpt'))
      );
    }),
  );
});
