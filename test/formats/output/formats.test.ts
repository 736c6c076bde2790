/** lib/formats/output/index.ts and the serializer's dispatch to it. */
import t from 'tap';
import fc from 'fast-check';
import { OUTPUT_FORMATS, OUTPUT_FORMAT_NAMES, outputFormat } from '../../../lib/formats/output/index.js';
import { createSerializer, toOpenAiLine, type SerializerStats } from '../../../lib/core/serializer.js';
import { runStage } from '../../support/stage.js';
import { anyExample, counts, example } from './examples.js';

t.test('formats: the table names each format once; only openai writes weights, only text reads stamps', async (t) => {
  t.same(OUTPUT_FORMAT_NAMES, ['openai', 'hf', 'sharegpt', 'gemini', 'text']);
  for (const name of OUTPUT_FORMAT_NAMES) t.equal(outputFormat(name).name, name);
  t.same(OUTPUT_FORMAT_NAMES.filter((n) => OUTPUT_FORMATS[n].weights), ['openai']);
  t.same(OUTPUT_FORMAT_NAMES.filter((n) => OUTPUT_FORMATS[n].stamps), ['text']);
});

t.test('formats: an unknown format is an FBS_INVALID_OPTION error that lists the formats', async (t) => {
  for (const bad of ['jsonl', 'OpenAI', 'toString', '', 3, undefined]) {
    t.throws(() => outputFormat(bad), { code: 'FBS_INVALID_OPTION', message: /^Invalid option format: must be one of openai, hf, sharegpt, gemini, text, got / }, String(bad));
  }
  t.throws(() => createSerializer({ format: 'chatml' as never }), { code: 'FBS_INVALID_OPTION', option: 'format' });
});

t.test('formats: each writes one `\\n`-terminated valid UTF-8 JSON line per example it keeps', async () => {
  fc.assert(
    fc.property(anyExample, (e) => {
      for (const name of OUTPUT_FORMAT_NAMES) {
        const line = OUTPUT_FORMATS[name].line(e, counts());
        if (line === '') continue;
        if (line.indexOf('\n') !== line.length - 1 || Buffer.from(line).toString() !== line) return false;
        JSON.parse(line);
      }
      return true;
    }),
  );
});

t.test('serializer: the openai default is unchanged; a format is chosen by `format`, with what it left out counted', async (t) => {
  const batch = [
    example([{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }]),
    example([{ role: 'assistant', content: 'c' }, { role: 'user', content: 'd' }]),
    example([{ role: 'user', content: 'e' }, { role: 'assistant', content: 'f' }, { role: 'user', content: 'g' }]),
  ];
  const stats: SerializerStats = { examples: 0 };
  t.equal(runStage(createSerializer({ stats }), [batch]).join(''), batch.map(toOpenAiLine).join(''));
  t.same(stats, { examples: 3 }, 'openai writes every example and adds no counters');

  const gemini: SerializerStats = { examples: 0 };
  const text = runStage(createSerializer({ format: 'gemini', stats: gemini }), [batch, batch.slice(1)]).join('');
  t.equal(text, [
    '{"contents":[{"role":"user","parts":[{"text":"a"}]},{"role":"model","parts":[{"text":"b"}]}]}',
    '{"contents":[{"role":"user","parts":[{"text":"e"}]},{"role":"model","parts":[{"text":"f"}]}]}',
    '{"contents":[{"role":"user","parts":[{"text":"e"}]},{"role":"model","parts":[{"text":"f"}]}]}',
    '',
  ].join('\n'));
  t.same(gemini, { examples: 3, examplesSkipped: 2, turnsDropped: 2 });
});
