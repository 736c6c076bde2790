// uploadOpenAI against the fake OpenAI server with the real SDK: the Files API, the Uploads API in
// parts, Azure, the faults the SDK retries (429, 500, resets, a part timing out) and the ones it
// must not (401, 400), and resuming from the record beside the data (interrupted, expired, changed).
import { existsSync, mkdirSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { getEventListeners } from 'node:events';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type OpenAI from 'openai';
import { closeDispatcher } from '../../lib/api/http.js';
import { openaiClient } from '../../lib/api/openai-client.js';
import { uploadOpenAI } from '../../lib/api/openai/upload.js';
import type { UploadRequest } from '../../lib/api/trainer.js';
import { statePathOf, type UploadState } from '../../lib/api/upload/state.js';
import { ApiError, FbstreamError } from '../../lib/errors.js';
import { tempDir } from '../support/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-api/openai.js';

t.teardown(closeDispatcher);

const PART = 1000;
const PARTS = /^\/uploads\/[^/]+\/parts$/;

/** `n` bytes of numbered JSONL lines: every part differs, so parts out of order change the file. */
function dataOf(n: number): Buffer {
  let text = '';
  for (let i = 0; text.length < n; i++) text += `{"messages":[{"role":"user","content":"line ${i}"}]}\n`;
  return Buffer.from(text.slice(0, n));
}

interface Setup {
  fake: FakeOpenAI;
  client: OpenAI;
  path: string;
  data: Buffer;
  notices: string[];
  request(extra?: Partial<UploadRequest>): UploadRequest;
}

async function setup(t: Test, o: { bytes?: number; timeoutMs?: number; maxRetries?: number; azure?: boolean; name?: string; fakeKey?: string; fileScript?: string[] } = {}): Promise<Setup> {
  const fake = await startFakeOpenAI({ ...(o.fakeKey !== undefined && { apiKey: o.fakeKey }), ...(o.fileScript !== undefined && { fileScript: o.fileScript }) });
  t.teardown(fake.close);
  const common = { apiKey: 'k', timeoutMs: o.timeoutMs ?? 5000, maxRetries: o.maxRetries ?? 2 };
  const client = o.azure
    ? openaiClient({ provider: 'azure', endpoint: fake.endpoint, apiVersion: '2024-10-21', ...common })
    : openaiClient({ provider: 'openai', baseURL: fake.baseURL, organization: undefined, project: undefined, ...common });
  const path = join(tempDir(t, 'fbstream-upload-'), o.name ?? 'train.jsonl');
  const data = dataOf(o.bytes ?? 10_500);
  writeFileSync(path, data);
  const notices: string[] = [];
  const request = (extra: Partial<UploadRequest> = {}): UploadRequest => ({ path, uploads: true, partSizeBytes: PART, concurrency: 3, onNotice: (l) => notices.push(l), ...extra });
  return { fake, client, path, data, notices, request };
}

const stateOf = (path: string) => JSON.parse(readFileSync(statePathOf(path), 'utf8')) as UploadState;

/**
 * Aborts once `parts` parts are acknowledged, as Ctrl-C would. With one part in flight nothing else
 * is on its way: exactly that many parts are sent and recorded.
 */
function abortAfter(parts: number): Pick<UploadRequest, 'signal' | 'onProgress' | 'concurrency'> {
  const abort = new AbortController();
  return { concurrency: 1, signal: abort.signal, onProgress: (sent) => sent >= parts * PART && abort.abort(new Error('stop')) };
}

t.test('the Files API: one request, the bytes as they are, purpose fine-tune, a .jsonl name', async (t) => {
  const s = await setup(t, { name: 'data.txt' });
  const progress: number[] = [];
  const file = await uploadOpenAI(s.client, 'openai', s.request({ uploads: false, onProgress: (n) => progress.push(n) }));
  t.match(file, { via: 'files', bytes: s.data.length, filename: 'data.txt.jsonl', resumedParts: 0 });
  t.same(await s.fake.fileBytes(file.id), s.data);
  t.match(s.fake.files.get(file.id), { purpose: 'fine-tune', filename: 'data.txt.jsonl' });
  t.equal(s.fake.count('POST', '/files'), 1);
  t.equal(s.fake.count('GET', `/files/${file.id}`), 1, 'waited until processed');
  t.same(progress.at(-1), s.data.length);
});

t.test('the Uploads API: parts sent at once but completed in file order, the md5 checked, the record removed', async (t) => {
  const s = await setup(t);
  // the first part is held back: later parts are acknowledged before it
  s.fake.fault({ method: 'POST', path: PARTS, nth: 1, fault: { delayMs: 150 } });
  const progress: number[] = [];
  const file = await uploadOpenAI(s.client, 'openai', s.request({ onProgress: (n) => progress.push(n) }));
  t.match(file, { via: 'uploads', bytes: 10_500, filename: 'train.jsonl', resumedParts: 0 });
  t.same(await s.fake.fileBytes(file.id), s.data, 'the same bytes, in order');
  const upload = [...s.fake.uploads.values()][0]!;
  t.match(upload, { status: 'completed', mime_type: 'text/jsonl', purpose: 'fine-tune', bytes: 10_500 });
  t.equal(s.fake.count('POST', PARTS), 11);
  const partOutcomes = s.fake.requests.filter((r) => PARTS.test(r.path)).map((r) => r.outcome);
  t.equal(partOutcomes[0], 'delayed');
  t.ok(s.fake.requests.findIndex((r) => r.path.endsWith('/complete')) > 0);
  t.ok(progress.every((n, i) => i === 0 || n >= progress[i - 1]!), 'progress never goes back');
  t.equal(progress.at(-1), 10_500);
  t.notOk(existsSync(statePathOf(s.path)), 'the record is gone once the file is made');
});

t.test('at most `concurrency` parts in flight', async (t) => {
  const s = await setup(t);
  let inFlight = 0;
  let most = 0;
  s.fake.server.prependListener('request', (req, res) => {
    if (!/\/parts$/.test(req.url ?? '')) return;
    most = Math.max(most, ++inFlight);
    res.on('close', () => inFlight--);
  });
  await uploadOpenAI(s.client, 'openai', s.request({ concurrency: 2 }));
  t.ok(most >= 1 && most <= 2, `at most 2 at once (saw ${most})`);
});

t.test('Azure: the same calls under the endpoint, with the api-key header', async (t) => {
  const s = await setup(t, { azure: true });
  const viaFiles = await uploadOpenAI(s.client, 'azure', s.request({ uploads: false }));
  const viaUploads = await uploadOpenAI(s.client, 'azure', s.request());
  t.same(await s.fake.fileBytes(viaFiles.id), s.data);
  t.same(await s.fake.fileBytes(viaUploads.id), s.data);
  t.ok(s.fake.requests.every((r) => r.headers['api-key'] === 'k' && r.query.get('api-version') === '2024-10-21'), 'every request has the key and the version');
  t.ok(s.fake.requests.every((r) => r.headers.authorization === undefined), 'no bearer token');
});

t.test('a 429 with retry-after, a 500 and a reset are retried by the SDK, files and parts alike', async (t) => {
  const s = await setup(t);
  s.fake.fault({ method: 'POST', path: '/files', fault: { status: 500 } });
  s.fake.fault({ method: 'POST', path: '/files', nth: 2, fault: { reset: true } });
  const viaFiles = await uploadOpenAI(s.client, 'openai', s.request({ uploads: false }));
  t.same(s.fake.requests.filter((r) => r.path === '/files').map((r) => r.outcome), [500, 'reset', 200], 'the file-backed body was sent again');
  t.same(await s.fake.fileBytes(viaFiles.id), s.data);

  s.fake.fault({ method: 'POST', path: PARTS, nth: 2, fault: { status: 429, headers: { 'retry-after-ms': '10', 'retry-after': '1' } } });
  s.fake.fault({ method: 'POST', path: PARTS, nth: 5, fault: { status: 500 } });
  s.fake.fault({ method: 'POST', path: PARTS, nth: 8, fault: { reset: true } });
  const viaUploads = await uploadOpenAI(s.client, 'openai', s.request({ concurrency: 1 }));
  const outcomes = s.fake.requests.filter((r) => PARTS.test(r.path)).map((r) => r.outcome);
  t.same(outcomes.filter((o) => o !== 200), [429, 500, 'reset']);
  t.equal(outcomes.length, 11 + 3, 'each failed part sent once more, nothing else');
  t.same(await s.fake.fileBytes(viaUploads.id), s.data);
});

t.test('a part that times out is sent again, and only it', async (t) => {
  const s = await setup(t, { timeoutMs: 1000 });
  s.fake.fault({ method: 'POST', path: PARTS, nth: 3, fault: { delayMs: 2500 } });
  const file = await uploadOpenAI(s.client, 'openai', s.request());
  t.equal(s.fake.count('POST', PARTS), 12, '11 parts and the one that timed out again');
  t.equal(s.fake.requests.filter((r) => r.outcome === 'delayed').length, 1);
  t.same(await s.fake.fileBytes(file.id), s.data);
});

t.test('401 and 400 are not retried: one request, a plain message', async (t) => {
  const s = await setup(t, { fakeKey: 'right' });
  const err = await uploadOpenAI(s.client, 'openai', s.request({ uploads: false })).catch((e: unknown) => e);
  t.ok(err instanceof ApiError);
  t.match(err, { status: 401, code: 'FBS_API', message: /OpenAI answered 401 to upload train\.jsonl: Incorrect API key provided.*check the API key/ });
  t.equal(s.fake.requests.length, 1);

  const s2 = await setup(t);
  s2.fake.fault({ method: 'POST', path: PARTS, fault: { status: 400, body: { error: { message: 'Part is malformed', type: 'invalid_request_error' } } } });
  const err2 = await uploadOpenAI(s2.client, 'openai', s2.request({ concurrency: 1 })).catch((e: unknown) => e);
  t.match(err2, { status: 400, message: /OpenAI answered 400 to upload part 1 of 11 of train\.jsonl: Part is malformed/ });
  t.equal(s2.fake.count('POST', PARTS), 1);
  t.ok(existsSync(statePathOf(s2.path)), 'the record stays for a rerun');
});

t.test('an interrupted upload resumes: only the parts not acknowledged are sent', async (t) => {
  const s = await setup(t);
  const err = await uploadOpenAI(s.client, 'openai', s.request(abortAfter(3))).catch((e: unknown) => e);
  t.match(err, { message: 'stop' }, 'the abort reason');
  const state = stateOf(s.path);
  const sent = Object.keys(state.parts).length;
  t.equal(sent, 3, 'the record holds the acknowledged parts');
  t.equal(s.fake.count('POST', PARTS), 3);

  const file = await uploadOpenAI(s.client, 'openai', s.request());
  t.equal(file.resumedParts, sent);
  t.match(s.notices, [new RegExp(`^resuming upload ${state.uploadId} of train\\.jsonl: ${sent} of 11 parts already sent$`)]);
  t.equal(s.fake.count('POST', PARTS), 11, 'each part sent once over both runs');
  t.equal(s.fake.uploads.size, 1, 'the same upload');
  t.same(await s.fake.fileBytes(file.id), s.data);
  t.notOk(existsSync(statePathOf(s.path)));
});

t.test('an expired upload starts over and says so', async (t) => {
  await t.test('the server says it expired', async (t) => {
    const s = await setup(t);
    await uploadOpenAI(s.client, 'openai', s.request(abortAfter(2))).catch(() => {});
    const old = stateOf(s.path).uploadId;
    s.fake.expire(old);
    const file = await uploadOpenAI(s.client, 'openai', s.request());
    t.match(s.notices, [/^resuming upload/, new RegExp(`^upload ${old} of train\\.jsonl can no longer be continued \\(it expired\\): starting over$`)]);
    t.equal(file.resumedParts, 0);
    t.equal(s.fake.uploads.size, 2);
    t.same(await s.fake.fileBytes(file.id), s.data);
  });
  await t.test('the record says it expired: the old upload is not asked', async (t) => {
    const s = await setup(t);
    await uploadOpenAI(s.client, 'openai', s.request(abortAfter(2))).catch(() => {});
    const state = stateOf(s.path);
    writeFileSync(statePathOf(s.path), JSON.stringify({ ...state, expiresAt: Math.floor(Date.now() / 1000) - 5 }));
    const before = s.fake.requests.length;
    const file = await uploadOpenAI(s.client, 'openai', s.request());
    t.match(s.notices, [new RegExp(`^upload ${state.uploadId} of train\\.jsonl expired at .*: starting over$`)]);
    t.notOk(s.fake.requests.slice(before).some((r) => r.path.includes(state.uploadId)));
    t.same(await s.fake.fileBytes(file.id), s.data);
  });
});

t.test('a record that does not match the file is not trusted', async (t) => {
  const s = await setup(t);
  await uploadOpenAI(s.client, 'openai', s.request(abortAfter(2))).catch(() => {});
  const file = await uploadOpenAI(s.client, 'openai', s.request({ partSizeBytes: 2000 }));
  t.match(s.notices, [/^not resuming the earlier upload of train\.jsonl \(it was sent in parts of 1000 bytes, not 2000\): starting over$/]);
  t.same(await s.fake.fileBytes(file.id), s.data);

  await uploadOpenAI(s.client, 'openai', s.request(abortAfter(2))).catch(() => {});
  utimesSync(s.path, new Date(), new Date(Date.now() + 5000));
  await uploadOpenAI(s.client, 'openai', s.request());
  t.match(s.notices.at(-1), /\(the file has changed since\): starting over$/);

  writeFileSync(statePathOf(s.path), '{ not json');
  await uploadOpenAI(s.client, 'openai', s.request());
  t.match(s.notices.at(-1), /its record .* is unreadable\): starting over$/);
});

t.test('complete whose answer was lost: the rerun makes no second file', async (t) => {
  const s = await setup(t, { maxRetries: 1 });
  s.fake.fault({ method: 'POST', path: /\/complete$/, times: 2, fault: { lose: true } });
  await t.rejects(uploadOpenAI(s.client, 'openai', s.request()), { status: undefined, message: /could not reach OpenAI/ });
  t.equal(s.fake.files.size, 1, 'the file was made');
  const file = await uploadOpenAI(s.client, 'openai', s.request());
  t.equal(s.fake.count('POST', PARTS), 11, 'no part sent again');
  t.equal(s.fake.files.size, 1, 'still one file');
  t.equal(file.id, [...s.fake.files.keys()][0]);
  t.equal(file.resumedParts, 11);

  // complete answered, then the run stopped before the record was removed
  const s2 = await setup(t, { maxRetries: 0 });
  s2.fake.fault({ method: 'GET', path: /^\/files\//, fault: { lose: true } });
  await t.rejects(uploadOpenAI(s2.client, 'openai', s2.request()));
  const recorded = stateOf(s2.path).fileId;
  t.equal(recorded, [...s2.fake.files.keys()][0], 'the file id is recorded');
  const again = await uploadOpenAI(s2.client, 'openai', s2.request());
  t.equal(again.id, recorded);
  t.match(s2.notices, [/^train\.jsonl was uploaded by an earlier run as file-/]);
  t.equal(s2.fake.uploads.size, 1);
  t.equal(s2.fake.files.size, 1);
  t.notOk(existsSync(statePathOf(s2.path)));
});

t.test('bad input: a missing file, a folder, an empty file', async (t) => {
  const s = await setup(t);
  await t.rejects(uploadOpenAI(s.client, 'openai', s.request({ path: join(s.path, '..', 'nope.jsonl') })), { code: 'FBS_USAGE', message: /cannot read .*nope\.jsonl: no such file/ });
  await t.rejects(uploadOpenAI(s.client, 'openai', s.request({ path: join(s.path, '..') })), { code: 'FBS_USAGE', message: /it is a folder/ });
  writeFileSync(s.path, '');
  const err = await uploadOpenAI(s.client, 'openai', s.request()).catch((e: unknown) => e);
  t.ok(err instanceof FbstreamError);
  t.match(err, { code: 'FBS_EMPTY_INPUT', message: /train\.jsonl: the file is empty/ });
  t.equal(s.fake.requests.length, 0, 'nothing asked');
});

t.test('I/O faults are said as such (FBS_IO): the record cannot be read, the file shrinks during the upload', async (t) => {
  const s = await setup(t);
  mkdirSync(statePathOf(s.path));
  await t.rejects(uploadOpenAI(s.client, 'openai', s.request()), { code: 'FBS_IO', message: /cannot read the upload record .*train\.jsonl\.fbstream-upload\.json/ });
  rmSync(statePathOf(s.path), { recursive: true });

  const err = await uploadOpenAI(s.client, 'openai', s.request({ concurrency: 1, onProgress: (sent) => sent === PART && truncateSync(s.path, 1500) })).catch((e: unknown) => e);
  t.match(err, { code: 'FBS_IO', message: /train\.jsonl ended at byte 1500, .* it changed during the upload/ });
  t.equal(s.fake.files.size, 0);
});

t.test('the file is waited for until processed; a file the provider cannot process is said plainly', async (t) => {
  const s = await setup(t, { fileScript: ['pending', 'running', 'processed'] });
  const file = await uploadOpenAI(s.client, 'openai', s.request());
  t.equal(s.fake.count('GET', `/files/${file.id}`), 3, 'asked until processed');
  t.notOk(existsSync(statePathOf(s.path)));

  const bad = await setup(t, { fileScript: ['pending', 'error'] });
  const err = await uploadOpenAI(bad.client, 'openai', bad.request({ uploads: false })).catch((e: unknown) => e);
  t.ok(err instanceof ApiError);
  t.match(err, { code: 'FBS_API', message: /train\.jsonl was uploaded as file-\w+ but could not be processed \(error\): Invalid file format for fine-tuning: line 3 is not JSON\./ });

  const abort = new AbortController();
  const slow = await setup(t, { fileScript: ['pending'] });
  // stopped while it waits: once the file is asked for
  slow.fake.server.prependListener('request', (req) => req.method === 'GET' && req.url?.includes('/files/') && setTimeout(() => abort.abort(new Error('stop')), 20));
  const waiting = uploadOpenAI(slow.client, 'openai', slow.request({ signal: abort.signal }));
  await t.rejects(waiting, { message: 'stop' }, 'the wait is abortable');
  t.ok(stateOf(slow.path).fileId, 'the record keeps the file id for the rerun');
});

t.test("the run's signal is left as it was: no listener per request (the SDK never removes its own)", async (t) => {
  const s = await setup(t, { fileScript: ['pending', 'processed'] });
  const abort = new AbortController();
  await uploadOpenAI(s.client, 'openai', s.request({ signal: abort.signal }));
  await uploadOpenAI(s.client, 'openai', s.request({ signal: abort.signal, uploads: false }));
  t.equal(getEventListeners(abort.signal, 'abort').length, 0);
});
