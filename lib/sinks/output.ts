/**
 * Where a conversion's data goes (`-o`), chosen by what the path is:
 * - nothing, `-`, or a path that is the process's stdout (/dev/stdout): stdout, never ended (it
 *   belongs to the process);
 * - an existing path that is not a regular file (a character device such as /dev/null or
 *   /dev/full, a FIFO, /dev/stderr, a socket): opened and written in place, never replaced;
 * - a regular file or a new path: written atomically (lib/sinks/atomic-file.ts), through a link to
 *   the file it points to, so that the link stays;
 * - a folder, or a path in a folder that does not exist: an IoError naming the path, at once.
 * Write errors are IoErrors naming the path (`-o /dev/full`: no space left on device).
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, realpathSync, statSync, type Stats, type WriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { IoError } from '../errors.js';
import { ioError } from '../temp-files.js';
import { createAtomicFile } from './atomic-file.js';
import { closed, createFileStream } from './file-stream.js';

export interface OutputTarget {
  readonly sink: Writable;
  /** End the sink when done (false for stdout). */
  readonly end: boolean;
  /** For messages: the path as given, or `<stdout>`. */
  readonly name: string;
  /** Finish: the sink ended (if the caller has not) and its data written; a regular file renamed into place (after fsync). */
  commit(): Promise<void>;
  /** Give up: the temporary file removed, the sink closed. Idempotent; never rejects. */
  abort(): Promise<void>;
}

export function openOutput(path: string | null | undefined, stdout: Writable): OutputTarget {
  if (path === null || path === undefined || path === '-') return stdoutTarget(stdout);
  let st: Stats | undefined;
  try {
    st = statSync(path, { throwIfNoEntry: false });
  } catch (err) {
    throw ioError('write', path, err); // e.g. a path below a regular file (ENOTDIR)
  }
  if (st?.isDirectory()) throw new IoError(`cannot write ${path}: it is a folder`);
  // /dev/stdout, /dev/fd/1: the process's stdout, whatever it is (a socket cannot be opened again)
  if (st && isStdout(st)) return stdoutTarget(stdout === process.stdout ? stdout : process.stdout);
  if (st && !st.isFile()) return inPlace(path, st);
  // through a link, the file it points to is replaced, not the link
  const real = st && lstatSync(path).isSymbolicLink() ? realpathSync(path) : path;
  const file = createAtomicFile(real, path);
  return {
    sink: file.stream,
    end: true,
    name: path,
    commit: () => file.commit(),
    async abort() {
      file.abort();
      await closed(file.stream).catch(() => {});
    },
  };
}

function isStdout(st: Stats): boolean {
  try {
    const out = fstatSync(1);
    return out.dev === st.dev && out.ino === st.ino;
  } catch {
    return false; // no fd 1
  }
}

function stdoutTarget(stdout: Writable): OutputTarget {
  return { sink: stdout, end: false, name: '<stdout>', commit: async () => {}, abort: async () => {} };
}

/** A device, FIFO or socket, opened (asynchronously: a FIFO's open waits for a reader) and written as it is. */
function inPlace(path: string, st: Stats): OutputTarget {
  const stream = createFileStream(path, path);
  // no reader came for the FIFO: its writer's open would wait, and keep the process alive, forever;
  // a reader of our own, held until the stream has closed, lets the open (issued or not yet) complete
  const unblock = (s: WriteStream) => {
    if (!st.isFIFO() || !s.pending) return;
    let reader: number;
    try {
      reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch {
      return;
    }
    s.once('close', () => closeSync(reader));
  };
  let aborted = false;
  return {
    sink: stream,
    end: true,
    name: path,
    async commit() {
      if (!stream.writableEnded) stream.end();
      await closed(stream);
    },
    async abort() {
      if (aborted) return;
      aborted = true;
      stream.destroy();
      unblock(stream);
      await closed(stream).catch(() => {});
    },
  };
}
