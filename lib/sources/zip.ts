/**
 * Zip archives read in place: yauzl lists the central directory, and each JSON entry streams out of
 * the archive (inflated and checked) without ever being extracted to disk. Faults, by scope:
 * - listing, per entry, never fatal to the rest: unsafe names, symbolic links and other non-files,
 *   duplicate names, encryption, unknown compression, a declared ratio past `maxRatio`: the entry is
 *   skipped and reported in `problems`; folders are skipped silently (lib/sources/zip/listing.ts);
 * - reading, per entry: its local header, CRC-32, declared sizes, corrupt deflate data, the budget
 *   of inflated bytes; the entry's stream errors before it ends (see {@link ZipEntry.open});
 * - per archive: not a zip, truncated, unreadable central directory: `openZip` rejects.
 * Only yauzl's public API: entries are located with `readLocalFileHeader`, streamed with
 * `openReadStreamLowLevel`, and read in place through our own RandomAccessReader's descriptor.
 */
import { fstat, open as openFd, close as closeFd } from 'node:fs';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { createInflateRaw } from 'node:zlib';
import yauzl from 'yauzl';
import { IoError, OptionError, ZipError, zipPosition, type ZipPlace } from '../errors.js';
import type { ExportEntry, InPlaceOptions, InPlaceReader } from './entry.js';
import { EntryCheck, EntryTally, type InflateBudget } from './zip/entry-checks.js';
import { archiveError, describeZipPlace, readError } from './zip/faults.js';
import { FdReader, READ_CHUNK } from './zip/fd-reader.js';
import { readInPlace } from './zip/in-place.js';
import { listEntries, type ListedEntry, type ZipProblem } from './zip/listing.js';

export type { InflateBudget } from './zip/entry-checks.js';
export type { ZipProblem, ZipProblemKind } from './zip/listing.js';

export const DEFAULT_MAX_RATIO = 100;
export const DEFAULT_RATIO_GRACE_BYTES = 1024 * 1024;
export const DEFAULT_MAX_TOTAL_BYTES = 64 * 1024 ** 3;

export function createInflateBudget(limit: number = DEFAULT_MAX_TOTAL_BYTES): InflateBudget {
  checkCount('maxTotalBytes', limit);
  return { limit, used: 0 };
}

export interface OpenZipOptions {
  /** Which file entries to list, by path inside the archive. Default: {@link isJsonPath}. */
  include?: (path: string) => boolean;
  /** Refuse, before reading, an entry declaring more than its compressed size × this. Default 100. */
  maxRatio?: number;
  /** Entries declaring at most this many bytes skip the ratio check (tiny JSON packs well). Default 1 MiB. */
  ratioGraceBytes?: number;
  /** Inflated bytes this archive may yield over all reads. Default 64 GiB. Not with `budget`. */
  maxTotalBytes?: number;
  /** A budget shared with other archives of the run, instead of `maxTotalBytes`. */
  budget?: InflateBudget;
}

export interface ZipOptions {
  readonly include: (path: string) => boolean;
  readonly maxRatio: number;
  readonly ratioGraceBytes: number;
  readonly budget: InflateBudget;
}

export function normalizeOpenZipOptions(options: OpenZipOptions = {}): ZipOptions {
  const { include = isJsonPath, maxRatio = DEFAULT_MAX_RATIO, ratioGraceBytes = DEFAULT_RATIO_GRACE_BYTES } = options;
  if (typeof include !== 'function') throw new OptionError('include', 'must be a function of the entry path', include);
  if (typeof maxRatio !== 'number' || !(maxRatio >= 1) || !Number.isFinite(maxRatio)) {
    throw new OptionError('maxRatio', 'must be a finite number >= 1', maxRatio);
  }
  checkCount('ratioGraceBytes', ratioGraceBytes);
  if (options.budget !== undefined && options.maxTotalBytes !== undefined) {
    throw new OptionError('maxTotalBytes', 'must not be given with budget, which has its own limit', options.maxTotalBytes);
  }
  const budget = options.budget ?? createInflateBudget(options.maxTotalBytes);
  if (typeof budget !== 'object' || budget === null || typeof budget.used !== 'number') {
    throw new OptionError('budget', 'must come from createInflateBudget()', budget);
  }
  return Object.freeze({ include, maxRatio, ratioGraceBytes, budget });
}

/** The default entry filter: names ending in `.json`, in any case. */
export function isJsonPath(path: string): boolean {
  return /\.json$/i.test(path);
}

export interface ZipEntry extends ExportEntry {
  compressedSize: number;
  /**
   * A new stream of the entry's bytes (64 KiB chunks, read through the archive's one descriptor).
   * Every fault arrives as an `error` event **before `end`**: CRC-32 mismatch, corrupt deflate
   * data, a size other than declared, the inflate budget spent, the archive closed. A consumer must
   * discard what it took from a stream that errored; a stream that ended has passed every check.
   */
  open(): Readable;
  /** The same bytes, with the same checks, read synchronously; null when they cannot be (see lib/sources/zip/in-place.ts). */
  readInPlace(options?: InPlaceOptions): InPlaceReader | null;
  /**
   * Where its data lies in the archive, for a reader with its own descriptor in another thread
   * (lib/export/count-worker.ts, lib/export/part-opener.ts, with lib/sources/zip/in-place.ts);
   * undefined where it cannot be reached.
   */
  dataAt?(): { start: number; method: number; crc32: number } | undefined;
}

export interface ZipArchive {
  archive: string;
  /** The included file entries that passed every listing check, in central-directory order. */
  entries: ZipEntry[];
  problems: ZipProblem[];
  /** Destroys streams still reading (they error) and closes the file; call it once done. */
  close(): Promise<void>;
}

interface ZipState {
  archive: string;
  zipfile: yauzl.ZipFile;
  reader: FdReader;
  budget: InflateBudget;
  /** Entry streams not yet closed, destroyed by `close()`. */
  reading: Set<EntryCheck>;
  closing: Promise<void> | undefined;
}

const openAsync = promisify(openFd);
const fstatAsync = promisify(fstat);
const closeAsync = promisify(closeFd);

/**
 * List a zip archive's central directory. Rejects (`FBS_ZIP_INVALID`, `FBS_EMPTY_INPUT`, `FBS_IO`)
 * when the archive as a whole cannot be read; entries it refuses go to `problems`.
 */
export async function openZip(archive: string, options: OpenZipOptions = {}): Promise<ZipArchive> {
  const opts = normalizeOpenZipOptions(options);
  let fd: number;
  try {
    fd = await openAsync(archive, 'r');
  } catch (err) {
    throw new IoError(`cannot open archive ${archive}: ${(err as Error).message}`, { cause: err });
  }
  let reader: FdReader;
  try {
    const info = await fstatAsync(fd);
    if (!info.isFile()) throw new ZipError('FBS_ZIP_INVALID', 'not a zip archive: not a regular file (a zip is read at any offset)', { archive });
    if (info.size === 0) throw new ZipError('FBS_EMPTY_INPUT', 'empty file, not a zip archive', { archive });
    reader = new FdReader(fd, info.size);
  } catch (err) {
    await closeAsync(fd).catch(() => {});
    throw archiveError(archive, err, 'cannot read the archive');
  }
  let zipfile: yauzl.ZipFile;
  try {
    zipfile = await new Promise<yauzl.ZipFile>((resolve, reject) => {
      const flags = { autoClose: false, lazyEntries: true, decodeStrings: false, validateEntrySizes: false };
      yauzl.fromRandomAccessReader(reader, reader.size, flags, (err, zf) => (err ? reject(err) : resolve(zf)));
    });
  } catch (err) {
    reader.close(() => {});
    await reader.closed.catch(() => {});
    throw archiveError(archive, err, 'not a zip archive, or a truncated one');
  }
  let lateError: unknown;
  zipfile.on('error', (err) => void (lateError ??= err));
  const state: ZipState = { archive, zipfile, reader, budget: opts.budget, reading: new Set(), closing: undefined };
  let listing: Awaited<ReturnType<typeof listEntries>>;
  try {
    listing = await listEntries(zipfile, reader, archive, opts);
  } catch (err) {
    zipfile.close();
    await reader.closed.catch(() => {});
    throw err;
  }
  return {
    archive,
    entries: listing.entries.map((listed) => zipEntry(state, listed)),
    problems: listing.problems,
    close: () => (state.closing ??= closeZip(state, () => lateError)),
  };
}

function zipEntry(state: ZipState, listed: ListedEntry): ZipEntry {
  const { raw, path } = listed;
  return {
    input: state.archive,
    path,
    name: zipPosition({ archive: state.archive, entry: path }).source,
    size: raw.uncompressedSize,
    compressedSize: raw.compressedSize,
    open: () => openEntry(state, listed),
    readInPlace: (options) => readEntryInPlace(state, listed, options?.head),
    dataAt: () => (typeof listed.dataStart === 'number' ? { start: listed.dataStart, method: raw.compressionMethod, crc32: raw.crc32 } : undefined),
  };
}

function openEntry(state: ZipState, { raw, path, dataStart }: ListedEntry): Readable {
  const place = { archive: state.archive, entry: path };
  const check = new EntryCheck(new EntryTally(raw.uncompressedSize, raw.crc32, state.budget, place));
  state.reading.add(check);
  check.once('close', () => state.reading.delete(check));
  const refused = refuseToRead(state, raw, dataStart, place);
  if (refused) return check.destroy(refused);
  state.zipfile.openReadStreamLowLevel(dataStart as number, raw.compressedSize, 0, raw.compressedSize, false, raw.uncompressedSize, (err, source) => {
    if (err) return void check.destroy(readError(err, place, "cannot reach the entry's data"));
    if (check.destroyed) return void source.destroy();
    const inflate = raw.compressionMethod === 8 ? createInflateRaw({ chunkSize: READ_CHUNK }) : undefined;
    source.on('error', (e) => check.destroy(readError(e, { ...place, offset: check.bytes }, 'cannot read the entry')));
    inflate?.on('error', (e) => check.destroy(readError(e, { ...place, offset: check.bytes }, 'corrupt compressed data')));
    check.once('close', () => {
      source.destroy();
      inflate?.destroy();
    });
    (inflate ? source.pipe(inflate) : source).pipe(check);
  });
  return check;
}

/** Synchronously, in place (lib/sources/zip/in-place.ts): throws what {@link refuseToRead} finds. */
function readEntryInPlace(state: ZipState, { raw, path, dataStart }: ListedEntry, head?: number): InPlaceReader | null {
  const place = { archive: state.archive, entry: path };
  const refused = refuseToRead(state, raw, dataStart, place);
  if (refused) throw refused;
  const tally = new EntryTally(raw.uncompressedSize, raw.crc32, state.budget, place);
  return readInPlace(state, dataStart as number, raw.compressionMethod, raw.compressedSize, tally, undefined, head);
}

/** A stored entry whose two sizes differ: refused before any byte is read. */
export function storedSizesDisagree(entry: { method: number; compressedSize: number; size: number }): boolean {
  return entry.method === 0 && entry.compressedSize !== entry.size;
}

/** Why the entry's data cannot be read at all (before any byte), or undefined. */
function refuseToRead(state: ZipState, raw: yauzl.Entry, dataStart: number | Error, place: ZipPlace & { entry: string }): Error | undefined {
  if (storedSizesDisagree({ method: raw.compressionMethod, compressedSize: raw.compressedSize, size: raw.uncompressedSize })) {
    const what = `false sizes: the stored entry declares ${raw.compressedSize} bytes in the archive but ${raw.uncompressedSize} uncompressed`;
    return new ZipError('FBS_ZIP_CORRUPT', what, place);
  }
  if (state.closing) return new IoError(`${describeZipPlace(place)}: cannot read the entry: the archive is closed`);
  return dataStart instanceof Error ? dataStart : undefined;
}

async function closeZip(state: ZipState, lateError: () => unknown): Promise<void> {
  for (const stream of state.reading) {
    const what = `${describeZipPlace({ archive: state.archive, entry: stream.place.entry })}: archive closed while the entry was being read`;
    stream.destroy(stream.readableEnded ? undefined : new IoError(what));
  }
  state.zipfile.close();
  try {
    await state.reader.closed;
  } catch (err) {
    throw new IoError(`cannot close archive ${state.archive}: ${(err as Error).message}`, { cause: err });
  }
  const err = lateError();
  if (err) throw new IoError(`archive ${state.archive}: ${(err as Error).message}`, { cause: err });
}

function checkCount(option: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new OptionError(option, 'must be an integer >= 0', value);
  }
}

