/**
 * lib/sources/files.ts tokenizeSources: regular files read in place through one shared buffer,
 * anything else through its stream, and every chunk the tokenizer gets at most FILE_CHUNK bytes.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import t from 'tap';
import { splitAt } from '../support/chunks.js';
import { fdsOn } from '../support/fds.js';
import { createTokenizer } from '../../lib/core/tokenizer.js';
import { FILE_CHUNK, fileSource, stdinSource, tokenizeSources, type Source } from '../../lib/sources/files.js';
import type { TokenChunk } from '../../lib/types.js';

const dir = mkdtempSync(join(tmpdir(), 'fbstream-files-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** A thread of `n` messages whose texts hold raw UTF-8 (2-, 3- and 4-byte characters). */
function thread(n: number, tag: string): string {
  const messages = Array.from({ length: n }, (_, i) => ({ sender_name: 'Ada', timestamp_ms: 1_000_000 - i, content: `${tag} ${i} ñ € 🎉 ${'x'.repeat(i % 97)}` }));
  return JSON.stringify({ participants: [{ name: 'Ada' }], messages, title: tag }, null, 2);
}

const big = thread(3000, 'big'); // ~300 KB: many reads, characters cut at read boundaries
const other = thread(700, 'other');
const bigFile = join(dir, 'big.json');
const otherFile = join(dir, 'other.json');
writeFileSync(bigFile, big);
writeFileSync(otherFile, other);
const long = thread(20_000, 'long'); // > 64 reads
const longFile = join(dir, 'long.json');
writeFileSync(longFile, long);

/** Tokens with the fast path's batches spread out and offsets dropped: chunking must not show. */
function flatten(chunks: readonly TokenChunk[]): unknown[] {
  const out: unknown[] = [];
  for (const c of chunks) {
    for (const tok of c.tokens) {
      if (tok.name === 'messageValues') for (const v of tok.value as unknown[]) out.push(['message', v]);
      else out.push([tok.name, (tok as { value?: unknown }).value]);
    }
  }
  return out;
}

/** What one tokenizer gives for the whole text at once. */
function reference(text: string): unknown[] {
  const tok = createTokenizer();
  return flatten([...tok.push(Buffer.from(text)), ...tok.flush()]);
}

async function collect(gen: AsyncIterable<TokenChunk[]>): Promise<TokenChunk[]> {
  const out: TokenChunk[] = [];
  for await (const batch of gen) out.push(...batch);
  return out;
}


t.test('a regular file: the same tokens as the whole text at once, read FILE_CHUNK at a time, closed after', async (t) => {
  let bytes = 0;
  const chunks = await collect(tokenizeSources([fileSource(bigFile)], { onBytes: (n) => (bytes += n) }));
  t.same(flatten(chunks), reference(big));
  t.equal(bytes, Buffer.byteLength(big), 'onBytes counts every byte');
  const starts = chunks.map((c) => c.offset);
  t.ok(starts.every((o, i) => i === 0 || o - starts[i - 1]! <= FILE_CHUNK), 'no chunk longer than FILE_CHUNK');
  t.ok(chunks.length > Buffer.byteLength(big) / FILE_CHUNK / 2, `${chunks.length} chunks`);
  t.equal(fdsOn(bigFile), 0);
});

t.test('two files read at once, turn about, through the one shared buffer: neither sees the other', async (t) => {
  const a = tokenizeSources([fileSource(bigFile)]);
  const b = tokenizeSources([fileSource(otherFile)]);
  const outA: TokenChunk[] = [];
  const outB: TokenChunk[] = [];
  let doneA = false;
  let doneB = false;
  while (!doneA || !doneB) {
    if (!doneA) {
      const r = await a.next();
      if (r.done) doneA = true;
      else outA.push(...r.value);
    }
    if (!doneB) {
      const r = await b.next();
      if (r.done) doneB = true;
      else outB.push(...r.value);
    }
  }
  t.same(flatten(outA), reference(big));
  t.same(flatten(outB), reference(other));
});

t.test('the event loop turns while a file is read (signals and output callbacks are not held up)', async (t) => {
  let turns = 0;
  let done = false;
  const tick = () => {
    ++turns;
    if (!done) setImmediate(tick);
  };
  setImmediate(tick);
  // a consumer that never waits on anything but the generator itself
  await collect(tokenizeSources([fileSource(longFile)]));
  done = true;
  const reads = Math.ceil(Buffer.byteLength(long) / FILE_CHUNK);
  t.ok(turns >= Math.floor(reads / 32), `another callback ran ${turns} times during ${reads} reads`);
});

t.test('an abort ends the read with an AbortError and closes the file', async (t) => {
  const ac = new AbortController();
  const gen = tokenizeSources([fileSource(bigFile)], { signal: ac.signal });
  await gen.next();
  ac.abort();
  await t.rejects(collect(gen), { name: 'AbortError' });
  t.equal(fdsOn(bigFile), 0);
});

t.test('a missing file: an I/O error naming it', async (t) => {
  const missing = join(dir, 'missing.json');
  await t.rejects(collect(tokenizeSources([fileSource(missing)])), { code: 'FBS_IO', message: new RegExp(`cannot read ${missing}: .*ENOENT`) });
});

t.test('a FIFO is no regular file: read through its stream, not blocking the thread; same tokens', async (t) => {
  const fifo = join(dir, 'pipe.json');
  execFileSync('mkfifo', [fifo]);
  // the writer: another process, as with `<(cat x.json)`, which opens the pipe only after a while.
  // Opened or read synchronously, the pipe would block this thread until then: no timer would fire.
  const writer = spawn('sh', ['-c', 'sleep 0.3; cat "$1" > "$2"', 'sh', otherFile, fifo], { stdio: 'ignore' });
  let ticks = 0;
  const timer = setInterval(() => ++ticks, 10);
  let ticksBeforeData = -1;
  const chunks: TokenChunk[] = [];
  try {
    for await (const chunk of tokenizeSources([fileSource(fifo)])) {
      if (ticksBeforeData < 0) ticksBeforeData = ticks;
      chunks.push(...chunk);
    }
  } finally {
    clearInterval(timer);
    writer.kill();
  }
  t.ok(ticksBeforeData > 0, `timers ran while the pipe waited for its writer (${ticksBeforeData})`);
  t.same(flatten(chunks), reference(other));
});

t.test('a stream source: a chunk larger than FILE_CHUNK reaches the tokenizer cut to size', async (t) => {
  const bytes = Buffer.from(big);
  const source: Source = { name: 'stream', open: () => Readable.from([bytes.subarray(0, 200_000), bytes.subarray(200_000)]) };
  let counted = 0;
  const chunks = await collect(tokenizeSources([source], { onBytes: (n) => (counted += n) }));
  t.same(flatten(chunks), reference(big));
  t.equal(counted, bytes.length);
  const starts = chunks.map((c) => c.offset);
  t.ok(starts.every((o, i) => i === 0 || o - starts[i - 1]! <= FILE_CHUNK), `chunk starts ${starts.slice(0, 8)}…`);
});

t.test('stdin holding two documents, the second with a byte-order mark (cat a.json b.json): as without it, however cut', async (t) => {
  const a = Buffer.from(thread(30, 'first'));
  const b = Buffer.from(thread(20, 'second'));
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  const expected = reference(Buffer.concat([a, Buffer.from('\n'), b]).toString());
  const doc = Buffer.concat([bom, a, Buffer.from('\n'), bom, b]);
  const read = async (parts: Buffer[]) => flatten(await collect(tokenizeSources([stdinSource(Readable.from(parts))])));
  t.same(await read([doc]), expected, 'whole');
  t.same(await read([...doc].map((x) => Buffer.from([x]))), expected, 'one byte at a time');
  await fc.assert(fc.asyncProperty(fc.array(fc.nat(doc.length), { maxLength: 16 }), async (cuts) => {
    t.same(await read(splitAt(doc, cuts).filter((p) => p.length > 0)), expected);
  }), { numRuns: 30 });
});
