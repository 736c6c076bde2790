/**
 * A write stream on a file whose errors are IoErrors naming the output as the user gave it
 * (`cannot write /dev/full: no space left on device (ENOSPC)`), not Node's bare `ENOSPC: …, write`
 * naming a temporary file. An `EPIPE` (the reader of a pipe left) stays as it is, so that the CLI
 * ends quietly as it does on stdout.
 */
import { close, createWriteStream, fsync, open, write, writev, type WriteStream } from 'node:fs';
import { ioError } from '../temp-files.js';

/**
 * Writes may wait for the thread pool up to 1 MiB before the pipeline is held up: with the default
 * 16 KiB, every batch waited for its write to complete (docs/performance.md, "Writing output").
 */
export const WRITE_BUFFER = 1024 * 1024;

export interface FileStreamOptions {
  /** An open file descriptor to write to (else `path` is opened, asynchronously, for writing). */
  fd?: number;
  /** fsync the file before it is closed (a file about to be renamed into place). */
  flush?: boolean;
}

/** A WriteStream on `path` (or `options.fd`) whose errors name `name`; see {@link closed} for them. */
export function createFileStream(path: string, name: string, options: FileStreamOptions = {}): WriteStream {
  const named = (err: NodeJS.ErrnoException | null) => (err === null || err.code === 'EPIPE' ? err : ioError('write', name, err));
  // the fs functions the stream calls, each with its error named (WriteStream's `fs` option)
  const fs = {
    open: (p: string, flags: string, mode: number, cb: (err: Error | null, fd?: number) => void) => open(p, flags, mode, (err, fd) => cb(named(err), fd)),
    write: (fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null, cb: (err: Error | null, n?: number) => void) =>
      write(fd, buffer, offset, length, position, (err, n) => cb(named(err), n)),
    writev: (fd: number, buffers: Uint8Array[], position: number | null, cb: (err: Error | null, n?: number) => void) => writev(fd, buffers, position, (err, n) => cb(named(err), n)),
    fsync: (fd: number, cb: (err: Error | null) => void) => fsync(fd, (err) => cb(named(err))),
    close: (fd: number, cb: (err: Error | null) => void) => close(fd, (err) => cb(named(err))),
  };
  const stream = createWriteStream(path, {
    ...(options.fd !== undefined ? { fd: options.fd } : { flags: 'w' }),
    highWaterMark: WRITE_BUFFER,
    flush: options.flush ?? false,
    fs,
  } as Parameters<typeof createWriteStream>[1]);
  // a write fails after the writer has stopped listening (writes are buffered): never an
  // unhandled 'error' event; the error stays in `stream.errored`, and commit rejects with it
  stream.on('error', () => {});
  return stream;
}

/** Resolves once `stream` has closed its file (after its last write, and fsync with `flush`); rejects with its error. */
export function closed(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => (stream.errored ? reject(stream.errored) : resolve());
    if (stream.closed) return done();
    stream.once('close', done);
  });
}
