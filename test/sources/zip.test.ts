/**
 * lib/sources/zip.ts against well-formed archives (yazl) and hand-broken ones (test/support/zip.ts):
 * RELIABILITY.md rows 13–16. Every fault must carry a `code` and name the archive and the entry.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { deflateRawSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import t, { type Test } from 'tap';
import { exitCodeOf, FbstreamError } from '../../lib/errors.js';
import type { InPlaceReader } from '../../lib/sources/entry.js';
import { readThreadHeader } from '../../lib/export/thread-header.js';
import { createInflateBudget, openZip, type ZipArchive, type ZipEntry, type ZipProblem } from '../../lib/sources/zip.js';
import { CORRUPT_DEFLATE, flipByte, offsetOf, rawZip, S_IFLNK, writeRawZip, yazlZip, type RawEntry } from '../support/zip.js';

interface Drained {
  bytes: Buffer;
  chunks: number[];
  ended: boolean;
  error?: Error & { code?: string; archive?: string; entry?: string; offset?: number };
}

/** Read a stream to its end or its error, recording whether `end` came. */
function drain(stream: Readable): Promise<Drained> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    const chunks: number[] = [];
    let ended = false;
    stream.on('data', (c: Buffer) => {
      parts.push(c);
      chunks.push(c.length);
    });
    stream.on('end', () => (ended = true));
    stream.on('error', (error) => resolve({ bytes: Buffer.concat(parts), chunks, ended, error }));
    stream.on('close', () => setImmediate(() => resolve({ bytes: Buffer.concat(parts), chunks, ended })));
  });
}

/** The entry's in-place reader, which this Node has for deflated entries too (else they would be streamed). */
function inPlaceReader(entry: ZipEntry): InPlaceReader {
  const reader = entry.readInPlace();
  if (reader === null) throw new Error(`${entry.path}: no in-place reader on this Node`);
  return reader;
}

/**
 * The same as {@link drain}, through `readInPlace()` with a buffer of `intoBytes`: the chunks as
 * handed out (copied, since a chunk is valid only until the next read), and `ended` once the
 * final checks passed. `readInPlace()` itself may throw: the entry was refused before any byte.
 */
function drainInPlace(entry: ZipEntry, intoBytes = 32 * 1024): Drained {
  const parts: Buffer[] = [];
  const chunks: number[] = [];
  const into = Buffer.alloc(intoBytes);
  try {
    const reader = inPlaceReader(entry);
    try {
      for (let c = reader.read(into); c.length > 0; c = reader.read(into)) {
        parts.push(Buffer.from(c));
        chunks.push(c.length);
      }
    } finally {
      reader.close();
    }
  } catch (err) {
    return { bytes: Buffer.concat(parts), chunks, ended: false, error: err as Drained['error'] };
  }
  return { bytes: Buffer.concat(parts), chunks, ended: true };
}

/** Both ways to read an entry: every check must hold for each. */
const READS = [
  ['streamed', (e: ZipEntry) => drain(e.open())],
  ['in place', (e: ZipEntry) => Promise.resolve(drainInPlace(e))],
] as const;

function byPath(zip: ZipArchive, path: string): ZipEntry {
  const e = zip.entries.find((x) => x.path === path);
  if (!e) throw new Error(`no entry ${path} in ${zip.entries.map((x) => x.path).join(', ')}`);
  return e;
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}
const HAVE_PROC = existsSync('/proc/self/fd');

/** The test's own folder (t.testdir() empties it on every call: create it once). */
const dirs = new WeakMap<Test, string>();
function dirOf(t: Test): string {
  let dir = dirs.get(t);
  if (!dir) dirs.set(t, (dir = t.testdir()));
  return dir;
}

/** Write bytes to a file in the test's folder and return its path. */
function file(t: Test, name: string, bytes: Buffer | string): string {
  const path = join(dirOf(t), name);
  writeFileSync(path, bytes);
  return path;
}

/** Open, run, always close. */
async function withZip<T>(path: string, fn: (zip: ZipArchive) => Promise<T> | T, options?: Parameters<typeof openZip>[1]): Promise<T> {
  const zip = await openZip(path, options);
  try {
    return await fn(zip);
  } finally {
    await zip.close();
  }
}

function assertProblem(t: Test, p: ZipProblem | undefined, archive: string, entry: string, kind: string, code: string): void {
  t.ok(p, `a problem for ${entry}`);
  if (!p) return;
  t.equal(p.kind, kind);
  t.equal(p.archive, archive);
  t.equal(p.entry, entry);
  t.equal(p.error.code, code);
  t.equal(p.error.archive, archive);
  t.equal(p.error.entry, entry);
  t.ok(p.error.message.startsWith(`${archive}:${entry}: `), p.error.message);
  t.equal(exitCodeOf(p.error), 1);
}

function assertReadError(t: Test, r: Drained, archive: string, entry: string, code: string, pattern: RegExp): void {
  t.notOk(r.ended, 'no end: the consumer keeps nothing from this entry');
  t.ok(r.error, 'the stream errors');
  if (!r.error) return;
  t.equal(r.error.code, code, r.error.message);
  t.equal(r.error.archive, archive);
  t.equal(r.error.entry, entry);
  t.ok(r.error.message.startsWith(`${archive}:${entry}`), r.error.message);
  t.match(r.error.message, pattern);
  t.ok(r.error instanceof FbstreamError);
}

const THREAD = JSON.stringify({ participants: [{ name: 'Ada' }], messages: [{ sender_name: 'Ada', timestamp_ms: 1, content: 'café ☕' }] });

t.test('a normal export: JSON and media, nested folders, byte-identical content', async (t) => {
  const photo = randomBytes(200_000);
  const big = Buffer.from(JSON.stringify({ messages: Array.from({ length: 20_000 }, (_, i) => ({ sender_name: 'Ada', timestamp_ms: i, content: `m${i}` })) }));
  const files = [
    { name: 'your_facebook_activity/messages/inbox/ada_1/message_1.json', content: big },
    { name: 'your_facebook_activity/messages/inbox/ada_1/message_2.json', content: THREAD, compress: false },
    { name: 'your_facebook_activity/messages/inbox/ada_1/photos/p.jpg', content: photo, compress: false },
    { name: 'your_facebook_activity/messages/autofill_information.JSON', content: '{}' },
    { name: 'empty.json', content: '' },
    { name: 'your_facebook_activity/messages/inbox/bo_2/message_1.json', content: THREAD, stream: true },
  ];
  const archive = file(t, 'facebook-ada-2025.zip', await yazlZip(files));

  await withZip(archive, async (zip) => {
    t.same(zip.problems, []);
    t.same(
      zip.entries.map((e) => e.path),
      [files[0]!.name, files[1]!.name, files[3]!.name, 'empty.json', files[5]!.name],
      'default: the .json entries (any case), in central-directory order',
    );
    for (const e of zip.entries) {
      const f = files.find((x) => x.name === e.path)!;
      t.equal(e.input, archive);
      t.equal(e.name, `${archive}:${e.path}`);
      t.equal(e.size, Buffer.byteLength(f.content));
      for (const [how, read] of READS) {
        const r = await read(e);
        t.notOk(r.error);
        t.ok(r.ended);
        t.ok(r.bytes.equals(Buffer.from(f.content)), `${e.path} round-trips, ${how}`);
      }
    }
    const first = byPath(zip, files[0]!.name);
    t.ok(first.compressedSize < first.size, 'deflated');
    const again = await Promise.all([drain(first.open()), drain(first.open())]);
    t.ok(again.every((r) => r.ended && r.bytes.equals(big)), 'each open() is a new stream; two at once');
  });

  await withZip(
    archive,
    async (zip) => {
      t.equal(zip.entries.length, 6, 'include: every file');
      const r = await drain(byPath(zip, files[2]!.name).open());
      t.ok(r.bytes.equals(photo), 'media round-trips');
    },
    { include: () => true },
  );
});

t.test('folders are skipped silently; entries stream in 64 KiB chunks through one descriptor', async (t) => {
  const zip0 = rawZip([
    { name: 'messages/', method: 0, externalAttributes: (0o40755 << 16) | 0x10 },
    { name: 'messages/inbox/', method: 0 },
    { name: 'messages/inbox/a_1/message_1.json', content: randomBytes(1024 * 1024), method: 0 },
    { name: 'messages/inbox/b_2/message_1.json', content: Buffer.alloc(1024 * 1024, 'x') },
    { name: 'messages/inbox/c_3/message_1.json', content: THREAD },
  ]);
  const archive = file(t, 'parts.zip', zip0);
  const before = HAVE_PROC ? openFds() : 0;
  const zip = await openZip(archive, { include: () => true });
  t.same(zip.problems, []);
  t.equal(zip.entries.length, 3, 'no folder entries');
  for (const e of zip.entries) {
    const r = await drain(e.open());
    t.ok(r.ended);
    t.equal(r.bytes.length, e.size);
    t.ok(Math.max(...r.chunks) <= 64 * 1024, `${e.path}: chunks of at most 64 KiB`);
    if (e.size >= 1024 * 1024) t.ok(r.chunks.length >= 16, `${e.path}: streamed, ${r.chunks.length} chunks`);
    if (HAVE_PROC) t.equal(openFds(), before + 1, 'one descriptor for the archive');
  }
  await zip.close();
  await zip.close();
  if (HAVE_PROC) t.equal(openFds(), before, 'close() releases it (and is idempotent)');
});

t.test('unsafe names are skipped and reported; the rest survives', async (t) => {
  const names = ['../evil.json', 'a/../../evil.json', '/etc/evil.json', 'C:/evil.json', '..\\..\\evil.json', 'c:\\evil.json', '\\\\server\\evil.json', 'x\0.json'];
  const archive = file(t, 'names.zip', rawZip([{ name: 'good/message_1.json', content: THREAD }, ...names.map((name) => ({ name, content: '{}' })), { name: 'win\\message_1.json', content: THREAD }]));
  await withZip(archive, async (zip) => {
    t.same(zip.entries.map((e) => e.path), ['good/message_1.json', 'win/message_1.json'], 'backslashes are separators');
    t.equal(zip.problems.length, names.length);
    for (const name of names) {
      const p = zip.problems.find((x) => x.entry === name);
      if (name.includes('\0')) {
        t.equal(p?.error.code, 'FBS_ZIP_UNSAFE');
        t.match(p?.error.message, /x\\u0000\.json/, 'control characters shown escaped');
        continue;
      }
      assertProblem(t, p, archive, name, 'unsafe-name', 'FBS_ZIP_UNSAFE');
    }
    t.match(zip.problems.find((x) => x.entry === '..\\..\\evil.json')?.error.message, /climbs out.*backslashes read as/);
    const r = await drain(byPath(zip, 'good/message_1.json').open());
    t.equal(r.bytes.toString(), THREAD);
  });
});

t.test('symbolic links and other non-files are skipped and reported', async (t) => {
  const archive = file(
    t,
    'links.zip',
    rawZip([
      { name: 'inbox/a_1/message_1.json', content: '/etc/passwd', method: 0, externalAttributes: S_IFLNK },
      { name: 'inbox/b_2/message_1.json', content: '', method: 0, externalAttributes: 0o10644 << 16 },
      { name: 'inbox/d_4/message_1.json', content: '', method: 0, externalAttributes: 0o40755 << 16 },
      { name: 'inbox/c_3/message_1.json', content: THREAD, versionMadeBy: 0x0014, externalAttributes: 0x20 },
    ]),
  );
  await withZip(archive, async (zip) => {
    assertProblem(t, zip.problems[0], archive, 'inbox/a_1/message_1.json', 'symlink', 'FBS_ZIP_UNSAFE');
    t.match(zip.problems[0]?.error.message, /symbolic link/);
    assertProblem(t, zip.problems[1], archive, 'inbox/b_2/message_1.json', 'not-a-file', 'FBS_ZIP_UNSAFE');
    assertProblem(t, zip.problems[2], archive, 'inbox/d_4/message_1.json', 'not-a-file', 'FBS_ZIP_UNSAFE');
    t.match(zip.problems[2]?.error.message, /not a regular file \(unix mode 0o40000\)/, 'a folder mode on a name without "/"');
    t.same(zip.entries.map((e) => e.path), ['inbox/c_3/message_1.json'], 'a DOS-made entry with attributes but no unix mode is a file');
  });
});

t.test('duplicate names: the first is kept, later ones skipped and reported', async (t) => {
  const archive = file(
    t,
    'dups.zip',
    rawZip([
      { name: 'inbox/a_1/message_1.json', content: '{"first":true}' },
      { name: 'inbox/a_1/message_1.json', content: '{"second":true}' },
      { name: 'inbox\\a_1\\message_1.json', content: '{"third":true}' },
    ]),
  );
  await withZip(archive, async (zip) => {
    t.equal(zip.entries.length, 1);
    t.equal((await drain(zip.entries[0]!.open())).bytes.toString(), '{"first":true}');
    assertProblem(t, zip.problems[0], archive, 'inbox/a_1/message_1.json', 'duplicate', 'FBS_ZIP_UNSAFE');
    assertProblem(t, zip.problems[1], archive, 'inbox\\a_1\\message_1.json', 'duplicate', 'FBS_ZIP_UNSAFE');
  });
});

t.test('encrypted entries and unknown compression are reported, not readable', async (t) => {
  const archive = file(
    t,
    'locked.zip',
    rawZip([
      { name: 'inbox/a_1/message_1.json', data: randomBytes(40), flags: 0x801, method: 8, crc32: 1, uncompressedSize: 28 },
      { name: 'inbox/b_2/message_1.json', data: randomBytes(40), method: 12, crc32: 1, uncompressedSize: 80 },
      { name: 'inbox/c_3/message_1.json', content: THREAD },
    ]),
  );
  await withZip(archive, async (zip) => {
    assertProblem(t, zip.problems[0], archive, 'inbox/a_1/message_1.json', 'encrypted', 'FBS_ZIP_UNSUPPORTED');
    assertProblem(t, zip.problems[1], archive, 'inbox/b_2/message_1.json', 'unsupported-method', 'FBS_ZIP_UNSUPPORTED');
    t.match(zip.problems[1]?.error.message, /method 12 \(bzip2\)/);
    t.same(zip.entries.map((e) => e.path), ['inbox/c_3/message_1.json']);
  });
});

t.test('corrupt data errors name the archive and the entry, before any end', async (t) => {
  const content = Buffer.from(THREAD.repeat(50));
  const deflated = deflateRawSync(content);
  const stored = { name: 'stored.json', content, method: 0 } satisfies RawEntry;
  const entries: RawEntry[] = [
    { name: 'ok.json', content },
    { name: 'bad-deflate.json', data: CORRUPT_DEFLATE, content },
    { name: 'cut-deflate.json', data: deflated.subarray(0, deflated.length >> 1), content },
    { name: 'crc-field.json', content, crc32: 0x12345678 },
    stored,
    { name: 'declares-more.json', content, uncompressedSize: content.length + 10 },
    { name: 'declares-less.json', content, uncompressedSize: content.length - 10 },
    { name: 'stored-sizes.json', content, method: 0, uncompressedSize: content.length - 1 },
    { name: 'bad-offset.json', content, offset: undefined },
  ];
  let bytes = rawZip(entries);
  // flip one byte inside the stored entry's data: a CRC mismatch
  const storedAt = offsetOf(bytes, Buffer.concat([Buffer.from('stored.json'), content.subarray(0, 16)])) + 'stored.json'.length + 100;
  bytes = flipByte(bytes, storedAt);
  // point the last entry's local header offset at the middle of a data area
  const lastCd = bytes.lastIndexOf(Buffer.from('bad-offset.json')) - 46;
  bytes.writeUInt32LE(10, lastCd + 42);
  const archive = file(t, 'corrupt.zip', bytes);

  for (const [how, read] of READS) {
    await withZip(archive, async (zip) => {
      t.comment(how);
      t.same(zip.problems, [], 'data faults show only when read');
      t.equal(zip.entries.length, entries.length);
      const ok = await read(byPath(zip, 'ok.json'));
      t.ok(ok.ended && ok.bytes.equals(content), 'a good entry next to the bad ones reads fine');

      assertReadError(t, await read(byPath(zip, 'bad-deflate.json')), archive, 'bad-deflate.json', 'FBS_ZIP_CORRUPT', /corrupt compressed data: invalid block type/);
      assertReadError(t, await read(byPath(zip, 'cut-deflate.json')), archive, 'cut-deflate.json', 'FBS_ZIP_CORRUPT', /corrupt compressed data: unexpected end of file/);
      const crc = await read(byPath(zip, 'crc-field.json'));
      assertReadError(t, crc, archive, 'crc-field.json', 'FBS_ZIP_CORRUPT', /CRC-32 mismatch: the archive records 0x12345678/);
      t.equal(crc.error?.offset, content.length, 'at the end of the entry');
      assertReadError(t, await read(byPath(zip, 'stored.json')), archive, 'stored.json', 'FBS_ZIP_CORRUPT', /CRC-32 mismatch/);
      assertReadError(t, await read(byPath(zip, 'declares-more.json')), archive, 'declares-more.json', 'FBS_ZIP_CORRUPT', new RegExp(`ends after ${content.length} bytes, the archive declares ${content.length + 10}`));
      const less = await read(byPath(zip, 'declares-less.json'));
      assertReadError(t, less, archive, 'declares-less.json', 'FBS_ZIP_CORRUPT', /holds more than the \d+ bytes the archive declares/);
      t.ok(less.bytes.length <= content.length - 10, 'nothing past the declared size is passed on');
      const sizes = await read(byPath(zip, 'stored-sizes.json'));
      assertReadError(t, sizes, archive, 'stored-sizes.json', 'FBS_ZIP_CORRUPT', /false sizes: the stored entry declares/);
      t.equal(sizes.bytes.length, 0, 'refused before reading');
      assertReadError(t, await read(byPath(zip, 'bad-offset.json')), archive, 'bad-offset.json', 'FBS_ZIP_CORRUPT', /cannot reach the entry's data: invalid local file header signature/);
    });
  }
});

t.test('in place: the same bytes through buffers of any size; data past the end of the archive', async (t) => {
  const json = Buffer.from(JSON.stringify({ messages: Array.from({ length: 1000 }, (_, i) => ({ sender_name: 'Zoë', timestamp_ms: i, content: `café ☕ ${i}` })) }));
  const noise = randomBytes(40_000);
  const archive = file(
    t,
    'inplace.zip',
    rawZip([
      { name: 'deflated.json', content: json },
      { name: 'stored.json', content: json, method: 0 },
      { name: 'noise.json', content: noise },
      { name: 'empty.json', content: '' },
      { name: 'overflows.json', content: THREAD, method: 0, compressedSize: 10_000_000, uncompressedSize: 10_000_000 },
    ]),
  );
  await withZip(archive, async (zip) => {
    for (const size of [1, 7, 1000, 32 * 1024, 100_000]) {
      for (const [path, content] of [['deflated.json', json], ['stored.json', json], ['noise.json', noise], ['empty.json', Buffer.alloc(0)]] as const) {
        const r = drainInPlace(byPath(zip, path), size);
        t.ok(r.ended && !r.error, `${path}, ${size}-byte buffer: ends`);
        t.ok(r.bytes.equals(content), `${path}, ${size}-byte buffer: the same bytes`);
        t.ok(r.chunks.every((n) => n > 0 && n <= size), `${path}, ${size}-byte buffer: chunks fit the buffer`);
        t.ok(r.chunks.slice(0, -1).every((n) => n === size), `${path}, ${size}-byte buffer: every chunk but the last fills it`);
      }
    }
    for (const [how, read] of READS) {
      const r = await read(byPath(zip, 'overflows.json'));
      assertReadError(t, r, archive, 'overflows.json', 'FBS_ZIP_CORRUPT', /cannot reach the entry's data: .*(overflows file bounds|runs past the end of the archive)/);
      t.equal(r.bytes.length, 0, `${how}: refused before reading`);
    }
  });
});

t.test('the data starts after the local header\'s own name and extra field, longer than the central one', async (t) => {
  const content = Buffer.from(THREAD.repeat(30));
  const timestamps = Buffer.concat([Buffer.from([0x55, 0x54, 33, 0]), Buffer.alloc(33, 0x7f)]);
  const archive = file(
    t,
    'local-extra.zip',
    rawZip([
      { name: 'deflated.json', content, localExtra: timestamps },
      { name: 'stored.json', content, method: 0, localExtra: timestamps },
    ]),
  );
  for (const [how, read] of READS) {
    await withZip(archive, async (zip) => {
      for (const entry of zip.entries) {
        const r = await read(entry);
        t.ok(r.ended && r.bytes.equals(content), `${how}: ${entry.path} reads back`);
      }
    });
  }
});

t.test('bytes after the end of the deflate stream are not read: the size and CRC-32 decide', async (t) => {
  const content = Buffer.from(THREAD.repeat(20));
  const deflated = deflateRawSync(content);
  const archive = file(
    t,
    'trailing.zip',
    rawZip([
      { name: 'trailing.json', data: Buffer.concat([deflated, randomBytes(70_000)]), content },
      { name: 'early-end.json', data: deflateRawSync(content.subarray(0, 100)), content },
    ]),
  );
  for (const [how, read] of READS) {
    await withZip(archive, async (zip) => {
      const r = await read(byPath(zip, 'trailing.json'));
      t.ok(r.ended && r.bytes.equals(content), `${how}: the entry's bytes, and its end`);
      assertReadError(t, await read(byPath(zip, 'early-end.json')), archive, 'early-end.json', 'FBS_ZIP_CORRUPT', /false size: the entry ends after 100 bytes/);
    });
  }
});

t.test('in place: closing the archive mid-read is an I/O error; reading after close too', async (t) => {
  const archive = file(t, 'close-inplace.zip', rawZip([{ name: 'a.json', content: randomBytes(200_000) }, { name: 'b.json', content: randomBytes(200_000), method: 0 }]));
  const zip = await openZip(archive);
  const into = Buffer.alloc(32 * 1024);
  const readers = zip.entries.map(inPlaceReader);
  for (const reader of readers) t.ok(reader.read(into).length > 0, 'a first chunk');
  await zip.close();
  for (const [i, reader] of readers.entries()) {
    const name = zip.entries[i]!.path.replace('.', '\\.');
    t.throws(() => {
      while (reader.read(into).length > 0);
    }, { code: 'FBS_IO', message: new RegExp(`close-inplace\\.zip:${name}: archive closed while the entry was being read`) });
    reader.close();
  }
  t.throws(() => zip.entries[0]!.readInPlace(), { code: 'FBS_IO', message: /close-inplace\.zip:a\.json: cannot read the entry: the archive is closed/ });
});

t.test('zip bombs: a declared ratio past maxRatio is refused before inflating', async (t) => {
  const zeros = Buffer.alloc(20 * 1024 * 1024);
  const archive = file(
    t,
    'bomb.zip',
    rawZip([
      { name: 'bomb.json', content: zeros },
      { name: 'small.json', content: Buffer.alloc(100_000, ' ') },
      { name: 'ok.json', content: THREAD },
    ]),
  );
  await withZip(archive, async (zip) => {
    assertProblem(t, zip.problems[0], archive, 'bomb.json', 'ratio', 'FBS_LIMIT');
    t.match(zip.problems[0]?.error.message, /limit exceeded: entry skipped before inflating: it declares 20971520 bytes from \d+ compressed, a ratio of \d+ past maxRatio 100/);
    t.same(zip.entries.map((e) => e.path), ['small.json', 'ok.json'], 'small entries are under the ratio grace');
  });
  await withZip(archive, (zip) => t.same(zip.problems.map((p) => p.entry), ['bomb.json', 'small.json']), { ratioGraceBytes: 0 });
  await withZip(archive, (zip) => t.same(zip.problems, []), { maxRatio: 2000 });
});

t.test('zip bombs: an entry lying about its size stops at the declared size', async (t) => {
  const archive = file(t, 'liar.zip', rawZip([{ name: 'liar.json', content: Buffer.alloc(50 * 1024 * 1024), uncompressedSize: 1000 }]));
  await withZip(archive, async (zip) => {
    t.same(zip.problems, [], 'the declared ratio looks harmless');
    for (const [how, read] of READS) {
      const r = await read(zip.entries[0]!);
      assertReadError(t, r, archive, 'liar.json', 'FBS_ZIP_CORRUPT', /holds more than the 1000 bytes/);
      t.ok(r.bytes.length <= 1000, `${how}: passed on ${r.bytes.length} bytes`);
    }
  });
});

t.test('zip bombs: the budget of inflated bytes stops reading mid-stream', async (t) => {
  const mib = 1024 * 1024;
  const archive = file(
    t,
    'budget.zip',
    rawZip([
      { name: 'a.json', content: randomBytes(3 * mib), method: 0 },
      { name: 'b.json', content: randomBytes(mib) },
    ]),
  );
  for (const [how, read] of READS) {
    await withZip(
      archive,
      async (zip) => {
        const r = await read(byPath(zip, 'a.json'));
        assertReadError(t, r, archive, 'a.json', 'FBS_LIMIT', /limit exceeded: inflated bytes would pass maxTotalBytes 2097152/);
        t.ok(r.bytes.length > 0 && r.bytes.length <= 2 * mib, `${how}: stopped mid-stream after ${r.bytes.length} bytes`);
        t.equal(typeof r.error?.offset, 'number', 'with the byte offset in the entry');
      },
      { maxTotalBytes: 2 * mib },
    );

    const budget = createInflateBudget(2.5 * mib);
    await withZip(archive, async (zip) => t.ok((await read(byPath(zip, 'b.json'))).ended), { budget });
    await withZip(archive, async (zip) => t.ok((await read(byPath(zip, 'b.json'))).ended), { budget });
    await withZip(
      archive,
      async (zip) => {
        const r = await read(byPath(zip, 'b.json'));
        t.equal(r.error?.code, 'FBS_LIMIT', `${how}: one budget across archives: the third read passes it`);
        t.ok(r.bytes.length < mib, 'stopped before the whole entry');
      },
      { budget },
    );
    t.ok(budget.used <= budget.limit);
  }
});

t.test('not a zip, truncated, empty, missing: openZip rejects naming the archive', async (t) => {
  const good = await yazlZip([{ name: 'a/message_1.json', content: THREAD }]);
  const before = HAVE_PROC ? openFds() : 0;
  const cases: [string, Buffer | string | null, string, RegExp][] = [
    ['notes.zip', 'just some text, not a zip at all\n'.repeat(10), 'FBS_ZIP_INVALID', /not a zip archive, or a truncated one: no end-of-central-directory record/],
    ['cut-end.zip', good.subarray(0, good.length - 10), 'FBS_ZIP_INVALID', /no end-of-central-directory record/],
    ['cut-half.zip', good.subarray(0, good.length >> 1), 'FBS_ZIP_INVALID', /no end-of-central-directory record/],
    ['empty.zip', Buffer.alloc(0), 'FBS_EMPTY_INPUT', /empty file, not a zip archive/],
    ['cd-cut.zip', Buffer.concat([good.subarray(0, good.length - 30), good.subarray(good.length - 22)]), 'FBS_ZIP_INVALID', /unreadable central directory after 0 entries/],
    ['missing.zip', null, 'FBS_IO', /cannot open archive .*missing\.zip: ENOENT/],
  ];
  for (const [name, bytes, code, pattern] of cases) {
    const path = bytes === null ? join(dirOf(t), name) : file(t, name, bytes);
    await t.rejects(openZip(path), { code, message: pattern }, name);
    const err = await openZip(path).catch((e: Error) => e);
    t.ok(err instanceof FbstreamError && err.message.includes(path), `${name}: the message names the archive`);
    if (code !== 'FBS_IO') t.equal(exitCodeOf(err), 1, `${name}: exit 1`);
  }
  const dir = join(dirOf(t), 'folder.zip');
  mkdirSync(dir);
  await t.rejects(openZip(dir), { code: 'FBS_ZIP_INVALID', message: /not a regular file/ });
  if (HAVE_PROC) t.equal(openFds(), before, 'no descriptor left open by failed opens');
});

t.test('strong encryption (bit 6): yauzl refuses the whole listing, with a coded error', async (t) => {
  const archive = file(t, 'strong.zip', rawZip([{ name: 'a.json', content: '{}' }, { name: 'b.json', data: randomBytes(30), flags: 0x841, uncompressedSize: 2 }]));
  await t.rejects(openZip(archive), { code: 'FBS_ZIP_INVALID', message: /strong\.zip: unreadable central directory after 1 entries: strong encryption is not supported/ });
});

t.test('a central directory that goes on past the count its end record gives is refused', async (t) => {
  const archive = file(t, 'wrapped.zip', rawZip([{ name: 'a.json', content: '{}' }, { name: 'b.json', content: '{}' }], { entryCount: 1 }));
  await t.rejects(openZip(archive), { code: 'FBS_ZIP_INVALID', message: /holds more entries than the 1 its end record declares/ });
});

t.test('ZIP64: an entry past 4 GiB in a sparse archive', async (t) => {
  const path = join(dirOf(t), 'big.zip');
  const hole = 4.5 * 1024 ** 3;
  const size = writeRawZip(path, [
    { name: 'media/video.mp4', method: 0, holeSize: hole },
    { name: 'inbox/a_1/message_1.json', content: THREAD },
    { name: 'inbox/a_1/message_2.json', content: THREAD, method: 0, offset: 5 * 1024 ** 3 },
  ]);
  t.ok(size > 5 * 1024 ** 3, `a ${size}-byte archive`);
  await withZip(
    path,
    async (zip) => {
      t.same(zip.problems, []);
      t.equal(byPath(zip, 'media/video.mp4').size, hole, 'a 4.5 GiB entry, listed from its ZIP64 extra field');
      for (const p of ['inbox/a_1/message_1.json', 'inbox/a_1/message_2.json']) {
        const r = await drain(byPath(zip, p).open());
        t.ok(r.ended && r.bytes.toString() === THREAD, `${p}, stored past 4 GiB, reads back`);
      }
    },
    { include: () => true },
  );
});

t.test('more than 65,535 entries', async (t) => {
  const n = 70_000;
  const entries: RawEntry[] = [];
  for (let i = 0; i < n; i++) entries.push({ name: `inbox/t_${i}/message_1.json`, content: `{"i":${i}}`, method: 0 });
  const archive = file(t, 'many.zip', rawZip(entries));
  const started = Date.now();
  await withZip(archive, async (zip) => {
    t.equal(zip.entries.length, n);
    t.same(zip.problems, []);
    t.comment(`listed ${n} entries in ${Date.now() - started} ms`);
    const last = await drain(zip.entries[n - 1]!.open());
    t.equal(last.bytes.toString(), `{"i":${n - 1}}`);
  });
  const wrapped = file(t, 'wrapped-many.zip', rawZip(entries, { entryCount: n % 65_536 }));
  await t.rejects(openZip(wrapped), { code: 'FBS_ZIP_INVALID', message: /wrapped at 65,536/ }, 'a wrapped count without ZIP64 is caught, not silently short');
  const toZero = file(t, 'wrapped-to-zero.zip', rawZip(entries.slice(0, 65_536), { entryCount: 0 }));
  await t.rejects(openZip(toZero), { code: 'FBS_ZIP_INVALID', message: /declares 0 entries, yet \d+ bytes come before it \(a count wrapped at 65,536\?\)/ }, 'a count wrapped to 0 too');
  const empty = file(t, 'empty-archive.zip', await yazlZip([]));
  await withZip(empty, (zip) => t.same([zip.entries, zip.problems], [[], []], 'an empty archive is no wrapped count'));
});

t.test('close(): streams still reading error; reading after close errors', async (t) => {
  const archive = file(t, 'close.zip', rawZip([{ name: 'a.json', content: randomBytes(2 * 1024 * 1024), method: 0 }]));
  const zip = await openZip(archive);
  const stream = zip.entries[0]!.open();
  const result = new Promise<Drained>((resolve) => {
    let got = 0;
    stream.on('data', (c: Buffer) => {
      got += c.length;
      stream.pause();
      if (got >= 64 * 1024) void zip.close();
    });
    stream.on('error', (error) => resolve({ bytes: Buffer.alloc(got), chunks: [], ended: false, error }));
    stream.on('end', () => resolve({ bytes: Buffer.alloc(got), chunks: [], ended: true }));
  });
  stream.resume();
  stream.on('pause', () => setImmediate(() => stream.resume()));
  const r = await result;
  t.notOk(r.ended);
  t.equal(r.error?.code, 'FBS_IO');
  t.match(r.error?.message, /close\.zip:a\.json: archive closed while the entry was being read/);
  await zip.close();
  const after = await drain(zip.entries[0]!.open());
  t.equal(after.error?.code, 'FBS_IO');
  t.match(after.error?.message, /close\.zip:a\.json: cannot read the entry: the archive is closed/);
});

t.test('options are checked', async (t) => {
  const archive = file(t, 'o.zip', rawZip([{ name: 'a.json', content: '{}' }]));
  await t.rejects(openZip(archive, { maxRatio: 0 }), { code: 'FBS_INVALID_OPTION', message: 'Invalid option maxRatio: must be a finite number >= 1, got 0' });
  await t.rejects(openZip(archive, { maxTotalBytes: -1 }), { code: 'FBS_INVALID_OPTION', message: /maxTotalBytes: must be an integer >= 0, got -1/ });
  await t.rejects(openZip(archive, { ratioGraceBytes: 1.5 }), { code: 'FBS_INVALID_OPTION' });
  await t.rejects(openZip(archive, { budget: createInflateBudget(1), maxTotalBytes: 1 }), { code: 'FBS_INVALID_OPTION', message: /must not be given with budget/ });
});

t.test('thread headers are read in place from stored and deflated entries, no stream opened', async (t) => {
  const people = [{ name: 'Zo\u00c3\u00ab' }, { name: 'Ada' }];
  const messages = Array.from({ length: 5000 }, (_, i) => ({ sender_name: 'Ada', timestamp_ms: 1e12 + i, content: `message ${i}` }));
  const content = JSON.stringify({ participants: people, messages, title: 'Zo\u00c3\u00ab' });
  const archive = file(t, 'headers.zip', await yazlZip([
    { name: 'inbox/zoe_1/message_1.json', content },
    { name: 'inbox/zoe_2/message_1.json', content, compress: false },
    { name: 'inbox/cut_3/message_1.json', content: content.slice(0, 40) },
  ]));
  await withZip(archive, async (zip) => {
    const noStream = (e: ZipEntry) => ({
      ...e,
      open: () => {
        throw new Error('opened as a stream');
      },
    });
    const [deflated, stored, cut] = zip.entries.map(noStream);
    for (const e of [deflated!, stored!]) {
      t.same(await readThreadHeader(e), { participants: ['Zoë', 'Ada'], isGroup: false, format: 'classic' }, e.path);
    }
    await t.rejects(readThreadHeader(cut!), { code: 'FBS_JSON_SYNTAX', source: `${archive}:inbox/cut_3/message_1.json` });
  });
});
