/**
 * A zip entry read synchronously through the archive's descriptor (see InPlaceReader in
 * lib/sources/entry.ts): a stored entry read into the caller's buffer; a deflated one of up to
 * {@link WHOLE_INFLATE_MAX} bytes read and inflated at once (node:zlib's `inflateRawSync`, its
 * output bounded by the declared size), then handed out in the caller's buffer, or as it is
 * (`readWhole`). A reader that expects to stop early (a thread header) gets the inflated start of
 * a few compressed KiB first, and the whole entry only if it reads on. Every piece passes the size
 * and budget checks before it is handed out; the CRC-32 and the final size are checked before the
 * end is. Larger deflated entries are read as streams (lib/sources/zip.ts): a stream per entry
 * costs two thread-pool round trips per chunk, whose wake-ups take CPU from the jobs
 * (docs/performance.md#reading-input), and Meta writes no thread file that large.
 */
import { constants, inflateRawSync } from 'node:zlib';
import { IoError, ZipError, type ZipPlace } from '../../errors.js';
import type { InPlaceReader } from '../entry.js';
import { EntryTally } from './entry-checks.js';
import { describeZipPlace, readError } from './faults.js';
import type { FdReader } from './fd-reader.js';

/** What an in-place read needs of its archive. */
export interface InPlaceArchive {
  readonly reader: FdReader;
  /** Set once the archive is being closed: reads fail from then on. */
  readonly closing: unknown;
}

/**
 * The largest deflated entry (declared size, and compressed size) inflated whole. Meta cuts a
 * thread's files at 10,000 messages, a few MB; the bound is what one read may hold in memory.
 */
export const WHOLE_INFLATE_MAX = 8 * 1024 * 1024;
/** Output chunks of an entry's inflated start (the whole entry is one chunk of its declared size). */
const HEAD_CHUNK = 16 * 1024;
/** Compressed bytes up to this size are read into one buffer kept for the next entry. */
const SCRATCH_MAX = 1024 * 1024;
const EMPTY = Buffer.alloc(0);
let scratch = Buffer.allocUnsafeSlow(64 * 1024);

/**
 * The reader of an entry whose data starts at `start` (checked by the caller); null for a
 * deflated entry larger than `wholeMax` (then it is read as a stream). `head`: compressed bytes to
 * inflate first (see InPlaceOptions in lib/sources/entry.ts); 0: the whole entry at once.
 */
export function readInPlace(archive: InPlaceArchive, start: number, method: number, compressedSize: number, tally: EntryTally, wholeMax = WHOLE_INFLATE_MAX, head = 0): InPlaceReader | null {
  if (method === 0) return storedReader(archive, start, tally);
  if (tally.declared > wholeMax || compressedSize > wholeMax) return null;
  return inflatedReader(archive, start, compressedSize, tally, head > 0 && head < compressedSize ? head : 0);
}

function throwIfClosed(archive: InPlaceArchive, place: ZipPlace & { entry: string }): void {
  if (archive.closing) throw new IoError(`${describeZipPlace(place)}: archive closed while the entry was being read`);
}

/** `into` filled from `position`; an early end of the archive is corruption. */
function readFully(archive: InPlaceArchive, into: Buffer, position: number, place: ZipPlace & { entry: string }): void {
  throwIfClosed(archive, place);
  for (let got = 0; got < into.length; ) {
    let n: number;
    try {
      n = archive.reader.readSync(into, got, into.length - got, position + got);
    } catch (err) {
      throw readError(err as Error, place, 'cannot read the entry');
    }
    if (n === 0) throw new ZipError('FBS_ZIP_CORRUPT', `the archive ends at byte ${position + got}, inside the entry's data`, place);
    got += n;
  }
}

function storedReader(archive: InPlaceArchive, start: number, tally: EntryTally): InPlaceReader {
  let position = start;
  const end = start + tally.declared;
  let ended = false;
  return {
    read(into) {
      if (position === end) return ended ? EMPTY : endOf(tally, () => (ended = true));
      const chunk = into.subarray(0, Math.min(into.length, end - position));
      readFully(archive, chunk, position, tally.place);
      position += chunk.length;
      return checked(tally, chunk);
    },
    close() {},
  };
}

function inflatedReader(archive: InPlaceArchive, start: number, compressedSize: number, tally: EntryTally, head: number): InPlaceReader {
  let data: Buffer | null = null;
  let whole = head === 0;
  let at = 0;
  let ended = false;
  return {
    read(into) {
      if (ended) return EMPTY;
      // what is inflated already is not handed out after the archive was closed, as none of a stream's is
      throwIfClosed(archive, tally.place);
      // inflated at the first read, as the stream would be: an entry refused later is never inflated
      data ??= inflate(archive, start, whole ? compressedSize : head, tally, !whole);
      if (at === data.length && !whole) {
        // read on past the start: the whole entry, whose first bytes are the ones handed out already
        whole = true;
        data = inflate(archive, start, compressedSize, tally, false);
      }
      if (at < data.length) {
        // `into` filled, as a file read fills it
        const n = data.copy(into, 0, at, Math.min(data.length, at + into.length));
        at += n;
        return checked(tally, into.subarray(0, n));
      }
      data = null;
      return endOf(tally, () => (ended = true));
    },
    readWhole() {
      if (!whole || data !== null || ended) return null;
      throwIfClosed(archive, tally.place);
      const bytes = checked(tally, inflate(archive, start, compressedSize, tally, false));
      endOf(tally, () => (ended = true));
      return bytes;
    },
    close() {
      data = null;
    },
  };
}

/**
 * The entry's bytes inflated from its first `compressedBytes`: at most one more than it declares
 * (more is a false size). A `part` of the entry gives what those bytes hold (a sync flush: no
 * error for the data cut there).
 */
function inflate(archive: InPlaceArchive, start: number, compressedBytes: number, tally: EntryTally, part: boolean): Buffer {
  if (compressedBytes > scratch.length && compressedBytes <= SCRATCH_MAX) scratch = Buffer.allocUnsafeSlow(Math.min(SCRATCH_MAX, Math.max(compressedBytes, 2 * scratch.length)));
  const compressed = compressedBytes <= scratch.length ? scratch.subarray(0, compressedBytes) : Buffer.allocUnsafe(compressedBytes);
  readFully(archive, compressed, start, tally.place);
  const limit = tally.declared + 1;
  try {
    // the whole entry: one output chunk of the declared size, no list of chunks to concatenate
    const chunkSize = Math.max(constants.Z_MIN_CHUNK, part ? Math.min(limit, HEAD_CHUNK) : limit);
    return inflateRawSync(compressed, { maxOutputLength: limit, chunkSize, ...(part && { finishFlush: constants.Z_SYNC_FLUSH }) });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tally.overflow();
    throw readError(err as Error, { ...tally.place, offset: tally.bytes }, 'corrupt compressed data');
  }
}

/** The piece, once it passed the tally's checks. */
function checked(tally: EntryTally, piece: Buffer): Buffer {
  const err = tally.add(piece);
  if (err) throw err;
  return piece;
}

/** The end, once the final checks passed. */
function endOf(tally: EntryTally, mark: () => void): Buffer {
  mark();
  const err = tally.end();
  if (err) throw err;
  return EMPTY;
}
