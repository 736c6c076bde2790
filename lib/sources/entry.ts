/**
 * One file of an export, wherever it lives: a file on disk, an entry of a zip archive, stdin.
 * Sources (folder walker, zip reader) produce these; the export index groups them into threads.
 */
import type { Readable } from 'node:stream';

export interface ExportEntry {
  /** The input it came from, as given: a folder, a zip file, a .json file. */
  input: string;
  /** Path inside the input, `/`-separated, no leading `/` (for a file input: its base name). */
  path: string;
  /** Shown in messages and errors: `archive.zip:path/in/zip.json` or a filesystem path. */
  name: string;
  /** Uncompressed size in bytes, as far as known before reading. */
  size: number;
  /**
   * The bytes. Each call opens a new stream; errors name the entry. `chunkBytes`: a hint for the
   * size of the chunks read (a header reader wants a few KiB, not 64); a source may ignore it.
   */
  open(options?: { chunkBytes?: number }): Readable | Promise<Readable>;
  /** The bytes read synchronously, when this entry can be (see {@link InPlaceReader}). */
  readInPlace?(options?: InPlaceOptions): InPlaceReader | null;
  /** A file that was a regular file when its folder was listed (lib/sources/folder.ts): opened without a stat first. */
  listedRegular?: boolean;
  /** Set on something listed only to be counted as not read (a FIFO, a device, a broken link): why. Never opened. */
  skip?: string;
}

/**
 * Bytes read synchronously, with no stream: a regular file, or a zip entry (a stored one read as it
 * is, a deflated one inflated as it is read). A conversion runs one core flat out, and each chunk a stream delivers costs it an
 * event-loop round trip through libuv's thread pool (a read, an inflate), and with two jobs on two
 * cores, thread-pool wake-ups besides (docs/performance.md#reading-input).
 */
export interface InPlaceOptions {
  /**
   * The reader expects to stop within the first bytes (a thread header): a zip entry inflates the
   * data its first `head` compressed bytes hold, and the rest only if read on (the same bytes).
   */
  head?: number;
}

export interface InPlaceReader {
  /**
   * The next bytes, at most `into.length`: read into `into`, or a view of bytes the reader holds.
   * Valid until the next call. Empty at the end, once every check of the data passed. Throws an
   * FbstreamError naming the entry (other errors are I/O).
   */
  read(into: Buffer): Uint8Array;
  /** The last bytes, at most `into.length`, read into `into` without reading the rest (a regular file can). */
  readTail?(into: Buffer): Uint8Array;
  /**
   * As the first call instead of `read`: every byte at once, when the reader holds them whole (a
   * deflated zip entry, inflated in one go), once every check of the data passed; valid after
   * `close`. Null when it does not (nothing read: `read` as usual). The caller needs no buffer
   * of the entry's size, nor a copy into it.
   */
  readWhole?(): Uint8Array | null;
  /** The bytes there are, when known as it was opened (a regular file's size then). */
  readonly size?: number;
  /** Releases the descriptor or the bytes held. Idempotent. */
  close(): void;
}
