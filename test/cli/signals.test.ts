/**
 * SIGINT, SIGTERM and SIGHUP during an export with `-o`, `--jobs 2` and sort files (the real CLI,
 * dist/cli/fbstream.js: run `npx tsc -p tsconfig.json` first). Each signal is sent at a sweep of
 * moments, from the instant the output's temporary file appears to well into the run. Every time:
 * exit 130 / 143 / 129 by itself, no error or stack trace, the existing output file untouched,
 * nothing else beside it, and nothing left in TMPDIR (sort runs, the export's held output).
 * Before: SIGHUP killed the process, leaving the `.tmp` beside the output and the temporary
 * folders; SIGINT / SIGTERM could crash with ERR_STREAM_DESTROYED while the writer still wrote.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { writeThreadParts } from '../../bench/generate.js';
import { collect, looksLikeStackTrace, spawnCli, tempDir, waitFor } from '../support/cli.js';

// one subtest per signal, at once: each sweeps its moments in turn
t.jobs = 3;

const SIGNALS = [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const;
/** After the output's temporary file appears, ms. */
const DELAYS = [0, 150, 400, 800, 1300];
const MB = 1024 * 1024;

/**
 * An export that takes a few seconds at --jobs 2: one long thread (sorted through spill files at
 * --sort-memory 1, and holding up the output of the short ones, which then spill too) and many
 * short ones.
 */
function generateExport(root: string): void {
  const inbox = join(root, 'your_facebook_activity', 'messages', 'inbox');
  for (let i = 0; i < 60; ++i) {
    writeThreadParts(join(inbox, `friend${i}_${1000 + i}`), { seed: i + 1, size: (i === 0 ? 40 : 1) * MB, friend: `Friend ${i}`, perPart: 5000 });
  }
}

const work = tempDir(t, 'fbstream-signals-');
const exportDir = join(work, 'export');
generateExport(exportDir);

interface Interrupted {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** The run was still going when the signal was sent. */
  midRun: boolean;
  outDir: string;
  tmp: string;
}

async function interrupt(signal: NodeJS.Signals, delay: number, run: string): Promise<Interrupted> {
  const outDir = join(work, run, 'out');
  const tmp = join(work, run, 'tmp');
  mkdirSync(outDir, { recursive: true });
  mkdirSync(tmp, { recursive: true });
  const out = join(outDir, 'train.jsonl');
  writeFileSync(out, 'precious\n');
  const child = spawnCli([exportDir, '-o', out, '--jobs', '2', '--sort-memory', '1'], { env: { TMPDIR: tmp } });
  child.stdin!.end();
  const done = collect(child, 20_000);
  await waitFor(() => child.exitCode !== null || readdirSync(outDir).some((f) => f.endsWith('.tmp')), 15_000, 'the temporary output file');
  if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
  const midRun = child.exitCode === null;
  child.kill(signal);
  const r = await done;
  return { code: r.code, signal: r.signal, stderr: r.stderr, midRun, outDir, tmp };
}

for (const [signal, code] of SIGNALS) {
  t.test(`${signal}: exit ${code}, nothing left, at every moment`, async (t) => {
    let interrupted = 0;
    for (const delay of DELAYS) {
      const r = await interrupt(signal, delay, `${signal}-${delay}`);
      const at = `${delay} ms after the output opened`;
      t.same(readdirSync(r.tmp), [], `${at}: TMPDIR empty`);
      if (!r.midRun) {
        t.comment(`${at}: the run had ended before the signal`);
        continue;
      }
      ++interrupted;
      t.equal(r.signal, null, `${at}: exited by itself, not killed`);
      t.equal(r.code, code, `${at}: exit ${code}`);
      t.notOk(looksLikeStackTrace(r.stderr), `${at}: no stack trace`);
      t.notMatch(r.stderr, /error|ERR_/i, `${at}: no error on stderr`);
      t.same(readdirSync(r.outDir), ['train.jsonl'], `${at}: nothing beside the output`);
      t.equal(readFileSync(join(r.outDir, 'train.jsonl'), 'utf8'), 'precious\n', `${at}: the existing output untouched`);
    }
    t.ok(interrupted >= 3, `the signal came mid-run ${interrupted} times of ${DELAYS.length}`);
  });
}
