/**
 * lib/export/header-prefix.ts: a header read without the tokenizer is the tokenizer's header, and
 * every fault the tokenizer finds in the text it is given is still found there, at the same offset.
 */
import fc from 'fast-check';
import t from 'tap';
import { headerFromPrefix, MORE, scanPrefix } from '../../lib/export/header-prefix.js';
import { createHeaderReader } from '../../lib/export/thread-header.js';

const KEYS = new Set(['participants', 'title', 'thread_path', 'threadName', 'thread_type']);

/** What a reader makes of `chunks`: its header (as JSON) or its fault, and what it read. */
function outcome(chunks: readonly (string | Uint8Array)[], tokenizeAll: boolean): string {
  const reader = createHeaderReader('t.json', { tokenizeAll });
  try {
    for (const c of chunks) if (reader.push(c)) break;
    const header = reader.end();
    return JSON.stringify({ header, titleAfter: reader.titleAfter, isGroup: reader.isGroup, bytes: reader.bytesRead });
  } catch (err) {
    const e = err as Error & { code?: string; offset?: number };
    return JSON.stringify({ code: e.code, message: e.message, offset: e.offset, bytes: reader.bytesRead });
  }
}

const classic = (n: number, extra = '') =>
  `{\n  "participants": [\n${Array.from({ length: n }, (_, i) => `    {\n      "name": "Person ${i} Nov\\u00c3\\u00a1k"\n    }`).join(',\n')}\n  ],${extra}\n  "messages": [\n    {\n      "sender_name": "Person 0",\n      "timestamp_ms": 1660990545235,\n      "content": "#28 caf\\u00c3\\u00a9 \\"quoted\\" [x] {y}",\n      "is_geoblocked_for_viewer": false\n    }\n  ],\n  "title": "Person 1",\n  "thread_path": "inbox/person_1"\n}\n`;
const e2ee = `\ufeff{"participants":["Ada Lovelace","Émile 🥳"],"threadName":"Émile_40","messages":[{"senderName":"Ada Lovelace","timestamp":1701907268243,"text":"#0 hi","type":"text","isUnsent":false,"media":[],"reactions":[]}]}`;

t.test('the usual headers are read without the tokenizer, as the tokenizer reads them', async (t) => {
  for (const text of [classic(2), classic(3, '\n  "thread_type": "RegularGroup",'), e2ee]) {
    t.ok(Array.isArray(headerFromPrefix(text, KEYS, 64)), 'answered');
    t.equal(outcome([text], false), outcome([text], true));
    t.equal(outcome([Buffer.from(text)], false), outcome([Buffer.from(text)], true));
  }
  // a group chat's participants past the first slice: held until the messages come
  const big = classic(40);
  t.equal(headerFromPrefix(big.slice(0, 512), KEYS, 64), 'more');
  t.ok(Array.isArray(headerFromPrefix(big, KEYS, 64)));
  t.equal(outcome([Buffer.from(big)], false), outcome([Buffer.from(big)], true));
});

t.test('left to the tokenizer: faults, and whatever it might read otherwise', async (t) => {
  const head = '{"participants":[{"name":"A"}],"messages":[';
  const cases: [string, string][] = [
    [`${head}{"a" 1}]}`, 'a fault after the messages key, in the same slice'],
    [`${head}{"a":01}]}`, 'a number with a leading zero'],
    [`${head}{"a":trux}]}`, 'a bad literal'],
    [`${head}{"a":"x\ty"}]}`, 'a control character in a string'],
    [`${head}{"a":"\\x"}]}`, 'a bad escape'],
    [`{"partic\\u0069pants":[{"name":"A"}],"messages":[]}`, 'a key written with escapes'],
    [`{"participants":[{"name":"\\ud83d\\ude00"}],"messages":[]}`, 'a surrogate written as escapes'],
    ['{"messages":[],"participants":[{"name":"A"}]}', 'participants after the messages'],
    ['{"participants":[{"name":"A"}]}', 'no messages'],
    ['[{"participants":[]}]', 'not an object'],
    ['{"participants":[{"name":"A"}],"messages":[]} x', 'text after the document'],
    [`{"participants":${'['.repeat(70)}${']'.repeat(70)},"messages":[]}`, 'nesting past the limit'],
  ];
  for (const [text, why] of cases) {
    t.equal(headerFromPrefix(text, KEYS, 64), null, why);
    t.equal(outcome([text], false), outcome([text], true), why);
  }
  // the tokenizer still says why, at the same offset, when the fault is right after the header
  t.match(JSON.parse(outcome([`${head}{"a" 1}]}`], false)), { code: 'FBS_JSON_SYNTAX', offset: 52 });
  // cut inside a string, a number, a literal, an escape: well-formed so far
  for (const cut of ['{"participants":[{"name":"A', '{"participants":[-', '{"participants":[12.', '{"participants":[1e+', '{"participants":[fal', '{"participants":["\\u00']) {
    t.equal(scanPrefix(cut), MORE, cut);
  }
  t.equal(scanPrefix('{"participants":[1.e5'), -1);
});

/** JSON-ish text: a thread's start, cut anywhere and with a character changed, inserted or removed. */
const mutated = fc
  .record({
    n: fc.integer({ min: 0, max: 12 }),
    group: fc.boolean(),
    name: fc.string({ unit: 'grapheme', maxLength: 12 }),
    indent: fc.constantFrom(0, 1, 2),
    cut: fc.integer({ min: 1, max: 1400 }),
    at: fc.nat(),
    edit: fc.constantFrom('none', 'replace', 'insert', 'delete'),
    ch: fc.constantFrom('"', '\\', '{', '}', '[', ']', ',', ':', ' ', '0', '-', '.', 'e', 't', 'n', '\t', 'x', '\u0001', '\ufeff', 'é', '🥳'),
    bom: fc.boolean(),
  })
  .map(({ n, group, name, indent, cut, at, edit, ch, bom }) => {
    const doc = {
      participants: Array.from({ length: n }, (_, i) => (group ? `${name} ${i}` : { name: `${name} ${i}` })),
      ...(group && { threadName: `${name}_4` }),
      messages: [{ sender_name: name, timestamp_ms: 1660990545235, content: `x ${name} "q" \\ [y]`, n: -1.5e-3, ok: true, none: null }],
      title: name,
    };
    let text = (bom ? '\ufeff' : '') + JSON.stringify(doc, null, indent).slice(0, cut);
    const i = at % (text.length + 1);
    if (edit === 'replace') text = text.slice(0, i) + ch + text.slice(i + 1);
    else if (edit === 'insert') text = text.slice(0, i) + ch + text.slice(i);
    else if (edit === 'delete') text = text.slice(0, i) + text.slice(i + 1);
    return text;
  });

t.test('property: the same header or the same fault, with or without the tokenizer, in any chunking', async (t) => {
  fc.assert(
    fc.property(mutated, fc.integer({ min: 1, max: 700 }), (text, size) => {
      const bytes = Buffer.from(text);
      const chunks = Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
      return outcome(chunks, false) === outcome(chunks, true) && outcome([text], false) === outcome([text], true);
    }),
    { numRuns: 4000 },
  );
  t.pass('no difference found');
});

t.test('property: a text answered is well-formed as far as it goes, for the tokenizer too', async (t) => {
  let answered = 0;
  fc.assert(
    fc.property(mutated, (text) => {
      const got = headerFromPrefix(text.slice(0, 512), KEYS, 64);
      if (!Array.isArray(got)) return true;
      ++answered;
      const reader = createHeaderReader('t.json', { tokenizeAll: true });
      return reader.push(text.slice(0, 512)) === true;
    }),
    { numRuns: 3000 },
  );
  t.ok(answered > 200, `answered ${answered} of 3000`);
});
