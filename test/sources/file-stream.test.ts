/** lib/sources/file-stream.ts: a file read with readSync, a FIFO through the thread pool. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { fdsOn } from '../support/fds.js';
import { createFileStream, readFileInPlace } from '../../lib/sources/file-stream.js';

const dir = mkdtempSync(join(tmpdir(), 'fbstream-file-stream-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 251));
const file = join(dir, 'data.bin');
writeFileSync(file, bytes);

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return chunks;
}


t.test('a regular file: every byte, in chunks of about chunkBytes, the descriptor closed', async (t) => {
  const chunks = await collect(createFileStream(file, { chunkBytes: 65536 }));
  t.ok(Buffer.concat(chunks).equals(bytes), 'the same bytes');
  // the stream may hand over two reads at once (Readable's buffer), never more
  t.ok(chunks.length >= 3 && chunks.every((c) => c.length <= 2 * 65536), `chunks of ${chunks.map((c) => c.length)}`);
  t.equal(fdsOn(file), 0, 'closed at the end');
});

t.test('the event loop turns every yieldEvery reads (signals, output callbacks), and not more often', async (t) => {
  for (const yieldEvery of [16, 4]) {
    // turns counted from the first chunk to the last: before it, the loop spins while the file opens
    let turns = 0;
    let counting = false;
    let done = false;
    const tick = () => {
      if (counting) ++turns;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    // a flowing consumer: with reads answered on the spot, nothing else would let the loop turn
    const chunks: Buffer[] = [];
    const stream = createFileStream(file, { chunkBytes: 1024, yieldEvery });
    stream.on('data', (c: Buffer) => {
      counting = true;
      chunks.push(c);
    });
    stream.on('end', () => (counting = false));
    await once(stream, 'end');
    done = true;
    t.equal(Buffer.concat(chunks).length, bytes.length);
    const reads = Math.ceil(bytes.length / 1024);
    t.ok(turns >= Math.floor(reads / yieldEvery) - 1, `yieldEvery ${yieldEvery}: another callback ran ${turns} times during ${reads} reads`);
    // a turn at every read would be ~reads turns
    t.ok(turns <= Math.ceil(reads / yieldEvery) + 2, `yieldEvery ${yieldEvery}: not more (${turns})`);
  }
});

t.test('destroyed midway: the descriptor is closed', async (t) => {
  const stream = createFileStream(file, { chunkBytes: 1024 });
  for await (const _ of stream) break; // eslint-disable-line no-unused-vars
  if (!stream.closed) await new Promise((r) => stream.once('close', r));
  t.ok(stream.destroyed);
  t.equal(fdsOn(file), 0);
});

t.test('a missing file errors with ENOENT; a folder with EISDIR', async (t) => {
  await t.rejects(collect(createFileStream(join(dir, 'nope'))), { code: 'ENOENT' });
  await t.rejects(collect(createFileStream(dir)), { code: 'EISDIR' });
});

t.test('a FIFO is read as its writer writes (not with a blocking readSync)', async (t) => {
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const reading = collect(createFileStream(fifo));
  // the writer starts after the reader: a readSync would have blocked the event loop before it
  await new Promise((r) => setTimeout(r, 20));
  const w = createWriteStream(fifo);
  w.end(Buffer.from('{"messages": []}'));
  t.equal(Buffer.concat(await reading).toString(), '{"messages": []}');
});

t.test('read in place: the end of a file read alone, the reading position kept; a FIFO is not opened', async (t) => {
  const reader = readFileInPlace(file)!;
  t.teardown(() => reader.close());
  const head = Buffer.from(reader.read(Buffer.alloc(1000)));
  t.ok(head.equals(bytes.subarray(0, 1000)));
  t.ok(Buffer.from(reader.readTail!(Buffer.alloc(4096))).equals(bytes.subarray(bytes.length - 4096)), 'the last 4096 bytes');
  t.ok(Buffer.from(reader.read(Buffer.alloc(1000))).equals(bytes.subarray(1000, 2000)), 'reading goes on where it was');
  const small = join(dir, 'small.bin');
  writeFileSync(small, 'abc');
  const smallReader = readFileInPlace(small)!;
  t.equal(Buffer.from(smallReader.readTail!(Buffer.alloc(4096))).toString(), 'abc', 'a file shorter than asked: all of it');
  smallReader.close();
  const fifo = join(dir, 'in-place.fifo');
  execFileSync('mkfifo', [fifo]);
  t.equal(readFileInPlace(fifo), null, 'not a regular file: null, without waiting for a writer');
});

t.test('read in place, listed as a regular file: opened without a stat first, the same answers and errors', async (t) => {
  const reader = readFileInPlace(file, { listedRegular: true })!;
  t.equal(reader.size, bytes.length, 'its size as opened');
  const all = Buffer.alloc(bytes.length + 10);
  t.equal(reader.read(all).length, bytes.length);
  // a short read is the end: a file that grows since is not read on (the listing's file is what is read)
  writeFileSync(join(dir, 'grows.bin'), 'abc');
  const grows = readFileInPlace(join(dir, 'grows.bin'), { listedRegular: true })!;
  t.equal(Buffer.from(grows.read(Buffer.alloc(10))).toString(), 'abc');
  writeFileSync(join(dir, 'grows.bin'), 'abcdef');
  t.equal(grows.read(Buffer.alloc(10)).length, 0, 'nothing more after a short read');
  grows.close();
  reader.close();
  const fifo = join(dir, 'listed.fifo');
  execFileSync('mkfifo', [fifo]);
  t.equal(readFileInPlace(fifo, { listedRegular: true }), null, 'a FIFO since listed: null, without waiting for a writer');
  // gone since listed: the error of the stat it had first
  const gone = join(dir, 'gone.json');
  const unlisted = (() => {
    try {
      readFileInPlace(gone);
    } catch (err) {
      return (err as Error).message;
    }
  })();
  t.match(unlisted, /ENOENT.*stat/);
  t.throws(() => readFileInPlace(gone, { listedRegular: true }), { message: unlisted, code: 'ENOENT' });
  t.equal(readFileInPlace(dir, { listedRegular: true }), null, 'a folder since listed: not a regular file');
});
