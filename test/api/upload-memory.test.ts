/**
 * Memory of an upload in parts: a 600 MB file through the Uploads API (default 64 MB parts, 3 in
 * flight) in a child process running the built library, whose peak RSS must stay within
 * concurrency × part size + 120 MB. The fake server (this process) keeps the parts on disk and
 * checks the md5 the client computed; the file it made must have the source's md5 and size.
 * And a 400 MB file through the Files API in one request: its body is read from disk as it is
 * sent, never held (fetch following redirects would keep a copy of it all).
 *
 * FBSTREAM_UPLOAD_MEMTEST_MB (default 600) exists to investigate a failure.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t, { type Test } from 'tap';
import { closeDispatcher } from '../../lib/api/http.js';
import { cliEnv, ROOT, tempDir } from '../support/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-api/openai.js';

const SIZE_MB = Number(process.env['FBSTREAM_UPLOAD_MEMTEST_MB'] ?? 600);
const PART_MB = 64;
const CONCURRENCY = 3;
const BUDGET = (CONCURRENCY * PART_MB + 120) * 1024 * 1024;
const FILES_MB = 400;
/** Far below the file's size: a copy of the body would be over it. */
const FILES_BUDGET = 200 * 1024 * 1024;

t.teardown(closeDispatcher);

/** Writes `mb` MB of JSONL, each MB different (so parts out of order would change the md5); its md5. */
function generate(path: string, mb: number): string {
  const hash = createHash('md5');
  const line = Buffer.from('{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello there"}]}\n');
  const block = Buffer.alloc(1024 * 1024, line.toString());
  const fd = openSync(path, 'w');
  try {
    for (let i = 0; i < mb; i++) {
      block.write(String(i).padStart(8, '0'), 0); // numbered blocks
      writeSync(fd, block);
      hash.update(block);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

const CHILD = `
const [uploadJs, clientJs, httpJs, baseURL, path, partMb, concurrency, uploads] = process.argv.slice(1);
const { uploadOpenAI } = await import(uploadJs);
const { openaiClient } = await import(clientJs);
const { closeDispatcher } = await import(httpJs);
const client = openaiClient({ provider: 'openai', apiKey: 'k', baseURL, organization: undefined, project: undefined, timeoutMs: 120000, maxRetries: 2 });
const started = Date.now();
const file = await uploadOpenAI(client, 'openai', { path, uploads: uploads === 'true', partSizeBytes: Number(partMb) * 1048576, concurrency: Number(concurrency) });
await closeDispatcher();
// VmHWM: this process's own peak; getrusage's maxRSS also counts the parent's RSS when it forked
const { readFileSync } = await import('node:fs');
const hwm = /VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
process.stdout.write(JSON.stringify({ file, ms: Date.now() - started, maxRssBytes: (hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS) * 1024 }));
`;

interface ChildResult {
  file: { id: string; bytes: number; via: string };
  ms: number;
  maxRssBytes: number;
}

async function uploadInChild(t: Test, fake: FakeOpenAI, path: string, uploads: boolean): Promise<ChildResult> {
  const dist = (p: string) => pathToFileURL(join(ROOT, 'dist', 'lib', 'api', p)).href;
  const args = ['--input-type=module', '-e', CHILD, dist('openai/upload.js'), dist('openai-client.js'), dist('http.js'), fake.baseURL, path, String(PART_MB), String(CONCURRENCY), String(uploads)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: cliEnv() });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.equal(code, 0, err);
  return JSON.parse(out) as ChildResult;
}

const mb = (n: number) => `${(n / 1048576).toFixed(0)} MB`;

t.test(`a ${SIZE_MB} MB upload in ${PART_MB} MB parts, ${CONCURRENCY} at once, stays within ${mb(BUDGET)}`, async (t) => {
  const dir = tempDir(t, 'fbstream-upload-mem-');
  const path = join(dir, 'big.jsonl');
  const md5 = generate(path, SIZE_MB);
  const fake = await startFakeOpenAI();
  t.teardown(fake.close);
  const result = await uploadInChild(t, fake, path, true);
  t.comment(`${SIZE_MB} MB in ${result.ms} ms, peak RSS ${mb(result.maxRssBytes)}`);
  t.equal(result.file.via, 'uploads');
  t.equal(result.file.bytes, SIZE_MB * 1024 * 1024);
  t.equal(fake.files.get(result.file.id)?.md5, md5, 'the server has the same bytes, in order');
  t.equal(fake.count('POST', /^\/uploads\/[^/]+\/parts$/), Math.ceil(SIZE_MB / PART_MB));
  t.ok(result.maxRssBytes <= BUDGET, `peak RSS ${mb(result.maxRssBytes)} <= ${mb(BUDGET)}`);
});

t.test(`a ${FILES_MB} MB upload through the Files API is not held in memory`, async (t) => {
  const dir = tempDir(t, 'fbstream-upload-mem-');
  const path = join(dir, 'mid.jsonl');
  const md5 = generate(path, FILES_MB);
  const fake = await startFakeOpenAI();
  t.teardown(fake.close);
  const result = await uploadInChild(t, fake, path, false);
  t.comment(`${FILES_MB} MB in ${result.ms} ms, peak RSS ${mb(result.maxRssBytes)}`);
  t.equal(result.file.via, 'files');
  t.equal(fake.files.get(result.file.id)?.md5, md5);
  t.ok(result.maxRssBytes <= FILES_BUDGET, `peak RSS ${mb(result.maxRssBytes)} <= ${mb(FILES_BUDGET)}`);
});
