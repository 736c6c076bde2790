/**
 * `-o FILE`: write to a temporary file beside the target and rename it into place on success, so a
 * failed or interrupted run never leaves a partial dataset, and an existing file stays untouched
 * until the new one is complete (RELIABILITY.md #18, #19).
 */
import { createWriteStream, openSync, rmSync, statSync, type WriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { IoError } from '../errors.js';

export interface AtomicFile {
  readonly path: string;
  readonly tempPath: string;
  readonly stream: WriteStream;
  /** Rename the finished temporary file to `path`. Call after the stream has finished. */
  commit(): Promise<void>;
  /** Remove the temporary file (any time; idempotent, synchronous so it can run in a signal handler). */
  abort(): void;
}

const WRITE_BUFFER = 1024 * 1024;

/**
 * Opens the temporary file at once, so that a folder that does not exist or cannot be written is
 * an IoError naming `path` before any input is read.
 */
export function createAtomicFile(path: string): AtomicFile {
  const tempPath = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  let fd: number;
  try {
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw new Error('it is a folder');
    fd = openSync(tempPath, 'wx');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? `no folder ${dirname(path)}` : e.code === 'EACCES' || e.code === 'EROFS' ? 'permission denied' : e.message;
    throw new IoError(`cannot write ${path}: ${why}`, { cause: err });
  }
  // 1 MiB of writes may wait for the thread pool before the pipeline is held up: with the default
  // 16 KiB, every batch waited for its write to complete (100 MB thread: ~8% of the run idle)
  const stream = createWriteStream(tempPath, { fd, highWaterMark: WRITE_BUFFER });
  let done = false;
  return {
    path,
    tempPath,
    stream,
    async commit() {
      try {
        await rename(tempPath, path);
        done = true;
      } catch (err) {
        this.abort();
        throw new IoError(`cannot move the finished output into place at ${path}: ${(err as Error).message}`, { cause: err });
      }
    },
    abort() {
      if (done) return;
      done = true;
      stream.destroy();
      rmSync(tempPath, { force: true });
    },
  };
}
