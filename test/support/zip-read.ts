/**
 * Reading zip entries in tests of lib/sources/zip.ts: both ways (streamed, in place) to a result
 * with the bytes, the chunks and whether the end came; archives in the test's own folder; the
 * assertions every problem and read error must pass (a code, the archive and the entry named).
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Test } from 'tap';
import { exitCodeOf, FbstreamError } from '../../lib/errors.js';
import type { InPlaceOptions, InPlaceReader } from '../../lib/sources/entry.js';
import { openZip, type ZipArchive, type ZipEntry, type ZipProblem } from '../../lib/sources/zip.js';

export interface Drained {
  bytes: Buffer;
  chunks: number[];
  ended: boolean;
  error?: Error & { code?: string; archive?: string; entry?: string; offset?: number };
}

/** Read a stream to its end or its error, recording whether `end` came. */
export function drain(stream: Readable): Promise<Drained> {
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
export function inPlaceReader(entry: ZipEntry, options?: InPlaceOptions): InPlaceReader {
  const reader = entry.readInPlace(options);
  if (reader === null) throw new Error(`${entry.path}: no in-place reader on this Node`);
  return reader;
}

/**
 * The same as {@link drain}, through `readInPlace()` with a buffer of `intoBytes`: the chunks as
 * handed out (copied, since a chunk is valid only until the next read), and `ended` once the
 * final checks passed. `readInPlace()` itself may throw: the entry was refused before any byte.
 * `whole`: `readWhole()` first, where the reader has it (a deflated entry's reader), which must then
 * give every byte: null is an error here.
 */
export function drainInPlace(entry: ZipEntry, intoBytes = 32 * 1024, options?: InPlaceOptions, whole = false): Drained {
  const parts: Buffer[] = [];
  const chunks: number[] = [];
  const into = Buffer.alloc(intoBytes);
  try {
    const reader = inPlaceReader(entry, options);
    try {
      if (whole && reader.readWhole) {
        // a reader that has the method (a deflated entry's) must answer a fresh read with every byte
        const all = reader.readWhole();
        if (!all) throw new Error(`${entry.path}: readWhole() gave nothing as the first call`);
        parts.push(Buffer.from(all));
        chunks.push(all.length);
      } else for (let c = reader.read(into); c.length > 0; c = reader.read(into)) {
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
export const READS = [
  ['streamed', (e: ZipEntry) => drain(e.open())],
  ['in place', (e: ZipEntry) => Promise.resolve(drainInPlace(e))],
  // the inflated start of the first 64 compressed bytes, then the whole entry (a header reader's way)
  ['in place, its start first', (e: ZipEntry) => Promise.resolve(drainInPlace(e, 32 * 1024, { head: 64 }))],
  // every byte at once from a deflated entry's reader (null fails the read), a stored one as 'in place'
  ['in place, whole', (e: ZipEntry) => Promise.resolve(drainInPlace(e, 32 * 1024, undefined, true))],
] as const;

export function byPath(zip: ZipArchive, path: string): ZipEntry {
  const e = zip.entries.find((x) => x.path === path);
  if (!e) throw new Error(`no entry ${path} in ${zip.entries.map((x) => x.path).join(', ')}`);
  return e;
}

export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}
export const HAVE_PROC = existsSync('/proc/self/fd');

/** The test's own folder (t.testdir() empties it on every call: create it once). */
const dirs = new WeakMap<Test, string>();
export function dirOf(t: Test): string {
  let dir = dirs.get(t);
  if (!dir) dirs.set(t, (dir = t.testdir()));
  return dir;
}

/** Write bytes to a file in the test's folder and return its path. */
export function file(t: Test, name: string, bytes: Buffer | string): string {
  const path = join(dirOf(t), name);
  writeFileSync(path, bytes);
  return path;
}

/** Open, run, always close. */
export async function withZip<T>(path: string, fn: (zip: ZipArchive) => Promise<T> | T, options?: Parameters<typeof openZip>[1]): Promise<T> {
  const zip = await openZip(path, options);
  try {
    return await fn(zip);
  } finally {
    await zip.close();
  }
}

export function assertProblem(t: Test, p: ZipProblem | undefined, archive: string, entry: string, kind: string, code: string): void {
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

export function assertReadError(t: Test, r: Drained, archive: string, entry: string, code: string, pattern: RegExp): void {
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

export const THREAD = JSON.stringify({ participants: [{ name: 'Ada' }], messages: [{ sender_name: 'Ada', timestamp_ms: 1, content: 'café ☕' }] });
