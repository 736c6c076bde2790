import assert from 'node:assert/strict';
import t from 'tap';
import { splitAt } from '../support/chunks.js';
import fc from 'fast-check';
import { createTokenizer, SLICE } from '../../lib/core/tokenizer.js';
import { DataError } from '../../lib/errors.js';
import type { TokenChunk } from '../../lib/types.js';
import { runStage } from '../support/stage.js';

const tokensOf = (chunks: TokenChunk[]) => chunks.flatMap((c) => c.tokens);
const tokenize = (parts: (string | Uint8Array)[], options = {}) => tokensOf(runStage(createTokenizer({ source: 'x.json', ...options }), parts));


t.test('packed values, no streamed pieces', async (t) => {
  t.same(tokenize(['{"a": [1, "x", true, null]}']), [
    { name: 'startObject' }, { name: 'keyValue', value: 'a' }, { name: 'startArray' },
    { name: 'numberValue', value: '1' }, { name: 'stringValue', value: 'x' }, { name: 'trueValue', value: true },
    { name: 'nullValue', value: null }, { name: 'endArray' }, { name: 'endObject' },
  ]);
});

t.test('several concatenated documents on one stream', async (t) => {
  const names = tokenize(['{"a":1}\n{"b":2} {"c":3}']).filter((x) => x.name === 'keyValue');
  t.same(names.map((x) => (x as { value: string }).value), ['a', 'b', 'c']);
});

t.test('token chunks carry the source and the byte offset of their input chunk', async (t) => {
  const out = runStage(createTokenizer({ source: 'a.json' }), ['{"a":', '"b"}']);
  t.same(out.map((c) => [c.source, c.offset]), [['a.json', 0], ['a.json', 5]]);
});

t.test('one byte at a time and random chunkings give the same tokens', async (t) => {
  const doc = Buffer.from('{"participants":[{"name":"Zo\\u00c3\\u00ab"}],"messages":[{"sender_name":"caf\u00e9 \ud83d\ude00","timestamp_ms":1600000000123,"content":"a\\"b\\\\c\\u0041"}],"n":-1.5e3}\n{"x":false}');
  const whole = tokenize([doc]);
  t.same(tokenize([...doc].map((b) => Buffer.from([b]))), whole, 'byte at a time');
  t.doesNotThrow(() => fc.assert(fc.property(fc.array(fc.nat(doc.length), { maxLength: 20 }), (cuts) => {
    assert.deepStrictEqual(tokenize(splitAt(doc, cuts)), whole);
  }), { numRuns: 200 }), 'random chunkings');
});

t.test('a byte-order mark at the start of a source is dropped', async (t) => {
  t.same(tokenize([Buffer.from([0xef, 0xbb]), Buffer.from([0xbf, 0x7b, 0x7d])]), [{ name: 'startObject' }, { name: 'endObject' }]);
});

t.test('invalid JSON: a coded error with the source and a byte offset', async (t) => {
  const cases: [string, string[]][] = [
    ['truncated', ['{"messages": [{"a": 1}']],
    ['mismatched', ['{"a": [1, 2}']],
    ['trailing garbage', ['{"a": 1} xyz']],
    ['truncated string', ['{"a": "abc']],
  ];
  for (const [name, parts] of cases) {
    let err: unknown;
    try {
      tokenize(parts);
    } catch (e) {
      err = e;
    }
    t.ok(err instanceof DataError, `${name}: a DataError`);
    t.equal((err as DataError).code, 'FBS_JSON_SYNTAX', `${name}: code`);
    t.equal((err as DataError).source, 'x.json', `${name}: source`);
    t.type((err as DataError).offset, 'number', `${name}: offset`);
    t.match((err as DataError).message, /^x\.json at byte \d+: invalid JSON/, `${name}: message`);
  }
});

t.test('the offset of a syntax error is within one slice of the fault', async (t) => {
  const good = '{"a": [' + '1, '.repeat(30_000);
  const bad = good + '}';
  try {
    tokenize([bad]);
    t.fail('should throw');
  } catch (e) {
    const offset = (e as DataError).offset!;
    t.ok(offset >= good.length && offset <= good.length + SLICE, `offset ${offset} near ${good.length}`);
  }
  try {
    tokenize(['{"a": [1, 2']);
  } catch (e) {
    t.equal((e as DataError).offset, 11, 'truncation is reported at the end of the input');
  }
});

t.test('empty and whitespace-only input', async (t) => {
  for (const parts of [[], [''], ['  \n\t ']]) {
    t.throws(() => tokenize(parts), { code: 'FBS_EMPTY_INPUT', source: 'x.json' });
  }
});

t.test('a value longer than maxValueLength fails with FBS_LIMIT instead of growing', async (t) => {
  const parts = ['{"a": "', ...Array.from({ length: 10 }, () => 'x'.repeat(500)), '"}'];
  t.throws(() => tokenize(parts, { maxValueLength: 1000 }), { code: 'FBS_LIMIT' });
  t.equal(tokenize(parts, { maxValueLength: 10_000 }).length, 4, 'fine under the cap');
  t.throws(() => createTokenizer({ maxValueLength: 0 }), { code: 'FBS_INVALID_OPTION' });
});

t.test('invalid UTF-8 is replaced and counted, a literal U+FFFD is not counted', async (t) => {
  const seen: number[] = [];
  const bytes = Buffer.concat([Buffer.from('{"a": "x'), Buffer.from([0xff, 0xfe]), Buffer.from('\ufffd"}')]);
  const tokens = tokenize([bytes], { onInvalidUtf8: (n: number) => seen.push(n) });
  t.same(seen, [2]);
  t.equal((tokens[2] as { value: string }).value, 'x\ufffd\ufffd\ufffd');
});

t.test('a multi-byte character split across chunks survives', async (t) => {
  const bytes = Buffer.from('{"a": "caf\u00e9 \ud83d\ude00"}');
  const at = bytes.indexOf(0xf0) + 2;
  const tokens = tokenize([bytes.subarray(0, at), bytes.subarray(at)]);
  t.equal((tokens[2] as { value: string }).value, 'caf\u00e9 \ud83d\ude00');
});

t.test('nothing more after an error', async (t) => {
  const tok = createTokenizer();
  t.throws(() => tok.push('{"a": ]'));
  t.same(tok.push('{}'), []);
  t.same(tok.flush(), []);
});
