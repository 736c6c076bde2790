/**
 * The process around the data: a reader that goes away (`| head -1`), SIGINT / SIGTERM / SIGHUP
 * mid-run, what `-o` writes to (a device or FIFO in place, `-` and /dev/stdout as stdout), and I/O
 * failures on `-o` (docs/reliability.md). Signals during an export: test/cli/signals.test.ts.
 */
import t from 'tap';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { cliEnv, CLI_PATH, collect, fixture, looksLikeStackTrace, runCli, spawnCli, tempDir, waitFor } from '../support/cli.js';

// independent scenarios (own temp folders, own child processes): run a few at once
t.jobs = 4;

const ME = ['--me', 'Ada Lovelace'];

/** A thread big enough that its output (~2 MB) cannot sit in a pipe buffer. */
function bigThread(messages = 40_000): string {
  const msgs = [];
  for (let i = messages; i > 0; --i) {
    msgs.push({
      sender_name: i % 2 ? 'Ada Lovelace' : 'Charles Babbage',
      timestamp_ms: 1_600_000_000_000 + i * 1000,
      content: `message number ${i}, with a little padding text`,
    });
  }
  return JSON.stringify({ participants: [{ name: 'Charles Babbage' }, { name: 'Ada Lovelace' }], messages: msgs, title: 'Charles Babbage', thread_path: 'inbox/charlesbabbage_1' });
}

t.test('output read by a reader that closes after the first line (| head -1)', async (t) => {
  const dir = tempDir(t);
  const input = join(dir, 'message_1.json');
  writeFileSync(input, bigThread());

  t.test('the child\'s stdout closed after the first line: exit 0, no stack trace', async (t) => {
    const child = spawnCli([...ME, input]);
    const done = collect(child, 15_000);
    let first = '';
    await new Promise<void>((resolve) => {
      child.stdout!.on('data', (d: Buffer) => {
        if (first.includes('\n')) return;
        first += d.toString('utf8');
        if (first.includes('\n')) {
          child.stdout!.destroy(); // the reader goes away: further writes fail with EPIPE
          resolve();
        }
      });
      child.stdout!.on('end', () => resolve());
    });
    const r = await done;
    t.ok(first.includes('\n'), 'a first line arrived');
    t.doesNotThrow(() => JSON.parse(first.slice(0, first.indexOf('\n'))), 'it is a whole JSON line');
    t.notOk(r.timedOut, 'no hang');
    t.equal(r.signal, null, 'not killed by a signal');
    t.equal(r.code, 0, 'exit 0');
    t.notOk(looksLikeStackTrace(r.stderr), 'no stack trace on stderr');
    t.notMatch(r.stderr, /EPIPE|Unhandled|Error:/, 'no error noise');
  });

  t.test('through a real shell pipe into head -1', { skip: existsSync('/bin/bash') ? false : 'needs /bin/bash' }, async (t) => {
    // PIPESTATUS[0] is fbstream's own exit code
    const script = 'unset NODE_OPTIONS; "$0" "$1" --me "Ada Lovelace" "$2" | head -1; echo "fbstream-exit=${PIPESTATUS[0]}" >&2';
    const child = spawn('/bin/bash', ['-c', script, process.execPath, CLI_PATH, input], { env: cliEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end();
    const r = await collect(child, 15_000);
    t.equal(r.code, 0);
    t.equal(r.stdout.split('\n').filter(Boolean).length, 1, 'one line out of head');
    t.match(r.stderr, /fbstream-exit=0\b/, 'fbstream exited 0');
    t.notOk(looksLikeStackTrace(r.stderr), 'no stack trace');
  });
});

/**
 * A run with `-o` that reads stdin which never ends; once its temporary file exists the run is
 * under way, and the signal arrives.
 */
async function interrupted(t: { teardown(fn: () => void): void }, signal: NodeJS.Signals) {
  const dir = tempDir(t);
  const out = join(dir, 'train.jsonl');
  const child = spawnCli([...ME, '-o', out]);
  // a valid beginning of a thread, and then nothing: the run waits for more
  const doc = readFileSync(fixture('thread.json'), 'utf8');
  const cut = doc.indexOf('"timestamp_ms": 1700000002000');
  if (cut < 0) throw new Error('thread.json changed: no message at 1700000002000 to cut before');
  child.stdin!.write(doc.slice(0, cut));
  const done = collect(child, 20_000);
  await waitFor(() => readdirSync(dir).length > 0, 5_000, 'the temporary output file');
  const seen = readdirSync(dir);
  const sentAt = Date.now();
  child.kill(signal);
  // give it 2 s to exit on its own (a working run needs milliseconds), then kill it for good
  const hang = setTimeout(() => child.kill('SIGKILL'), 2_000);
  const r = await done;
  clearTimeout(hang);
  return { r, dir, seen, ms: Date.now() - sentAt };
}

t.test('SIGINT / SIGTERM / SIGHUP mid-run with -o', async (t) => {
  // the runs at once: a hung run costs its grace period only once
  const runs = await Promise.all((['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map(async (signal) => ({ signal, ...(await interrupted(t, signal)) })));
  for (const { signal, r, dir, seen, ms } of runs) {
    const code = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 }[signal];
    t.test(`${signal}: nothing left behind`, async (t) => {
      t.ok(seen.every((f) => f !== 'train.jsonl'), `mid-run: only a temporary file existed (${seen.join(', ')})`);
      t.same(readdirSync(dir), [], 'no output file and no temporary file left');
      t.notOk(looksLikeStackTrace(r.stderr), 'no stack trace');
    });
    t.test(`${signal}: exits ${code} promptly`, async (t) => {
      t.equal(r.signal, null, `exited by itself (got ${r.signal ?? 'no signal'} after ${ms} ms)`);
      t.equal(r.code, code, `exit ${code}`);
    });
  }
});

t.test(`SIGINT once stdin has ended: exit 130, nothing left`, async (t) => {
  // the same run, but stdin is closed right after the signal: shows the cleanup and the code
  const dir = tempDir(t);
  const out = join(dir, 'train.jsonl');
  const child = spawnCli([...ME, '-o', out]);
  child.stdin!.write('{"participants":[{"name":"Ada Lovelace"}],"messages":[{"sender_name":"Ada Lovelace","timestamp_ms":1,"content":"hi"},');
  const done = collect(child, 10_000);
  await waitFor(() => readdirSync(dir).length > 0, 5_000, 'the temporary output file');
  child.kill('SIGINT');
  setTimeout(() => child.stdin!.end(), 200);
  const r = await done;
  t.equal(r.code, 130, 'exit 130');
  t.same(readdirSync(dir), [], 'no output file, no temporary file');
});

t.test('-o to what is not a regular file: written in place, never replaced', async (t) => {
  t.test('-o /dev/null: exit 0, still a character device', { skip: existsSync('/dev/null') ? false : 'no /dev/null' }, async (t) => {
    const r = await runCli([...ME, fixture('thread.json'), '-o', '/dev/null']);
    t.equal(r.code, 0);
    t.equal(r.stdout, '');
    t.ok(statSync('/dev/null').isCharacterDevice(), 'still a character device');
  });

  t.test('-o /dev/full: exit 3, an error naming /dev/full, no stack trace', { skip: existsSync('/dev/full') ? false : 'no /dev/full' }, async (t) => {
    const r = await runCli([...ME, fixture('thread.json'), '-o', '/dev/full']);
    t.equal(r.code, 3);
    t.match(r.stderr, 'error: cannot write /dev/full: no space left on device (ENOSPC)');
    t.notOk(looksLikeStackTrace(r.stderr), 'no stack trace');
    t.ok(statSync('/dev/full').isCharacterDevice(), 'still a character device');
  });

  t.test('-o - and -o /dev/stdout: the data on stdout', async (t) => {
    const plain = await runCli([...ME, fixture('thread.json')]);
    t.equal(plain.code, 0);
    t.ok(plain.stdout.length > 0);
    const dash = await runCli([...ME, fixture('thread.json'), '-o', '-']);
    t.equal(dash.code, 0);
    t.equal(dash.stdout, plain.stdout, '-o -');
    if (existsSync('/dev/stdout')) {
      const dev = await runCli([...ME, fixture('thread.json'), '-o', '/dev/stdout']);
      t.equal(dev.code, 0, dev.stderr);
      t.equal(dev.stdout, plain.stdout, '-o /dev/stdout');
    }
  });
});

t.test('I/O errors on -o: exit 3, a clean message', async (t) => {
  t.test('into a folder that does not exist', async (t) => {
    const dir = tempDir(t);
    const out = join(dir, 'missing', 'train.jsonl');
    const r = await runCli([...ME, fixture('thread.json'), '-o', out]);
    t.equal(r.code, 3, 'exit 3');
    t.equal(r.stdout, '');
    t.match(r.stderr, join(dir, 'missing'), 'names the folder');
    t.notOk(looksLikeStackTrace(r.stderr), 'no stack trace');
    t.same(readdirSync(dir), [], 'nothing created');
    t.test('names the output path as given', async (t) => {
      t.match(r.stderr, out);
      t.notMatch(r.stderr, /\.tmp\b/);
    });
  });

  t.test('into a path below a regular file', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'file'), 'x');
    const r = await runCli([...ME, fixture('thread.json'), '-o', join(dir, 'file', 'train.jsonl')]);
    t.equal(r.code, 3, 'exit 3');
    t.notOk(looksLikeStackTrace(r.stderr));
    t.same(readdirSync(dir), ['file']);
    t.equal(readFileSync(join(dir, 'file'), 'utf8'), 'x');
  });

  t.test('onto an existing folder: the folder untouched, no temporary file left', async (t) => {
    const dir = tempDir(t);
    const target = join(dir, 'out');
    mkdirSync(target);
    const r = await runCli([...ME, fixture('thread.json'), '-o', target]);
    t.equal(r.code, 3, 'exit 3');
    t.match(r.stderr, target);
    t.notOk(looksLikeStackTrace(r.stderr));
    t.same(readdirSync(dir), ['out'], 'no temporary file left');
    t.same(readdirSync(target), []);
  });

  const root = process.getuid?.() === 0;
  t.test('into a read-only folder; an existing output file untouched', { skip: root ? 'running as root: permissions do not stop writes' : false }, async (t) => {
    const dir = tempDir(t);
    const out = join(dir, 'train.jsonl');
    writeFileSync(out, 'precious\n');
    chmodSync(dir, 0o555);
    let r;
    try {
      r = await runCli([...ME, fixture('thread.json'), '-o', out]);
    } finally {
      chmodSync(dir, 0o755); // writable again, so the folder can be removed
    }
    t.equal(r.code, 3, 'exit 3');
    t.notOk(looksLikeStackTrace(r.stderr));
    t.equal(readFileSync(out, 'utf8'), 'precious\n', 'old file untouched');
    t.same(readdirSync(dir), ['train.jsonl']);
  });
});
