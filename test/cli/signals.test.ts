/**
 * SIGINT, SIGTERM and SIGHUP during an export with `-o`, `--jobs 2` and sort files (the real CLI,
 * dist/cli/fbstream.js: run `npx tsc -p tsconfig.json` first). Each signal is sent at a sweep of
 * moments, from the instant the output's temporary file appears to the writing of the threads
 * held (see MOMENTS). Every time:
 * exit 130 / 143 / 129 by itself, no error or stack trace, the existing output file untouched,
 * nothing else beside it, and nothing left in TMPDIR (sort runs, the export's held output).
 * Before: SIGHUP killed the process, leaving the `.tmp` beside the output and the temporary
 * folders; SIGINT / SIGTERM during the writing crashed with ERR_STREAM_DESTROYED (the output
 * destroyed in the signal handler while a write was in flight), leaving `fbstream-jobs-*`.
 */
import { EventEmitter } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { writeThreadParts } from '../../bench/generate.js';
import type { Io } from '../../cli/io.js';
import { withSignals } from '../../cli/output.js';
import { IoError } from '../../lib/errors.js';
import { collect, looksLikeStackTrace, spawnCli, tempDir, waitFor } from '../support/cli.js';

// one subtest per signal, at once: each sweeps its moments in turn
t.jobs = 3;

const SIGNALS = [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const;
/** An Io whose signals are an emitter, and what it said on stderr. */
function fakeIo() {
  const stderr = new PassThrough();
  let said = '';
  stderr.on('data', (d: Buffer) => (said += d.toString()));
  const io: Io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr, stderrIsTTY: false, signals: new EventEmitter() };
  return { io, said: () => said };
}

t.test('withSignals: a signal aborts the run, which unwinds before the exit code comes', async (t) => {
  for (const [signal, code] of SIGNALS) {
    const { io, said } = fakeIo();
    let unwound = false;
    const result = withSignals(io, async (abortSignal) => {
      io.signals.emit(signal);
      io.signals.emit(signal); // a second one while unwinding changes nothing
      t.ok(abortSignal.aborted, `${signal}: aborted`);
      t.match(abortSignal.reason, { name: 'AbortError', signal, message: new RegExp(signal) });
      await new Promise((resolve) => setTimeout(resolve, 20));
      unwound = true;
      throw abortSignal.reason;
    });
    t.equal(await result, code, `${signal}: ${code}`);
    t.ok(unwound, 'after the work unwound');
    t.equal(said(), '', 'nothing said');
    t.equal(io.signals.listenerCount(signal), 0, 'listeners removed');
  }
});

t.test('withSignals: a signal too late to stop the work: the work\'s code (its output is complete)', async (t) => {
  const { io } = fakeIo();
  t.equal(await withSignals(io, async () => (io.signals.emit('SIGTERM'), 0)), 0);
});

t.test('withSignals: without a signal, the work\'s code, or its error\'s', async (t) => {
  const { io, said } = fakeIo();
  t.equal(await withSignals(io, async () => 1), 1);
  t.equal(await withSignals(io, async () => Promise.reject(new IoError('cannot write /dev/full: no space left on device (ENOSPC)'))), 3);
  t.match(said(), 'fbstream: error: cannot write /dev/full: no space left on device (ENOSPC)');
  t.equal(await withSignals(io, async () => Promise.reject(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))), 0, 'EPIPE: 0');
  t.notMatch(said(), /EPIPE/, 'quietly');
});

/**
 * When the signal is sent: ms after the output's temporary file appears, or after its first bytes
 * (the threads held so far are being written: before, a signal then crashed with
 * ERR_STREAM_DESTROYED and left the export's temporary folder behind).
 */
const MOMENTS = [
  ['opened', 0],
  ['opened', 500],
  ['written', 0],
  ['written', 20],
  ['written', 50],
  ['written', 100],
  ['written', 200],
] as const;
type Moment = (typeof MOMENTS)[number];
const MB = 1024 * 1024;

/**
 * An export that takes a few seconds at --jobs 2: one long thread (sorted through spill files at
 * --sort-memory 1, and holding up the output of the short ones, which then spill too) and many
 * short ones.
 */
function generateExport(root: string): void {
  const inbox = join(root, 'your_facebook_activity', 'messages', 'inbox');
  for (let i = 0; i < 40; ++i) {
    writeThreadParts(join(inbox, `friend${i}_${1000 + i}`), { seed: i + 1, size: (i === 0 ? 30 : 1) * MB, friend: `Friend ${i}`, perPart: 5000 });
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

async function interrupt(signal: NodeJS.Signals, [after, delay]: Moment, run: string): Promise<Interrupted> {
  const outDir = join(work, run, 'out');
  const tmp = join(work, run, 'tmp');
  mkdirSync(outDir, { recursive: true });
  mkdirSync(tmp, { recursive: true });
  const out = join(outDir, 'train.jsonl');
  writeFileSync(out, 'precious\n');
  const child = spawnCli([exportDir, '-o', out, '--jobs', '2', '--sort-memory', '1'], { env: { TMPDIR: tmp } });
  child.stdin!.end();
  const done = collect(child, 20_000);
  const temp = () => readdirSync(outDir).find((f) => f.endsWith('.tmp'));
  const size = (name: string) => statSync(join(outDir, name), { throwIfNoEntry: false })?.size ?? 0;
  const ready = () => {
    const name = temp();
    return name !== undefined && (after === 'opened' || size(name) > 0);
  };
  await waitFor(() => child.exitCode !== null || ready(), 15_000, `the temporary output file ${after}`);
  if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
  const midRun = child.exitCode === null;
  child.kill(signal);
  const r = await done;
  return { code: r.code, signal: r.signal, stderr: r.stderr, midRun, outDir, tmp };
}

for (const [signal, code] of SIGNALS) {
  t.test(`${signal}: exit ${code}, nothing left, at every moment`, async (t) => {
    let interrupted = 0;
    for (const moment of MOMENTS) {
      const r = await interrupt(signal, moment, `${signal}-${moment.join('-')}`);
      const at = `${moment[1]} ms after the output was ${moment[0]}`;
      t.same(readdirSync(r.tmp), [], `${at}: TMPDIR empty`);
      if (!r.midRun || r.code === 0 || r.signal === signal) {
        // the signal came once the output was complete: it is there, whole, and nothing else. In the
        // last milliseconds of the process's exit Node has let go of the signals, so one then ends
        // the process by its default action; the output must be whole all the same
        t.comment(`${at}: the run had ended before the signal`);
        if (r.signal === null) t.equal(r.code, 0);
        t.same(readdirSync(r.outDir), ['train.jsonl'], `${at}: nothing beside the output`);
        t.not(readFileSync(join(r.outDir, 'train.jsonl'), 'utf8'), 'precious\n', `${at}: the new output in place`);
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
    t.ok(interrupted >= 4, `the signal came mid-run ${interrupted} times of ${MOMENTS.length}`);
  });
}
