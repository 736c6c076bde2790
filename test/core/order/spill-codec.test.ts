/**
 * The spill store's block format (lib/core/order/spill-codec.ts): every field of every entry comes
 * back as it went, through the codec alone and through run files on disk.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import t from 'tap';
import fc from 'fast-check';
import type { Entry } from '../../../lib/core/order/entry.js';
import { SpillCodec } from '../../../lib/core/order/spill-codec.js';
import { createFileSpill } from '../../../lib/streams/spill-files.js';
import type { Message, MessageKind } from '../../../lib/types.js';
import { threadInfo } from '../../support/messages.js';

const KINDS: MessageKind[] = ['text', 'media', 'sticker', 'share', 'call', 'unsent', 'notice', 'reaction', 'empty'];
const th = threadInfo();

const anyText = fc.oneof(fc.constant(null), fc.constant(''), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.constantFrom('\u0000', '"\\', 'caf\u00e9 😀', '\ud83d'));
const anyEntry = fc.record({
  sender: fc.oneof(fc.constantFrom('Ada', 'Zoë Ångström', ''), fc.string()),
  timestampMs: fc.oneof(fc.integer({ min: 0, max: 2 ** 41 }), fc.constant(Number.MAX_SAFE_INTEGER), fc.double({ noNaN: true, noDefaultInfinity: true })),
  text: anyText,
  kind: fc.constantFrom(...KINDS),
  index: fc.nat(),
  session: fc.oneof(fc.constant(0), fc.nat()),
  seq: fc.oneof(fc.nat(), fc.integer({ min: 2 ** 32, max: 2 ** 50 })),
  attachments: fc.option(fc.array(fc.record({ type: fc.constantFrom('photo' as const, 'file' as const), uri: fc.string() }), { minLength: 1, maxLength: 3 }), { nil: undefined }),
  reactions: fc.option(fc.array(fc.record({ reaction: fc.string(), actor: fc.string() }), { minLength: 1, maxLength: 2 }), { nil: undefined }),
}).map(({ seq, attachments, reactions, ...f }): Entry => {
  const m: Message = { thread: th, ...f };
  // fast-check's records have no prototype; the decoded ones are plain objects
  if (attachments) m.attachments = attachments.map((a) => ({ ...a }));
  if (reactions) m.reactions = reactions.map((r) => ({ ...r }));
  return { msg: m, seq };
});

/** What must survive: everything but the thread (set again by the order stage). */
const plain = (e: Entry) => {
  const { thread, ...rest } = e.msg;
  return { ...rest, seq: e.seq };
};

t.test('a block decodes to the entries encoded, one codec for the life of a store', async (t) => {
  t.doesNotThrow(() =>
    fc.assert(
      fc.property(fc.array(fc.array(anyEntry, { minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 4 }), (blocks) => {
        const codec = new SpillCodec();
        // the bytes are the codec's until the next encode: kept as a copy, decoded after all blocks
        const encoded = blocks.map((b) => Buffer.from(codec.encode(b)));
        blocks.forEach((b, i) => {
          const bytes = encoded[i]!;
          assert.equal(bytes.readUInt32LE(0), bytes.length - 4, 'the length prefix');
          const back = codec.decode(bytes.subarray(4), bytes.length - 4);
          assert.deepEqual(back.map(plain), b.map(plain));
        });
      }),
      { numRuns: 300 },
    ),
  );
});

t.test('senders come back as one shared string each, texts as written (null and "" apart)', async (t) => {
  const codec = new SpillCodec();
  const m = (sender: string, text: string | null): Entry => ({ msg: { thread: th, sender, timestampMs: 1, text, kind: 'text', index: 0, session: 0 }, seq: 0 });
  const bytes = codec.encode([m('Zoë', 'a'), m('Ada', null), m('Zoë', '')]);
  const back = codec.decode(bytes.subarray(4), bytes.length - 4);
  t.same(back.map((e) => [e.msg.sender, e.msg.text]), [['Zoë', 'a'], ['Ada', null], ['Zoë', '']]);
  t.notOk('attachments' in back[0]!.msg || 'reactions' in back[0]!.msg, 'no empty extras added');
});

t.test('run files: many blocks, read back in order, removed on close', async (t) => {
  const store = createFileSpill();
  const run = fc.sample(anyEntry, { numRuns: 1000, seed: 7 });
  const handle = store.write(run);
  t.ok(store.dir && existsSync(store.dir), 'a private folder');
  t.same([...{ [Symbol.iterator]: () => store.read(handle) }].map(plain), run.map(plain), '1,000 entries over 4 blocks');
  const dir = store.dir!;
  store.close();
  t.notOk(existsSync(dir), 'the folder is gone');
});
