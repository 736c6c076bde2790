// Jobs through the real openai SDK against the fake OpenAI server: one job per create whatever
// happens to its answer, final answers never repeated, the reads, and the shutdown date.
import t, { type Test } from 'tap';
import type OpenAI from 'openai';
import { toFile } from 'openai';
import { closeDispatcher } from '../../lib/api/http.js';
import { openaiClient } from '../../lib/api/openai-client.js';
import { createOpenAIJobs, RUN_TAG_KEY } from '../../lib/api/openai/jobs.js';
import type { JobRequest } from '../../lib/api/trainer.js';
import { ApiError, exitCodeOf } from '../../lib/errors.js';
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions } from '../support/fake-api/openai.js';

t.teardown(closeDispatcher);

async function setup(t: Test, options: FakeOpenAIOptions = {}, maxRetries = 2) {
  const fake = await startFakeOpenAI(options);
  t.teardown(fake.close);
  const client = openaiClient({ provider: 'openai', apiKey: 'k', baseURL: fake.baseURL, organization: undefined, project: undefined, timeoutMs: 5000, maxRetries });
  const jobs = createOpenAIJobs(client, 'openai', { baseDelayMs: 5 });
  const file = await seedFile(client);
  fake.requests.length = 0;
  return { fake, client, jobs, file };
}

async function seedFile(client: OpenAI): Promise<string> {
  return (await client.files.create({ file: await toFile(Buffer.from('{"messages":[]}\n'), 'train.jsonl'), purpose: 'fine-tune' })).id;
}

function request(trainingFile: string, more: Partial<JobRequest> = {}): JobRequest {
  return { model: 'gpt-4.1-mini', trainingFile, validationFile: null, suffix: null, epochs: null, batchSize: null, lrMultiplier: null, seed: null, runTag: `run-${Math.random().toString(36).slice(2)}`, ...more };
}

const outcomes = (fake: FakeOpenAI) => fake.requests.map((r) => `${r.method} ${r.path} ${r.outcome}`);

t.test('the create sends the job as asked, tagged with the run, hyperparameters only when given', async (t) => {
  const { fake, jobs, file } = await setup(t);
  const job = await jobs.createJob(request(file, { suffix: 'ada', epochs: 3, seed: 7, runTag: 'r1' }));
  const stored = fake.jobs.get(job.id)!;
  t.same(stored.metadata, { [RUN_TAG_KEY]: 'r1' });
  t.same(stored.method, { type: 'supervised', supervised: { hyperparameters: { n_epochs: 3 } } });
  t.equal(stored.hyperparameters, null, 'not the deprecated top-level hyperparameters');
  t.match(job, { id: stored.id, status: 'validating_files', model: 'gpt-4.1-mini', trainingFile: file, suffix: 'ada', fineTunedModel: null, error: null });
  t.same(outcomes(fake), ['POST /fine_tuning/jobs 200']);
});

t.test('a create whose answer is lost: still exactly one job, and it is the one returned', async (t) => {
  const { fake, jobs, file } = await setup(t);
  fake.fault({ method: 'POST', path: '/fine_tuning/jobs', fault: { lose: true } });
  const job = await jobs.createJob(request(file));
  t.equal(fake.jobs.size, 1);
  t.ok(fake.jobs.has(job.id), 'the id returned is the job on the server');
  t.same(outcomes(fake), ['POST /fine_tuning/jobs lost', 'GET /fine_tuning/jobs 200'], 'looked up, not sent again');
});

t.test('a lost answer whose lookup fails: not sent again, and the message says the job may exist', async (t) => {
  const { fake, jobs, file } = await setup(t);
  fake.fault({ method: 'POST', path: '/fine_tuning/jobs', fault: { lose: true } });
  fake.fault({ method: 'GET', path: '/fine_tuning/jobs', fault: { status: 403 } });
  const err = await jobs.createJob(request(file)).catch((e: unknown) => e);
  t.match(err, { code: 'FBS_API', status: 403, message: /look up the job just created.*the job may exist.*fbstream jobs list --provider openai/s });
  t.equal(fake.count('POST', '/fine_tuning/jobs'), 1);
  t.equal(fake.jobs.size, 1);
});

t.test('without the protection (the SDK retrying the create) the same lost answer makes two jobs', async (t) => {
  const { fake, client, file } = await setup(t);
  fake.fault({ method: 'POST', path: '/fine_tuning/jobs', fault: { lose: true } });
  await client.fineTuning.jobs.create({ model: 'gpt-4.1-mini', training_file: file });
  t.equal(fake.jobs.size, 2, 'the trap the create-once code is for');
});

t.test('a create answered 500: looked up (nothing there), sent again, one job', async (t) => {
  const { fake, jobs, file } = await setup(t);
  fake.fault({ method: 'POST', path: '/fine_tuning/jobs', fault: { status: 500 } });
  const job = await jobs.createJob(request(file));
  t.equal(fake.jobs.size, 1);
  t.ok(fake.jobs.has(job.id));
  t.same(outcomes(fake), ['POST /fine_tuning/jobs 500', 'GET /fine_tuning/jobs 200', 'POST /fine_tuning/jobs 200']);
});

t.test('a reset connection on the create: looked up, sent again, one job', async (t) => {
  const { fake, jobs, file } = await setup(t);
  fake.fault({ method: 'POST', path: '/fine_tuning/jobs', fault: { reset: true } });
  const job = await jobs.createJob(request(file));
  t.equal(fake.jobs.size, 1);
  t.ok(fake.jobs.has(job.id));
  t.same(outcomes(fake), ['POST /fine_tuning/jobs reset', 'GET /fine_tuning/jobs 200', 'POST /fine_tuning/jobs 200']);
});

t.test('a 429 with retry-after on the create: waited, sent again without a lookup, one job', async (t) => {
  const { fake, jobs, file } = await setup(t);
  fake.fault({ method: 'POST', path: '/fine_tuning/jobs', fault: { status: 429, headers: { 'retry-after': '0' }, body: { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } } } });
  const job = await jobs.createJob(request(file));
  t.equal(fake.jobs.size, 1);
  t.ok(fake.jobs.has(job.id));
  t.same(outcomes(fake), ['POST /fine_tuning/jobs 429', 'POST /fine_tuning/jobs 200']);
});

t.test('lost answers until the attempts run out: the last lookup still finds nothing made twice', async (t) => {
  const { fake, jobs, file } = await setup(t);
  fake.fault({ method: 'POST', path: '/fine_tuning/jobs', times: 3, fault: { status: 503 } });
  const err = await jobs.createJob(request(file)).catch((e: unknown) => e);
  t.type(err, ApiError);
  t.match(err, { status: 503, code: 'FBS_API', message: /create the fine-tuning job \(3 attempts\).*503/s });
  t.equal(exitCodeOf(err), 3);
  t.equal(fake.jobs.size, 0);
  t.equal(fake.count('POST', '/fine_tuning/jobs'), 3, 'attempts: the client maxRetries + 1');
  t.equal(fake.count('GET', '/fine_tuning/jobs'), 3, 'a lookup before each resend and after the last');
});

for (const [status, body, message] of [
  [401, undefined, /OpenAI answered 401 to create the fine-tuning job.*check the API key/s],
  [400, { error: { message: 'invalid training_file: file-x', type: 'invalid_request_error', code: 'invalid_training_file' } }, /answered 400.*invalid training_file: file-x \(invalid_training_file\)/],
] as const) {
  t.test(`a ${status} on the create: one request, a clear message, exit 3`, async (t) => {
    const { fake, jobs, file } = await setup(t);
    fake.fault({ method: 'POST', path: '/fine_tuning/jobs', fault: { status, ...(body && { body }) } });
    const err = await jobs.createJob(request(file)).catch((e: unknown) => e);
    t.match(err, { code: 'FBS_API', status, message });
    t.equal(exitCodeOf(err), 3);
    t.same(outcomes(fake), [`POST /fine_tuning/jobs ${status}`]);
  });
}

t.test("OpenAI's refusal to fine-tune: the dates and the alternatives, exit 3, one request", async (t) => {
  const { fake, jobs, file } = await setup(t, { refuseFineTuning: true });
  const err = await jobs.createJob(request(file)).catch((e: unknown) => e);
  t.match(err, { code: 'FBS_FINE_TUNING_UNAVAILABLE', status: 403 });
  const message = (err as Error).message;
  for (const piece of ['no longer available', '2026-05-07', '2026-07-02', '2027-01-06', '2027-01-14', '--provider azure', '--provider together', 'TRL']) t.match(message, piece);
  t.equal(exitCodeOf(err), 3);
  t.equal(fake.count('POST', '/fine_tuning/jobs'), 1);
  t.equal(fake.jobs.size, 0);
});

t.test('retrieve, list newest first, cancel, and a missing job', async (t) => {
  const { fake, jobs, file } = await setup(t);
  const a = await jobs.createJob(request(file));
  const b = await jobs.createJob(request(file, { suffix: 'second' }));
  t.match(await jobs.getJob(a.id), { id: a.id, status: 'running' });
  t.same((await jobs.listJobs(10)).map((j) => j.id), [b.id, a.id]);
  t.same((await jobs.listJobs(1)).map((j) => j.id), [b.id]);
  t.match(await jobs.cancelJob(b.id), { id: b.id, status: 'cancelled' });
  t.equal(fake.jobs.get(b.id)!.status, 'cancelled');
  await t.rejects(jobs.cancelJob(b.id), { code: 'FBS_API', status: 400, message: /cancel the fine-tuning job .*already cancelled/ });
  await t.rejects(jobs.getJob('ftjob-nope'), { status: 404, message: /ftjob-nope/ });
});

t.test('events: all, or those after one, oldest first, across pages', async (t) => {
  const { fake, jobs, file } = await setup(t);
  const job = await jobs.createJob(request(file));
  const stored = fake.jobs.get(job.id)!;
  for (let i = 0; i < 249; i++) stored.events.push({ id: `ftevent-${i}`, object: 'fine_tuning.job.event', created_at: 1_800_000_000 + i, level: 'info', message: `step ${i}`, type: 'message' });
  const all = await jobs.listEvents(job.id, null);
  t.equal(all.length, 250);
  t.match(all[0], { message: /^Created fine-tuning job/ });
  t.same(all.slice(1).map((e) => e.message), Array.from({ length: 249 }, (_, i) => `step ${i}`));
  const after = await jobs.listEvents(job.id, 'ftevent-199');
  t.same(after.map((e) => e.id), Array.from({ length: 49 }, (_, i) => `ftevent-${200 + i}`));
  t.same(await jobs.listEvents(job.id, 'ftevent-248'), []);
  t.ok(fake.count('GET', /\/events$/) >= 4, 'read in pages');
});

t.test('shutdown date: from the models endpoint; none, 404 or a failure is null and never an error', async (t) => {
  const { fake, jobs } = await setup(t, { shutdownDates: { 'gpt-4o-2024-08-06': '2027-01-14' } }, 0);
  t.equal(await jobs.shutdownDate('gpt-4o-2024-08-06'), '2027-01-14');
  t.equal(await jobs.shutdownDate('gpt-4.1-nano'), null);
  fake.fault({ method: 'GET', path: /^\/models\//, fault: { status: 404 } });
  t.equal(await jobs.shutdownDate('gpt-4o-2024-08-06'), null);
  fake.fault({ method: 'GET', path: /^\/models\//, times: 2, fault: { status: 500, headers: { 'retry-after-ms': '1' } } });
  t.equal(await jobs.shutdownDate('gpt-4o-2024-08-06'), null);
  fake.fault({ method: 'GET', path: /^\/models\//, times: 2, fault: { reset: true } });
  t.equal(await jobs.shutdownDate('gpt-4o-2024-08-06'), null);
});

t.test('Azure OpenAI: the endpoint and the api-key header, for create (a lost answer included) and retrieve', async (t) => {
  const fake = await startFakeOpenAI({ apiKey: 'azure-key' });
  t.teardown(fake.close);
  const client = openaiClient({ provider: 'azure', apiKey: 'azure-key', endpoint: fake.endpoint, apiVersion: '2024-10-21', timeoutMs: 5000, maxRetries: 2 });
  const jobs = createOpenAIJobs(client, 'azure', { baseDelayMs: 5 });
  const file = await seedFile(client);
  fake.fault({ method: 'POST', path: '/fine_tuning/jobs', fault: { lose: true } });
  const job = await jobs.createJob(request(file));
  t.equal(fake.jobs.size, 1);
  t.match(await jobs.getJob(job.id), { id: job.id, status: 'running' });
  for (const r of fake.requests) {
    t.equal(r.headers['api-key'], 'azure-key');
    t.equal(r.query.get('api-version'), '2024-10-21');
  }
  const wrong = createOpenAIJobs(openaiClient({ provider: 'azure', apiKey: 'bad', endpoint: fake.endpoint, apiVersion: '2024-10-21', timeoutMs: 5000, maxRetries: 2 }), 'azure');
  const before = fake.requests.length;
  await t.rejects(wrong.getJob(job.id), { status: 401, message: /Azure OpenAI answered 401/ });
  t.equal(fake.requests.length - before, 1, '401 not retried');
});
