/**
 * lib/sinks/output.ts: where `-o` writes. stdout for nothing or `-`; a regular file or a new path
 * atomically (temporary file beside it, renamed on commit, removed on abort); a device or a FIFO in
 * place, never replaced (as root, the old `-o /dev/null` replaced the device node with a regular
 * file); a folder or a missing folder an IoError naming the path; a full device an IoError too.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import t, { type Test } from 'tap';
import { IoError } from '../../lib/errors.js';
import { openOutput, type OutputTarget } from '../../lib/sinks/output.js';

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'fbstream-output-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Write `text` to the target's sink and commit, as a conversion does. */
async function writeAndCommit(out: OutputTarget, text: string): Promise<void> {
  await new Promise<void>((resolve, reject) => out.sink.write(text, (err) => (err ? reject(err) : resolve())));
  await out.commit();
}

t.test('nothing or - is stdout, not ended', async (t) => {
  const stdout = new PassThrough();
  for (const path of [undefined, null, '-']) {
    const out = openOutput(path, stdout);
    t.equal(out.sink, stdout);
    t.equal(out.end, false);
    t.equal(out.name, '<stdout>');
    await out.commit();
    await out.abort();
  }
  t.notOk(stdout.writableEnded, 'stdout left open');
});

t.test('a new path: written beside it, renamed on commit', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'train.jsonl');
  const out = openOutput(path, new PassThrough());
  t.equal(out.end, true);
  t.equal(out.name, path);
  out.sink.write('{"a":1}\n');
  t.notOk(existsSync(path), 'nothing at the path before commit');
  t.equal(readdirSync(dir).length, 1, 'a temporary file beside it');
  await out.commit();
  t.equal(readFileSync(path, 'utf8'), '{"a":1}\n');
  t.same(readdirSync(dir), ['train.jsonl'], 'no temporary file left');
  await out.abort(); // after commit: nothing to undo
  t.equal(readFileSync(path, 'utf8'), '{"a":1}\n', 'abort after commit keeps the file');
});

t.test('an existing file is untouched until commit, and after an abort', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'train.jsonl');
  writeFileSync(path, 'precious\n');
  const aborted = openOutput(path, new PassThrough());
  aborted.sink.write('half');
  await aborted.abort();
  await aborted.abort(); // idempotent
  t.equal(readFileSync(path, 'utf8'), 'precious\n', 'untouched after abort');
  t.same(readdirSync(dir), ['train.jsonl'], 'temporary file removed');

  const out = openOutput(path, new PassThrough());
  out.sink.write('new\n');
  t.equal(readFileSync(path, 'utf8'), 'precious\n', 'untouched while writing');
  await out.commit();
  t.equal(readFileSync(path, 'utf8'), 'new\n');
  t.same(readdirSync(dir), ['train.jsonl']);
});

t.test('an ended sink commits too (stream.pipeline ends it)', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'out.jsonl');
  const out = openOutput(path, new PassThrough());
  out.sink.end('x\n');
  await out.commit();
  t.equal(readFileSync(path, 'utf8'), 'x\n');
});

t.test('through a link: the file it points to is replaced, the link stays', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'real.jsonl'), 'old\n');
  symlinkSync('real.jsonl', join(dir, 'link.jsonl'));
  await writeAndCommit(openOutput(join(dir, 'link.jsonl'), new PassThrough()), 'new\n');
  t.ok(lstatSync(join(dir, 'link.jsonl')).isSymbolicLink(), 'still a link');
  t.equal(readFileSync(join(dir, 'real.jsonl'), 'utf8'), 'new\n');
  t.same(readdirSync(dir).sort(), ['link.jsonl', 'real.jsonl']);
});

t.test('a folder, a missing folder, a path below a file: IoError naming the path, nothing made', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'folder'));
  writeFileSync(join(dir, 'file'), 'x');
  for (const [path, why] of [
    [join(dir, 'folder'), /it is a folder/],
    [join(dir, 'missing', 'out.jsonl'), /no folder/],
    [join(dir, 'file', 'out.jsonl'), /not a directory \(ENOTDIR\)/],
  ] as const) {
    t.throws(() => openOutput(path, new PassThrough()), { code: 'FBS_IO', message: `cannot write ${path}: ` }, path);
    t.throws(() => openOutput(path, new PassThrough()), { message: why });
  }
  t.same(readdirSync(dir).sort(), ['file', 'folder']);
  t.same(readdirSync(join(dir, 'folder')), []);
});

t.test('/dev/null is written in place and stays a character device', { skip: existsSync('/dev/null') ? false : 'no /dev/null' }, async (t) => {
  const out = openOutput('/dev/null', new PassThrough());
  t.equal(out.name, '/dev/null');
  await writeAndCommit(out, 'x'.repeat(100_000));
  t.ok(statSync('/dev/null').isCharacterDevice(), 'still a character device');
  t.notOk(readdirSync('/dev').some((f) => f.startsWith('.null.')), 'no temporary file in /dev');
});

t.test('/dev/full: ENOSPC as an IoError naming it', { skip: existsSync('/dev/full') ? false : 'no /dev/full' }, async (t) => {
  const out = openOutput('/dev/full', new PassThrough());
  const failed = new Promise<Error>((resolve) => out.sink.once('error', resolve));
  out.sink.write('x\n');
  const err = await failed;
  t.type(err, IoError);
  t.match(err, { code: 'FBS_IO', message: 'cannot write /dev/full: no space left on device (ENOSPC)' });
  await t.rejects(out.commit(), { code: 'FBS_IO' });
  await out.abort();
  t.ok(statSync('/dev/full').isCharacterDevice(), 'still a character device');
});

t.test('/dev/full, the error after the writer stopped listening: commit rejects with it, no unhandled error', { skip: existsSync('/dev/full') ? false : 'no /dev/full' }, async (t) => {
  const out = openOutput('/dev/full', new PassThrough());
  out.sink.write('x\n'); // buffered: the write fails later, with nobody listening
  await new Promise((resolve) => setTimeout(resolve, 50));
  await t.rejects(out.commit(), { code: 'FBS_IO', message: 'cannot write /dev/full: no space left on device (ENOSPC)' });
});

const mkfifo = spawnSync('mkfifo', ['--help']).error ? 'needs mkfifo' : false;

t.test('a FIFO is written in place, to its reader', { skip: mkfifo }, async (t) => {
  const dir = tempDir(t);
  const fifo = join(dir, 'pipe');
  spawnSync('mkfifo', [fifo]);
  const out = openOutput(fifo, new PassThrough());
  // the reader comes after the writer: both opens are asynchronous, nothing blocks this thread
  const chunks: Buffer[] = [];
  const read = new Promise<void>((resolve, reject) => createReadStream(fifo).on('data', (d) => void chunks.push(d as Buffer)).on('end', resolve).on('error', reject));
  await writeAndCommit(out, 'line 1\nline 2\n');
  await read;
  t.equal(Buffer.concat(chunks).toString(), 'line 1\nline 2\n');
  t.ok(statSync(fifo).isFIFO(), 'still a FIFO');
  t.same(readdirSync(dir), ['pipe']);
});

t.test('a FIFO nobody reads: abort does not wait for a reader', { skip: mkfifo }, async (t) => {
  const dir = tempDir(t);
  const fifo = join(dir, 'pipe');
  spawnSync('mkfifo', [fifo]);
  const out = openOutput(fifo, new PassThrough());
  out.sink.write('never read');
  await out.abort(); // would hang (and keep the process alive) while the open waited
  t.ok(statSync(fifo).isFIFO());
  t.same(readdirSync(dir), ['pipe']);
});

t.test('a sink that failed: commit rejects with its error, the temporary file is removed', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'out.jsonl');
  const out = openOutput(path, new PassThrough());
  out.sink.on('error', () => {}); // the writer's listener, in a run
  (out.sink as Writable).destroy(new Error('boom'));
  await t.rejects(out.commit(), { message: 'boom' });
  t.same(readdirSync(dir), [], 'temporary file removed');
});
