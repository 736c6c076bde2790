/**
 * Progress on stderr while an export converts: threads done, input bytes read, rate, time left.
 * Bytes count as they are read, so a long thread moves the line too. Drawn only when stderr is a
 * terminal (a log file gets the summary alone), at most a few times a second.
 */
import type { Io } from './io.js';

export interface Progress {
  /** `n` more input bytes read. */
  read(n: number): void;
  /** One more thread done. */
  thread(): void;
  /** Clear the line. */
  done(): void;
}

const INTERVAL_MS = 250;

export function createProgress(io: Io, quiet: boolean, threads: number, bytes: number, now = () => Date.now()): Progress {
  if (quiet || !io.stderrIsTTY) return { read() {}, thread() {}, done() {} };
  const started = now();
  let threadsDone = 0;
  let bytesDone = 0;
  let drawn = 0;
  let shown = false;
  const maybeDraw = () => {
    if (now() - drawn < INTERVAL_MS) return;
    drawn = now();
    draw();
  };
  const draw = () => {
    const seconds = Math.max((now() - started) / 1000, 0.001);
    const rate = bytesDone / seconds;
    const eta = rate > 0 ? (bytes - bytesDone) / rate : NaN;
    const line = `threads ${threadsDone}/${threads}  ${mb(Math.min(bytesDone, bytes))}/${mb(bytes)}  ${mb(rate)}/s  ${Number.isFinite(eta) ? `${Math.ceil(eta)} s left` : ''}`;
    io.stderr.write(`\r\x1b[K${line}`);
    shown = true;
  };
  return {
    read(n) {
      bytesDone += n;
      maybeDraw();
    },
    thread() {
      ++threadsDone;
      maybeDraw();
    },
    done() {
      if (shown) io.stderr.write('\r\x1b[K');
    },
  };
}

function mb(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${(n / 1e6).toFixed(1)} MB`;
}
