/** lib/formats/output/hf.ts: TRL's conversational `messages`. */
import t from 'tap';
import fc from 'fast-check';
import { toHfLine } from '../../../lib/formats/output/hf.js';
import { anyExample, example, keysOf } from './examples.js';

t.test('hf: the conversational language-modeling example of TRL\'s dataset formats guide, byte for byte', async (t) => {
  // TRL docs, "Dataset formats and types", conversational language modeling
  const published = `{"messages": [{"role": "user", "content": "What color is the sky?"}, {"role": "assistant", "content": "It is blue."}]}`;
  t.equal(toHfLine(example(JSON.parse(published).messages)), JSON.stringify(JSON.parse(published)) + '\n');
});

t.test('hf: role and content only; a named user turn keeps its name as a prefix, consecutive turns stay apart', async (t) => {
  const line = toHfLine(example([
    { role: 'system', content: 'Be Ada.' },
    { role: 'user', content: 'hi', name: 'Bob', sender: 'Bob B', timestampMs: 1 },
    { role: 'user', content: 'hey', name: 'Zoe' },
    { role: 'assistant', content: 'yo', weight: 1, name: 'Ada' },
  ]));
  t.equal(
    line,
    '{"messages":[{"role":"system","content":"Be Ada."},{"role":"user","content":"Bob: hi"},{"role":"user","content":"Zoe: hey"},{"role":"assistant","content":"yo"}]}\n',
  );
});

t.test('hf: every line is one valid UTF-8 JSON object, one entry per message, {role, content} only', async () => {
  fc.assert(
    fc.property(anyExample, (e) => {
      const line = toHfLine(e);
      const o = JSON.parse(line);
      return (
        Buffer.from(line).toString() === line &&
        line.indexOf('\n') === line.length - 1 &&
        keysOf(o).join() === 'messages' &&
        o.messages.length === e.messages.length &&
        o.messages.every((m: unknown, i: number) => keysOf(m).join() === 'role,content' && (m as { role: string }).role === e.messages[i]!.role)
      );
    }),
  );
});
