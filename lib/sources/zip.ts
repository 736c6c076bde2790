/**
 * Zip archives read in place: yauzl lists the central directory, and each JSON entry streams out of
 * the archive (inflated and checked) without ever being extracted to disk. RELIABILITY.md rows 13–16:
 * - listing, per entry, never fatal to the rest: unsafe names, symbolic links and other non-files,
 *   duplicate names, encryption, unknown compression, a declared ratio past `maxRatio`: the entry is
 *   skipped and reported in `problems`; folders are skipped silently;
 * - reading, per entry: CRC-32, declared sizes, corrupt deflate data, the budget of inflated bytes;
 *   the entry's stream errors before it ends (see {@link ZipEntry.open});
 * - per archive: not a zip, truncated, unreadable central directory: `openZip` rejects.
 */
import { close as closeFd, fstat, open as openFd, read as readFd, readSync } from 'node:fs';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { promisify } from 'node:util';
import { crc32, createInflateRaw } from 'node:zlib';
import yauzl from 'yauzl';
import { DataError, IoError, LimitError, OptionError, type ErrorCode, type Position } from '../errors.js';
import type { ExportEntry, InPlaceReader } from './entry.js';
import { createRawInflater, type InflateStep, type RawInflater } from './raw-inflate.js';

const READ_CHUNK = 64 * 1024;
export const DEFAULT_MAX_RATIO = 100;
export const DEFAULT_RATIO_GRACE_BYTES = 1024 * 1024;
export const DEFAULT_MAX_TOTAL_BYTES = 64 * 1024 ** 3;

/**
 * Zip fault codes missing from ErrorCode in lib/errors.ts: `FBS_ZIP_INVALID` (the archive cannot be
 * listed), `FBS_ZIP_UNSAFE` (entry name, link or duplicate refused), `FBS_ZIP_UNSUPPORTED` (encrypted,
 * unknown compression), `FBS_ZIP_CORRUPT` (entry data fails its checks). Until ErrorCode lists them,
 * ZipError's constructor carries them through its one cast.
 */
export type ZipErrorCode = Extract<ErrorCode, 'FBS_ZIP_INVALID' | 'FBS_ZIP_UNSAFE' | 'FBS_ZIP_UNSUPPORTED' | 'FBS_ZIP_CORRUPT' | 'FBS_EMPTY_INPUT'>;

/** Where a zip fault is: the archive as given, the entry name as stored, a byte offset in the entry. */
export interface ZipPlace {
  archive: string;
  entry?: string;
  offset?: number;
}

/** A zip archive or entry we cannot (or will not) read: exit 1. Names the archive and the entry. */
export class ZipError extends DataError {
  readonly archive: string;
  readonly entry?: string;
  constructor(code: ZipErrorCode, what: string, place: ZipPlace, options?: { cause?: unknown }) {
    super(code, what, positionOf(place), options);
    this.archive = place.archive;
    if (place.entry !== undefined) this.entry = place.entry;
  }
}

/** A zip-bomb guard fired (`FBS_LIMIT`): a declared ratio, or the budget of inflated bytes. */
export class ZipLimitError extends LimitError {
  readonly archive: string;
  readonly entry?: string;
  constructor(what: string, place: ZipPlace) {
    super(what, positionOf(place));
    this.archive = place.archive;
    if (place.entry !== undefined) this.entry = place.entry;
  }
}

/** Inflated bytes several archives may yield in all (one run); `used` grows as entries are read. */
export interface InflateBudget {
  readonly limit: number;
  used: number;
}

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
  /** The same bytes, with the same checks, read synchronously (see readEntryInPlace); null when they cannot be. */
  readInPlace(): InPlaceReader | null;
}

export type ZipProblemKind = 'unsafe-name' | 'duplicate' | 'symlink' | 'not-a-file' | 'encrypted' | 'unsupported-method' | 'ratio';

/** An entry refused at listing: not in `entries`. A strict run throws `error`. */
export interface ZipProblem {
  kind: ZipProblemKind;
  archive: string;
  /** The name as stored (decoded, backslashes kept): shown, never used as a path. */
  entry: string;
  error: ZipError | ZipLimitError;
}

export interface ZipArchive {
  archive: string;
  /** The included file entries that passed every listing check, in central-directory order. */
  entries: ZipEntry[];
  problems: ZipProblem[];
  /** Destroys streams still reading (they error) and closes the file; call it once done. */
  close(): Promise<void>;
}

const openAsync = promisify(openFd);
const fstatAsync = promisify(fstat);
const CENTRAL_HEADER = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const S_IFMT = 0o170000;
const METHODS: Record<number, string> = { 1: 'shrink', 6: 'implode', 9: 'deflate64', 12: 'bzip2', 14: 'lzma', 93: 'zstd', 95: 'xz', 98: 'ppmd' };

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
  const reader = new FdReader(fd);
  let zipfile: yauzl.ZipFile;
  try {
    const info = await fstatAsync(fd);
    if (!info.isFile()) throw new ZipError('FBS_ZIP_INVALID', 'not a zip archive: not a regular file (a zip is read at any offset)', { archive });
    if (info.size === 0) throw new ZipError('FBS_EMPTY_INPUT', 'empty file, not a zip archive', { archive });
    reader.size = info.size;
    zipfile = await new Promise<yauzl.ZipFile>((resolve, reject) => {
      const flags = { autoClose: false, lazyEntries: true, decodeStrings: false, validateEntrySizes: false };
      yauzl.fromRandomAccessReader(reader, info.size, flags, (err, zf) => (err ? reject(err) : resolve(zf)));
    });
  } catch (err) {
    reader.close(() => {});
    await reader.closed.catch(() => {});
    throw archiveError(archive, err, 'not a zip archive, or a truncated one');
  }
  let lateError: unknown;
  zipfile.on('error', (err) => void (lateError ??= err));
  const entries: ZipEntry[] = [];
  const problems: ZipProblem[] = [];
  const state: ZipState = { archive, zipfile, reader, budget: opts.budget, reading: new Set(), closing: undefined };
  const seen = new Set<string>();
  let listed = 0;
  try {
    for await (const raw of zipfile.eachEntry()) {
      listed++;
      const found = classify(raw, archive, opts, seen);
      if (found === undefined) continue;
      if ('kind' in found) problems.push(found);
      else entries.push(zipEntry(state, raw, found.path));
    }
    await checkNothingAfter(zipfile, reader, archive);
  } catch (err) {
    zipfile.close();
    await reader.closed.catch(() => {});
    throw archiveError(archive, err, `unreadable central directory after ${listed} entries`);
  }
  reader.readAhead = false;
  return {
    archive,
    entries,
    problems,
    close: () => (state.closing ??= closeZip(state, () => lateError)),
  };
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

/** Decide at listing: undefined (silently skipped), a problem, or the entry's path. */
function classify(raw: yauzl.Entry, archive: string, opts: ZipOptions, seen: Set<string>): ZipProblem | { path: string } | undefined {
  const stored = yauzl.getFileNameLowLevel(raw.generalPurposeBitFlag, raw.fileNameRaw, raw.extraFields, true);
  const path = stored.replace(/\\/g, '/');
  const mode = (raw.externalFileAttributes >>> 16) & S_IFMT;
  if (path.endsWith('/') || !opts.include(path)) return undefined;
  const place = { archive, entry: stored };
  const refuse = (kind: ZipProblemKind, code: ZipErrorCode, what: string): ZipProblem => ({ kind, archive, entry: stored, error: new ZipError(code, what, place) });
  const unsafe = unsafeName(path);
  if (unsafe) return refuse('unsafe-name', 'FBS_ZIP_UNSAFE', `entry skipped: unsafe name (${unsafe}${stored !== path ? '; backslashes read as "/"' : ''})`);
  if (seen.has(path)) return refuse('duplicate', 'FBS_ZIP_UNSAFE', 'entry skipped: an earlier entry has the same name');
  seen.add(path);
  if (mode === 0o120000) return refuse('symlink', 'FBS_ZIP_UNSAFE', 'entry skipped: it is a symbolic link');
  if (mode !== 0 && mode !== 0o100000) return refuse('not-a-file', 'FBS_ZIP_UNSAFE', `entry skipped: not a regular file (unix mode 0o${mode.toString(8)})`);
  if (raw.generalPurposeBitFlag & 1) return refuse('encrypted', 'FBS_ZIP_UNSUPPORTED', 'entry skipped: it is encrypted, and encrypted entries are not supported');
  const method = raw.compressionMethod;
  if (method !== 0 && method !== 8) {
    const label = METHODS[method] ? ` (${METHODS[method]})` : '';
    return refuse('unsupported-method', 'FBS_ZIP_UNSUPPORTED', `entry skipped: compression method ${method}${label} is not supported (only stored and deflate)`);
  }
  const size = raw.uncompressedSize;
  if (size > opts.ratioGraceBytes && size > raw.compressedSize * opts.maxRatio) {
    const ratio = raw.compressedSize ? Math.round(size / raw.compressedSize) : Infinity;
    const what = `entry skipped before inflating: it declares ${size} bytes from ${raw.compressedSize} compressed, a ratio of ${ratio} past maxRatio ${opts.maxRatio} (possible zip bomb)`;
    return { kind: 'ratio', archive, entry: stored, error: new ZipLimitError(what, place) };
  }
  return { path };
}

/** Why a name (backslashes already read as `/`) is refused; undefined when it is fine. */
function unsafeName(path: string): string | undefined {
  if (path === '') return 'empty';
  if (path.includes('\0')) return 'NUL character';
  if (path.startsWith('/')) return 'absolute path';
  if (/^[a-z]:/i.test(path)) return 'drive letter';
  if (path.split('/').includes('..')) return '".." climbs out of the archive';
  return undefined;
}

/** yauzl reads exactly the count the end record gives; old writers wrap it at 65,536 entries. */
async function checkNothingAfter(zipfile: yauzl.ZipFile, reader: FdReader, archive: string): Promise<void> {
  const cursor = zipfile.readEntryCursor as unknown as number;
  if (cursor + 4 > reader.size) return;
  const sig = Buffer.alloc(4);
  await new Promise<void>((resolve, reject) => reader.read(sig, 0, 4, cursor, (err) => (err ? reject(err) : resolve())));
  if (sig.readUInt32LE(0) === CENTRAL_HEADER) {
    const what = `the central directory holds more entries than the ${zipfile.entryCount} its end record declares (a count wrapped at 65,536?)`;
    throw new ZipError('FBS_ZIP_INVALID', what, { archive });
  }
}

function zipEntry(state: ZipState, raw: yauzl.Entry, path: string): ZipEntry {
  const name = `${state.archive}:${show(path)}`;
  return {
    input: state.archive,
    path,
    name,
    size: raw.uncompressedSize,
    compressedSize: raw.compressedSize,
    open: () => openEntry(state, raw, path),
    readInPlace: () => readEntryInPlace(state, raw, path),
  };
}

function openEntry(state: ZipState, raw: yauzl.Entry, path: string): Readable {
  const place = { archive: state.archive, entry: path };
  const check = new EntryCheck(new EntryTally(raw.uncompressedSize, raw.crc32, state.budget, place));
  state.reading.add(check);
  check.once('close', () => state.reading.delete(check));
  const refused = refuseToRead(state, raw, place);
  if (refused) return check.destroy(refused);
  state.zipfile.openReadStream(raw, { decodeFileData: false }, (err, source) => {
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

/** Why the entry's data cannot be read at all (before any byte), or undefined. */
function refuseToRead(state: ZipState, raw: yauzl.Entry, place: ZipPlace & { entry: string }): Error | undefined {
  if (raw.compressionMethod === 0 && raw.compressedSize !== raw.uncompressedSize) {
    const what = `false sizes: the stored entry declares ${raw.compressedSize} bytes in the archive but ${raw.uncompressedSize} uncompressed`;
    return new ZipError('FBS_ZIP_CORRUPT', what, place);
  }
  if (state.closing) return new IoError(`${describe(place)}: cannot read the entry: the archive is closed`);
  return undefined;
}

/** Compressed bytes read at a time by {@link ZipEntry.readInPlace} (16 KiB measured a little faster than 4 or 8). */
const COMPRESSED_CHUNK = 16 * 1024;

/**
 * An entry read synchronously, through the archive's descriptor: a stored entry read into the
 * caller's buffer, a deflated one inflated into it (lib/sources/raw-inflate.ts), so no read gives
 * more than the caller's buffer holds, whatever the ratio. Every piece passes the size and budget
 * checks before it is handed out; the CRC-32 and the final size are checked before the end is.
 * Null where this Node's zlib cannot inflate synchronously (then {@link ZipEntry.open}).
 *
 * Why: streamed, an entry costs two thread-pool round trips per 64 KiB (a read, an inflate), and
 * with two jobs on two cores their wake-ups cost CPU the jobs need. On the 2 GB bench export with
 * --jobs 2, in place: ~17.5 s against ~19 s streamed (and before stages were classes, 32–39 CPU s
 * against 45–49). It then cost ~20–40 MB more peak RSS, when minizlib inflated into new buffers;
 * inflated into the caller's buffer, the zips' peaks are within the folder's run-to-run spread
 * (README, Benchmarks).
 */
function readEntryInPlace(state: ZipState, raw: yauzl.Entry, path: string): InPlaceReader | null {
  const place = { archive: state.archive, entry: path };
  const refused = refuseToRead(state, raw, place);
  if (refused) throw refused;
  const tally = new EntryTally(raw.uncompressedSize, raw.crc32, state.budget, place);
  if (raw.compressionMethod === 0) return storedReader(state, dataStart(state, raw, place), tally);
  const inflater = createRawInflater();
  if (!inflater) return null;
  try {
    return inflatingReader(state, dataStart(state, raw, place), raw.compressedSize, tally, inflater);
  } catch (err) {
    inflater.close();
    throw err;
  }
}

/** Where the entry's data starts: after its local header, whose name and extra field lengths are its own. */
function dataStart(state: ZipState, raw: yauzl.Entry, place: ZipPlace & { entry: string }): number {
  const header = Buffer.alloc(30);
  readFully(state, header, raw.relativeOffsetOfLocalHeader, place);
  const signature = header.readUInt32LE(0);
  if (signature !== LOCAL_HEADER) throw new ZipError('FBS_ZIP_CORRUPT', `cannot reach the entry's data: invalid local file header signature ${hex(signature)}`, place);
  const start = raw.relativeOffsetOfLocalHeader + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  if (start + raw.compressedSize > state.reader.size) {
    throw new ZipError('FBS_ZIP_CORRUPT', `cannot reach the entry's data: it runs past the end of the archive (${start} + ${raw.compressedSize} > ${state.reader.size})`, place);
  }
  return start;
}

/** `into` filled from `position`; an early end of the archive is corruption. */
function readFully(state: ZipState, into: Buffer, position: number, place: ZipPlace & { entry: string }): void {
  if (state.closing) throw new IoError(`${describe(place)}: archive closed while the entry was being read`);
  for (let got = 0; got < into.length; ) {
    let n: number;
    try {
      n = state.reader.readSync(into, got, into.length - got, position + got);
    } catch (err) {
      throw readError(err as Error, place, 'cannot read the entry');
    }
    if (n === 0) throw new ZipError('FBS_ZIP_CORRUPT', `the archive ends at byte ${position + got}, inside the entry's data`, place);
    got += n;
  }
}

function storedReader(state: ZipState, start: number, tally: EntryTally): InPlaceReader {
  let position = start;
  const end = start + tally.declared;
  let ended = false;
  return {
    read(into) {
      if (position === end) return ended ? EMPTY : endOf(tally, () => (ended = true));
      const chunk = into.subarray(0, Math.min(into.length, end - position));
      readFully(state, chunk, position, tally.place);
      position += chunk.length;
      return checked(tally, chunk);
    },
    close() {},
  };
}

function inflatingReader(state: ZipState, start: number, compressedSize: number, tally: EntryTally, inflater: RawInflater): InPlaceReader {
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
      // `into` filled, as a file read fills it: pieces cut short wherever the compressed reads
      // end made the message scanner's carries across pieces ~25% dearer
      let filled = 0;
      while (!complete && filled < into.length) {
        if (left === 0 && position < end) {
          left = Math.min(compressed.length, end - position);
          at = 0;
          readFully(state, compressed.subarray(0, left), position, tally.place);
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

const EMPTY = Buffer.alloc(0);

/**
 * The checks on an entry's bytes, as they come: the declared size, the inflate budget, CRC-32.
 * Each returns the fault, or undefined; the offset is the entry's bytes before the chunk.
 */
class EntryTally {
  bytes = 0;
  #crc = 0;
  constructor(
    readonly declared: number,
    readonly crc: number,
    readonly budget: InflateBudget,
    readonly place: ZipPlace & { entry: string },
  ) {}

  add(chunk: Uint8Array): Error | undefined {
    const at = { ...this.place, offset: this.bytes };
    if (this.bytes + chunk.length > this.declared) {
      return new ZipError('FBS_ZIP_CORRUPT', `false size: the entry holds more than the ${this.declared} bytes the archive declares`, at);
    }
    if (this.budget.used + chunk.length > this.budget.limit) {
      return new ZipLimitError(`inflated bytes would pass maxTotalBytes ${this.budget.limit}; reading stopped (possible zip bomb)`, at);
    }
    this.budget.used += chunk.length;
    this.bytes += chunk.length;
    this.#crc = crc32(chunk, this.#crc);
    return undefined;
  }

  end(): Error | undefined {
    const at = { ...this.place, offset: this.bytes };
    if (this.bytes !== this.declared) {
      return new ZipError('FBS_ZIP_CORRUPT', `false size: the entry ends after ${this.bytes} bytes, the archive declares ${this.declared}`, at);
    }
    if (this.#crc !== this.crc) {
      return new ZipError('FBS_ZIP_CORRUPT', `CRC-32 mismatch: the archive records ${hex(this.crc)}, the data gives ${hex(this.#crc)}`, at);
    }
    return undefined;
  }
}

/** Passes the entry's bytes on through an {@link EntryTally}; a fault errors the stream before `end`. */
class EntryCheck extends Transform {
  readonly tally: EntryTally;
  constructor(tally: EntryTally) {
    super({ readableHighWaterMark: READ_CHUNK, writableHighWaterMark: READ_CHUNK });
    this.tally = tally;
  }

  get place(): ZipPlace & { entry: string } {
    return this.tally.place;
  }

  get bytes(): number {
    return this.tally.bytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    callback(this.tally.add(chunk), chunk);
  }

  override _flush(callback: TransformCallback): void {
    callback(this.tally.end());
  }
}

async function closeZip(state: ZipState, lateError: () => unknown): Promise<void> {
  for (const stream of state.reading) {
    const what = `${state.archive}:${show(stream.place.entry)}: archive closed while the entry was being read`;
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

/**
 * yauzl's RandomAccessReader over one descriptor: 64 KiB reads, a read-ahead window while the
 * central directory is listed, and the descriptor closed only once no read is in flight.
 */
class FdReader extends yauzl.RandomAccessReader {
  size = 0;
  readAhead = true;
  readonly closed: Promise<void>;
  readonly #fd: number;
  #window: { start: number; bytes: Buffer } | undefined;
  #inFlight = 0;
  #whenIdle: (() => void) | undefined;
  #settle!: (err: Error | null) => void;
  #closing = false;

  constructor(fd: number) {
    super();
    this.#fd = fd;
    this.closed = new Promise((resolve, reject) => (this.#settle = (err) => (err ? reject(err) : resolve())));
    this.closed.catch(() => {});
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

  /** Positional read, synchronous (see readEntryInPlace). */
  readSync(buffer: Buffer, offset: number, length: number, position: number): number {
    if (this.#closing) throw new Error('archive file closed');
    return readSync(this.#fd, buffer, offset, length, position);
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null, n?: number) => void): void {
    const w = this.#window;
    if (w && position >= w.start && position + length <= w.start + w.bytes.length) {
      w.bytes.copy(buffer, offset, position - w.start, position - w.start + length);
      return void process.nextTick(callback, null, length);
    }
    const ahead = Math.min(READ_CHUNK, this.size - position);
    if (!this.readAhead || length > ahead) return this.readAt(buffer, offset, length, position, callback);
    const bytes = Buffer.allocUnsafe(ahead);
    this.readAt(bytes, 0, ahead, position, (err, n) => {
      if (err) return callback(err, 0);
      this.#window = { start: position, bytes: bytes.subarray(0, n) };
      const got = Math.min(length, n);
      bytes.copy(buffer, offset, 0, got);
      callback(null, got);
    });
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

/** An fs error is I/O (exit 3); anything else found while reading an entry is corruption. */
function readError(err: Error, place: ZipPlace & { entry: string }, context: string): Error {
  if (err instanceof DataError || err instanceof IoError) return err;
  if (isErrno(err)) return new IoError(`${describe(place)}: ${context}: ${err.message}`, { cause: err });
  return new ZipError('FBS_ZIP_CORRUPT', `${context}: ${err.message}`, place, { cause: err });
}

function archiveError(archive: string, err: unknown, context: string): Error {
  if (err instanceof DataError || err instanceof IoError) return err;
  const message = (err as Error).message;
  if (isErrno(err)) return new IoError(`cannot read archive ${archive}: ${message}`, { cause: err });
  if (/end of central directory record signature not found/i.test(message)) {
    return new ZipError('FBS_ZIP_INVALID', `${context}: no end-of-central-directory record at its end`, { archive }, { cause: err });
  }
  return new ZipError('FBS_ZIP_INVALID', `${context}: ${message}`, { archive }, { cause: err });
}

function isErrno(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

function positionOf(place: ZipPlace): Position {
  const source = place.entry === undefined ? place.archive : `${place.archive}:${show(place.entry)}`;
  return place.offset === undefined ? { source } : { source, offset: place.offset };
}

function describe(place: ZipPlace): string {
  const source = positionOf(place).source;
  return place.offset === undefined ? source : `${source} at byte ${place.offset}`;
}

/** Entry names are shown, never used: escape what could rewrite a terminal line. */
function show(name: string): string {
  return name.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

function checkCount(option: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new OptionError(option, 'must be an integer >= 0', value);
  }
}
