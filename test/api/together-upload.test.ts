// Together AI's upload through the signed URL, against the fake Together server: bytes, headers,
// retries where resending is safe, the 409 of a file already there, and the refusals.
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ApiError, DataError, exitCodeOf, LimitError } from '../../lib/errors.js';
import { closeDispatcher } from '../../lib/api/http.js';
import type { TogetherConfig } from '../../lib/api/provider.js';
import type { UploadRequest } from '../../lib/api/trainer.js';
import { createTogetherTrainer } from '../../lib/api/together/trainer.js';
import { sha256, startFakeTogether, type FakeTogether } from '../support/fake-api/together.js';

t.teardown(closeDispatcher);
const dir = mkdtempSync(join(tmpdir(), 'fbstream-together-upload-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const DATA = Buffer.from(Array.from({ length: 200 }, (_, i) => `{"messages":[{"role":"user","content":"q${i}"},{"role":"assistant","content":"a${i}"}]}\n`).join(''));
const trainPath = join(dir, 'train.jsonl');
writeFileSync(trainPath, DATA);

async function setup(t: Test, options: Parameters<typeof startFakeTogether>[0] = {}, config: Partial<TogetherConfig> = {}) {
  const fake = await startFakeTogether(options);
  t.teardown(fake.close);
  const delays: number[] = [];
  const trainer = createTogetherTrainer(
    { provider: 'together', apiKey: 'key-1', baseURL: fake.baseURL, timeoutMs: 5000, maxRetries: 3, ...config },
    { sleep: async (ms) => void delays.push(ms) },
  );
  return { fake, trainer, delays };
}
const request = (over: Partial<UploadRequest> = {}): UploadRequest => ({ path: trainPath, uploads: false, partSizeBytes: 5 * 1024 * 1024, concurrency: 3, ...over });
const puts = (fake: FakeTogether) => fake.requests.filter((r) => r.method === 'PUT');

t.test('the bytes go to the signed URL whole, without the key, with their length; the file is finalised', async (t) => {
  const { fake, trainer } = await setup(t);
  const progress: [number, number][] = [];
  const notices: string[] = [];
  const file = await trainer.upload(request({ uploads: true, onProgress: (s, n) => progress.push([s, n]), onNotice: (l) => notices.push(l) }));
  t.match(file, { bytes: DATA.length, filename: 'train.jsonl', via: 'signed-url', resumedParts: 0 });
  t.same(await fake.fileBytes(file.id), DATA, 'the bytes stored are the file');
  t.ok(fake.files.get(file.id)?.processed, 'preprocess was asked');

  const create = fake.requests.find((r) => r.method === 'POST' && r.path === '/files')!;
  t.equal(create.headers.authorization, 'Bearer key-1');
  const put = puts(fake);
  t.equal(put.length, 1);
  t.equal(put[0]!.headers.authorization, undefined, 'no key sent to the signed URL');
  t.equal(put[0]!.headers['content-length'], String(DATA.length));
  t.equal(fake.files.get(file.id)?.checksum, sha256(DATA), 'the sha256 goes with the request');
  t.equal(fake.files.get(file.id)?.file_type, 'jsonl');
  t.same(progress.at(-1), [DATA.length, DATA.length]);
  t.match(notices, [/no Uploads API.*ignored/]);
});

t.test('a file Together holds already (409 with its id) is used, said, and not sent again', async (t) => {
  const { fake, trainer } = await setup(t);
  const first = await trainer.upload(request());
  const notices: string[] = [];
  const again = await trainer.upload(request({ onNotice: (l) => notices.push(l) }));
  t.equal(again.id, first.id);
  t.equal(puts(fake).length, 1, 'the bytes went once');
  t.match(notices, [new RegExp(`already.*${first.id}`)]);
  t.equal(fake.files.size, 1);
});

t.test('a 429 on POST /files waits its retry-after and sends again', async (t) => {
  const { fake, trainer, delays } = await setup(t);
  fake.fault({ method: 'POST', path: '/files', fault: { status: 429, headers: { 'retry-after': '2' } } });
  const file = await trainer.upload(request());
  t.same(await fake.fileBytes(file.id), DATA);
  t.equal(fake.count('POST', '/files'), 2);
  t.same(delays, [2000], 'the retry-after was honoured');
});

t.test('a 500 on the finalising call, then success', async (t) => {
  const { fake, trainer } = await setup(t);
  fake.fault({ method: 'POST', path: /\/preprocess$/, fault: { status: 500 } });
  const file = await trainer.upload(request());
  t.ok(fake.files.get(file.id)?.processed);
  t.same(fake.requests.filter((r) => r.path.endsWith('/preprocess')).map((r) => r.outcome), [500, 200]);
});

t.test('a connection reset on the PUT: sent again from a fresh stream, the bytes whole', async (t) => {
  const { fake, trainer } = await setup(t);
  fake.fault({ method: 'PUT', path: /^\/signed\//, fault: { reset: true } });
  const progress: number[] = [];
  const file = await trainer.upload(request({ onProgress: (s) => progress.push(s) }));
  t.same(puts(fake).map((r) => r.outcome), ['reset', 200]);
  t.same(await fake.fileBytes(file.id), DATA);
  t.equal(progress.at(-1), DATA.length);
});

t.test('a connection reset on POST /files, then success: one file with bytes', async (t) => {
  const { fake, trainer } = await setup(t);
  fake.fault({ method: 'POST', path: '/files', fault: { reset: true } });
  const file = await trainer.upload(request());
  t.same(await fake.fileBytes(file.id), DATA);
  t.same(fake.requests.filter((r) => r.path === '/files').map((r) => r.outcome), ['reset', 302]);
});

t.test('a 401 on upload: one request, the key or the credits named, exit 3', async (t) => {
  const { fake, trainer } = await setup(t, { noCredits: true });
  const err = await trainer.upload(request()).catch((e: unknown) => e);
  t.type(err, ApiError);
  t.match((err as ApiError).message, /401.*key is wrong.*no credits/s);
  t.equal((err as ApiError).status, 401);
  t.equal(exitCodeOf(err), 3);
  t.equal(fake.requests.length, 1, 'not retried');
});

t.test('a wrong key gets the same 401 advice', async (t) => {
  const { fake, trainer } = await setup(t, { apiKey: 'the-right-one' });
  await t.rejects(trainer.upload(request()), { status: 401, message: /credits/ });
  t.equal(fake.requests.length, 1);
});

t.test('a 400 on upload: one request, Together\'s message shown', async (t) => {
  const { fake, trainer } = await setup(t);
  fake.fault({ method: 'POST', path: '/files', fault: { status: 400, body: { error: { message: 'file_name must end with .jsonl', type: 'invalid_request_error' } } } });
  await t.rejects(trainer.upload(request()), { status: 400, message: /400 to upload train\.jsonl: file_name must end with \.jsonl/ });
  t.equal(fake.requests.length, 1);
});

t.test('retries stop at maxRetries: the last answer is the error', async (t) => {
  const { fake, trainer, delays } = await setup(t, {}, { maxRetries: 2 });
  fake.fault({ method: 'POST', path: '/files', times: 5, fault: { status: 503 } });
  await t.rejects(trainer.upload(request()), { status: 503, message: /still failing after the retries/ });
  t.equal(fake.count('POST', '/files'), 3);
  t.equal(delays.length, 2);
});

t.test('an empty file and one over 50.1 GB are refused before any request', async (t) => {
  const { fake, trainer } = await setup(t);
  const empty = join(dir, 'empty.jsonl');
  writeFileSync(empty, '');
  await t.rejects(trainer.upload(request({ path: empty })), DataError);
  const huge = join(dir, 'huge.jsonl');
  writeFileSync(huge, '');
  truncateSync(huge, Math.floor(50.1 * 1024 ** 3) + 1); // sparse: no disk used
  const err = await trainer.upload(request({ path: huge })).catch((e: unknown) => e);
  t.type(err, LimitError);
  t.match((err as Error).message, /huge\.jsonl.*at most 50\.1 GB/);
  await t.rejects(trainer.upload(request({ path: join(dir, 'missing.jsonl') })), { code: 'FBS_IO', message: /missing\.jsonl.*ENOENT/ });
  t.equal(fake.requests.length, 0);
});

t.test('a lost answer to POST /files: sent again; the first record stays empty, the second gets the bytes', async (t) => {
  const { fake, trainer } = await setup(t);
  fake.fault({ method: 'POST', path: '/files', fault: { lose: true } });
  const file = await trainer.upload(request());
  t.same(await fake.fileBytes(file.id), DATA);
  t.same([...fake.files.values()].map((f) => f.bytes), [null, DATA.length], 'an empty record, nothing else, is left behind');
});

t.test('a lost answer to the PUT: sent again whole (a PUT to the same URL replaces the bytes)', async (t) => {
  const { fake, trainer } = await setup(t);
  fake.fault({ method: 'PUT', path: /^\/signed\//, fault: { lose: true } });
  const file = await trainer.upload(request());
  t.same(puts(fake).map((r) => r.outcome), ['lost', 200]);
  t.same(await fake.fileBytes(file.id), DATA);
});

t.test('a request that outlives --timeout is given up and sent again', async (t) => {
  // undici checks its headers timeout on a ~0.5 s tick: the delay is well beyond it
  const { fake, trainer } = await setup(t, {}, { timeoutMs: 100 });
  fake.fault({ method: 'POST', path: /\/preprocess$/, fault: { delayMs: 3000 } });
  const file = await trainer.upload(request());
  t.ok(fake.files.get(file.id)?.processed);
  t.equal(fake.requests.filter((r) => r.path.endsWith('/preprocess')).length, 2);
});

t.test('an abort stops the upload at once, not retried', async (t) => {
  const { fake, trainer } = await setup(t);
  const controller = new AbortController();
  fake.fault({ method: 'PUT', path: /^\/signed\//, fault: { delayMs: 2000 } });
  const pending = trainer.upload(request({ signal: controller.signal }));
  const putSeen = setInterval(() => {
    if (puts(fake).length > 0) controller.abort();
  }, 5);
  t.teardown(() => clearInterval(putSeen));
  await t.rejects(pending, { name: 'AbortError' });
  t.equal(puts(fake).length, 1);
  t.notOk([...fake.files.values()][0]?.processed);
});
