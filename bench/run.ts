#!/usr/bin/env node
/**
 * `npm run bench` (node dist/bench/run.js): throughput and peak memory of the whole pipeline
 * against the raw floors, in one run on one machine (docs/benchmarks.md).
 *
 *   npm run bench [-- --sizes 100MB,1GB] [--runs N] [--dir DIR] [--keep] [--seed N]
 *   npm run bench -- --export [--export-size 200MB,2GB] [--zip-parts 2] [--media-ratio 1] [--export-jobs 1,2] ...
 *   npm run bench -- --export-only [...]
 *
 * `--export` (or any export flag) adds the whole-export benchmark (bench/export.ts: a generated
 * export tree and its zip parts, the CLI with --jobs 1 and 2) after the single-file one;
 * `--export-only` runs it alone. --runs, --dir, --keep and --seed apply to both.
 *
 * For each size it generates a single-file, newest-first thread (bench/generate.ts) into a
 * temporary folder (removed at the end unless --keep), then times, each in its own child process
 * so that peak RSS is per variant:
 *   (a) read       fs.createReadStream, 64 KB chunks, bytes counted
 *   (b) parse      readFileSync + JSON.parse (not past ~500 MB: V8's string limit is ~512 MiB)
 *   (c) tokens     stream-json's tokens alone, through our createTokenizer (fastMessages: false)
 *   (c') tokens-fast  createTokenizer as the pipeline uses it (its default options)
 *   (d) cli file   the CLI converting the file, stdout to /dev/null
 *   (e) cli stdin  `cat file | cli`, stdout to /dev/null
 * MB/s is input bytes over wall time (10^6 bytes); for (a)-(c') the time of the work alone, for
 * the CLI the whole process (its start-up, ~0.1 s, included). Peak RSS is the child's
 * process.resourceUsage().maxRSS (the CLI reports it through a --import preload). With --runs N
 * each variant runs N times: the median time and the highest peak are shown.
 *
 * Before timing, the variants are checked against each other on a small thread of the same
 * generator: byte and message counts agree with the generator's, and the CLI's output from a file
 * and from stdin is the same (line count and SHA-256). The timed CLI runs are compared too, by
 * the example count of their summaries. Targets (from the issue) are reported, not asserted.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatSize, parseSize, writeThreadFile, DEFAULT_OWNER, type ThreadStats } from './generate.js';
import type { VariantResult } from './variant.js';
import { defaultExportArgs, exportFlag, runExportBench, EXPORT_USAGE, type ExportBenchArgs } from './export.js';
import { benchWorkspace } from './workspace.js';
import { ChildError, MARK, runChild, usageOf, type ChildOutput } from './child.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const VARIANT_JS = join(HERE, 'variant.js');
const PRELOAD_JS = join(HERE, 'rss-preload.js');
const CLI_JS = fileURLToPath(new URL('../cli/fbstream.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Past this, readFileSync(utf8) + JSON.parse cannot work: V8's longest string is ~512 MiB. */
const PARSE_LIMIT = 500e6;
const CHECK_SIZE = 20e6;
const TARGET_MBPS = 50;
const TARGET_RSS = 200e6;

interface Args {
  sizes: number[];
  runs: number;
  dir: string;
  keep: boolean;
  seed: number;
  /** Run the whole-export benchmark: after the single-file one, or alone. */
  export: 'no' | 'also' | 'only';
  exportArgs: ExportBenchArgs;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { sizes: [], runs: 1, dir: os.tmpdir(), keep: false, seed: 1, export: 'no', exportArgs: defaultExportArgs() };
  for (let i = 0; i < argv.length; ++i) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new TypeError(`${flag} needs a value`);
      return v;
    };
    if (exportFlag(a.exportArgs, flag, value)) {
      if (a.export === 'no') a.export = 'also';
      continue;
    }
    switch (flag) {
      case '--export': if (a.export === 'no') a.export = 'also'; break;
      case '--export-only': a.export = 'only'; break;
      case '--sizes':
      case '--size':
        for (const s of value().split(/[,\s]+/).filter(Boolean)) a.sizes.push(parseSize(s));
        break;
      case '--runs': a.runs = Number(value()); break;
      case '--dir': a.dir = value(); break;
      case '--keep': a.keep = true; break;
      case '--seed': a.seed = Number(value()); break;
      case '--help':
      case '-h':
        process.stdout.write(`Usage: npm run bench [-- --sizes 100MB,1GB] [--runs N] [--dir DIR] [--keep] [--seed N]\n       [--export | --export-only] ${EXPORT_USAGE}\n`);
        process.exit(0);
      // eslint-disable-next-line no-fallthrough
      default:
        throw new TypeError(`unknown argument ${arg}`);
    }
  }
  if (a.sizes.length === 0) a.sizes = [100e6, 1e9];
  if (!Number.isInteger(a.runs) || a.runs < 1) throw new TypeError(`--runs must be an integer >= 1, got ${a.runs}`);
  if (!Number.isInteger(a.seed)) throw new TypeError(`--seed must be an integer, got ${a.seed}`);
  Object.assign(a.exportArgs, { runs: a.runs, dir: a.dir, keep: a.keep, seed: a.seed });
  return a;
}

// ---------------------------------------------------------------------------------------------
// Children

interface Run {
  seconds: number;
  maxRssBytes: number | null;
  cpuSeconds: number | null;
  /** The CLI's example count (its summary), the variants' counts. */
  count: Record<string, number>;
  stdoutLines?: number;
  stdoutSha256?: string;
}

function failure(o: ChildOutput): ChildError {
  const last = o.stderr.split('\n').filter((l) => l.trim() && !l.startsWith(MARK)).slice(-3).join(' | ');
  return new ChildError(`exit ${o.signal ?? o.code}${last ? `: ${last.slice(0, 300)}` : ''}`);
}

async function runVariantChild(variant: string, file: string, check: boolean): Promise<Run> {
  const o = await runChild(process.execPath, [VARIANT_JS, variant, file, ...(check ? ['--check'] : [])], 'keep');
  if (o.code !== 0) throw failure(o);
  const r = JSON.parse(o.stdout.trim().split('\n').at(-1)!) as VariantResult;
  return { seconds: r.seconds, maxRssBytes: r.maxRssBytes, cpuSeconds: r.cpuSeconds, count: r.count };
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

async function runCli(file: string, from: 'file' | 'stdin', stdout: 'capture' | 'null', owner: string): Promise<Run> {
  const node = [process.execPath, '--import', PRELOAD_JS, CLI_JS];
  const o = from === 'file'
    ? await runChild(process.execPath, [...node.slice(1), file, '--me', owner], stdout)
    : await runChild('/bin/sh', ['-c', `cat ${q(file)} | exec ${[...node, '--me', owner].map(q).join(' ')}`], stdout);
  if (o.code !== 0) throw failure(o);
  const usage = usageOf(o.stderr);
  const examples = /(\d+) examples?\b/.exec(o.stderr);
  const run: Run = {
    seconds: o.seconds,
    maxRssBytes: usage?.maxRssBytes ?? null,
    cpuSeconds: usage?.cpuSeconds ?? null,
    count: examples ? { examples: Number(examples[1]) } : {},
  };
  if (stdout === 'capture') {
    run.stdoutLines = o.lines;
    run.stdoutSha256 = o.sha256;
  }
  return run;
}

// ---------------------------------------------------------------------------------------------
// Report

interface Row {
  size: string;
  variant: string;
  mbps: string;
  rss: string;
  cpu: string;
  note: string;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function printTable(rows: Row[]): void {
  const head: Row = { size: 'size', variant: 'variant', mbps: 'MB/s', rss: 'peak RSS MB', cpu: 'CPU s', note: 'notes' };
  const all = [head, ...rows];
  const w = (k: keyof Row) => Math.max(...all.map((r) => r[k].length));
  const line = (r: Row) =>
    `| ${r.size.padEnd(w('size'))} | ${r.variant.padEnd(w('variant'))} | ${r.mbps.padStart(w('mbps'))} | ${r.rss.padStart(w('rss'))} | ${r.cpu.padStart(w('cpu'))} | ${r.note.padEnd(w('note'))} |`;
  const sep = `|${'-'.repeat(w('size') + 2)}|${'-'.repeat(w('variant') + 2)}|${'-'.repeat(w('mbps') + 1)}:|${'-'.repeat(w('rss') + 1)}:|${'-'.repeat(w('cpu') + 1)}:|${'-'.repeat(w('note') + 2)}|`;
  console.log(line(head));
  console.log(sep);
  for (const r of rows) console.log(line(r));
}

function machineFacts(): string[] {
  const cpus = os.cpus();
  let commit = 'n/a';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    if (dirty) commit += ' (+ uncommitted changes)';
  } catch {
    // not a git checkout
  }
  let streamJson = 'n/a';
  try {
    streamJson = (JSON.parse(readFileSync(join(ROOT, 'node_modules/stream-json/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    // not installed where expected
  }
  return [
    `date: ${new Date().toISOString()}`,
    `cpu: ${cpus[0]?.model ?? 'unknown'}, ${os.availableParallelism()} cores`,
    `memory: ${formatSize(os.totalmem())}, load average at start: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`,
    `node: ${process.version} (${process.platform} ${process.arch}), stream-json ${streamJson}, fbstream commit ${commit}`,
  ];
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.export === 'only') return (await runExportBench(args.exportArgs)) ? 1 : 0;
  const single = await singleFile(args);
  if (args.export === 'no') return single;
  console.log('');
  const exported = await runExportBench(args.exportArgs, { header: false });
  return single || exported ? 1 : 0;
}

async function singleFile(args: Args): Promise<number> {
  const workspace = benchWorkspace(args.dir, 'fbstream-bench-', args.keep);
  const tmp = workspace.dir;
  let failures = 0;
  const owner = DEFAULT_OWNER;

  try {
    console.log('fbstream benchmark');
    for (const f of machineFacts()) console.log(`  ${f}`);
    console.log(`  sizes: ${args.sizes.map(formatSize).join(', ')}; runs per variant: ${args.runs}; temp: ${tmp}${args.keep ? ' (kept)' : ''}`);
    console.log('');

    // 1. the variants agree, on a small thread, before anything is timed
    {
      const file = join(tmp, 'check.json');
      const stats = writeThreadFile(file, { size: CHECK_SIZE, seed: args.seed });
      const problems: string[] = [];
      const expect = (what: string, got: unknown, want: unknown) => {
        if (got !== want) problems.push(`${what}: ${String(got)}, expected ${String(want)}`);
      };
      const read = await runVariantChild('read', file, true);
      expect('read: bytes', read.count['bytes'], stats.bytes);
      const parse = await runVariantChild('parse', file, true);
      expect('parse: messages', parse.count['messages'], stats.messages);
      const tokens = await runVariantChild('tokens', file, true);
      expect('tokens: messages (sender_name keys)', tokens.count['messages'], stats.messages);
      if ((tokens.count['messageValues'] ?? 0) > 0) problems.push('tokens: the fast path could not be turned off (fastMessages: false ignored)');
      const fast = await runVariantChild('tokens-fast', file, true);
      expect('tokens-fast: messages', fast.count['messages'], stats.messages);
      const cliFile = await runCli(file, 'file', 'capture', owner);
      const cliStdin = await runCli(file, 'stdin', 'capture', owner);
      expect('cli: output lines, file vs stdin', cliStdin.stdoutLines, cliFile.stdoutLines);
      expect('cli: output SHA-256, file vs stdin', cliStdin.stdoutSha256, cliFile.stdoutSha256);
      expect('cli: output lines vs the summary\'s example count', cliFile.stdoutLines, cliFile.count['examples']);
      if (!(cliFile.stdoutLines! > 0)) problems.push('cli: no output');
      rmSync(file, { force: true });
      console.log(
        `checks on a ${formatSize(stats.bytes)} thread (${stats.messages} messages): ` +
          (problems.length ? `FAILED\n${problems.map((p) => `  - ${p}`).join('\n')}` : `ok (the CLI gives ${cliFile.stdoutLines} identical lines from the file and from stdin)`),
      );
      failures += problems.length;
    }

    // 2. timing
    const rows: Row[] = [];
    const targetNotes: string[] = [];
    for (const size of args.sizes) {
      const label = formatSize(size);
      const file = join(tmp, `thread-${label.replace(/\s+/g, '')}.json`);
      process.stderr.write(`generating ${label}...`);
      const g0 = process.hrtime.bigint();
      const stats: ThreadStats = writeThreadFile(file, { size, seed: args.seed });
      const gs = Number(process.hrtime.bigint() - g0) / 1e9;
      process.stderr.write(` ${stats.messages} messages in ${gs.toFixed(1)} s\n`);
      const mb = stats.bytes / 1e6;
      rows.push({ size: label, variant: 'generate (bench/generate.ts, in the parent)', mbps: (mb / gs).toFixed(0), rss: '', cpu: '', note: `${stats.messages} messages, ${stats.textMessages} text` });

      const timed = async (name: string, fn: () => Promise<Run>, describe?: (r: Run) => string): Promise<Run | null> => {
        const runs: Run[] = [];
        try {
          for (let i = 0; i < args.runs; ++i) {
            process.stderr.write(`  ${label} ${name} (${i + 1}/${args.runs})...`);
            const r = await fn();
            process.stderr.write(` ${r.seconds.toFixed(1)} s\n`);
            runs.push(r);
          }
        } catch (err) {
          process.stderr.write(' failed\n');
          if (!(err instanceof ChildError)) throw err;
          rows.push({ size: label, variant: name, mbps: 'failed', rss: '', cpu: '', note: err.message });
          ++failures;
          return null;
        }
        const secs = median(runs.map((r) => r.seconds));
        const mid = runs.find((r) => r.seconds === secs) ?? runs[0]!;
        const rsses = runs.map((r) => r.maxRssBytes).filter((x): x is number => x !== null);
        const rss = rsses.length ? Math.max(...rsses) : null;
        const cpu = mid.cpuSeconds;
        rows.push({
          size: label,
          variant: name,
          mbps: (mb / secs).toFixed(1),
          rss: rss === null ? 'n/a' : (rss / 1e6).toFixed(0),
          cpu: cpu === null ? 'n/a' : cpu.toFixed(1),
          note: describe?.(mid) ?? '',
        });
        return { ...mid, seconds: secs, maxRssBytes: rss };
      };

      await timed('(a) read, createReadStream 64 KB', () => runVariantChild('read', file, false));
      if (stats.bytes <= PARSE_LIMIT) await timed('(b) readFileSync + JSON.parse', () => runVariantChild('parse', file, false));
      else rows.push({ size: label, variant: '(b) readFileSync + JSON.parse', mbps: 'n/a', rss: 'n/a', cpu: '', note: 'n/a (V8 string limit ~512 MiB)' });
      await timed('(c) stream-json tokens (createTokenizer, fastMessages: false)', () => runVariantChild('tokens', file, false), (r) => `${r.count['tokens']} tokens`);
      await timed("(c') createTokenizer, default (scanner fast path)", () => runVariantChild('tokens-fast', file, false), (r) => `${r.count['tokens']} tokens and message batches`);
      const fromFile = await timed('(d) full pipeline: CLI FILE > /dev/null', () => runCli(file, 'file', 'null', owner), (r) => `${r.count['examples'] ?? '?'} examples`);
      const fromStdin = await timed('(e) full pipeline: cat FILE | CLI > /dev/null', () => runCli(file, 'stdin', 'null', owner), (r) => `${r.count['examples'] ?? '?'} examples`);
      if (fromFile && fromStdin && fromFile.count['examples'] !== fromStdin.count['examples']) {
        rows.push({ size: label, variant: 'MISMATCH', mbps: '', rss: '', cpu: '', note: `examples: ${fromFile.count['examples']} from the file, ${fromStdin.count['examples']} from stdin` });
        ++failures;
      }
      for (const [name, r] of [['file', fromFile], ['stdin', fromStdin]] as const) {
        if (!r) continue;
        const mbps = mb / r.seconds;
        const ok = mbps >= TARGET_MBPS && r.maxRssBytes !== null && r.maxRssBytes < TARGET_RSS;
        targetNotes.push(
          `  ${label} from ${name}: ${mbps.toFixed(1)} MB/s (target >= ${TARGET_MBPS}), peak RSS ${r.maxRssBytes === null ? 'n/a' : (r.maxRssBytes / 1e6).toFixed(0)} MB (target < ${TARGET_RSS / 1e6}): ${ok ? 'meets both' : 'misses'}`,
        );
      }
      rmSync(file, { force: true });
    }

    console.log('');
    printTable(rows);
    console.log('');
    console.log('MB = 10^6 bytes. MB/s: input bytes / wall time (median of runs); peak RSS: the child process, highest of runs;');
    console.log('CPU s: user + system CPU of that child (more than the wall time = more than one core busy).');
    console.log('Targets (issue; reported, not asserted): full pipeline >= 50 MB/s and peak RSS < 200 MB at every size.');
    for (const n of targetNotes) console.log(n);
    if (failures) console.log(`\n${failures} problem(s): see above.`);
    return failures ? 1 : 0;
  } finally {
    workspace.dispose();
  }
}

process.exitCode = await main();
