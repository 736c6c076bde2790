/**
 * The CLI run as a benchmark child (bench/export.ts): peak RSS and CPU from bench/rss-preload.ts,
 * the CPU the rest of the machine used meanwhile (/proc/stat), a wait for a quiet second before
 * a run, and the run's input read once first (this machine's page cache is reclaimed in the
 * background: a run that reads from disk is not comparable with one that finds its input in memory).
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChildError, MARK, runChild, usageOf } from './child.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const PRELOAD_JS = join(HERE, 'rss-preload.js');
export const CLI_JS = fileURLToPath(new URL('../cli/fbstream.js', import.meta.url));

export interface CliRun {
  seconds: number;
  maxRssBytes: number | null;
  cpuSeconds: number | null;
  /** CPU time used by other processes of the machine during the run (/proc/stat busy time minus the child's). */
  otherCpuSeconds: number | null;
  examples: number | null;
  threads: number | null;
  /** `N of M threads, as NAME …`. */
  selectedLine: string;
  owner: string | null;
  stdoutLines?: number;
  stdoutSha256?: string;
  notes: string[];
}

/** CPU seconds the whole machine has been busy (all cores), from /proc/stat; null where there is none. */
function machineBusySeconds(): number | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal; USER_HZ is 100 on Linux
    return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + (f[7] ?? 0)) / 100;
  } catch {
    return null;
  }
}

/**
 * Wait (up to `maxSeconds`) until the machine is quiet: less than a third of a core busy over one
 * second. Returns the seconds waited, or -1 when it never got quiet. Other processes sharing the
 * cores would make a two-worker run look like it does not scale.
 */
export async function waitForQuiet(maxSeconds: number): Promise<number> {
  if (maxSeconds <= 0 || machineBusySeconds() === null) return 0;
  const t0 = Date.now();
  for (;;) {
    const a = machineBusySeconds()!;
    await new Promise((r) => setTimeout(r, 1000));
    const b = machineBusySeconds()!;
    if (b - a < 0.33) return (Date.now() - t0) / 1000;
    if ((Date.now() - t0) / 1000 >= maxSeconds) return -1;
  }
}

export interface Variant {
  name: string;
  /** The CLI run: this checkout's, or the baseline's. */
  cli: string;
  /** CLI arguments before `--jobs`: inputs, and options for the variants that need some (`inspect` first for inspect). */
  inputs: string[];
  /** `--jobs`; null: not given (inspect). */
  jobs: number | null;
  /** JSON bytes converted, MB (for MB/s), or null. */
  bytes: number | null;
}

/**
 * Read what a run will read (files given, the `.json` files below folders) once, and return the
 * seconds it took. This machine's page cache is reclaimed in the background: a run that reads
 * its input from disk is not comparable with one that finds it in memory.
 */
export function warmPageCache(args: readonly string[]): number {
  const t0 = performance.now();
  const buffer = Buffer.allocUnsafe(1 << 20);
  const read = (file: string) => {
    const fd = openSync(file, 'r');
    try {
      while (readSync(fd, buffer, 0, buffer.length, null) > 0);
    } finally {
      closeSync(fd);
    }
  };
  const visit = (path: string) => {
    const info = statSync(path, { throwIfNoEntry: false });
    if (info?.isFile()) read(path);
    else if (info?.isDirectory()) {
      for (const d of readdirSync(path, { withFileTypes: true })) {
        if (d.isDirectory()) visit(join(path, d.name));
        else if (d.isFile() && /\.json$/i.test(d.name)) read(join(path, d.name));
      }
    }
  };
  // options and their values are not paths (a name given to --me or --thread is not found)
  for (const a of args) if (!a.startsWith('-')) visit(a);
  return (performance.now() - t0) / 1000;
}

export async function runCli(inputs: string[], jobs: number | null, capture: boolean, extra: string[] = [], cli = CLI_JS): Promise<CliRun> {
  const busy0 = machineBusySeconds();
  const jobArgs = jobs === null ? [] : ['--jobs', String(jobs)];
  const o = await runChild(process.execPath, ['--import', PRELOAD_JS, cli, ...inputs, ...jobArgs, ...extra], capture ? 'capture' : 'null');
  const busy1 = machineBusySeconds();
  const text = o.stderr.split('\n').filter((l) => l.trim() && !l.startsWith(MARK)).map((l) => l.replace(/^fbstream: /, ''));
  if (o.code !== 0) throw new ChildError(`exit ${o.signal ?? o.code}${text.length ? `: ${text.slice(-3).join(' | ').slice(0, 400)}` : ''}`);
  const usage = usageOf(o.stderr);
  const summary = /(\d+) examples? from (\d+) threads?/.exec(o.stderr);
  const selectedLine = text.find((l) => /^\d+ of \d+ threads, as /.test(l)) ?? '';
  const owner = /, as (.*?)(?: \(the export owner|$)/.exec(selectedLine)?.[1] ?? null;
  return {
    seconds: o.seconds,
    maxRssBytes: usage?.maxRssBytes ?? null,
    cpuSeconds: usage?.cpuSeconds ?? null,
    otherCpuSeconds: busy0 !== null && busy1 !== null && usage ? Math.max(0, busy1 - busy0 - usage.cpuSeconds) : null,
    examples: summary ? Number(summary[1]) : null,
    threads: summary ? Number(summary[2]) : null,
    selectedLine,
    owner,
    ...(capture && { stdoutLines: o.lines, stdoutSha256: o.sha256 }),
    notes: text.filter((l) => /^(error|skipped|not read|left out)/.test(l)),
  };
}
