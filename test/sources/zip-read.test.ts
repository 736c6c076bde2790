/**
 * lib/sources/zip.ts, reading entries' data, streamed and in place (lib/sources/zip/in-place.ts):
 * corrupt deflate data, CRC-32, lying sizes, the inflate budget, data past the archive's end, the
 * local header's own lengths, closing mid-read. Every fault must arrive before the end, with a
 * `code`, naming the archive and the entry.
 */
import { deflateRawSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { readThreadHeader } from '../../lib/export/thread-header.js';
import { createInflateBudget, openZip, type ZipEntry } from '../../lib/sources/zip.js';
import { CORRUPT_DEFLATE, flipByte, offsetOf, rawZip, yazlZip, type RawEntry } from '../support/zip.js';
import { assertReadError, byPath, drain, drainInPlace, file, inPlaceReader, READS, THREAD, withZip, type Drained } from '../support/zip-read.js';

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
  const readers = zip.entries.map((e) => inPlaceReader(e));
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

t.test('in place: a deflated entry larger than the whole-inflate bound is left to the stream', async (t) => {
  const content = Buffer.from(THREAD.repeat(100));
  const archive = file(t, 'bound.zip', rawZip([{ name: 'deflated.json', content }, { name: 'stored.json', content, method: 0 }]));
  await withZip(archive, async (zip) => {
    const { readInPlace } = await import('../../lib/sources/zip/in-place.js');
    const { EntryTally } = await import('../../lib/sources/zip/entry-checks.js');
    const [deflated, stored] = [byPath(zip, 'deflated.json'), byPath(zip, 'stored.json')];
    t.ok(deflated.readInPlace(), 'within the default bound: read in place');
    const tally = () => new EntryTally(content.length, 0, { limit: Infinity, used: 0 }, { archive, entry: 'x' });
    const archiveLike = { reader: { readSync: () => 0 }, closing: null } as never;
    t.equal(readInPlace(archiveLike, 0, 8, deflated.compressedSize, tally(), content.length - 1), null, 'a deflated entry over the bound: null');
    t.not(readInPlace(archiveLike, 0, 0, content.length, tally(), content.length - 1), null, 'a stored entry is read in place whatever its size');
    t.same(drainInPlace(stored).bytes, content);
  });
});

t.test('in place, its start first: the inflated start of a few compressed bytes, then the same bytes as whole', async (t) => {
  // varied text: a compressed entry of some KiB
  const content = Buffer.from(Array.from({ length: 4000 }, (_, i) => `${i * 7919} `).join(''));
  const deflated = deflateRawSync(content);
  const archive = file(t, 'start.zip', rawZip([{ name: 'a.json', content }, { name: 'cut.json', data: deflated.subarray(0, deflated.length >> 1), content }]));
  await withZip(archive, async (zip) => {
    const whole = drainInPlace(byPath(zip, 'a.json'));
    const started = drainInPlace(byPath(zip, 'a.json'), 32 * 1024, { head: 64 });
    t.ok(started.ended && started.bytes.equals(content) && whole.bytes.equals(content), 'the same bytes, and the end');
    t.equal(whole.chunks[0], 32 * 1024, 'whole: the first read fills the buffer');
    t.ok(started.chunks[0]! > 0 && started.chunks[0]! < 1024, `the start: what 64 compressed bytes hold (${started.chunks[0]})`);
    // a header's read stops there: the fault further on is the conversion's to find
    const reader = inPlaceReader(byPath(zip, 'cut.json'), { head: 64 });
    t.same(Buffer.from(reader.read(Buffer.alloc(1024))), content.subarray(0, started.chunks[0]), 'a cut entry: its start reads');
    t.throws(() => {
      while (reader.read(Buffer.alloc(1024)).length > 0);
    }, { code: 'FBS_ZIP_CORRUPT', message: /unexpected end of file/ }, 'reading on finds the cut');
    reader.close();
  });
});

t.test('in place, whole: a deflated entry\'s every byte in one call, made as the first call only', async (t) => {
  const content = Buffer.from(Array.from({ length: 4000 }, (_, i) => `${i * 7919} `).join(''));
  const archive = file(t, 'whole.zip', rawZip([{ name: 'a.json', content }, { name: 'stored.json', content, method: 0 }]));
  await withZip(archive, async (zip) => {
    const entry = byPath(zip, 'a.json');
    const r = drainInPlace(entry, 1024, undefined, true);
    t.ok(r.ended && r.bytes.equals(content), 'the bytes, and the end');
    t.same(r.chunks, [content.length], 'one piece of the entry\'s size, not pieces of the 1 KiB buffer');

    const held = inPlaceReader(entry);
    const all = held.readWhole?.();
    held.close();
    t.ok(all && Buffer.from(all).equals(content), 'valid after close');
    t.equal(held.read(Buffer.alloc(16)).length, 0, 'and the reader is at its end');

    const reading = inPlaceReader(entry);
    t.ok(reading.read(Buffer.alloc(16)).length > 0, 'a first read');
    t.equal(reading.readWhole?.(), null, 'once read from: null');
    reading.close();

    const started = inPlaceReader(entry, { head: 64 });
    t.equal(started.readWhole?.(), null, 'a reader of its start first: null');
    started.close();

    t.equal(inPlaceReader(byPath(zip, 'stored.json')).readWhole, undefined, 'a stored entry\'s reader has no such call');
  });
});

t.test('a thread header comes from the start of a zip entry, whatever the entry holds further on', async (t) => {
  const messages = Array.from({ length: 3000 }, (_, i) => ({ sender_name: 'Ada', timestamp_ms: 1e12 + i * 7919, content: `message ${i * 104729}` }));
  const content = JSON.stringify({ participants: [{ name: 'Ada' }, { name: 'Bob' }], messages });
  const deflated = deflateRawSync(content);
  t.ok(deflated.length > 16 * 1024, 'an entry past the start inflated first');
  const archive = file(t, 'header-start.zip', rawZip([{ name: 'inbox/bob_1/message_1.json', data: flipByte(deflated, deflated.length - 100), content }]));
  await withZip(archive, async (zip) => {
    t.same(await readThreadHeader(zip.entries[0]!), { participants: ['Ada', 'Bob'], isGroup: false, format: 'classic' }, 'the header, read from the start');
    assertReadError(t, drainInPlace(zip.entries[0]!), archive, 'inbox/bob_1/message_1.json', 'FBS_ZIP_CORRUPT', /corrupt compressed data|CRC-32 mismatch|false size/);
  });
});
