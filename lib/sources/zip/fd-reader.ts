/**
 * yauzl's RandomAccessReader (its public extension point) over one file descriptor, for
 * lib/sources/zip.ts: positional reads with an optional read-ahead window, synchronous reads for
 * entries read in place, streams for entries read as streams, and the descriptor closed only once
 * no read is in flight.
 */
import { close as closeFd, read as readFd, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import yauzl from 'yauzl';

/** Bytes per read of a stream, and the read-ahead window while the central directory is listed. */
export const READ_CHUNK = 64 * 1024;

export class FdReader extends yauzl.RandomAccessReader {
  readonly size: number;
  /** The furthest byte yauzl asked for since {@link trackReads} (the end of what it listed). */
  furthest = -1;
  readonly closed: Promise<void>;
  readonly #fd: number;
  #window: { start: number; bytes: Buffer } | undefined;
  #readAhead = true;
  #tracking = false;
  #inFlight = 0;
  #whenIdle: (() => void) | undefined;
  #settle!: (err: Error | null) => void;
  #closing = false;

  constructor(fd: number, size: number) {
    super();
    this.#fd = fd;
    this.size = size;
    this.closed = new Promise((resolve, reject) => (this.#settle = (err) => (err ? reject(err) : resolve())));
    this.closed.catch(() => {});
  }

  /** Record from now on how far yauzl's reads go ({@link furthest}); `false` stops recording. */
  trackReads(on: boolean): void {
    this.#tracking = on;
  }

  /** Positional read; `callback(err, bytesRead)`. */
  readAt(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null, n: number) => void): void {
    if (this.#closing) return void process.nextTick(callback, new Error('archive file closed'), 0);
    this.#inFlight++;
    readFd(this.#fd, buffer, offset, length, position, (err, n) => {
      if (--this.#inFlight === 0 && this.#whenIdle) this.#whenIdle();
      callback(err, n);
    });
  }

  /** Positional read, synchronous (entries read in place). */
  readSync(buffer: Buffer, offset: number, length: number, position: number): number {
    if (this.#closing) throw new Error('archive file closed');
    return readSync(this.#fd, buffer, offset, length, position);
  }

  /** yauzl's small reads (central records, local headers): served from one window read ahead. */
  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null, n?: number) => void): void {
    if (this.#tracking) this.furthest = Math.max(this.furthest, position + length);
    const w = this.#window;
    if (w && position >= w.start && position + length <= w.start + w.bytes.length) {
      w.bytes.copy(buffer, offset, position - w.start, position - w.start + length);
      return void process.nextTick(callback, null, length);
    }
    const ahead = this.#readAhead ? Math.min(READ_CHUNK, this.size - position) : 0;
    if (length >= ahead) return this.readAt(buffer, offset, length, position, callback);
    const bytes = Buffer.allocUnsafe(ahead);
    this.readAt(bytes, 0, ahead, position, (err, n) => {
      if (err) return callback(err, 0);
      this.#window = { start: position, bytes: bytes.subarray(0, n) };
      const got = Math.min(length, n);
      bytes.copy(buffer, offset, 0, got);
      callback(null, got);
    });
  }

  /** Drop the window and read exactly what is asked from now on. */
  stopReadingAhead(): void {
    this.#readAhead = false;
    this.#window = undefined;
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return new RangeStream(this, start, end);
  }

  /** Called by yauzl once nothing holds the reader; waits for reads in flight. */
  override close(callback: (err: Error | null) => void): void {
    if (this.#closing) return void this.closed.then(() => callback(null), callback);
    this.#closing = true;
    this.#window = undefined;
    const done = () =>
      closeFd(this.#fd, (err) => {
        this.#settle(err);
        callback(err);
      });
    if (this.#inFlight === 0) done();
    else this.#whenIdle = done;
  }
}

/** Bytes [start, end) of the archive file, 64 KiB at a time. */
class RangeStream extends Readable {
  #pos: number;
  constructor(
    readonly reader: FdReader,
    start: number,
    readonly end: number,
  ) {
    super({ highWaterMark: READ_CHUNK });
    this.#pos = start;
  }

  override _read(): void {
    const length = Math.min(READ_CHUNK, this.end - this.#pos);
    if (length <= 0) return void this.push(null);
    const buffer = Buffer.allocUnsafe(length);
    this.reader.readAt(buffer, 0, length, this.#pos, (err, n) => {
      if (this.destroyed) return;
      if (err) return void this.destroy(err);
      if (n === 0) return void this.destroy(new Error(`unexpected end of file at byte ${this.#pos}`));
      this.#pos += n;
      this.push(n === length ? buffer : buffer.subarray(0, n));
    });
  }
}
