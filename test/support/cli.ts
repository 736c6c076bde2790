/**
 * Run the built command line (dist/cli/fbstream.js) as a child process, the way a user does:
 * arguments, bytes on stdin, environment; get back the exit code and what went to stdout / stderr.
 *
 * The CLI is not built here (other work may be building concurrently): run `npm run build` first.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI_PATH = join(ROOT, 'dist', 'cli', 'fbstream.js');
export const FIXTURES = join(ROOT, 'test', 'fixtures', 'cli');

/** Path of a fixture under test/fixtures/cli/. */
export function fixture(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}

export interface CliResult {
  /** Exit code, or null when the process died of a signal (or was killed after `timeoutMs`). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout exactly as written, for byte comparisons and UTF-8 validity checks. */
  stdoutBytes: Buffer;
  /** True when the run was killed because it outlived `timeoutMs`. */
  timedOut: boolean;
}

export interface RunOptions {
  /** Bytes for stdin; the stream is ended after them. Default: empty (stdin at EOF at once). */
  stdin?: string | Buffer;
  /** Extra environment variables (on top of a cleaned copy of this process's environment). */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Kill the child with SIGKILL after this long. Default 15 s. */
  timeoutMs?: number;
}

/**
 * The child's environment: ours without the test runner's hooks (coverage, loaders), so the CLI
 * runs as a user would run it, and fast.
 */
export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'NODE_OPTIONS' || k === 'NODE_V8_COVERAGE' || k.startsWith('TAP') || k.startsWith('_TAPJS')) continue;
    env[k] = v;
  }
  env['NO_COLOR'] = '1';
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/**
 * FBSTREAM_CLI_COVERAGE=1 lets tap trace the CLI children for coverage (slower); by default they
 * run as plain `node`.
 */
const COVERAGE = process.env['FBSTREAM_CLI_COVERAGE'] === '1' || process.platform === 'win32';

function assertBuilt(): void {
  if (!existsSync(CLI_PATH)) {
    throw new Error(`${CLI_PATH} does not exist: run \`npm run build\` before the CLI tests`);
  }
}

/** Newest modification time of the TypeScript sources the CLI is built from. */
function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSourceMtime(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** A warning when dist/ looks older than cli/ or lib/ (the tests would exercise stale code). */
export function staleBuildWarning(): string | null {
  if (!existsSync(CLI_PATH)) return `${CLI_PATH} is missing: run \`npm run build\``;
  const built = statSync(CLI_PATH).mtimeMs;
  const src = Math.max(newestSourceMtime(join(ROOT, 'cli')), newestSourceMtime(join(ROOT, 'lib')));
  return src > built ? 'dist/ is older than cli/ or lib/: run `npm run build` to test the current sources' : null;
}

/** Start the CLI with pipes on all three streams; the caller drives it (signals, early close). */
export function spawnCli(args: readonly string[], options: Omit<RunOptions, 'stdin' | 'timeoutMs'> = {}): ChildProcess {
  assertBuilt();
  const spawnOptions: SpawnOptions = { stdio: ['pipe', 'pipe', 'pipe'], env: cliEnv(options.env) };
  if (options.cwd !== undefined) spawnOptions.cwd = options.cwd;
  const child = COVERAGE
    ? spawn(process.execPath, [CLI_PATH, ...args], spawnOptions)
    : // tap's processinfo hook puts its loader into every child's NODE_OPTIONS (for coverage), which
      // makes each run ~3x slower; a shell drops it again and `exec`s node (same pid, same signals)
      spawn('/bin/sh', ['-c', 'unset NODE_OPTIONS; exec "$0" "$@"', process.execPath, CLI_PATH, ...args], spawnOptions);
  // the CLI may exit (usage or data error) before it has read all we feed it
  child.stdin!.on('error', () => {});
  return child;
}

/** Run the CLI to completion. */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const child = spawnCli(args, options);
  return collect(child, options.timeoutMs ?? 15_000, () => child.stdin!.end(options.stdin ?? ''));
}

/** Wait for a spawned CLI to exit and gather its output. */
export function collect(child: ChildProcess, timeoutMs = 15_000, start?: () => void): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stdout?.on('error', () => {});
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    // 'close': the process has exited and its stdio streams are drained
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolvePromise({
        code,
        signal,
        stdout: stdoutBytes.toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        stdoutBytes,
        timedOut,
      });
    });
    start?.();
  });
}

/** Whether text holds what a Node stack trace looks like (`    at fn (file:line:col)`). */
export function looksLikeStackTrace(text: string): boolean {
  return /^\s+at\s+\S.*(?:\(.*:\d+:\d+\)|:\d+:\d+)\s*$/m.test(text) || /node:internal\//.test(text) || /^\s*throw\s/m.test(text);
}

/** A fresh temporary folder, removed again by `teardown`. */
export function tempDir(t: { teardown(fn: () => void): void }, prefix = 'fbstream-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Resolve once `predicate()` holds (polled), or reject after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The lines of a JSONL output, each parsed (throws on a line that is not JSON). */
export function jsonLines(stdout: string): unknown[] {
  return stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown);
}
