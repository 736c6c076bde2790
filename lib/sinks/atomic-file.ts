/**
 * `-o FILE` for a regular file (or a new path): written to a temporary file beside the target,
 * fsynced and renamed into place when complete, so that a failed or interrupted run never leaves a
 * partial dataset, and an existing file stays untouched until the new one is complete.
 * The temporary file is removed on abort, and at process exit at the latest (lib/temp-files.ts).
 */
import { randomBytes } from 'node:crypto';
import { openSync, rmSync, statSync, type WriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { IoError } from '../errors.js';
import { describeIoError, forget, removeAtExit } from '../temp-files.js';
import { closed, createFileStream } from './file-stream.js';

export interface AtomicFile {
  readonly path: string;
  readonly tempPath: string;
  readonly stream: WriteStream;
  /** End the stream (if the caller has not), wait until its data is on disk, rename it to `path`. */
  commit(): Promise<void>;
  /** Remove the temporary file (any time; idempotent, synchronous). */
  abort(): void;
}

/**
 * Opens the temporary file at once, so that a folder that does not exist or cannot be written is
 * an IoError naming `path` before any input is read. `name` names the output in messages.
 */
export function createAtomicFile(path: string, name = path): AtomicFile {
  const tempPath = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  let fd: number;
  try {
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw new Error('it is a folder');
    fd = openSync(tempPath, 'wx');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? `no folder ${dirname(path)}` : e.code === 'EACCES' || e.code === 'EROFS' ? 'permission denied' : describeIoError(e);
    throw new IoError(`cannot write ${name}: ${why}`, { cause: err });
  }
  removeAtExit(tempPath);
  const stream = createFileStream(tempPath, name, { fd, flush: true });
  let done = false;
  const abort = () => {
    if (done) return;
    done = true;
    stream.destroy();
    rmSync(tempPath, { force: true });
    forget(tempPath);
  };
  return {
    path,
    tempPath,
    stream,
    abort,
    async commit() {
      if (done) throw new IoError(`cannot write ${name}: the output was discarded`);
      if (!stream.writableEnded) stream.end();
      try {
        await closed(stream);
      } catch (err) {
        abort();
        throw err;
      }
      try {
        await rename(tempPath, path);
      } catch (err) {
        abort();
        throw new IoError(`cannot move the finished output into place at ${name}: ${describeIoError(err)}`, { cause: err });
      }
      done = true;
      forget(tempPath);
    },
  };
}
