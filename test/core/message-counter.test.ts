/**
 * The message counter against the decoder and the header reader: on every document it accepts, the
 * same messages, kinds (in the same order), first and last timestamps, participants and format
 * as the full read; on anything it is unsure of, null (the caller then reads it the full way).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import t from 'tap';
import { createDecoder } from '../../lib/core/decoder.js';
import { countThreadPart, type PartCount } from '../../lib/core/message-counter.js';
import { NOTICE_NEEDLES } from '../../lib/core/notice-needles.js';
import { createTokenizer } from '../../lib/core/tokenizer.js';
import { createHeaderReader } from '../../lib/export/thread-header.js';
import { classifyNotice } from '../../lib/formats/notices.js';
import type { Message, TokenChunk } from '../../lib/types.js';
import { runStage } from '../support/stage.js';

type Figures = Omit<PartCount, 'header'>;

/** What lib/export/inspect.ts counts when the decoder reads the file. */
function decoded(bytes: Buffer): Figures | { error: string } {
  try {
    const chunks = runStage(createTokenizer({ source: 'x.json' }), [bytes]);
    const messages = runStage(createDecoder(), chunks.map((c): TokenChunk[] => [c])) as Message[];
    const out: Figures = { messages: 0, kinds: {}, firstMs: null, lastMs: null };
    for (const m of messages) {
      ++out.messages;
      out.kinds[m.kind] = (out.kinds[m.kind] ?? 0) + 1;
      if (out.firstMs === null || m.timestampMs < out.firstMs) out.firstMs = m.timestampMs;
      if (out.lastMs === null || m.timestampMs > out.lastMs) out.lastMs = m.timestampMs;
    }
    return out;
  } catch (err) {
    return { error: (err as { code?: string }).code ?? String(err) };
  }
}

function header(bytes: Buffer) {
  const reader = createHeaderReader('x.json');
  reader.push(bytes);
  const h = reader.end();
  return { participants: h.participants, format: h.format };
}

/** The counter's figures, checked against the full read; null when it declined. */
function counted(text: string | Buffer): PartCount | null {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const count = countThreadPart(bytes);
  if (count === null) return null;
  const { header: h, ...figures } = count;
  const full = decoded(bytes);
  assert.ok(!('error' in full), `the decoder fails (${JSON.stringify(full)}) where the counter counted: ${bytes.toString().slice(0, 200)}`);
  // key order too: inspect prints the kinds in the order they first occur
  assert.equal(JSON.stringify(figures), JSON.stringify(full), bytes.toString().slice(0, 300));
  if (h) assert.deepEqual(h, header(bytes));
  return count;
}

const msg = (fields: string) => `{${fields}}`;
const doc = (messages: string[], extra = '"participants": [{"name": "Ada"}, {"name": "Bob"}], ') => `{${extra}"messages": [${messages.join(', ')}], "title": "t"}`;

t.test('tricky documents: counted, and as the decoder counts', async (t) => {
  const docs = [
    doc([]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 3, "content": "a \\"quoted\\" \\\\ back\\\\slash }], {\\"x\\": 1}"')]),
    doc([msg('"content": "odd order", "timestamp_ms": 7, "sender_name": "Bob"')]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1, "content": "x", "reactions": [{"reaction": "\\u00f0\\u009f\\u0098\\u00ae", "actor": "Bob"}]')]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1, "photos": [{"uri": "a.jpg", "creation_timestamp": 5}]')]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1, "photos": [{"uri": 5}], "videos": [{}, "x", {"uri": "v"}]')]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1, "photos": [{"uri": "a"}], "share": {"link": "l"}')]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1, "photos": [{"uri": "a"}], "photos": []')]),
    // the last of duplicate keys wins, nested ones too
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1, "photos": [{"uri": "a", "uri": 1}]'), msg('"sender_name": "Ada", "timestamp_ms": 1, "photos": [{"uri": 1, "uri": "a"}]')]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1, "sticker": {"uri": "s", "uri": 2}'), msg('"sender_name": "Ada", "timestamp_ms": 1, "share": {"link": "l", "link": null}, "photos": [{"uri": "p"}]')]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1, "sticker": {"uri": "s.png"}, "content": "x"')]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1, "sticker": {"uri": null}')]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1, "share": {"link": "l"}, "content": "Ada sent a link."')]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1, "share": "x", "type": "Share"')]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1, "type": "Call", "call_duration": 0')]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1, "call_duration": null')]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1, "type": "Subscribe", "users": [{"name": "C"}]')]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1, "type": "Gen\\u0065ric", "users": {}')]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1, "type": "C\\u0061ll"')]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1, "is_unsent": true'), msg('"sender_name": "Ada", "timestamp_ms": 2, "is_unsent": "true"')]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1, "content": ""'), msg('"sender_name": "Ada", "timestamp_ms": 1')]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1, "content": "Reacted \\u00f0\\u009f\\u0098\\u00ae to your message "')]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1, "content": "A aim\\u00c3\\u00a9 un message"')]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1, "content": "Bob \\u006cef\\u0074 the group."')]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1, "content": "Bob\\u0020left the group\\u002e"')]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1, "content": "Bob left the group.\\n"')]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1, "content": "Zoë a envoyé une pièce jointe."')]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1, "content": 5'), msg('"sender_name": 5, "timestamp_ms": 1'), msg('"sender_name": "Ada", "timestamp_ms": "1"')]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1e400'), msg('"sender_name": "Ada", "timestamp_ms": -0'), msg('"sender_name": "Ada", "timestamp_ms": 1.5e3')]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 12345678901234567890'), msg('"sender_name": "Ada", "timestamp_ms": -1234567890123456')]),
    // integers read in one pass up to 15 digits; a 16th digit, a fraction or an exponent the general way
    doc([msg('"sender_name": "Ada", "timestamp_ms": 123456789012345'), msg('"sender_name": "Ada", "timestamp_ms": 9007199254740993'), msg('"sender_name": "Ada", "timestamp_ms": 1700000000000.5')]),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1700000000000e0'), msg('"sender_name": "Ada", "timestamp_ms": 17E+1'), msg('"senderName": "Ada", "timestamp": 7,"text": "x"')]),
    doc(['1', '"two"', 'null', '[{"sender_name": "a", "timestamp_ms": 1}]', msg('"sender_name": "Ada", "timestamp_ms": 9')]),
    doc([msg('"sender_name": "dup", "sender_name": null, "timestamp_ms": 1'), msg('"sender_name": 1, "sender_name": "ok", "timestamp_ms": 2, "timestamp_ms": 3')]),
    doc([msg('"__proto__": {"x": 1}, "sender_name": "Ada", "timestamp_ms": 1, "deep": {"a": [{"b": [[{}]]}]}')]),
    // E2EE: camelCase keys, plain participants, media and links
    doc(
      [
        msg('"senderName": "Ada", "timestamp": 5, "text": "hi", "type": "text"'),
        msg('"senderName": "Ada", "timestamp": 6, "media": [{"uri": "m.jpg"}], "type": "media"'),
        msg('"senderName": "Ada", "timestamp": 7, "media": [{"uri": "m.jpg"}], "text": "caption"'),
        msg('"senderName": "Bob", "timestamp": 8, "text": "https://x", "type": "link"'),
        msg('"senderName": "Bob", "timestamp": 9, "type": "placeholder", "isUnsent": true'),
        msg('"senderName": "Bob", "timestamp": 9, "text": 3'),
        msg('"senderName": "Bob", "sender_name": "Bob", "timestamp_ms": 10, "timestamp": 1, "content": "both"'),
      ],
      '"participants": ["Ada", "Bob"], "threadName": "Ada & Bob", ',
    ),
    // mojibake names, repaired as the header reader repairs them
    doc([msg('"sender_name": "Zo\\u00c3\\u00ab", "timestamp_ms": 1, "content": "x"')], '"participants": [{"name": "Zo\\u00c3\\u00ab"}, {"name": "Ada"}, {"x": 1}, 7], '),
    doc([msg('"sender_name": "Ada", "timestamp_ms": 1')], '"participants": null, "thread_type": "RegularGroup", '),
    // pretty-printed as Meta writes, CRLF, tabs
    '{\r\n\t"participants": [\r\n\t\t{"name": "Ada"}\r\n\t],\r\n\t"messages": [\r\n\t\t{\r\n\t\t\t"sender_name": "Ada",\r\n\t\t\t"timestamp_ms": 1\r\n\t\t}\r\n\t]\r\n}\r\n',
  ];
  for (const text of docs) t.ok(counted(text), `counted: ${text.slice(0, 120)}`);
});

t.test('a header only when the header reader is sure to read the same', async (t) => {
  t.equal(counted('{"messages": [], "participants": [{"name": "Ada"}]}')!.header, null, 'participants after the messages');
  t.equal(counted('{"participants": [{"name": "Ada"}], "messages": [], "threadName": "x"}')!.header, null, 'threadName after them');
  t.same(counted('{"participants": [{"name": "A"}], "participants": ["B"], "messages": []}')!.header, { participants: ['B'], format: 'e2ee' }, 'the last of two');
});

t.test('declined: anything the decoder must judge', async (t) => {
  const declined = [
    '',
    '   ',
    '\ufeff{"participants": [], "messages": []}',
    '[]',
    '{}',
    '{"participants": []}',
    '{"messages": {}}',
    '{"participants": [], "messages": [{"sender_name": "a", "timestamp_ms": 1}',
    '{"participants": [], "messages": [{"sender_name": "a", "timestamp_ms": 1}]',
    '{"participants": [], "messages": [{"sender_name": "a", "timestamp_ms": 1},]}',
    '{"participants": [], "messages": [{"sender_name": "a", "timestamp_ms": 01}]}',
    '{"participants": [], "messages": [{"sender_name": "a", "timestamp_ms": 1.}]}',
    '{"participants": [], "messages": [{"sender_name": "a", "timestamp_ms": 17e}]}',
    '{"participants": [], "messages": [{"sender_name": "a", "timestamp_ms": 17x}]}',
    '{"participants": [], "messages": [{"sender_name": "a\u0001", "timestamp_ms": 1}]}',
    '{"participants": [], "messages": [{"sender_name": "a\nb", "timestamp_ms": 1}]}',
    '{"participants": [], "messages": [{"sender_name": "a\\x", "timestamp_ms": 1}]}',
    '{"participants": [], "messages": [{"sender_name": "\\u12", "timestamp_ms": 1}]}',
    '{"participants": [], "messages": [tru]}',
    '{"participants": [], "messages": []} {"messages": []}',
    '{"participants": [], "messages": []} x',
    '{"participants": [], "messages": [], "messages": []}',
    '{"participants": [], "mess\\u0061ges": []}',
    '{"participants": [], "messages": [{"sender_n\\u0061me": "a", "timestamp_ms": 1}]}',
    '{"participants": [], "messages": [' + '['.repeat(60) + ']'.repeat(60) + ']}',
    '{"participants": [], "messages": [{"sender_name": "a", "timestamp_ms": 1}]}\u00a0',
  ];
  for (const text of declined) t.equal(countThreadPart(Buffer.from(text)), null, `declined: ${JSON.stringify(text.slice(0, 80))}`);
  const long = doc([msg(`"sender_name": "a", "timestamp_ms": 1, "content": "${'x'.repeat(1 << 20)}"`)]);
  t.equal(countThreadPart(Buffer.from(long)), null, 'a value over a MiB');
  // every truncation of a document is declined, or counted as the decoder counts it
  const whole = doc([msg('"sender_name": "Ada", "timestamp_ms": 1, "content": "a \\"b\\" \\u00e9"'), msg('"sender_name": "Bob", "timestamp_ms": 2, "photos": [{"uri": "p"}]')]);
  for (let n = 0; n < whole.length; ++n) t.equal(countThreadPart(Buffer.from(whole.slice(0, n))), null);
});

t.test('strings, spaces and literals read four bytes at a time: the same answers at every alignment', async (t) => {
  const run = 'plain text of some length ';
  for (let shift = 0; shift < 8; ++shift) {
    const pad = ' '.repeat(shift);
    const at = (value: string) => doc([msg(`"sender_name": "Ada", "timestamp_ms": 1, "content": "${pad}${value}"`)]);
    // a backslash, a control character or a quote right after a run of plain bytes, the buffer at any offset
    for (const offset of [0, 1, 2, 3]) {
      const bytes = (text: string) => Buffer.concat([Buffer.alloc(offset), Buffer.from(text)]).subarray(offset);
      t.ok(counted(bytes(at(`${run}\\n and \\u00e9`))), `escapes after a run (shift ${shift}, offset ${offset})`);
      t.ok(counted(bytes(at(`${run}x`))), `a run to the quote (shift ${shift}, offset ${offset})`);
      for (const bad of ['\u0001', '\n', '\t', '\u001f', '\\x', '\\u12g4']) {
        t.equal(countThreadPart(bytes(at(`${run}${bad}`))), null, `declined: ${JSON.stringify(bad)} after a run (shift ${shift}, offset ${offset})`);
      }
      t.equal(countThreadPart(bytes(`{"participants": [], "messages": [{"sender_name": "${pad}${run}`)), null, 'a string cut by the end');
      t.equal(countThreadPart(bytes(`{"participants": [], "messages": [{"sender_name": "a", "timestamp_ms": 1}], "x": "${pad}${run}\\`)), null, 'cut after a backslash');
    }
    // a line break and spaces with something else among them
    for (const inner of ['\t', '\r', '\n', '\u000b', '\u00a0', 'x']) {
      const text = `{"participants": [],\n${pad}    ${inner}  "messages": [{"sender_name": "Ada",\n      ${pad}"timestamp_ms": 1}]}`;
      const count = countThreadPart(Buffer.from(text));
      if (/^[\t\r\n]$/.test(inner)) t.ok(count && counted(text), `whitespace ${JSON.stringify(inner)} among the spaces`);
      else t.equal(count, null, `declined: ${JSON.stringify(inner)} among the spaces`);
    }
  }
  for (const literal of ['true', 'false', 'null']) {
    t.ok(counted(doc([msg(`"sender_name": "Ada", "timestamp_ms": 1, "is_unsent": ${literal}, "x": ${literal}`)])), `${literal}`);
    for (let n = 1; n < literal.length; ++n) {
      const cut = literal.slice(0, n);
      t.equal(countThreadPart(Buffer.from(`{"participants": [], "messages": [], "x": ${cut}`)), null, `declined: ${cut} at the end`);
      t.equal(countThreadPart(Buffer.from(doc([msg(`"sender_name": "Ada", "timestamp_ms": 1, "x": ${cut}x`)]))), null, `declined: ${cut}x`);
    }
  }
  t.equal(countThreadPart(Buffer.from(doc([msg('"sender_name": "Ada", "timestamp_ms": 1, "x": falsy')]))), null, 'declined: falsy');
  // keys like the ones the counter knows, with one byte changed or one more or fewer, and keys cut by the end
  for (const key of ['sender_name', 'senderName', 'timestamp_ms', 'timestamp', 'content', 'text', 'type', 'is_unsent_image_by_messenger_kid_parent', 'is_geoblocked_for_viewer']) {
    const variants = [key.slice(0, -1), key + 's', key.slice(0, -1) + 'x', 'x' + key.slice(1)];
    for (const other of variants) {
      const text = doc([msg(`"sender_name": "Ada", "timestamp_ms": 2, "content": "Liked a message", "${other}": "Bob"`), msg(`"${other}": 5, "senderName": "Ada", "timestamp": 1, "text": "x"`)]);
      t.ok(counted(text), `key ${other}`);
    }
    for (let n = 0; n <= key.length + 1; ++n) {
      t.equal(countThreadPart(Buffer.from(`{"participants": [], "messages": [{"${(key + '"').slice(0, n)}`)), null, `declined: key ${key} cut at ${n}`);
    }
  }
});

t.test('every needle is in the text of some notice, and notices hold a needle', async (t) => {
  const notices = [
    'Bob reacted 😮 to your message', 'Reacted 😮 to your message ', 'Liked a message', 'A aimé un message',
    'Bob sent an attachment.', 'Bob sent a link.', 'Vous avez envoyé une pièce jointe.', 'Bob added Carol to the group.',
    'Bob left the group.', 'Bob named the group X', 'Bob changed the theme.', 'Bob set the nickname for Carol to C.',
    'Bob cleared the nickname for Carol.', 'You called Bob.', 'Bob missed your call.', 'Bob started a video call.',
    'The video chat ended.', 'Bob joined the call.', 'Bob pinned a message.', 'Bob created the group.', 'Bob unsent a message.',
  ];
  for (const text of notices) {
    t.ok(classifyNotice(text), `a notice: ${text}`);
    t.ok(NOTICE_NEEDLES.some((n) => text.includes(n)), `holds a needle: ${text}`);
  }
});

// --- generated threads -------------------------------------------------------------------------

/** A JSON value whose objects may repeat keys: [key, value] pairs. */
type Json = null | boolean | number | string | Json[] | { pairs: [string, Json][] } | { raw: string };

function write(v: Json, style: { space: string; escape: number }, seed: { n: number }): string {
  const sp = style.space;
  if (v === null || typeof v === 'boolean' || typeof v === 'number') return JSON.stringify(v);
  if (typeof v === 'string') {
    // some ASCII letters written as \u00XX, as no exporter does but JSON allows
    let s = JSON.stringify(v);
    if (style.escape > 0) s = s.replace(/[a-z. ]/g, (c) => ((seed.n = (seed.n * 1103515245 + 12345) % 2147483648) % style.escape === 0 ? `\\u00${c.charCodeAt(0).toString(16)}` : c));
    return s;
  }
  if (Array.isArray(v)) return `[${sp}${v.map((x) => write(x, style, seed)).join(`,${sp}`)}${sp}]`;
  if ('raw' in v) return v.raw;
  return `{${sp}${v.pairs.map(([k, x]) => `${JSON.stringify(k)}:${sp}${write(x, style, seed)}`).join(`,${sp}`)}${sp}}`;
}

const texts = fc.constantFrom(
  '', 'hello', 'a "quote" and \\ backslash', 'tab\there\nnewline', 'Zo\u00c3\u00ab', 'emoji 😀 \u00f0\u009f\u0098\u0080', 'Bob left the group.',
  'Bob reacted 😮 to your message', 'Liked a message', 'A aim\u00c3\u00a9 un message', 'Bob sent an attachment.', 'Bob sent a link.',
  'You called Bob.', 'The video chat ended.', 'Bob unsent a message.', 'call me', 'recall', 'the group is nice', 'lone \ud83d surrogate',
  'Bob set the nickname for Carol to C.', 'Bob changed the theme.', 'Bob started a video call.', 'x'.repeat(700) + ' left the group.',
);
const scalar: fc.Arbitrary<Json> = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), texts);
const nested: fc.Arbitrary<Json> = fc.letrec<{ v: Json }>((tie) => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('v'), { maxLength: 3 }), fc.array(fc.tuple(fc.constantFrom('uri', 'link', 'x', 'name'), tie('v')), { maxLength: 3 }).map((pairs) => ({ pairs }))),
})).v;
const uriList: fc.Arbitrary<Json> = fc.oneof(
  fc.array(fc.oneof(fc.record({ uri: fc.oneof(texts, fc.integer()) }).map((o) => ({ pairs: [['uri', o.uri]] as [string, Json][] })), nested), { maxLength: 3 }),
  nested,
);
const objectWith = (key: string): fc.Arbitrary<Json> => fc.oneof(fc.tuple(fc.oneof(texts, scalar)).map(([v]) => ({ pairs: [[key, v]] as [string, Json][] })), nested);
const timestamp: fc.Arbitrary<Json> = fc.oneof(
  fc.integer({ min: 1_000_000_000_000, max: 1_900_000_000_000 }),
  fc.constantFrom<Json>({ raw: '1e400' }, { raw: '-0' }, { raw: '1.5E3' }, { raw: '12345678901234567' }, '1700000000000', null),
);
const field: fc.Arbitrary<[string, Json]> = fc.oneof(
  fc.tuple(fc.constantFrom('sender_name', 'senderName'), fc.oneof({ weight: 5, arbitrary: fc.constantFrom('Ada', 'Bob', 'Zo\u00c3\u00ab') }, { weight: 1, arbitrary: scalar })),
  fc.tuple(fc.constantFrom('timestamp_ms', 'timestamp'), timestamp),
  fc.tuple(fc.constantFrom('content', 'text'), fc.oneof({ weight: 6, arbitrary: texts }, { weight: 1, arbitrary: scalar })),
  fc.tuple(fc.constant('type'), fc.oneof(fc.constantFrom('Generic', 'Call', 'Share', 'Subscribe', 'Unsubscribe', 'link', 'media', 'text', 'placeholder'), scalar)),
  fc.tuple(fc.constantFrom('is_unsent', 'isUnsent'), fc.oneof(fc.boolean(), scalar)),
  fc.tuple(fc.constantFrom('call_duration', 'users', 'reactions', 'is_geoblocked_for_viewer', 'other'), nested),
  // keys that share a length or first bytes with a key the counter looks for, or with one it knows
  fc.tuple(fc.constantFrom('sender_namf', 'senderName_', 'timestamp_m', 'timestampms', 'contents', 'tex', 'types', 'is_unsent_image_by_messenger_kid_paren', 'uri', 'share_text'), nested),
  fc.tuple(fc.constantFrom('photos', 'videos', 'audio_files', 'files', 'gifs', 'media'), uriList),
  fc.tuple(fc.constant('sticker'), objectWith('uri')),
  fc.tuple(fc.constant('share'), objectWith('link')),
);
/** Mostly messages a reader accepts (a sender and a timestamp), in any key order, with extras. */
const message: fc.Arbitrary<Json> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(fc.constantFrom(['sender_name', 'timestamp_ms'], ['senderName', 'timestamp']), fc.constantFrom('Ada', 'Bob'), fc.integer({ min: 0, max: 2e12 }), fc.array(field, { maxLength: 6 }), fc.nat())
    .map(([[s, ts], who, when, rest, at]) => {
      const pairs: [string, Json][] = [[s, who], [ts, when], ...rest];
      const k = at % pairs.length;
      [pairs[0], pairs[k]] = [pairs[k]!, pairs[0]!];
      return { pairs };
    }) },
  { weight: 1, arbitrary: fc.array(field, { maxLength: 5 }).map((pairs) => ({ pairs })) },
  { weight: 1, arbitrary: scalar },
);
const participants: fc.Arbitrary<Json> = fc.oneof(
  fc.array(fc.oneof(fc.constantFrom('Ada', 'Zo\u00c3\u00ab').map((name): Json => ({ pairs: [['name', name]] })), texts), { maxLength: 4 }),
  scalar,
);
const thread = fc.record({
  participants,
  messages: fc.array(message, { maxLength: 12 }),
  order: fc.constantFrom('participants first', 'messages first'),
  threadName: fc.option(fc.oneof(texts, scalar), { nil: undefined }),
  space: fc.constantFrom('', ' ', '\n  ', '\r\n\t', '\n      ', '\n         '),
  escape: fc.constantFrom(0, 0, 2, 5),
  seed: fc.nat(),
});

t.test('generated threads: whatever the counter counts, the decoder counts the same', async (t) => {
  let accepted = 0;
  fc.assert(
    fc.property(thread, (th) => {
      const pairs: [string, Json][] = [['participants', th.participants], ['messages', th.messages]];
      if (th.order === 'messages first') pairs.reverse();
      if (th.threadName !== undefined) pairs.splice(th.seed % 3, 0, ['threadName', th.threadName]);
      pairs.push(['title', 'T'], ['thread_path', 'inbox/t_1']);
      const text = write({ pairs }, { space: th.space, escape: th.escape }, { n: th.seed });
      if (counted(text)) ++accepted;
    }),
    { numRuns: 600 },
  );
  t.ok(accepted > 400, `most generated threads counted (${accepted} of 600)`);
});

t.test('generated bytes cut short or corrupted: declined or the same figures', async (t) => {
  fc.assert(
    fc.property(thread, fc.nat(), fc.integer({ min: 0, max: 255 }), (th, at, byte) => {
      const text = write({ pairs: [['participants', th.participants], ['messages', th.messages]] }, { space: th.space, escape: th.escape }, { n: th.seed });
      const bytes = Buffer.from(text);
      counted(bytes.subarray(0, at % (bytes.length + 1)));
      const changed = Buffer.from(bytes);
      changed[at % bytes.length] = byte;
      counted(changed);
    }),
    { numRuns: 600 },
  );
  t.pass('no difference found');
});

