/**
 * `-o FILE`: write to a temporary file beside the target and rename it into place on success, so a
 * failed or interrupted run never leaves a partial dataset, and an existing file stays untouched
 * until the new one is complete (RELIABILITY.md #18, #19).
 */
import { createWriteStream, rmSync, type WriteStream } from 'node:fs';
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

export function createAtomicFile(path: string): AtomicFile {
  const tempPath = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const stream = createWriteStream(tempPath, { flags: 'wx' });
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
