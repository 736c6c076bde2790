/** lib/formats/output/openai.ts: OpenAI chat fine-tuning lines. */
import t from 'tap';
import fc from 'fast-check';
import { toOpenAiLine } from '../../../lib/formats/output/openai.js';
import { anyExample, example } from './examples.js';

t.test('openai: the weighted example of OpenAI\'s fine-tuning guide, byte for byte', async (t) => {
  // from OpenAI's guide ("Multi-turn chat examples"), compacted as JSON.stringify writes it
  const published = `{"messages": [{"role": "system", "content": "Marv is a factual chatbot that is also sarcastic."}, {"role": "user", "content": "What's the capital of France?"}, {"role": "assistant", "content": "Paris", "weight": 0}, {"role": "user", "content": "Can you be more sarcastic?"}, {"role": "assistant", "content": "Paris, as if everyone doesn't know that already.", "weight": 1}]}`;
  const line = toOpenAiLine(example(JSON.parse(published).messages));
  t.equal(line, JSON.stringify(JSON.parse(published)) + '\n');
});

t.test('openai: name kept as today, weight only when present', async (t) => {
  const line = toOpenAiLine(example([
    { role: 'user', content: 'hi', name: 'Bob' },
    { role: 'assistant', content: 'yo' },
  ]));
  t.equal(line, '{"messages":[{"role":"user","content":"hi","name":"Bob"},{"role":"assistant","content":"yo"}]}\n');
});

t.test('openai: sender and timestampMs are never written, and the other keys keep their order', async (t) => {
  const line = toOpenAiLine(example([
    { role: 'user', content: 'hi', name: 'Bob', sender: 'Bob B', timestampMs: 1 },
    { weight: 1, content: 'yo', role: 'assistant', sender: 'Ada', timestampMs: 2 } as never,
  ]));
  t.equal(line, '{"messages":[{"role":"user","content":"hi","name":"Bob"},{"role":"assistant","content":"yo","weight":1}]}\n');
});

t.test('openai: without stamps a line is JSON.stringify({messages}) exactly (the hot path), valid UTF-8, one line', async () => {
  fc.assert(
    fc.property(anyExample, (e) => {
      for (const m of e.messages) {
        delete m.sender;
        delete m.timestampMs;
      }
      const line = toOpenAiLine(e);
      return line === JSON.stringify({ messages: e.messages }) + '\n' && Buffer.from(line).toString() === line && line.indexOf('\n') === line.length - 1;
    }),
  );
});

t.test('openai: a lone surrogate is escaped, not replaced', async (t) => {
  const line = toOpenAiLine(example([{ role: 'user', content: 'a\ud800b' }, { role: 'assistant', content: '\udfff' }]));
  t.equal(line, '{"messages":[{"role":"user","content":"a\\ud800b"},{"role":"assistant","content":"\\udfff"}]}\n');
  t.equal(JSON.parse(line).messages[0].content, 'a\ud800b');
});
