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

t.test('input that stops inside a document says so, at its end, however it was cut', async (t) => {
  const whole = Buffer.from('{"participants":[{"name":"A"}],"messages":[{"sender_name":"A","content":"x\\u00c3');
  for (const end of [whole.length, whole.indexOf('"content"'), whole.indexOf('[{"sender')]) {
    const doc = whole.subarray(0, end);
    for (const parts of [[doc], [...doc].map((b) => Buffer.from([b]))]) {
      t.throws(() => tokenize(parts), { code: 'FBS_JSON_SYNTAX', offset: doc.length, message: `x.json at byte ${doc.length}: invalid JSON: the input ends inside a document (truncated?)` });
      t.throws(() => tokenize(parts, { fastMessages: true }), { code: 'FBS_JSON_SYNTAX', offset: doc.length, message: /the input ends inside a document \(truncated\?\)$/ }, 'through the message scanner too');
    }
  }
  t.throws(() => tokenize(['{"a": [1, 2}']), { message: /invalid JSON: parser /, offset: 11 }, 'a wrong byte before the end: the parser\'s words, where it is');
});

t.test('the offset of a syntax error is the byte refused', async (t) => {
  const good = '{"a": [' + '1, '.repeat(30_000);
  const bad = good + '}' + ' '.repeat(3 * SLICE);
  try {
    tokenize([bad]);
    t.fail('should throw');
  } catch (e) {
    t.equal((e as DataError).offset, good.length);
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

t.test('a byte-order mark at the start of a later document (cat a.json b.json) is dropped like the first', async (t) => {
  const a = Buffer.from('{"participants":[{"name":"Ada"}],"messages":[{"sender_name":"Ada","timestamp_ms":1,"content":"h\u00e9"}]}\n');
  const b = Buffer.from('{"messages":[{"sender_name":"Zo\u00eb","timestamp_ms":2,"content":"x\ufeffy"}],"title":"t"}');
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  // the same tokens; the messages' byte offsets move by the BOMs' bytes, as they should
  const withoutOffsets = (parts: Buffer[], fastMessages: boolean) => tokenize(parts, { fastMessages }).map((x) => ({ ...x, offset: undefined }));
  for (const fastMessages of [true, false]) {
    const plain = withoutOffsets([Buffer.concat([a, b])], fastMessages);
    for (const doc of [Buffer.concat([bom, a, bom, b]), Buffer.concat([a, bom, b]), Buffer.concat([a.subarray(0, -1), bom, Buffer.from('\n'), b])]) {
      t.same(withoutOffsets([doc], fastMessages), plain, `whole (fastMessages ${fastMessages})`);
      t.same(withoutOffsets([...doc].map((x) => Buffer.from([x])), fastMessages), plain, `one byte at a time (fastMessages ${fastMessages})`);
      t.doesNotThrow(() => fc.assert(fc.property(fc.array(fc.nat(doc.length), { maxLength: 12 }), (cuts) => {
        assert.deepStrictEqual(withoutOffsets(splitAt(doc, cuts), fastMessages), plain);
      }), { numRuns: 100 }), `random chunkings (fastMessages ${fastMessages})`);
    }
  }
  t.throws(() => tokenize(['{"a":\ufeff1}']), { code: 'FBS_JSON_SYNTAX', offset: 5 }, 'inside a document it is still an error, at its byte');
});

t.test('error offsets are the byte of the fault, however the input is cut', async (t) => {
  const padding = '{"sender_name":"Ada","timestamp_ms":1,"content":"hello there"},'.repeat(2000);
  const cases: { name: string; text: string; at: number; code: string; options?: object }[] = [];
  const lateSyntax = `{"messages":[${padding}{"content":"x" "y"}],"title":"t"}` + ' '.repeat(40_000);
  cases.push({ name: 'a syntax error late in the messages', text: lateSyntax, at: lateSyntax.indexOf('"y"'), code: 'FBS_JSON_SYNTAX' });
  const afterMessages = `{"messages":[${padding}{"content":"end"}],"magic_words":[` + '1,'.repeat(20_000) + '1}, "title": "t"}' + ' '.repeat(40_000);
  cases.push({ name: 'a syntax error late, outside the messages', text: afterMessages, at: afterMessages.indexOf('1}'), code: 'FBS_JSON_SYNTAX' });
  const deep = `{"participants":[],"messages":[],"x":` + '['.repeat(100_000);
  cases.push({ name: 'deep nesting under a key', text: deep, at: deep.indexOf('[[') + 255, code: 'FBS_LIMIT' });
  const deepMessage = `{"messages":[${padding}{"x":` + '['.repeat(100_000);
  cases.push({ name: 'deep nesting in a message', text: deepMessage, at: deepMessage.indexOf('[[') + 253, code: 'FBS_LIMIT' });
  const longTitle = `{"participants":[],"title":"${'x'.repeat(50_000)}","messages":[]}`;
  cases.push({ name: 'an over-long string', text: longTitle, at: longTitle.indexOf('"x'), code: 'FBS_LIMIT', options: { maxValueLength: 1000 } });
  const shortTitle = `{"participants":[],"title":"${'x'.repeat(3000)}","messages":[]}`;
  cases.push({ name: 'an over-long string within one slice', text: shortTitle, at: shortTitle.indexOf('"x'), code: 'FBS_LIMIT', options: { maxValueLength: 1000 } });
  const longContent = `{"messages":[${padding}{"content":"${'y'.repeat(50_000)}"}]}`;
  cases.push({ name: 'an over-long string in a message', text: longContent, at: longContent.indexOf('"yy'), code: 'FBS_LIMIT', options: { maxValueLength: 1000 } });
  for (const { name, text, at, code, options } of cases) {
    const bytes = Buffer.from(text);
    for (const fastMessages of [true, false]) {
      for (const size of [bytes.length, 32 * 1024, 4093]) {
        const parts = Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
        const err = (() => {
          try {
            tokenize(parts, { ...options, fastMessages });
          } catch (e) {
            return e as DataError;
          }
          return undefined;
        })();
        t.equal(err?.code, code, `${name}: ${code}`);
        t.ok(err?.offset !== undefined && Math.abs(err.offset - at) <= 2, `${name} (fastMessages ${fastMessages}, chunks of ${size}): offset ${err?.offset}, fault at ${at}`);
      }
    }
  }
});
