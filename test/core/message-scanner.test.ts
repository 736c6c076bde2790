/**
 * The fast path (message scanner + JSON.parse) against stream-json alone: a specialised path must
 * give identical messages on every input, and the same kind of error where it fails
 * (docs/performance.md#tokenizer).
 */
import assert from 'node:assert/strict';
import t from 'tap';
import { splitAt } from '../support/chunks.js';
import fc from 'fast-check';
import { createDecoder } from '../../lib/core/decoder.js';
import { createTokenizer } from '../../lib/core/tokenizer.js';
import { Report } from '../../lib/report.js';
import type { Message, TokenChunk } from '../../lib/types.js';
import { metaJson } from '../support/messages.js';
import { runStage } from '../support/stage.js';

type Outcome = { messages: unknown[]; report: [string, number][] } | { error: string };

function decodeWith(fastMessages: boolean, parts: Buffer[]): Outcome {
  const report = new Report();
  try {
    const chunks = runStage(createTokenizer({ source: 'x.json', fastMessages }), parts);
    const messages = runStage(createDecoder({ report }), chunks.map((c): TokenChunk[] => [c]));
    return { messages: messages.map(plain), report: [...report.counts] };
  } catch (err) {
    return { error: (err as { code?: string }).code ?? String(err) };
  }
}

/** A message without its ThreadInfo reference, plus the thread's fields. */
function plain(m: Message) {
  const { thread, ...rest } = m;
  return { ...rest, thread: { ...thread } };
}


const same = (text: string | Buffer, cuts: number[] = []) => {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const fast = decodeWith(true, splitAt(bytes, cuts));
  const slow = decodeWith(false, [bytes]);
  assert.deepEqual(fast, slow);
  return fast;
};

t.test('the same messages on hand-written documents, whole and byte by byte', async (t) => {
  const docs = [
    metaJson({ participants: [{ name: 'Zoë' }], messages: [{ sender_name: 'Zoë', timestamp_ms: 2, content: 'a "quoted" \\ back\\\\slash }]' }, { sender_name: 'A', timestamp_ms: 1, photos: [{ uri: 'x' }], content: '[{' }], title: 't', thread_path: 'inbox/t_1' }),
    '{"messages": []}',
    '{"messages":[],"title":"x"} {"messages" : [ {"sender_name":"a","timestamp_ms":1,"content":"x"} ] }',
    '{"title": "messages", "x": ["messages"], "messages": [1, "two", null, true, [3], {"sender_name": "a", "timestamp_ms": 5}]}',
    '{"nested": {"messages": [{"sender_name": "no", "timestamp_ms": 1}]}, "messages": [{"sender_name": "yes", "timestamp_ms": 2}]}',
    '{"mess\\u0061ges": [{"sender_name": "escaped key", "timestamp_ms": 1}]}',
    '{"messages": [{"sender_name": "a", "timestamp_ms": 1, "__proto__": {"x": 1}, "content": "p"}]}',
    '{"messages": [{"sender_name": "dup", "sender_name": "last", "timestamp_ms": 1e3}]}',
  ];
  for (const doc of docs) {
    const whole = same(doc);
    t.notOk('error' in whole, `no error: ${doc.slice(0, 40)}`);
    t.doesNotThrow(() => same(doc, Array.from({ length: doc.length }, (_, i) => i)), `byte by byte: ${doc.slice(0, 40)}`);
  }
});

t.test('the same errors on broken documents', async (t) => {
  const broken = [
    '{"messages": [{"sender_name": "a", "timestamp_ms": 1},]}',
    '{"messages": [,{"sender_name": "a", "timestamp_ms": 1}]}',
    '{"messages": [{"sender_name": "a", "timestamp_ms": 1} {"sender_name": "b"}]}',
    '{"messages": [{"sender_name": "a", "timestamp_ms": 1}',
    '{"messages": [{"sender_name": "a", "timestamp_ms": 1}}',
    '{"messages": [{"sender_name": "a" "timestamp_ms": 1}]}',
    '{"messages": [{"sender_name": "a\u0001", "timestamp_ms": 1}]}',
    '{"messages": [tru]}',
    '{"messages": [' + '['.repeat(300) + ']'.repeat(300) + ']}',
    '{"messages": [{"sender_name": "a", "timestamp_ms": 1}]',
    '{"messages": [{"sender_name": "a", "timestamp_ms": 01}]}',
  ];
  for (const doc of broken) {
    const out = same(doc);
    t.ok('error' in out, `an error for ${doc.slice(0, 60)}`);
  }
});

t.test('property: random thread-like documents, random chunkings', async (t) => {
  const str = fc.constantFrom('', 'a', 'é', '"', '\\', '}', ']', '{[', ',', 'messages', '😀', '\u0000', 'x y');
  const text = fc.array(str, { maxLength: 4 }).map((a) => a.join(''));
  const message = fc.record(
    { sender_name: fc.oneof(text, fc.constant(undefined)), timestamp_ms: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.constant('x')), content: fc.option(text), photos: fc.option(fc.array(fc.record({ uri: text }), { maxLength: 2 })) },
    { requiredKeys: [] },
  );
  const doc = fc.record({ participants: fc.array(fc.record({ name: text }), { maxLength: 3 }), messages: fc.array(fc.oneof(message, fc.integer(), text), { maxLength: 8 }), title: text, thread_path: text });
  const damage = fc.option(fc.tuple(fc.nat(), fc.constantFrom('', ',', ']', '}', '"', '{')));
  t.doesNotThrow(() => fc.assert(fc.property(fc.array(doc, { minLength: 1, maxLength: 3 }), fc.boolean(), damage, fc.array(fc.nat(), { maxLength: 6 }), (docs, pretty, dmg, cuts) => {
    let text = docs.map((d) => (pretty ? metaJson(d) : JSON.stringify(d))).join('\n');
    if (dmg) {
      const at = dmg[0] % (text.length + 1);
      text = text.slice(0, at) + dmg[1] + text.slice(at + 1);
    }
    const bytes = Buffer.from(text);
    const fast = decodeWith(true, splitAt(bytes, cuts));
    const slow = decodeWith(false, [bytes]);
    assert.deepEqual(fast, slow);
  }), { numRuns: 1000 }));
});

t.test('the pretty-printed shortcut (cut at the last "\\n<indent>}") agrees with stream-json where it must not be trusted', async (t) => {
  const el = (ts: number, extra = '') => `    {\n      "sender_name": "a",\n      "timestamp_ms": ${ts},\n      "content": "m${ts}"${extra}\n    }`;
  const doc = (els: string[], nl = '\n') => `{\n  "messages": [\n${els.join(',\n')}\n  ],\n  "title": "t"\n}\n`.replace(/\n/g, nl);
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
  const cases: [string, string, boolean][] = [
    ['regular', doc([el(3), el(2), el(1)]), true],
    ['CRLF line ends', doc([el(3), el(2), el(1)], '\r\n'), true],
    // a nested object closed at the elements' indentation: the mark also occurs inside an element
    ['a mark inside an element', doc([el(3, ',\n      "share": {\n    }'), el(2, ',\n      "share": {"link": "x"\n    }'), el(1)]), true],
    ['tabs', doc([el(2), el(1)]).replace(/ {2}/g, '\t'), true],
    ['no comma between elements', doc([el(3), el(2)]).replace('},\n    {', '}\n    {'), false],
    ['a trailing comma', doc([el(3), el(2)]).replace('}\n  ]', '},\n  ]'), false],
    ['a broken element', doc([el(3), el(2, ',\n      "x": tru'), el(1)]), false],
    // the document is depth 1, `messages` 2, an element 3: 253 arrays in it reach 256, the limit
    ['nesting at the limit', doc([el(2, `,\n      "x": ${deep(253)}`), el(1)]), true],
    ['nesting past the limit', doc([el(2, `,\n      "x": ${deep(254)}`), el(1)]), false],
    ['nesting at the limit, compact', JSON.stringify({ messages: [{ sender_name: 'a', timestamp_ms: 1, x: JSON.parse(deep(253)) }] }), true],
    ['nesting past the limit, compact', JSON.stringify({ messages: [{ sender_name: 'a', timestamp_ms: 1, x: JSON.parse(deep(254)) }] }), false],
  ];
  for (const [name, text, ok] of cases) {
    const bytes = Buffer.from(text);
    const whole = same(bytes);
    t.equal(!('error' in whole), ok, `${name}: ${ok ? 'messages' : 'an error'}`);
    if ('messages' in whole) t.equal(whole.messages.length, text.split('"sender_name"').length - 1, `${name}: every message`);
    for (const size of [1, 7, 64, 1000]) {
      t.doesNotThrow(() => same(bytes, Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => i * size)), `${name}: chunks of ${size}`);
    }
  }
});

t.test('an element longer than the fast path holds goes to stream-json, with the same result', async (t) => {
  const big = 'x'.repeat(3 * 1024 * 1024);
  const doc = JSON.stringify({ messages: [{ sender_name: 'a', timestamp_ms: 3, content: 'before' }, { sender_name: 'b', timestamp_ms: 2, content: big }, { sender_name: 'c', timestamp_ms: 1, content: 'after {"messages": [' }], title: 't' });
  const bytes = Buffer.from(doc);
  const cuts = Array.from({ length: Math.ceil(bytes.length / 65536) }, (_, i) => i * 65536);
  const out = same(bytes, cuts);
  t.ok('messages' in out && out.messages.length === 3, 'three messages');
});

t.test('a value over maxValueLength is FBS_LIMIT on both paths, whole or in chunks', async (t) => {
  const doc = Buffer.from(JSON.stringify({ messages: [{ sender_name: 'a', timestamp_ms: 1, content: 'y'.repeat(5000) }], title: 'z'.repeat(10) }));
  for (const fastMessages of [true, false]) {
    for (const size of [doc.length, 4096, 100]) {
      const parts = Array.from({ length: Math.ceil(doc.length / size) }, (_, i) => doc.subarray(i * size, (i + 1) * size));
      t.throws(() => runStage(createTokenizer({ maxValueLength: 1000, fastMessages }), parts), { code: 'FBS_LIMIT' }, `fast=${fastMessages} chunks of ${size}`);
    }
  }
  const title = Buffer.from(JSON.stringify({ messages: [], title: 'z'.repeat(5000) }));
  t.throws(() => runStage(createTokenizer({ maxValueLength: 1000 }), [title]), { code: 'FBS_LIMIT' }, 'outside the messages array too');
});
