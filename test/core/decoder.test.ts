import t from 'tap';
import { createDecoder } from '../../lib/core/decoder.js';
import { createTokenizer } from '../../lib/core/tokenizer.js';
import { Report } from '../../lib/report.js';
import type { Message, TokenChunk } from '../../lib/types.js';
import { metaJson } from '../support/messages.js';
import { runStage } from '../support/stage.js';

function decode(text: string, options = {}, source = 'inbox/t/message_1.json'): Message[] {
  const chunks = runStage(createTokenizer({ source }), [text]);
  // one token array per decoder push, as the stream delivers them
  return runStage(createDecoder(options), chunks.map((c): TokenChunk[] => [c]));
}

const doc = (messages: unknown[], extra: Record<string, unknown> = {}) =>
  metaJson({ participants: [{ name: 'Zoë Brontë' }, { name: 'Ada Lovelace' }], messages, title: 'Zoë Brontë', is_still_participant: true, thread_path: 'inbox/zoe_123', ...extra });

t.test('classic messages: fields, mojibake repaired, one shared ThreadInfo finished after the messages', async (t) => {
  const out = decode(doc([
    { sender_name: 'Zoë Brontë', timestamp_ms: 2000, content: 'café 😢', reactions: [{ reaction: '❤', actor: 'Ada Lovelace' }] },
    { sender_name: 'Ada Lovelace', timestamp_ms: 1000, content: 'hi', ip: '1.2.3.4', bumped_message_metadata: { x: [1, { y: 2 }] } },
  ]));
  t.equal(out.length, 2);
  t.match(out[0], { sender: 'Zoë Brontë', timestampMs: 2000, text: 'café 😢', kind: 'text', index: 0, reactions: [{ reaction: '❤', actor: 'Ada Lovelace' }] });
  t.match(out[1], { sender: 'Ada Lovelace', text: 'hi', index: 1 });
  t.equal(out[0]!.thread, out[1]!.thread, 'one ThreadInfo, shared by reference');
  t.match(out[0]!.thread, { id: 'inbox/zoe_123', section: 'inbox', title: 'Zoë Brontë', participants: ['Zoë Brontë', 'Ada Lovelace'], dialect: 'classic', isGroup: false });
});

t.test('repair: false keeps strings as parsed (the langchain preset)', async (t) => {
  const [m] = decode(doc([{ sender_name: 'Zoë', timestamp_ms: 1, content: 'café' }]), { repair: false });
  t.equal(m!.sender, 'Zo\u00c3\u00ab');
  t.equal(m!.text, 'caf\u00c3\u00a9');
});

t.test('kinds', async (t) => {
  const kinds = decode(doc([
    { sender_name: 'A', timestamp_ms: 1, content: 'plain' },
    { sender_name: 'A', timestamp_ms: 2, photos: [{ uri: 'p.jpg', creation_timestamp: 1 }] },
    { sender_name: 'A', timestamp_ms: 3, sticker: { uri: 's.png' } },
    { sender_name: 'A', timestamp_ms: 4, share: { link: 'https://x' }, content: 'look' },
    { sender_name: 'A', timestamp_ms: 5, call_duration: 60, content: 'A called you.' },
    { sender_name: 'A', timestamp_ms: 6, is_unsent: true },
    { sender_name: 'A', timestamp_ms: 7, type: 'Subscribe', users: [{ name: 'B' }], content: 'A added B to the group.' },
    { sender_name: 'A', timestamp_ms: 8, content: 'Reacted 😂 to your message ' },
    { sender_name: 'A', timestamp_ms: 9, content: 'Liked a message' },
    { sender_name: 'A', timestamp_ms: 10, content: 'A sent an attachment.' },
    { sender_name: 'A', timestamp_ms: 11 },
    { sender_name: 'A', timestamp_ms: 12, content: '' },
    { sender_name: 'A', timestamp_ms: 13, gifs: [{ uri: 'g.gif' }], content: 'with a caption' },
    { sender_name: 'A', timestamp_ms: 14, share: { link: 'https://x' }, content: 'A sent a link.' },
    { sender_name: 'A', timestamp_ms: 15, share: { link: 'https://x' }, content: 'A sent an attachment.' },
  ])).map((m) => m.kind);
  t.same(kinds, ['text', 'media', 'sticker', 'share', 'call', 'unsent', 'notice', 'reaction', 'reaction', 'notice', 'empty', 'empty', 'media', 'notice', 'notice']);
});

t.test('attachments keep type and repaired uri', async (t) => {
  const [m] = decode(doc([{ sender_name: 'A', timestamp_ms: 1, photos: [{ uri: 'photos/ü.jpg' }], files: [{ uri: 'f.pdf' }] }]));
  t.same(m!.attachments, [{ type: 'photo', uri: 'photos/ü.jpg' }, { type: 'file', uri: 'f.pdf' }]);
});

t.test('texts: ASCII as is, mojibake repaired, real text kept; lone surrogates replaced and counted, repaired text never', async (t) => {
  const report = new Report();
  const texts = ['plain', 'café 😢', 'it\u2019s 😢 real', 'half \ud83d an emoji', '\udc00', '\u00c3\u00a9'];
  // metaJson writes the non-ASCII ones as Meta does; the last two are written here as the file holds them
  const json = doc(texts.map((content, i) => ({ sender_name: 'A', timestamp_ms: i, content })))
    .replace('\\u00c3\\u0083\\u00c2\\u00a9', '\\u00c3\\u00a9');
  const out = decode(json, { report }, 'x.json');
  t.same(out.map((m) => m.text), ['plain', 'café 😢', 'it\u2019s 😢 real', 'half \ufffd an emoji', '\ufffd', 'é']);
  t.equal(report.count('lone surrogates replaced'), 2);
  t.match(report.lines().join('\n'), /x\.json \(messages\[3\]\)/);
  const raw = decode(json, { repair: false, report: new Report() });
  t.same(raw.map((m) => m.text).slice(3), ['half \ufffd an emoji', '\ufffd', 'Ã©'], 'without repair, lone surrogates still replaced');
});

t.test('senders and reaction actors: each repaired, whatever the order the names come in', async (t) => {
  const names = ['Zoë', 'Ada', 'Zoë', 'Björn', 'Ada', 'Zoë', 'Björn', 'Björn', 'Ada', 'Zoë'];
  const out = decode(doc(names.map((sender_name, i) => ({
    sender_name, timestamp_ms: i, content: 'x', reactions: [{ reaction: '❤', actor: names[names.length - 1 - i] }],
  }))));
  t.same(out.map((m) => m.sender), names);
  t.same(out.map((m) => m.reactions![0]!.actor), [...names].reverse());
  const raw = decode(doc(names.map((sender_name, i) => ({ sender_name, timestamp_ms: i, content: 'x' }))), { repair: false });
  t.same(raw.map((m) => m.sender), names.map((n) => Buffer.from(n).toString('latin1')));
});

t.test('the E2EE download dialect', async (t) => {
  const text = JSON.stringify({
    participants: ['Ada Lovelace', 'Zoë'],
    threadName: 'Zoë_40',
    messages: [
      { senderName: 'Zoë', timestamp: 1000, text: 'héllo', type: 'text', reactions: [{ actor: 'Ada Lovelace', reaction: '👍' }] },
      { senderName: 'Ada Lovelace', timestamp: 2000, text: '', type: 'placeholder', isUnsent: true },
      { senderName: 'Ada Lovelace', timestamp: 3000, text: '', type: 'media', media: [{ uri: './media/a.jpg' }] },
    ],
  });
  const out = decode(text);
  t.same(out.map((m) => [m.sender, m.text, m.kind]), [['Zoë', 'héllo', 'text'], ['Ada Lovelace', '', 'unsent'], ['Ada Lovelace', '', 'media']]);
  t.match(out[0]!.thread, { dialect: 'e2ee', id: 'Zoë_40', title: 'Zoë_40', participants: ['Ada Lovelace', 'Zoë'] });
});

t.test('which dialect reads a message: E2EE keys only where a classic `sender_name` is absent', async (t) => {
  const messages = [
    { senderName: 'Zoë', timestamp: 1, text: 'e2ee' },
    { sender_name: 'Ada', senderName: 'Zoë', timestamp_ms: 2, timestamp: 2, content: 'classic', text: 'e2ee' },
    { sender_name: null, senderName: 'Zoë', timestamp: 3, text: 'neither' },
    { senderName: 7, timestamp: 4, text: 'neither' },
    { senderName: 'Zoë', text: 'no time' },
  ];
  const report = new Report();
  const out = decode(doc(messages), { report });
  t.same(out.map((m) => [m.sender, m.text, m.index]), [['Zoë', 'e2ee', 0], ['Ada', 'classic', 1]]);
  t.equal(out[0]!.thread.dialect, 'e2ee', 'one E2EE-shaped message marks the thread');
  t.equal(report.count('skipped message: missing sender_name'), 2);
  t.equal(report.count('skipped message: missing or non-numeric timestamp'), 1);
  const classicOnly = new Report();
  t.same(decode(doc(messages), { e2ee: false, report: classicOnly }).map((m) => m.text), ['classic']);
  t.equal(classicOnly.count('skipped message: missing sender_name'), 4);
});

t.test('a bad message is skipped and counted with its JSON path; the rest survives', async (t) => {
  const report = new Report();
  const out = decode(doc([
    { timestamp_ms: 1, content: 'no sender' },
    { sender_name: 'A', timestamp_ms: 'soon', content: 'bad time' },
    { sender_name: 'A', timestamp_ms: 3, content: { not: 'a string' } },
    'not an object',
    { sender_name: 'A', timestamp_ms: 5, content: 'fine' },
  ]), { report }, 'x.json');
  t.same(out.map((m) => m.text), ['fine']);
  t.equal(out[0]!.index, 4);
  t.equal(report.count('skipped message: missing sender_name'), 1);
  t.equal(report.count('skipped message: missing or non-numeric timestamp_ms'), 1);
  t.equal(report.count('skipped message: content is not a string'), 1);
  t.equal(report.count('skipped message: not an object'), 1);
  t.match(report.lines().join("\n"), /x\.json \(messages\[0\]\)/);
});

t.test('documents that are not threads', async (t) => {
  for (const [text, why] of [
    ['[1, 2]', /the document is an array/],
    ['"hello"', /the document is a string/],
    ['{"participants": []}', /no "messages" array/],
    ['{"messages": {"a": 1}}', /"messages" is not an array/],
  ] as const) {
    t.throws(() => decode(text, {}, 'odd.json'), { code: 'FBS_NOT_A_THREAD', source: 'odd.json', message: why });
  }
});

t.test('__proto__ and constructor keys change no prototype', async (t) => {
  const text = '{"__proto__": {"polluted": 1}, "messages": [{"sender_name": "A", "timestamp_ms": 1, "content": "x", "__proto__": {"polluted": 2}, "reactions": [{"__proto__": {"polluted": 3}, "reaction": "r", "actor": "B"}], "constructor": {"prototype": {"polluted": 4}}}], "thread_path": "inbox/x_1"}';
  const [m] = decode(text);
  t.equal(m!.text, 'x');
  t.same(m!.reactions, [{ reaction: 'r', actor: 'B' }]);
  t.equal(({} as Record<string, unknown>)['polluted'], undefined);
  t.equal(Object.getPrototypeOf(m), Object.prototype);
});

t.test('nesting beyond maxDepth is a limit error, in read and in skipped values', async (t) => {
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
  t.throws(() => decode(`{"messages": [], "junk": ${deep(100_000)}}`), { code: 'FBS_LIMIT', message: /nesting deeper than 256/ });
  t.throws(() => decode(`{"messages": [{"sender_name": "A", "timestamp_ms": 1, "photos": ${deep(300)}}]}`), { code: 'FBS_LIMIT' });
  t.equal(decode(`{"messages": [{"sender_name": "A", "timestamp_ms": 1, "x": ${deep(200)}}]}`).length, 1, 'fine under the cap');
});

t.test('several documents: one ThreadInfo each; groups detected', async (t) => {
  const a = doc([{ sender_name: 'A', timestamp_ms: 1, content: 'a' }]);
  const b = metaJson({ participants: [{ name: 'A' }, { name: 'B' }, { name: 'C' }], messages: [{ sender_name: 'B', timestamp_ms: 2, content: 'b' }], thread_path: 'archived_threads/g_9' });
  const out = decode(a + b);
  t.not(out[0]!.thread, out[1]!.thread);
  t.match(out[1]!.thread, { id: 'archived_threads/g_9', section: 'archived_threads', isGroup: true });
});
