// The pieces under an upload in parts: the part ranges, the md5 of the whole file read once
// (parts larger than the read buffer included), and the record beside the data (what it must
// match, saves coalesced and atomic).
import { createHash } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t from 'tap';
import { partRanges, readParts } from '../../lib/api/upload/parts.js';
import { createStateWriter, mismatchOf, newState, readState, statePathOf, writeState } from '../../lib/api/upload/state.js';
import { tempDir } from '../support/cli.js';

t.test('part ranges cover the file in order, the last one short', async (t) => {
  t.same(partRanges(10, 3), [
    { index: 0, start: 0, end: 3 },
    { index: 1, start: 3, end: 6 },
    { index: 2, start: 6, end: 9 },
    { index: 3, start: 9, end: 10 },
  ]);
  t.same(partRanges(6, 3).map((r) => r.end), [3, 6]);
  t.same(partRanges(2, 64), [{ index: 0, start: 0, end: 2 }]);
});

t.test('the md5 of the whole file, whatever the part size', async (t) => {
  const path = join(tempDir(t, 'fbstream-parts-'), 'data.jsonl');
  const data = Buffer.alloc(9 * 1024 * 1024 + 7);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 12)) & 0xff;
  writeFileSync(path, data);
  const expected = createHash('md5').update(data).digest('hex');
  for (const partSize of [1000, 4 * 1024 * 1024, 5 * 1024 * 1024, 64 * 1024 * 1024]) {
    const reader = readParts(path, data.length, partSize);
    const seen: number[] = [];
    for await (const part of reader.parts) seen.push(part.index);
    t.same(seen, partRanges(data.length, partSize).map((r) => r.index), `parts of ${partSize} in order`);
    t.equal(reader.md5(), expected, `md5 with parts of ${partSize}`);
  }
  const unread = readParts(path, data.length, 1000);
  t.throws(() => unread.md5(), /before the whole file was read/);
});

t.test('the record: trusted only for the same file, part size and endpoint', async (t) => {
  const identity = { provider: 'openai', endpoint: 'http://127.0.0.1:1/v1', size: 100, mtimeMs: 5, partSize: 10 };
  const state = newState(identity, { id: 'upload-1', created_at: 1, expires_at: 3601 });
  t.equal(mismatchOf(state, identity), null);
  t.match(mismatchOf(state, { ...identity, provider: 'azure' }), /made for openai at http:\/\/127\.0\.0\.1:1\/v1/);
  t.match(mismatchOf(state, { ...identity, endpoint: 'https://api.openai.com/v1' }), /made for openai/);
  t.equal(mismatchOf(state, { ...identity, size: 101 }), 'the file has changed since');
  t.equal(mismatchOf(state, { ...identity, mtimeMs: 6 }), 'the file has changed since');
  t.match(mismatchOf(state, { ...identity, partSize: 20 }), /parts of 10 bytes, not 20/);
});

t.test('the record on disk: read back, unreadable, saves coalesced, no temporary file left', async (t) => {
  const path = statePathOf(join(tempDir(t, 'fbstream-state-'), 'train.jsonl'));
  t.equal(await readState(path), null, 'none yet');
  const state = newState({ provider: 'openai', endpoint: 'e', size: 100, mtimeMs: 5, partSize: 10 }, { id: 'upload-1', created_at: 1, expires_at: 3601 });
  await writeState(path, state);
  t.same(await readState(path), state);

  const writer = createStateWriter(path, state);
  const saves: Promise<void>[] = [];
  for (let i = 0; i < 10; i++) {
    state.parts[i] = `part-${i}`;
    saves.push(writer.save());
  }
  await Promise.all(saves);
  await writer.flush();
  t.same((await readState(path)) as object, { ...state, parts: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [String(i), `part-${i}`])) }, 'every part acknowledged is on disk');
  t.same(readdirSync(dirname(path)), ['train.jsonl.fbstream-upload.json'], 'no temporary file beside it');

  for (const bad of ['{', '{"version":1}', JSON.stringify({ ...state, parts: { 0: 7 } }), JSON.stringify({ ...state, version: 2 })]) {
    writeFileSync(path, bad);
    t.equal(await readState(path), 'unreadable', bad.slice(0, 30));
  }
});
