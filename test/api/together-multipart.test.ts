// Together AI's multipart upload (files over 5 GB; the threshold lowered here so an 11 MB file
// goes in three parts): parts whole and in order, one failed part sent again alone, a failure
// aborts the upload, a lost answer to complete checked against the file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { closeDispatcher } from '../../lib/api/http.js';
import type { UploadRequest } from '../../lib/api/trainer.js';
import { planParts } from '../../lib/api/together/multipart.js';
import { createTogetherTrainer } from '../../lib/api/together/trainer.js';
import { startFakeTogether, type FakeTogether } from '../support/fake-api/together.js';

t.teardown(closeDispatcher);
const dir = mkdtempSync(join(tmpdir(), 'fbstream-together-multipart-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const MB = 1024 * 1024;
const line = (i: number) => `{"messages":[{"role":"user","content":"question ${i}"},{"role":"assistant","content":"answer ${i}"}]}\n`;
const chunks: string[] = [];
for (let i = 0, n = 0; n < 11 * MB; i++) {
  chunks.push(line(i));
  n += line(i).length;
}
const DATA = Buffer.from(chunks.join(''));
const bigPath = join(dir, 'big.jsonl');
writeFileSync(bigPath, DATA);

async function setup(t: Test) {
  const fake = await startFakeTogether();
  t.teardown(fake.close);
  const trainer = createTogetherTrainer(
    { provider: 'together', apiKey: 'k', baseURL: fake.baseURL, timeoutMs: 5000, maxRetries: 3 },
    { sleep: async () => {}, multipartAboveBytes: 1 * MB, multipartPartBytes: 5 * MB },
  );
  return { fake, trainer };
}
const request = (over: Partial<UploadRequest> = {}): UploadRequest => ({ path: bigPath, uploads: false, partSizeBytes: 64 * MB, concurrency: 2, ...over });
const partPuts = (fake: FakeTogether) => fake.requests.filter((r) => r.method === 'PUT' && r.path.startsWith('/signed-part/'));

t.test('parts are planned near the target, at most 250, none under 5 MB', async (t) => {
  t.same(planParts(100, 5 * MB), { partSize: 100, count: 1 });
  t.same(planParts(11 * MB, 5 * MB), { partSize: 5 * MB, count: 3 });
  t.same(planParts(6 * 1024 ** 3), { partSize: Math.ceil((6 * 1024 ** 3) / 25), count: 25 });
  const huge = planParts(100 * 1024 ** 3);
  t.equal(huge.count, 250);
  t.ok(huge.partSize * huge.count >= 100 * 1024 ** 3);
});

t.test('a file over the threshold goes in parts: whole, in order, no key, each with its length', async (t) => {
  const { fake, trainer } = await setup(t);
  const progress: number[] = [];
  const file = await trainer.upload(request({ onProgress: (s) => progress.push(s) }));
  t.same(await fake.fileBytes(file.id), DATA);
  const puts = partPuts(fake);
  t.equal(puts.length, 3);
  for (const put of puts) {
    t.equal(put.headers.authorization, undefined);
    t.equal(put.headers['x-amz-checksum-fake'], 'yes', 'the headers the part URL came with are sent');
    t.equal(put.headers['content-length'], String(put.bodyBytes));
  }
  t.equal(fake.count('POST', '/files'), 0, 'not the single-PUT path');
  t.equal(progress.at(-1), DATA.length);
});

t.test('a part whose connection is reset is sent again, alone', async (t) => {
  const { fake, trainer } = await setup(t);
  fake.fault({ method: 'PUT', path: /^\/signed-part\/[^/]+\/2$/, fault: { reset: true } });
  const file = await trainer.upload(request());
  t.same(await fake.fileBytes(file.id), DATA);
  const puts = partPuts(fake);
  t.same(puts.map((r) => r.path.split('/').pop()).sort(), ['1', '2', '2', '3']);
});

t.test('a part that keeps failing: the upload is aborted, nothing completed, the error said', async (t) => {
  const { fake, trainer } = await setup(t);
  fake.fault({ method: 'PUT', path: /^\/signed-part\/[^/]+\/3$/, fault: { status: 403, body: { error: { message: 'Request has expired' } } } });
  await t.rejects(trainer.upload(request()), { status: 403, message: /part 3 of 3 of big\.jsonl: Request has expired/ });
  t.equal(fake.count('POST', '/files/multipart/complete'), 0);
  t.equal(fake.count('POST', '/files/multipart/abort'), 1);
  t.same([...fake.multiparts.values()].map((u) => u.status), ['aborted']);
});

t.test('a lost answer to complete: sent again, refused (the upload is done), the file checked whole', async (t) => {
  const { fake, trainer } = await setup(t);
  fake.fault({ method: 'POST', path: '/files/multipart/complete', fault: { lose: true } });
  const file = await trainer.upload(request());
  t.same(await fake.fileBytes(file.id), DATA);
  t.same(fake.requests.filter((r) => r.path === '/files/multipart/complete').map((r) => r.outcome), ['lost', 404]);
  t.equal(fake.count('GET', `/files/${file.id}`), 1);
});

t.test('a big file Together holds already: 409 on initiate, that file used', async (t) => {
  const { fake, trainer } = await setup(t);
  const first = await trainer.upload(request());
  const notices: string[] = [];
  const again = await trainer.upload(request({ onNotice: (l) => notices.push(l) }));
  t.equal(again.id, first.id);
  t.equal(partPuts(fake).length, 3, 'no part sent the second time');
  t.match(notices, [/already/]);
});
