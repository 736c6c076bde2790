/**
 * The ordered output sink of `convertThreads` (lib/export/parallel.ts): each thread's output held
 * while it runs and waits for its turn, then written whole, in job order.
 *
 * A thread's pieces are kept in memory while the run holds at most `bufferBytes`; past it, the
 * thread's further pieces are appended to the run's one spill file in its private temporary folder
 * (lib/temp-files.ts), written out after its memory pieces when its turn comes. One file for every
 * thread, not one each: on an export of thousands of short threads, opening and closing a file per
 * thread cost the main thread more than the threads' conversion (docs/performance.md). The file
 * starts over (truncated) whenever nothing in it is still waiting.
 */
import { once } from 'node:events';
import { closeSync, ftruncateSync, openSync, readSync, WriteStream, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { IoError } from '../errors.js';
import { ioError, type TempFolder } from '../temp-files.js';
import { PiecePool, type JobResult, type ThreadJob } from './thread-job.js';

/** Where output goes: a byte stream (not ended here) or a function awaited for each piece. */
export type ThreadSink = Writable | ((bytes: Uint8Array) => Promise<void>);

/** A thread's output while it waits for its turn: pieces in memory, then (past the budget) a file. */
export interface Slot {
  pos: number;
  job: ThreadJob;
  pieces: Uint8Array[];
  held: number;
  /** Where its pieces past the memory budget are in the run's spill file, in order. */
  spilled: Extent[];
  /** Stores of this slot's pieces, in order. */
  chain: Promise<void>;
  result: JobResult | null;
}

/** Piece buffers kept for reuse in the calling thread (see OrderedOutput.spare). */
const SPARE_PIECES = 4;
const EMPTY = new Uint8Array(0);

export class OrderedOutput {
  /** Bytes of output held in memory, over every slot. */
  held = 0;
  /** Pieces appended to spill files. */
  spills = 0;
  /** Bytes written to the sink. */
  bytes = 0;
  /** The run is over: nothing more is stored or written. */
  stopped = false;
  readonly writer: Writer;
  /**
   * Piece buffers the run is done with, filled again by the job in this thread or sent back to a
   * worker with an ack. Pieces held in memory and then written, and each job's last buffer (see
   * JobEnv.pieces), were otherwise left to the GC: hundreds of new 1 MiB buffers on a large export
   * and tens of MB of dead ArrayBuffers at the peak (docs/performance.md).
   */
  readonly spare: PiecePool;
  /** Reused to copy spilled bytes to the sink (allocated at the first). */
  #readBuffer: Buffer | null = null;
  /** The run's spill file, opened at the first piece past the budget. */
  #spill: SpillFile | null = null;

  constructor(
    sink: ThreadSink,
    readonly folder: TempFolder,
    readonly pieceBytes: number,
    readonly bufferBytes: number,
    readonly onBytes?: (n: number) => void,
  ) {
    this.writer = writerFor(sink);
    this.spare = new PiecePool(pieceBytes, SPARE_PIECES);
  }

  /**
   * Store a piece of `slot`'s output: kept in memory within the budget, else appended to the
   * run's spill file. Resolves with the piece's buffer when the run is done with it (written to
   * the spill file), for the job to fill again: without it, every 1 MiB piece was garbage that only
   * a GC gave back. Null when the piece is held in memory. Called in order for each slot.
   */
  async store(slot: Slot, bytes: Uint8Array): Promise<ArrayBuffer | null> {
    if (this.stopped) return null;
    if (slot.spilled.length === 0 && this.held + bytes.byteLength <= this.bufferBytes) {
      slot.pieces.push(bytes);
      slot.held += bytes.byteLength;
      this.held += bytes.byteLength;
      return null;
    }
    this.#spill ??= new SpillFile(this.folder.file('held.ndjson'), this.pieceBytes);
    ++this.spills;
    this.#spill.append(bytes, slot.spilled);
    return this.spare.isWhole(bytes) ? (bytes.buffer as ArrayBuffer) : null;
  }

  /** Forget what `slot` holds (a failed thread, or the run stopped). */
  drop(slot: Slot): void {
    this.held -= slot.held;
    slot.pieces = [];
    slot.held = 0;
    const spilled = slot.spilled;
    slot.spilled = [];
    this.#spill?.release(spilled);
  }

  /** Write `slot`'s whole output (its turn has come): its memory pieces, then its spill file. */
  async write(slot: Slot): Promise<void> {
    const pieces = slot.pieces;
    for (let i = 0; i < pieces.length; ++i) {
      const bytes = pieces[i]!;
      pieces[i] = EMPTY; // released as written
      slot.held -= bytes.byteLength;
      this.held -= bytes.byteLength;
      // a sink that keeps what it is given gets the piece itself; else it is filled again
      if (!this.writer.handsToOs || !this.spare.isWhole(bytes)) await this.out(bytes);
      else {
        await this.out(bytes, true);
        this.spare.give(bytes.buffer as ArrayBuffer);
      }
    }
    slot.pieces = [];
    if (slot.spilled.length > 0 && this.#spill) {
      const spilled = slot.spilled;
      slot.spilled = [];
      // one buffer for every copy: a new one per chunk made hundreds of MB of ArrayBuffers on a
      // large export, and the main thread's garbage collector ran after them (docs/performance.md)
      this.#readBuffer ??= Buffer.allocUnsafe(this.pieceBytes);
      await this.#spill.copyTo(spilled, this.#readBuffer, (bytes) => this.out(bytes, true));
      this.#spill.release(spilled);
    }
  }

  /** Write `bytes`; `borrowed`: they are reused once this resolves, so wait until the sink is done with them. */
  async out(bytes: Uint8Array, borrowed = false): Promise<void> {
    if (this.stopped) return;
    await (borrowed ? this.writer.writeBorrowed(bytes) : this.writer.write(bytes));
    this.bytes += bytes.byteLength;
    this.onBytes?.(bytes.byteLength);
  }

  /** The run is over: stop storing and writing, and leave the sink as it was. */
  stop(): void {
    this.stopped = true;
    this.writer.release();
  }

  /** Close the spill file (the run's folder, removed after, takes it). */
  close(): void {
    this.#spill?.close();
  }
}

/** Bytes of one thread in the spill file. */
export interface Extent {
  offset: number;
  length: number;
}

/**
 * The threads' output past the memory budget, every thread's in one file, each piece placed at the
 * end. Pieces are gathered in a buffer of `stageBytes` and written a buffer at a time, and read
 * back by place, synchronously: a short thread's output is a few KB, and a write and a read each
 * through the thread pool cost the main thread more than copying it (the order stage's spill files
 * do the same, lib/streams/spill-files.ts). Once no thread has bytes waiting in it, the file starts
 * over.
 */
class SpillFile {
  #fd: number | null = null;
  /** Where the next piece goes. */
  #end = 0;
  /** Bytes of the file written out; those from here to `#end` are in `#stage`. */
  #written = 0;
  /** Bytes in the file still waiting to be written to the sink. */
  #live = 0;
  readonly #stage: Buffer;
  #closed = false;

  constructor(
    readonly path: string,
    stageBytes: number,
  ) {
    this.#stage = Buffer.allocUnsafe(stageBytes);
  }

  #open(verb: string): number {
    if (this.#closed) throw ioError(verb, this.path, new Error('the run is over'));
    try {
      return (this.#fd ??= openSync(this.path, 'w+'));
    } catch (err) {
      throw ioError(verb, this.path, err);
    }
  }

  /** Add `bytes` at the end of the file; their place is added to `extents`. */
  append(bytes: Uint8Array, extents: Extent[]): void {
    const offset = this.#end;
    const length = bytes.byteLength;
    if (this.#end - this.#written + length > this.#stage.length) this.#flush();
    if (length >= this.#stage.length) this.#writeAt(bytes, offset);
    else this.#stage.set(bytes, this.#end - this.#written);
    this.#end += length;
    if (length >= this.#stage.length) this.#written = this.#end;
    this.#live += length;
    const last = extents[extents.length - 1];
    if (last && last.offset + last.length === offset) last.length += length;
    else extents.push({ offset, length });
  }

  #flush(): void {
    if (this.#end === this.#written) return;
    this.#writeAt(this.#stage.subarray(0, this.#end - this.#written), this.#written);
    this.#written = this.#end;
  }

  #writeAt(bytes: Uint8Array, position: number): void {
    const fd = this.#open('write');
    try {
      for (let off = 0; off < bytes.byteLength; ) off += writeSync(fd, bytes, off, bytes.byteLength - off, position + off);
    } catch (err) {
      throw ioError('write', this.path, err);
    }
  }

  /** Hand the bytes of `extents` to `write`, read into `buffer` a chunk at a time (`write` must be done with each before it resolves). */
  async copyTo(extents: readonly Extent[], buffer: Buffer, write: (bytes: Uint8Array) => Promise<void>): Promise<void> {
    for (const { offset, length } of extents) {
      if (offset + length > this.#written) this.#flush();
      const fd = this.#open('read');
      for (let done = 0; done < length; ) {
        let bytesRead: number;
        try {
          bytesRead = readSync(fd, buffer, 0, Math.min(buffer.length, length - done), offset + done);
        } catch (err) {
          throw ioError('read', this.path, err);
        }
        if (bytesRead === 0) throw ioError('read', this.path, new Error('the file ended early'));
        done += bytesRead;
        await write(buffer.subarray(0, bytesRead));
      }
    }
  }

  /** The bytes of `extents` are no longer needed; with nothing left waiting, the file starts over. */
  release(extents: readonly Extent[]): void {
    for (const e of extents) this.#live -= e.length;
    if (this.#live !== 0 || this.#end === 0) return;
    const wrote = this.#written > 0;
    this.#end = this.#written = 0;
    // give the disk back; a file that cannot be cut is written over anyway
    if (wrote && this.#fd !== null && !this.#closed) {
      try {
        ftruncateSync(this.#fd, 0);
      } catch {
        // written over from the start
      }
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }
}

export interface Writer {
  /** Honours the sink's backpressure and errors; `bytes` are the sink's from then on. */
  write(bytes: Uint8Array): Promise<void>;
  /** Resolves once the sink is done with `bytes` (written out), so that the caller may reuse them. */
  writeBorrowed(bytes: Uint8Array): Promise<void>;
  /** writeBorrowed() costs no copy: the sink hands the bytes to the OS. */
  readonly handsToOs: boolean;
  /** The run is over: stop waiting, and leave the stream's listeners as they were. */
  release(): void;
}

export function writerFor(sink: ThreadSink): Writer {
  // a function sink may keep what it is given: it gets a copy of borrowed bytes (new Uint8Array
  // copies; a Buffer's slice() would not)
  if (typeof sink === 'function') return { write: sink, writeBorrowed: (bytes) => sink(new Uint8Array(bytes)), handsToOs: false, release: () => {} };
  // only a stream that hands chunks to the OS is done with them when their callback comes; any
  // other (a PassThrough passes the chunk itself on) gets a copy
  const handsToOs = sink instanceof WriteStream || sink instanceof Socket || sink === process.stdout || sink === process.stderr;
  let failed: Error | null = null;
  const onError = (err: Error) => void (failed ??= err);
  sink.on('error', onError);
  let waiting: AbortController | null = null;
  const write = async (bytes: Uint8Array): Promise<void> => {
    if (failed) throw failed;
    if (sink.destroyed || sink.writableEnded) throw new IoError('cannot write the output: the stream is closed');
    if (sink.write(bytes)) return;
    const ac = (waiting = new AbortController());
    const closed = once(sink, 'close', { signal: ac.signal }).then(() => {
      throw failed ?? new IoError('cannot write the output: the stream closed');
    });
    try {
      await Promise.race([once(sink, 'drain', { signal: ac.signal }), closed]);
    } finally {
      waiting = null;
      ac.abort();
    }
    if (failed) throw failed;
  };
  const writeBorrowed = (bytes: Uint8Array): Promise<void> => {
    if (!handsToOs) return write(new Uint8Array(bytes));
    if (failed) return Promise.reject(failed);
    if (sink.destroyed || sink.writableEnded) return Promise.reject(new IoError('cannot write the output: the stream is closed'));
    // the callback comes once the bytes are written out, or with the error that stopped them
    return new Promise((resolve, reject) => sink.write(bytes, (err) => (err ? reject(failed ?? err) : resolve())));
  };
  // the run is over: stop waiting for a drain that may never come, and leave the stream as it was
  const release = () => {
    waiting?.abort();
    sink.removeListener('error', onError);
  };
  return { write, writeBorrowed, handsToOs, release };
}
