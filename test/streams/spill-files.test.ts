/**
 * lib/streams/spill-files.ts: the order stage's runs in temporary files. A run comes back as it
 * went (block by block, or backwards), a merged run's file goes at once, the folder on close.
 * (The block format itself: test/core/order/spill-codec.test.ts.)
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { Entry } from '../../lib/core/order/entry.js';
import { createFileSpill } from '../../lib/streams/spill-files.js';
import { msg, threadInfo } from '../support/messages.js';

const th = threadInfo();
const entries = (from: number, n: number): Entry[] =>
  Array.from({ length: n }, (_, i) => from + i).map((k) => ({ msg: msg(th, k % 2 ? 'Zoë' : 'Ada', k, k % 7 ? `#${k} 🎉` : null), seq: k }));
/** What a run keeps of an entry (the thread is set again by the order stage). */
const kept = (list: Iterable<Entry>) => [...list].map((e) => [e.seq, e.msg.sender, e.msg.timestampMs, e.msg.text]);
const readAll = (store: ReturnType<typeof createFileSpill>, handle: number) => kept({ [Symbol.iterator]: () => store.read(handle) });

function parent(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'fbstream-spill-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('no folder until a run is written; runs come back in order; the folder goes on close, once', async (t) => {
  const dir = parent(t);
  const store = createFileSpill({ dir });
  t.equal(store.dir, null, 'nothing made before it is needed');
  t.same(readdirSync(dir), []);
  const a = store.write(entries(0, 700));
  const b = store.write(entries(1000, 3));
  t.ok(store.dir !== null && store.dir.startsWith(dir), 'a private folder under the one given');
  t.same(readAll(store, a), kept(entries(0, 700)));
  t.same(readAll(store, b), kept(entries(1000, 3)));
  store.close();
  t.same(readdirSync(dir), [], 'the folder is gone');
  t.doesNotThrow(() => store.close(), 'close is idempotent');
  t.doesNotThrow(() => createFileSpill({ dir }).close(), 'closing a store that never wrote');
});

t.test('writeBlocks: the codec\'s blocks as they are, read forwards or backwards', async (t) => {
  const store = createFileSpill({ dir: parent(t) });
  t.teardown(() => store.close());
  const blocks = [entries(0, 3), entries(3, 2)].map((b) => Buffer.from(store.codec.encode(b)));
  const forwards = store.writeBlocks(blocks, false);
  const backwards = store.writeBlocks(blocks, true);
  t.same(readAll(store, forwards), kept(entries(0, 5)));
  t.same(readAll(store, backwards), kept(entries(0, 5)).reverse(), 'the run is the rows backwards');
});

t.test('remove: a merged run\'s file goes at once, the others stay readable', async (t) => {
  const store = createFileSpill({ dir: parent(t) });
  t.teardown(() => store.close());
  const a = store.write(entries(0, 4));
  const b = store.write(entries(10, 4));
  t.equal(readdirSync(store.dir!).length, 2);
  store.remove(a);
  t.equal(readdirSync(store.dir!).length, 1);
  t.same(readAll(store, b), kept(entries(10, 4)));
  t.throws(() => readAll(store, a), 'a removed run is an error, not an empty run');
});

t.test('no place for the folder: a coded I/O error, and nothing made', async (t) => {
  const missing = join(parent(t), 'no', 'such', 'folder');
  const store = createFileSpill({ dir: missing });
  t.throws(() => store.write(entries(0, 2)), { code: 'FBS_IO' });
  t.notOk(existsSync(missing));
  t.doesNotThrow(() => store.close());
});
