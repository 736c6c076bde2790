/**
 * Everything that can end a command early, and how it ends: SIGINT / SIGTERM / SIGHUP (exit
 * 130 / 143 / 129, once the run has unwound and removed what it made), a reader that closes stdout
 * (`| head -1`: exit 0), and errors mapped to exit codes. Where the data goes is lib/sinks/output.ts.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { exitCodeOf, FbstreamError } from '../lib/errors.js';
import { say, type Io } from './io.js';

/** The signals a run stops on, and the exit code for each (128 + the signal's number). */
const SIGNALS = [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const;

/** The reason a run's signal is aborted with: an AbortError that names the signal. */
export class InterruptedError extends Error {
  readonly code = 'ABORT_ERR';
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
    this.name = 'AbortError';
  }
}

/**
 * Run `work` with a signal that SIGINT, SIGTERM and SIGHUP abort. `work` must unwind on abort
 * (the conversion service removes its output file and temporary files); this waits for it, then
 * returns 130, 143 or 129. Until `work` has unwound, the signals stay handled here, so a second
 * Ctrl-C does not kill the process halfway through its cleanup. When `work` resolves (no signal,
 * or one too late to stop it), the exit code it returns; when it rejects without a signal, its
 * error's (see {@link reportError}).
 */
export async function withSignals(io: Io, work: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const abort = new AbortController();
  let code = 0;
  ++running;
  const handlers = SIGNALS.map(([name, exit]) => {
    const onSignal = () => {
      if (code) return;
      code = exit;
      abort.abort(new InterruptedError(name));
    };
    io.signals.on(name, onSignal);
    return [name, onSignal] as const;
  });
  try {
    // finished all the same (the signal came as the output was committed): the data is complete,
    // and the exit code says so
    return (ended = await work(abort.signal));
  } catch (err) {
    return (ended = code || reportError(io, err));
  } finally {
    --running;
    for (const [name, onSignal] of handlers) io.signals.removeListener(name, onSignal);
  }
}

/** Commands inside {@link withSignals} (or {@link holdSignals}) now; the exit code of the last one that ended. */
let running = 0;
let ended: number | undefined;

/**
 * For a command that answers the signals itself, outside {@link withSignals} (`fbstream chat`'s
 * conversation): {@link exitOnSignalOutsideWork} leaves them to it until the returned release.
 */
export function holdSignals(): () => void {
  ++running;
  let held = true;
  return () => {
    if (held) --running;
    held = false;
  };
}

/**
 * For the CLI's whole life (its entry installs this first): a signal outside {@link withSignals}
 * ends the process at once, with the code of the work that ended (its output committed or removed
 * already; the process was only winding down: workers ending, streams closing), or with the
 * signal's own code before any work ran. Without it, such a signal killed the process by its
 * default action after a complete run.
 */
export function exitOnSignalOutsideWork(proc: Pick<NodeJS.Process, 'on' | 'exit'> = process): void {
  for (const [name, exit] of SIGNALS) {
    proc.on(name, () => {
      if (running === 0) proc.exit(ended ?? exit);
    });
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

/** Say what went wrong on stderr; the exit code for it. A reader that left (EPIPE) is no error: 0, quietly. */
export function reportError(io: Io, err: unknown): number {
  if (isEpipe(err)) return 0; // the reader has what it wanted
  if (err instanceof FbstreamError) {
    say(io, `error: ${err.message}`);
    if (exitCodeOf(err) === 2 && err.code !== 'FBS_UNKNOWN_SENDER') say(io, "try 'fbstream --help'");
    return exitCodeOf(err);
  }
  say(io, `error: ${(err as Error)?.message ?? String(err)}`);
  return 3;
}
