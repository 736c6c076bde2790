/**
 * A regular file as a Readable of `chunkBytes` Buffers, read with `readSync`.
 *
 * Why not fs.createReadStream: its reads go through libuv's thread pool, and each chunk costs the
 * pipeline an event-loop round trip; with one core busy parsing, the main thread then sits idle
 * for ~10% of a conversion waiting for reads that the page cache answers in microseconds
 * (docs/performance.md#reading-input). A read here happens when the
 * stream wants data, on the spot. Every `yieldEvery` reads, one waits for a turn of the event
 * loop (setImmediate): without it a whole file could be read and converted in one turn, with
 * signals (Ctrl-C) and output callbacks held up until the end.
 *
 * Anything but a regular file (a FIFO, `<(cat x.json)`, a character device) is read the usual way,
 * through the thread pool: `readSync` would block the whole process until its writer writes.
 */
import { close, closeSync, constants, fstat, fstatSync, open, openSync, read, readSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { InPlaceReader } from './entry.js';

export interface FileStreamOptions {
  /** Bytes per read. Default 64 KiB. */
  chunkBytes?: number;
  /** Reads between two turns of the event loop. Default 16 (1 MiB at 64 KiB). */
  yieldEvery?: number;
}

/** The chunk size of every file read unless a caller asks otherwise. */
const DEFAULT_CHUNK_BYTES = 64 * 1024;

export function createFileStream(path: string, options: FileStreamOptions = {}): Readable {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const yieldEvery = options.yieldEvery ?? 16;
  let reads = 0;
  let fd: number | null = null;
  let regular = false;
  const stream: Readable = new Readable({
    highWaterMark: chunkBytes,
    construct(callback) {
      open(path, 'r', (err, opened) => {
        if (err) return callback(err);
        fd = opened;
        fstat(opened, (statErr, info) => {
          regular = !statErr && info.isFile();
          callback();
        });
      });
    },
    read() {
      if (!regular) readChunkAsync();
      else if (++reads % yieldEvery === 0) setImmediate(readChunk);
      else readChunk();
    },
    destroy(err, callback) {
      if (fd === null) return callback(err);
      const f = fd;
      fd = null;
      close(f, () => callback(err));
    },
  });
  function readChunk(): void {
    if (stream.destroyed || fd === null) return;
    const buffer = Buffer.allocUnsafe(chunkBytes);
    let n: number;
    try {
      n = readSync(fd, buffer, 0, chunkBytes, null);
    } catch (err) {
      stream.destroy(err as Error);
      return;
    }
    stream.push(n === 0 ? null : n < chunkBytes ? buffer.subarray(0, n) : buffer);
  }
  function readChunkAsync(): void {
    const buffer = Buffer.allocUnsafe(chunkBytes);
    read(fd!, buffer, 0, chunkBytes, null, (err, n) => {
      if (stream.destroyed) return;
      if (err) return void stream.destroy(err);
      stream.push(n === 0 ? null : n < chunkBytes ? buffer.subarray(0, n) : buffer);
    });
  }
  return stream;
}

export interface ReadInPlaceOptions {
  /**
   * The path was a regular file when listed (a folder's listing said so): it is opened at once,
   * and checked after. Default false: a stat first, as opening a FIFO to check it could lose its writer.
   */
  listedRegular?: boolean;
}

/**
 * A regular file read synchronously (the page cache answers in microseconds, and a read through
 * the thread pool costs the pipeline an event-loop round trip per chunk); null for anything else.
 * A read that returns less than asked is the end: the next returns nothing without asking the
 * system again (a thread of an export is mostly one read).
 */
export function readFileInPlace(path: string, options: ReadInPlaceOptions = {}): InPlaceReader | null {
  // stat first: opening a FIFO blocks until a writer comes, and closing it again could lose that writer
  if (!options.listedRegular && !statSync(path).isFile()) return null;
  // and open without blocking, then check again: the path may have become a FIFO since the stat
  let fd: number | null;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    // a listed file that cannot be opened fails as it would have with the stat first (gone since: ENOENT, stat)
    if (options.listedRegular && !statSync(path).isFile()) return null;
    throw err;
  }
  let info;
  try {
    info = fstatSync(fd);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  if (!info.isFile()) {
    closeSync(fd);
    return null;
  }
  const { size } = info;
  let ended = false;
  return {
    size,
    read(into) {
      if (ended) return into.subarray(0, 0);
      const n = readSync(fd!, into, 0, into.length, null);
      ended = n < into.length;
      return into.subarray(0, n);
    },
    readTail(into) {
      const n = Math.min(into.length, size);
      return into.subarray(0, readSync(fd!, into, 0, n, size - n));
    },
    close() {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}
