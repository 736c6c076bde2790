// `fbstream upload` as a user runs it (the built CLI, a child process) against the fake OpenAI
// server: the file id on stdout, --json, Azure, exit codes (no key 2, a missing file 2, 401/400 3),
// and Ctrl-C during an upload in parts (130, the record kept) followed by the rerun that resumes.
// Build first: `npx tsc -p tsconfig.json`. Progress on a terminal is checked in this process.
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import t, { type Test } from 'tap';
import { runUpload } from '../../cli/commands/upload.js';
import type { Io } from '../../cli/io.js';
import { collect, looksLikeStackTrace, runCli, spawnCli, tempDir, waitFor } from '../support/cli.js';
import { startFakeOpenAI } from '../support/fake-api/openai.js';

const MB = 1024 * 1024;
const PARTS = /^\/uploads\/[^/]+\/parts$/;

function dataOf(n: number): Buffer {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < n; i++) {
    const line = `{"messages":[{"role":"user","content":"line ${i}"},{"role":"assistant","content":"ok"}]}\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, n);
}

async function setup(t: Test, bytes = 4000, fakeKey?: string) {
  const fake = await startFakeOpenAI(fakeKey === undefined ? {} : { apiKey: fakeKey });
  t.teardown(fake.close);
  const path = join(tempDir(t, 'fbstream-upload-cli-'), 'train.jsonl');
  const data = dataOf(bytes);
  writeFileSync(path, data);
  const env = { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.baseURL };
  return { fake, path, data, env };
}

t.test('prints the file id; --json the whole answer', async (t) => {
  const s = await setup(t);
  const r = await runCli(['upload', s.path], { env: s.env });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^file-[0-9a-f]+\n$/);
  t.same(await s.fake.fileBytes(r.stdout.trim()), s.data);
  t.equal(r.stderr, '', 'nothing on stderr when it is not a terminal');

  const j = await runCli(['upload', s.path, '--json', '--uploads', '--part-size', '5'], { env: s.env });
  t.equal(j.code, 0, j.stderr);
  const answer = JSON.parse(j.stdout) as Record<string, unknown>;
  t.match(answer, { id: /^file-/, bytes: 4000, filename: 'train.jsonl', via: 'uploads', resumedParts: 0 });
  t.same(await s.fake.fileBytes(answer['id'] as string), s.data);
});

t.test('--provider azure: the endpoint and the api-key header from the environment', async (t) => {
  const s = await setup(t);
  const r = await runCli(['upload', s.path, '--provider', 'azure'], { env: { AZURE_OPENAI_ENDPOINT: s.fake.endpoint, AZURE_OPENAI_API_KEY: 'az', OPENAI_API_KEY: undefined } });
  t.equal(r.code, 0, r.stderr);
  t.same(await s.fake.fileBytes(r.stdout.trim()), s.data);
  t.ok(s.fake.requests.length > 0 && s.fake.requests.every((q) => q.headers['api-key'] === 'az'));
});

t.test('usage: no key names the variable (exit 2); a missing file is named (exit 2); nothing is asked', async (t) => {
  const s = await setup(t);
  const openai = await runCli(['upload', s.path], { env: { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: s.fake.baseURL } });
  t.equal(openai.code, 2);
  t.match(openai.stderr, /no API key for the openai provider: set OPENAI_API_KEY/);
  const azure = await runCli(['upload', s.path, '--provider', 'azure'], { env: { AZURE_OPENAI_ENDPOINT: s.fake.endpoint, AZURE_OPENAI_API_KEY: undefined } });
  t.equal(azure.code, 2);
  t.match(azure.stderr, /set AZURE_OPENAI_API_KEY/);
  const missing = await runCli(['upload', join(s.path, '..', 'nope.jsonl')], { env: s.env });
  t.equal(missing.code, 2);
  t.match(missing.stderr, /cannot read .*nope\.jsonl: no such file/);
  const badPart = await runCli(['upload', s.path, '--part-size', '1'], { env: s.env });
  t.equal(badPart.code, 2);
  t.match(badPart.stderr, /Invalid option --part-size: must be an integer from 5 to 64, got 1/);
  t.equal(s.fake.requests.length, 0);
  for (const r of [openai, azure, missing, badPart]) t.notOk(looksLikeStackTrace(r.stderr));
});

t.test('401 and 400: one request, a plain message, exit 3', async (t) => {
  const s = await setup(t, 4000, 'right');
  const denied = await runCli(['upload', s.path], { env: { ...s.env, OPENAI_API_KEY: 'wrong' } });
  t.equal(denied.code, 3);
  t.match(denied.stderr, /OpenAI answered 401 to upload train\.jsonl: Incorrect API key provided.*check the API key/);
  t.equal(s.fake.requests.length, 1);

  s.fake.fault({ method: 'POST', path: '/uploads', fault: { status: 400, body: { error: { message: 'purpose is not valid', type: 'invalid_request_error' } } } });
  const refused = await runCli(['upload', s.path, '--uploads'], { env: { ...s.env, OPENAI_API_KEY: 'right' } });
  t.equal(refused.code, 3);
  t.match(refused.stderr, /OpenAI answered 400 to upload train\.jsonl: purpose is not valid/);
  t.equal(s.fake.count('POST', '/uploads'), 1);
  for (const r of [denied, refused]) t.notOk(looksLikeStackTrace(r.stderr));
});

t.test('Ctrl-C during an upload in parts: exit 130, the record kept; the rerun sends only the rest', async (t) => {
  const s = await setup(t, 11 * MB);
  const record = `${s.path}.fbstream-upload.json`;
  const partsRecorded = () => {
    try {
      return Object.keys((JSON.parse(readFileSync(record, 'utf8')) as { parts: object }).parts).length;
    } catch {
      return 0;
    }
  };
  // the second part is held: the run is in the middle of it when the signal comes
  s.fake.fault({ method: 'POST', path: PARTS, nth: 2, fault: { delayMs: 3000 } });
  const args = ['upload', s.path, '--uploads', '--part-size', '5', '--concurrency', '1'];
  const child = spawnCli(args, { env: s.env });
  const done = collect(child, 20_000, () => child.stdin!.end());
  await waitFor(() => partsRecorded() === 1 && s.fake.requests.some((r) => r.outcome === 'delayed'), 10_000, 'the first part acknowledged and the second on its way');
  child.kill('SIGINT');
  const stopped = await done;
  t.equal(stopped.code, 130, stopped.stderr);
  t.equal(stopped.stdout, '');
  t.ok(existsSync(record), 'the record is kept');
  t.equal(partsRecorded(), 1);
  t.equal(s.fake.files.size, 0);

  const before = s.fake.count('POST', PARTS);
  const rerun = await runCli(args, { env: s.env, timeoutMs: 20_000 });
  t.equal(rerun.code, 0, rerun.stderr);
  t.match(rerun.stderr, /resuming upload upload-[0-9a-f]+ of train\.jsonl: 1 of 3 parts already sent/);
  t.equal(s.fake.count('POST', PARTS) - before, 2, 'only the two parts not acknowledged');
  t.equal(s.fake.uploads.size, 1, 'the same upload');
  t.same(await s.fake.fileBytes(rerun.stdout.trim()), s.data);
  t.notOk(existsSync(record), 'the record is gone');
});

t.test('on a terminal: progress on one line of stderr, cleared at the end; the id alone on stdout', async (t) => {
  const s = await setup(t, 11 * MB);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d));
  stderr.on('data', (d: Buffer) => (err += d));
  const io: Io = { stdin: new PassThrough(), stdout, stderr, stderrIsTTY: true, signals: new EventEmitter(), env: s.env };
  const code = await runUpload({ file: s.path, json: false, uploads: true, partSize: 5, concurrency: 1 }, io);
  t.equal(code, 0, err);
  t.match(out, /^file-[0-9a-f]+\n$/);
  t.match(err, /\r\x1b\[Kuploaded 0\.0\/11\.5 MB \(0%\)/);
  t.match(err, /\r\x1b\[Kuploaded 11\.5\/11\.5 MB \(100%\)\r\x1b\[K$/, 'the last line drawn is the whole file, then cleared');
});
