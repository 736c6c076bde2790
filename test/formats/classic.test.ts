/**
 * lib/formats/classic.ts: one message of the classic export (and Instagram's, the same schema) as
 * the decoder reads it, before repair: its kind, attachments and reactions, or why it is skipped.
 * (The same through the tokenizer and decoder: test/core/decoder.test.ts.)
 */
import t from 'tap';
import { interpretClassic, readReactions, textKind } from '../../lib/formats/classic.js';

const read = (m: Record<string, unknown>) => interpretClassic({ sender_name: 'Ada', timestamp_ms: 5, ...m });

t.test('the fields read, and nothing added when absent', async (t) => {
  t.same(read({ content: 'hi' }), { ok: true, value: { sender: 'Ada', timestampMs: 5, text: 'hi', kind: 'text' } });
  t.same(read({}), { ok: true, value: { sender: 'Ada', timestampMs: 5, text: null, kind: 'empty' } });
});

t.test('what makes a kind: unsent, then call, notice, sticker, media, share', async (t) => {
  const kindOf = (m: Record<string, unknown>) => (read(m) as { value: { kind: string } }).value.kind;
  t.equal(kindOf({ is_unsent: true, content: 'x', photos: [{ uri: 'p' }] }), 'unsent', 'unsent wins over everything');
  t.equal(kindOf({ type: 'Call', content: 'Ada called you.' }), 'call');
  t.equal(kindOf({ call_duration: 0, missed: true }), 'call', 'a missed call has a duration of 0');
  t.equal(kindOf({ type: 'Unsubscribe', content: 'Ada left the group.' }), 'notice');
  t.equal(kindOf({ users: [{ name: 'Bo' }], content: 'Ada added Bo.' }), 'notice');
  t.equal(kindOf({ sticker: { uri: 's.png' }, photos: [{ uri: 'p' }] }), 'sticker');
  t.equal(kindOf({ videos: [{ uri: 'v.mp4' }], content: 'look' }), 'media', 'a caption does not change the kind');
  t.equal(kindOf({ share: { link: 'https://x' }, content: 'read this' }), 'share');
  t.equal(kindOf({ share: {}, content: 'Ada sent a link.' }), 'notice', "a share's content in Meta's words");
  t.equal(kindOf({ type: 'Share' }), 'share', 'a share without content');
  t.equal(kindOf({ content: '' }), 'empty');
  t.equal(kindOf({ content: 'Liked a message' }), 'reaction');
});

t.test('attachments: every media list in order, then sticker, then link; entries without a uri are passed over', async (t) => {
  const r = read({
    photos: [{ uri: 'p1' }, { nope: 1 }, 'p?', { uri: 'p2' }], videos: [{ uri: 'v' }], audio_files: [{ uri: 'a' }],
    files: [{ uri: 'f' }], gifs: [{ uri: 'g' }], share: { link: 'https://x' }, content: 'c',
  });
  t.same((r as { value: { attachments: unknown } }).value.attachments, [
    { type: 'photo', uri: 'p1' }, { type: 'photo', uri: 'p2' }, { type: 'video', uri: 'v' }, { type: 'audio', uri: 'a' },
    { type: 'file', uri: 'f' }, { type: 'gif', uri: 'g' }, { type: 'share', uri: 'https://x' },
  ]);
  t.same(read({ photos: 'not a list', content: 'c' }), { ok: true, value: { sender: 'Ada', timestampMs: 5, text: 'c', kind: 'text' } });
});

t.test('reactions: whole ones kept, broken ones passed over, none at all left out', async (t) => {
  t.same(readReactions([{ reaction: '❤', actor: 'Zoë' }, { reaction: 1, actor: 'x' }, null, { actor: 'y' }]), [{ reaction: '❤', actor: 'Zoë' }]);
  t.equal(readReactions([]), undefined);
  t.equal(readReactions([{ actor: 'y' }]), undefined);
  t.equal(readReactions('❤'), undefined);
  t.same((read({ content: 'x', reactions: [{ reaction: '👍', actor: 'Bo' }] }) as { value: { reactions: unknown } }).value.reactions, [{ reaction: '👍', actor: 'Bo' }]);
});

t.test('skipped, with the reason: no sender, no usable time, content not a string', async (t) => {
  t.same(interpretClassic({ timestamp_ms: 1, content: 'x' }), { ok: false, reason: 'missing sender_name' });
  t.same(interpretClassic({ sender_name: null, timestamp_ms: 1 }), { ok: false, reason: 'missing sender_name' });
  for (const ts of [undefined, '5', Number.NaN, Infinity]) {
    t.same(interpretClassic({ sender_name: 'A', timestamp_ms: ts }), { ok: false, reason: 'missing or non-numeric timestamp_ms' }, String(ts));
  }
  t.same(read({ content: 42 }), { ok: false, reason: 'content is not a string' });
});

t.test('textKind: empty, notices, reactions, text', async (t) => {
  t.equal(textKind(undefined), 'empty');
  t.equal(textKind(''), 'empty');
  t.equal(textKind(' '), 'text', 'blank text is text; the filter decides');
  t.equal(textKind('Ada named the group Engines.'), 'notice');
  t.equal(textKind('Reacted 😂 to your message '), 'reaction');
});
