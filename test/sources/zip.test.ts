/**
 * lib/sources/zip.ts, the archive and its listing, against well-formed archives (yazl) and
 * hand-broken ones (test/support/zip.ts): names, links, duplicates, encryption, declared ratios,
 * not a zip, wrapped counts, ZIP64. Every fault must carry a `code` and name the archive and the
 * entry. Reading entries' data: zip-read.test.ts.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { exitCodeOf, FbstreamError } from '../../lib/errors.js';
import { createInflateBudget, openZip } from '../../lib/sources/zip.js';
import { rawZip, S_IFLNK, writeRawZip, yazlZip, type RawEntry } from '../support/zip.js';
import { assertProblem, byPath, dirOf, drain, file, HAVE_PROC, openFds, READS, THREAD, withZip } from '../support/zip-read.js';

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

t.test('options are checked', async (t) => {
  const archive = file(t, 'o.zip', rawZip([{ name: 'a.json', content: '{}' }]));
  await t.rejects(openZip(archive, { maxRatio: 0 }), { code: 'FBS_INVALID_OPTION', message: 'Invalid option maxRatio: must be a finite number >= 1, got 0' });
  await t.rejects(openZip(archive, { maxTotalBytes: -1 }), { code: 'FBS_INVALID_OPTION', message: /maxTotalBytes: must be an integer >= 0, got -1/ });
  await t.rejects(openZip(archive, { ratioGraceBytes: 1.5 }), { code: 'FBS_INVALID_OPTION' });
  await t.rejects(openZip(archive, { budget: createInflateBudget(1), maxTotalBytes: 1 }), { code: 'FBS_INVALID_OPTION', message: /must not be given with budget/ });
});
