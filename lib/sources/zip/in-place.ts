/**
 * A zip entry read synchronously through the archive's descriptor (see InPlaceReader in
 * lib/sources/entry.ts): a stored entry read into the caller's buffer, a deflated one inflated into
 * it (lib/sources/raw-inflate.ts), so no read gives more than the caller's buffer holds, whatever
 * the ratio. Every piece passes the size and budget checks before it is handed out; the CRC-32 and
 * the final size are checked before the end is. A stream per entry would cost two thread-pool round
 * trips per chunk (a read, an inflate), and with two jobs on two cores their wake-ups cost CPU the
 * jobs need (docs/performance.md#reading-input).
 */
import { IoError, ZipError, type ZipPlace } from '../../errors.js';
import type { InPlaceReader } from '../entry.js';
import { createRawInflater, type InflateStep, type Inflater } from '../raw-inflate.js';
import { EntryTally } from './entry-checks.js';
import { describeZipPlace, readError } from './faults.js';
import type { FdReader } from './fd-reader.js';

/** What an in-place read needs of its archive. */
export interface InPlaceArchive {
  readonly reader: FdReader;
  /** Set once the archive is being closed: reads fail from then on. */
  readonly closing: unknown;
}

/** Compressed bytes read at a time: 16 KiB was a little faster than 4 or 8 (docs/performance.md#reading-input). */
const COMPRESSED_CHUNK = 16 * 1024;
const EMPTY = Buffer.alloc(0);

/**
 * The reader of an entry whose data starts at `start` (checked by the caller); null where the raw
 * inflater is off or failed its check (then the entry is read as a stream).
 */
export function readInPlace(archive: InPlaceArchive, start: number, method: number, compressedSize: number, tally: EntryTally): InPlaceReader | null {
  if (method === 0) return storedReader(archive, start, tally);
  const inflater = createRawInflater();
  return inflater && inflatingReader(archive, start, compressedSize, tally, inflater);
}

/** `into` filled from `position`; an early end of the archive is corruption. */
function readFully(archive: InPlaceArchive, into: Buffer, position: number, place: ZipPlace & { entry: string }): void {
  if (archive.closing) throw new IoError(`${describeZipPlace(place)}: archive closed while the entry was being read`);
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

function inflatingReader(archive: InPlaceArchive, start: number, compressedSize: number, tally: EntryTally, inflater: Inflater): InPlaceReader {
  const compressed = Buffer.allocUnsafe(Math.max(1, Math.min(COMPRESSED_CHUNK, compressedSize)));
  let position = start;
  const end = start + compressedSize;
  let at = 0;
  let left = 0;
  let complete = false;
  let ended = false;
  return {
    read(into) {
      if (ended) return EMPTY;
      // `into` filled, as a file read fills it: pieces cut short wherever a compressed read ends
      // would make the tokenizer carry more across pieces
      let filled = 0;
      while (!complete && filled < into.length) {
        if (left === 0 && position < end) {
          left = Math.min(compressed.length, end - position);
          at = 0;
          readFully(archive, compressed.subarray(0, left), position, tally.place);
          position += left;
        }
        let step: InflateStep;
        try {
          step = inflater.inflate(compressed, at, left, into, filled, position === end);
        } catch (err) {
          throw readError(err as Error, { ...tally.place, offset: tally.bytes + filled }, 'corrupt compressed data');
        }
        at += step.consumed;
        left -= step.consumed;
        filled += step.produced;
        // nothing in or out: the deflate stream is complete (zlib errs when the last bytes leave it
        // incomplete); bytes after its end are not read, and the size and CRC-32 checks still decide
        if (step.produced === 0 && step.consumed === 0) complete = true;
      }
      if (filled > 0) return checked(tally, into.subarray(0, filled));
      return endOf(tally, () => (ended = true));
    },
    close() {
      inflater.close();
    },
  };
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
