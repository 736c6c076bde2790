/** lib/formats/output/gemini.ts: Vertex AI supervised tuning lines. */
import t from 'tap';
import fc from 'fast-check';
import { toGeminiLine } from '../../../lib/formats/output/gemini.js';
import { anyExample, counts, example, keysOf } from './examples.js';

t.test('gemini: the multi-turn example of Vertex AI\'s text tuning guide, byte for byte', async (t) => {
  // Vertex AI "Text tuning", dataset example, compacted as JSON.stringify writes it
  const published =
    '{"systemInstruction":{"role":"system","parts":[{"text":"You are a pirate dog named Captain Barktholomew."}]},"contents":[{"role":"user","parts":[{"text":"Hi"}]},{"role":"model","parts":[{"text":"Argh! What brings ye to my ship?"}]},{"role":"user","parts":[{"text":"What\'s your name?"}]},{"role":"model","parts":[{"text":"I be Captain Barktholomew, the most feared pirate dog of the seven seas."}]}]}';
  const c = counts();
  const line = toGeminiLine(example([
    { role: 'system', content: 'You are a pirate dog named Captain Barktholomew.' },
    { role: 'user', content: 'Hi' },
    { role: 'assistant', content: 'Argh! What brings ye to my ship?' },
    { role: 'user', content: "What's your name?" },
    { role: 'assistant', content: 'I be Captain Barktholomew, the most feared pirate dog of the seven seas.' },
  ]), c);
  t.equal(line, published + '\n');
  t.same(c, { examplesSkipped: 0, turnsDropped: 0 });
});

t.test('gemini: no systemInstruction without a system message', async (t) => {
  t.equal(toGeminiLine(example([{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Yo' }]), counts()), '{"contents":[{"role":"user","parts":[{"text":"Hi"}]},{"role":"model","parts":[{"text":"Yo"}]}]}\n');
});

t.test('gemini: consecutive turns joined, empty ones and those outside user … model dropped and counted', async (t) => {
  const c = counts();
  const line = toGeminiLine(example([
    { role: 'assistant', content: 'unprompted' },
    { role: 'user', content: 'hi', name: 'Bob' },
    { role: 'assistant', content: '' },
    { role: 'user', content: 'hey', name: 'Zoe' },
    { role: 'assistant', content: 'yo', weight: 0 },
    { role: 'user', content: 'bye' },
  ]), c);
  t.equal(line, '{"contents":[{"role":"user","parts":[{"text":"Bob: hi\\n\\nZoe: hey"}]},{"role":"model","parts":[{"text":"yo"}]}]}\n');
  t.same(c, { examplesSkipped: 0, turnsDropped: 3 });
});

t.test('gemini: an example without a model turn after a user turn is skipped and counted', async (t) => {
  const c = counts();
  t.equal(toGeminiLine(example([{ role: 'user', content: 'u' }, { role: 'assistant', content: '' }]), c), '');
  t.same(c, { examplesSkipped: 1, turnsDropped: 0 });
});

t.test('gemini: every line is valid UTF-8 JSON: user, model, … alternating, ending on model, no empty text', async () => {
  fc.assert(
    fc.property(anyExample, (e) => {
      const c = counts();
      const line = toGeminiLine(e, c);
      if (line === '') return c.examplesSkipped === 1;
      const o = JSON.parse(line);
      const system = o.systemInstruction;
      const contents: { role: string; parts: { text: string }[] }[] = o.contents;
      return (
        Buffer.from(line).toString() === line &&
        line.indexOf('\n') === line.length - 1 &&
        keysOf(o).join() === (system === undefined ? 'contents' : 'systemInstruction,contents') &&
        (system === undefined || (system.role === 'system' && system.parts.length === 1 && keysOf(system.parts[0]).join() === 'text')) &&
        contents.length % 2 === 0 &&
        contents.every((m, i) => keysOf(m).join() === 'role,parts' && m.role === (i % 2 === 0 ? 'user' : 'model') && m.parts.length === 1 && keysOf(m.parts[0]).join() === 'text' && m.parts[0]!.text !== '')
      );
    }),
  );
});
