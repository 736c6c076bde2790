/** What a command handler gets instead of touching `process`: its streams and a way to speak. */
import type { Readable, Writable } from 'node:stream';

export interface Io {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /** Whether stderr is a terminal (progress is drawn only there). */
  stderrIsTTY: boolean;
  /** Signals the run listens to (the real process, or an emitter in tests). */
  signals: NodeJS.EventEmitter;
  /** Environment the API commands read their keys from. Default: the process's. */
  env?: NodeJS.ProcessEnv;
}

export function processIo(): Io {
  return {
    get stdin() {
      return process.stdin;
    },
    stdout: process.stdout,
    stderr: process.stderr,
    stderrIsTTY: Boolean(process.stderr.isTTY),
    signals: process,
    env: process.env,
  };
}

export function say(io: Io, line: string): void {
  io.stderr.write(`fbstream: ${line}\n`);
}
