/**
 * Running a benchmark child: both benchmarks (bench/run.ts, bench/export.ts) time the CLI and the
 * variants as separate processes, so that peak RSS is per run. What the CLI reports of itself comes
 * through bench/rss-preload.ts as one `MARK` line on stderr.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';

/** The line bench/rss-preload.ts writes to stderr (not imported from there: importing it installs its hook). */
export const MARK = 'FBSTREAM_BENCH_USAGE ';

/** A child that failed: the benchmark reports it and goes on with the other variants. */
export class ChildError extends Error {}

export interface ChildOutput {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
  lines: number;
  sha256: string;
}

/** Run a command; stdout is kept (`keep`), hashed and counted (`capture`), or sent to /dev/null. */
export function runChild(cmd: string, args: string[], stdout: 'keep' | 'capture' | 'null'): Promise<ChildOutput> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    // the children measure themselves: no coverage collection, no inherited V8 flags
    const { NODE_V8_COVERAGE: _c, NODE_OPTIONS: _o, ...env } = process.env;
    const child = spawn(cmd, args, { stdio: ['ignore', stdout === 'null' ? 'ignore' : 'pipe', 'pipe'], env });
    let out = '';
    let lines = 0;
    const hash = createHash('sha256');
    let err = '';
    child.stdout?.on('data', (b: Buffer) => {
      if (stdout === 'keep') out += b.toString('utf8');
      else {
        hash.update(b);
        for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) ++lines;
      }
    });
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString('utf8');
      if (err.length > 1 << 20) err = err.slice(-65536);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ code, signal, stdout: out, stderr: err, seconds: Number(process.hrtime.bigint() - t0) / 1e9, lines, sha256: hash.digest('hex') });
    });
  });
}

/** The peak RSS and CPU time the child reported through bench/rss-preload.ts, if it did. */
export function usageOf(stderr: string): { maxRssBytes: number; cpuSeconds: number } | null {
  const line = stderr.split('\n').find((l) => l.startsWith(MARK));
  return line ? (JSON.parse(line.slice(MARK.length)) as { maxRssBytes: number; cpuSeconds: number }) : null;
}
