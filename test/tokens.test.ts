/**
 * lib/tokens.ts: the model table (snapshots and ft: names by prefix, unknown models without a
 * limit), the cookbook's counts (hand-checked on tiny strings, and against gpt-tokenizer's own
 * encode on varied messages), and the UTF-8 upper bound (fast-check: never below the count).
 */
import t from 'tap';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as o200k from 'gpt-tokenizer/encoding/o200k_base';
import * as cl100k from 'gpt-tokenizer/encoding/cl100k_base';
import {
  countExampleTokens, countMessageTokens, loadEncoding, modelInfo, MODELS, upperBoundExampleTokens, upperBoundTokens,
} from '../lib/tokens.js';

const AS_TEXT = { disallowedSpecial: new Set<string>() };

t.test('modelInfo: the table, dated snapshots and ft: names by prefix, unknown models', async (t) => {
  const cases: [string, string, number | null, string | null][] = [
    ['gpt-4o', 'o200k_base', 65_536, 'gpt-4o'],
    ['gpt-4o-2024-08-06', 'o200k_base', 65_536, 'gpt-4o'],
    ['gpt-4o-mini', 'o200k_base', 65_536, 'gpt-4o-mini'],
    ['gpt-4o-mini-2024-07-18', 'o200k_base', 65_536, 'gpt-4o-mini'],
    ['gpt-4.1', 'o200k_base', 65_536, 'gpt-4.1'],
    ['gpt-4.1-2025-04-14', 'o200k_base', 65_536, 'gpt-4.1'],
    ['gpt-4.1-mini-2025-04-14', 'o200k_base', 65_536, 'gpt-4.1-mini'],
    ['gpt-4.1-nano', 'o200k_base', 32_768, 'gpt-4.1-nano'],
    ['gpt-4.1-nano-2025-04-14', 'o200k_base', 32_768, 'gpt-4.1-nano'],
    ['gpt-3.5-turbo', 'cl100k_base', 16_385, 'gpt-3.5-turbo'],
    ['gpt-3.5-turbo-0125', 'cl100k_base', 16_385, 'gpt-3.5-turbo'],
    ['ft:gpt-4o-mini-2024-07-18:acme::AbC123', 'o200k_base', 65_536, 'gpt-4o-mini'],
    ['ft:gpt-3.5-turbo-0125:acme:suffix:xyz', 'cl100k_base', 16_385, 'gpt-3.5-turbo'],
    ['GPT-4.1-Nano', 'o200k_base', 32_768, 'gpt-4.1-nano'],
    ['gpt-4', 'o200k_base', null, null], // not gpt-4o: prefixes end at a dash
    ['gpt-4oo', 'o200k_base', null, null],
    ['llama-3-8b', 'o200k_base', null, null],
    ['', 'o200k_base', null, null],
  ];
  for (const [name, encoding, limit, matched] of cases) t.same(modelInfo(name), { encoding, limit, matched }, name);
  t.same(Object.keys(MODELS).sort(), ['gpt-3.5-turbo', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'gpt-4o', 'gpt-4o-mini']);
});

t.test('tiny strings, counted by hand from their token ids', async (t) => {
  const o = await loadEncoding('o200k_base');
  const c = await loadEncoding('cl100k_base');
  // each id decodes to the piece written beside it: the split is the one we expect, so the count is
  t.same(o200k.encode('Hello world'), [13225, 2375]);
  t.same([o200k.decode([13225]), o200k.decode([2375])], ['Hello', ' world']);
  t.same(cl100k.encode('Hello world'), [9906, 1917]);
  t.same([cl100k.decode([9906]), cl100k.decode([1917])], ['Hello', ' world']);
  t.same(o200k.encode('assistant'), [173781], 'one token each: the roles');
  t.same(o200k.encode('user'), [1428]);
  t.same(cl100k.encode('assistant'), [78191]);
  t.same(cl100k.encode('user'), [882]);
  t.equal(o.count('Hello world'), 2);
  t.equal(c.count('Hello world'), 2);
  t.equal(o.count(''), 0);

  const example = [{ role: 'user', content: 'Hello world' }, { role: 'assistant', content: 'Hello world' }];
  // 3 + (3 + user 1 + 2) + (3 + assistant 1 + 2) + 3
  t.equal(countExampleTokens(example, o), 15);
  t.equal(countExampleTokens(example, c), 15);
  t.equal(countMessageTokens({ role: 'user', content: 'Hello world' }, o), 6);
  // a name: its tokens and 1 more ("Ada" is one token in o200k_base: [139151])
  t.same(o200k.encode('Ada'), [139151]);
  t.equal(countMessageTokens({ role: 'user', name: 'Ada', content: 'Hello world' }, o), 6 + 1 + 1);
  t.equal(countMessageTokens({ role: 'assistant', content: 'Hello world', weight: 0 }, o), 6, 'weight (a number) is not counted');
  t.equal(countExampleTokens([], o), 3);
});

t.test('special-token text is counted as text, not refused', async (t) => {
  const o = await loadEncoding('o200k_base');
  t.equal(o.count('<|endoftext|>'), o200k.encode('<|endoftext|>', AS_TEXT).length);
  t.ok(o.count('<|endoftext|>') > 1, 'not the one special token');
  t.throws(() => o200k.encode('<|endoftext|>'), 'gpt-tokenizer refuses it by default: the option matters');
});

/** The cookbook's num_tokens_from_messages, written out with gpt-tokenizer's encode. */
function cookbookCount(messages: Record<string, string>[], encode: (s: string) => number[]): number {
  let n = 0;
  for (const m of messages) {
    n += 3;
    for (const [k, v] of Object.entries(m)) {
      n += encode(v).length;
      if (k === 'name') n += 1;
    }
  }
  return n + 3;
}

const textArb = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.array(fc.constantFrom('Hello', ' world', '你好', '世界', '😀', '👩‍👩‍👧', 'é', '\n', '  ', "it's", '1234567', 'https://x.io/a?b=c'), { maxLength: 20 }).map((a) => a.join('')),
);
const messageArb = fc.record(
  { role: fc.constantFrom('system', 'user', 'assistant'), content: textArb, name: fc.stringMatching(/^[a-zA-Z0-9_-]{1,12}$/) },
  { requiredKeys: ['role', 'content'] },
);

t.test('countExampleTokens is the cookbook count, in both encodings', async (t) => {
  const o = await loadEncoding('o200k_base');
  const c = await loadEncoding('cl100k_base');
  fc.assert(
    fc.property(fc.array(messageArb, { maxLength: 6 }), (messages) => {
      assert.equal(countExampleTokens(messages, o), cookbookCount(messages, (s) => o200k.encode(s, AS_TEXT)));
      assert.equal(countExampleTokens(messages, c), cookbookCount(messages, (s) => cl100k.encode(s, AS_TEXT)));
    }),
    { numRuns: 200 },
  );
  t.pass('200 examples');
});

t.test('upperBoundTokens is the UTF-8 length and never below the count (emoji, CJK, lone surrogates)', async (t) => {
  const o = await loadEncoding('o200k_base');
  const c = await loadEncoding('cl100k_base');
  const anyText = fc.oneof(textArb, fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'binary-ascii', maxLength: 40 }));
  fc.assert(
    fc.property(anyText, (s) => {
      assert.equal(upperBoundTokens(s), Buffer.byteLength(s, 'utf8'));
      assert.ok(upperBoundTokens(s) >= o.count(s), 'o200k_base');
      assert.ok(upperBoundTokens(s) >= c.count(s), 'cl100k_base');
    }),
    { numRuns: 500 },
  );
  t.equal(upperBoundTokens('😀'), 4);
  t.equal(upperBoundTokens('你好'), 6);
  t.equal(upperBoundTokens('\ud800'), 3, 'a lone surrogate: U+FFFD');
  t.equal(upperBoundTokens(''), 0);
  fc.assert(
    fc.property(fc.array(messageArb, { maxLength: 6 }), (messages) => {
      assert.ok(upperBoundExampleTokens(messages) >= countExampleTokens(messages, o));
      assert.ok(upperBoundExampleTokens(messages) >= countExampleTokens(messages, c));
    }),
    { numRuns: 200 },
  );
});

t.test('loadEncoding: loaded once, named', async (t) => {
  const a = await loadEncoding('cl100k_base');
  t.equal(a.count, (await loadEncoding('cl100k_base')).count, 'the same counter');
  t.equal(a.name, 'cl100k_base');
  t.equal((await loadEncoding('o200k_base')).name, 'o200k_base');
});
