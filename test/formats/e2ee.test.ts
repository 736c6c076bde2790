/**
 * lib/formats/e2ee.ts: one message of the end-to-end-encrypted chat download (camelCase keys,
 * `text`, `timestamp` in ms), as the decoder reads it, or why it is skipped.
 * (The same through the tokenizer and decoder: test/core/decoder.test.ts.)
 */
import t from 'tap';
import { interpretE2ee } from '../../lib/formats/e2ee.js';

const read = (m: Record<string, unknown>) => interpretE2ee({ senderName: 'Zoë', timestamp: 7, type: 'text', ...m });
const kindOf = (m: Record<string, unknown>) => (read(m) as { value: { kind: string } }).value.kind;

t.test('the fields read, and nothing added when absent', async (t) => {
  t.same(read({ text: 'héllo 🎉' }), { ok: true, value: { sender: 'Zoë', timestampMs: 7, text: 'héllo 🎉', kind: 'text' } });
  t.same(read({}), { ok: true, value: { sender: 'Zoë', timestampMs: 7, text: null, kind: 'empty' } });
});

t.test('kinds: unsent placeholder, media without text, link, notices and reactions by their words', async (t) => {
  t.equal(kindOf({ type: 'placeholder', isUnsent: true, text: '' }), 'unsent');
  t.equal(kindOf({ type: 'media', text: '', media: [{ uri: './media/a.jpg' }] }), 'media');
  t.equal(kindOf({ type: 'media', text: 'a caption', media: [{ uri: './media/a.jpg' }] }), 'text', 'media with text is read as its text');
  t.equal(kindOf({ type: 'link', text: 'https://x' }), 'share');
  t.equal(kindOf({ text: 'Liked a message' }), 'reaction');
  t.equal(kindOf({ text: 'Zoë left the group.' }), 'notice');
  t.equal(kindOf({ text: '' }), 'empty');
});

t.test('media uris and reactions', async (t) => {
  const r = read({ type: 'media', text: '', media: [{ uri: 'a' }, { nope: 1 }, { uri: 'b' }], reactions: [{ actor: 'Ada', reaction: '👍' }, { actor: 'x' }] });
  t.same(r, { ok: true, value: { sender: 'Zoë', timestampMs: 7, text: '', kind: 'media', attachments: [{ type: 'media', uri: 'a' }, { type: 'media', uri: 'b' }], reactions: [{ reaction: '👍', actor: 'Ada' }] } });
});

t.test('skipped, with the reason: no sender, no usable time, text not a string', async (t) => {
  t.same(interpretE2ee({ timestamp: 1, text: 'x' }), { ok: false, reason: 'missing senderName' });
  t.same(interpretE2ee({ sender_name: 'Zoë', timestamp: 1 }), { ok: false, reason: 'missing senderName' }, 'the classic key is not read here');
  for (const ts of [undefined, '7', Number.NaN, -Infinity]) {
    t.same(interpretE2ee({ senderName: 'Zoë', timestamp: ts }), { ok: false, reason: 'missing or non-numeric timestamp' }, String(ts));
  }
  t.same(read({ text: ['x'] }), { ok: false, reason: 'text is not a string' });
});
