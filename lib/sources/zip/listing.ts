/**
 * The central directory of a zip, listed through yauzl's public API: each entry kept, skipped
 * silently (folders, names not included) or refused with a problem; the count checked against
 * what the directory really holds; and each kept entry's data located from its local header
 * (yauzl's `readLocalFileHeader`), so that it can later be read synchronously, in place.
 */
import yauzl from 'yauzl';
import { ZipError, ZipLimitError, type ZipErrorCode } from '../../errors.js';
import { archiveError, readError } from './faults.js';
import type { FdReader } from './fd-reader.js';

export type ZipProblemKind = 'unsafe-name' | 'duplicate' | 'symlink' | 'not-a-file' | 'encrypted' | 'unsupported-method' | 'ratio';

/** An entry refused at listing: not in `entries`. A strict run throws `error`. */
export interface ZipProblem {
  kind: ZipProblemKind;
  archive: string;
  /** The name as stored (decoded, backslashes kept): shown, never used as a path. */
  entry: string;
  error: ZipError | ZipLimitError;
}

/** An entry that passed the listing checks. */
export interface ListedEntry {
  readonly raw: yauzl.Entry;
  /** The name with backslashes read as `/`. */
  readonly path: string;
  /** Where its data starts in the archive, or why it cannot be reached (told when it is read). */
  dataStart: number | Error;
}

export interface ListingRules {
  readonly include: (path: string) => boolean;
  readonly maxRatio: number;
  readonly ratioGraceBytes: number;
}

const CENTRAL_HEADER = 0x02014b50;
const CENTRAL_HEADER_BYTES = 46;
const END_RECORD_BYTES = 22;
const S_IFMT = 0o170000;
const METHODS: Record<number, string> = { 1: 'shrink', 6: 'implode', 9: 'deflate64', 12: 'bzip2', 14: 'lzma', 93: 'zstd', 95: 'xz', 98: 'ppmd' };
/** Local headers read at once: each is a small read, and they are many (one per JSON entry). */
const LOCATE_CONCURRENCY = 8;

/** List every entry; rejects (an archive-level ZipError) when the central directory cannot be read. */
export async function listEntries(zipfile: yauzl.ZipFile, reader: FdReader, archive: string, rules: ListingRules): Promise<{ entries: ListedEntry[]; problems: ZipProblem[] }> {
  const entries: ListedEntry[] = [];
  const problems: ZipProblem[] = [];
  const seen = new Set<string>();
  let listed = 0;
  try {
    reader.trackReads(true);
    for await (const raw of zipfile.eachEntry()) {
      listed++;
      const found = classify(raw, archive, rules, seen);
      if (found === undefined) continue;
      if ('kind' in found) problems.push(found);
      else entries.push({ raw, path: found.path, dataStart: -1 });
    }
    reader.trackReads(false);
    await checkNothingAfter(zipfile, reader, archive);
  } catch (err) {
    throw archiveError(archive, err, `unreadable central directory after ${listed} entries`);
  }
  await locateData(zipfile, reader, archive, entries);
  return { entries, problems };
}

/** Decide at listing: undefined (silently skipped), a problem, or the entry's path. */
function classify(raw: yauzl.Entry, archive: string, rules: ListingRules, seen: Set<string>): ZipProblem | { path: string } | undefined {
  const stored = yauzl.getFileNameLowLevel(raw.generalPurposeBitFlag, raw.fileNameRaw, raw.extraFields, true);
  const path = stored.replace(/\\/g, '/');
  const mode = (raw.externalFileAttributes >>> 16) & S_IFMT;
  if (path.endsWith('/') || !rules.include(path)) return undefined;
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
  if (size > rules.ratioGraceBytes && size > raw.compressedSize * rules.maxRatio) {
    const ratio = raw.compressedSize ? Math.round(size / raw.compressedSize) : Infinity;
    const what = `entry skipped before inflating: it declares ${size} bytes from ${raw.compressedSize} compressed, a ratio of ${ratio} past maxRatio ${rules.maxRatio} (possible zip bomb)`;
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

/**
 * yauzl lists exactly the count the end record gives, and old writers wrap it at 65,536 entries:
 * another central record right after the last one listed (the furthest byte yauzl read through
 * our reader) means entries were left out. A count of 0 lists nothing to stand on: then an
 * archive with room for 65,536 central records before its end record is refused.
 */
async function checkNothingAfter(zipfile: yauzl.ZipFile, reader: FdReader, archive: string): Promise<void> {
  const wrapped = `(a count wrapped at 65,536?)`;
  if (zipfile.entryCount === 0) {
    const before = reader.size - END_RECORD_BYTES - zipfile.comment.length;
    if (before >= 65_536 * CENTRAL_HEADER_BYTES) throw new ZipError('FBS_ZIP_INVALID', `the end record declares 0 entries, yet ${before} bytes come before it ${wrapped}`, { archive });
    return;
  }
  const end = reader.furthest;
  if (end < 0 || end + 4 > reader.size) return;
  const sig = Buffer.alloc(4);
  await new Promise<void>((resolve, reject) => reader.read(sig, 0, 4, end, (err) => (err ? reject(err) : resolve())));
  if (sig.readUInt32LE(0) === CENTRAL_HEADER) {
    throw new ZipError('FBS_ZIP_INVALID', `the central directory holds more entries than the ${zipfile.entryCount} its end record declares ${wrapped}`, { archive });
  }
}

/** Each entry's `dataStart`, a few at a time; a header that fails is that entry's error, not the archive's. */
async function locateData(zipfile: yauzl.ZipFile, reader: FdReader, archive: string, entries: readonly ListedEntry[]): Promise<void> {
  // headers lie far apart (before each entry's data): a read-ahead window would read for nothing
  reader.stopReadingAhead();
  let next = 0;
  const locateSome = async (): Promise<void> => {
    for (let entry = entries[next++]; entry; entry = entries[next++]) {
      const listed = entry;
      listed.dataStart = await new Promise<number | Error>((resolve) =>
        zipfile.readLocalFileHeader(listed.raw, { minimal: true }, (err, header) => {
          resolve(err ? readError(err, { archive, entry: listed.path }, "cannot reach the entry's data") : header.fileDataStart);
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: LOCATE_CONCURRENCY }, locateSome));
}
