/** How lib/sources/zip.ts words what goes wrong: an fs error is I/O (exit 3), anything else data (exit 1). */
import { DataError, IoError, ZipError, zipPosition, type ZipPlace } from '../../errors.js';

/** A fault met while reading an entry's data (or reaching it). */
export function readError(err: Error, place: ZipPlace & { entry: string }, context: string): Error {
  if (err instanceof DataError || err instanceof IoError) return err;
  if (isErrno(err)) return new IoError(`${describeZipPlace(place)}: ${context}: ${err.message}`, { cause: err });
  return new ZipError('FBS_ZIP_CORRUPT', `${context}: ${err.message}`, place, { cause: err });
}

/** A fault met while listing the archive: it cannot be read as a whole. */
export function archiveError(archive: string, err: unknown, context: string): Error {
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

/** `archive.zip:entry.json at byte 12`, as an error message starts. */
export function describeZipPlace(place: ZipPlace): string {
  const source = zipPosition(place).source;
  return place.offset === undefined ? source : `${source} at byte ${place.offset}`;
}

export function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
