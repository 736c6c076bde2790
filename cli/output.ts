/**
 * Where a command's data goes, and everything that can end a run early: `-o FILE` written
 * atomically (a temporary file renamed on success), SIGINT/SIGTERM (exit 130/143, temporary file
 * removed), a reader that closes stdout (`| head -1`: exit 0), and errors mapped to exit codes.
 */
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { exitCodeOf, FbstreamError } from '../lib/errors.js';
import { createAtomicFile, type AtomicFile } from '../lib/sinks/atomic-file.js';
import { say, type Io } from './io.js';

export interface Output {
  /** stdout, or the temporary file of `-o`. Never ended by the caller when it is stdout. */
  sink: Writable;
  /** Aborted on SIGINT/SIGTERM: pass it to stream.pipeline and to the sources. */
  signal: AbortSignal;
  /** Whether the sink is a file (end it) or stdout (leave it open). */
  isFile: boolean;
}

/**
 * Run `work` with the output open; commit it when `work` resolves to an exit code of 0 or 1 (1: a
 * part failed but the rest is good and complete), discard it otherwise. Returns the exit code.
 */
export async function withOutput(out: string | undefined, io: Io, work: (o: Output) => Promise<number>): Promise<number> {
  // signals first: from the moment a temporary file exists, an interrupt must remove it
  const abort = new AbortController();
  let signalCode = 0;
  let file: AtomicFile | null = null;
  const onSignal = (code: number) => () => {
    signalCode = code;
    file?.abort();
    abort.abort();
  };
  const onInt = onSignal(130);
  const onTerm = onSignal(143);
  io.signals.once('SIGINT', onInt);
  io.signals.once('SIGTERM', onTerm);
  try {
    if (out !== undefined) file = createAtomicFile(out);
    const code = await work({ sink: file ? file.stream : io.stdout, signal: abort.signal, isFile: file !== null });
    if (signalCode) return signalCode;
    if (code <= 1) await file?.commit();
    else file?.abort();
    return code;
  } catch (err) {
    file?.abort();
    if (signalCode) return signalCode;
    if (isEpipe(err)) return 0; // the reader has what it wanted
    return reportError(io, err);
  } finally {
    io.signals.removeListener('SIGINT', onInt);
    io.signals.removeListener('SIGTERM', onTerm);
  }
}

/** The reader of our stdout went away (`| head -1`). */
export function isEpipe(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';
}

/**
 * Write `text` to stdout (left open) and wait until it is handed on. A failed write rejects here
 * (EPIPE when the reader left, see {@link isEpipe}) instead of surfacing as an unhandled 'error'
 * event that kills the process with a stack trace.
 */
export async function writeStdout(io: Io, text: string): Promise<void> {
  await pipeline(Readable.from([text]), io.stdout, { end: false });
}

/** Say what went wrong on stderr; the exit code for it. */
export function reportError(io: Io, err: unknown): number {
  if (err instanceof FbstreamError) {
    say(io, `error: ${err.message}`);
    if (exitCodeOf(err) === 2 && err.code !== 'FBS_UNKNOWN_SENDER') say(io, "try 'fbstream --help'");
    return exitCodeOf(err);
  }
  say(io, `error: ${(err as Error)?.message ?? String(err)}`);
  return 3;
}
