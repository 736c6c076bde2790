// Together AI's fine-tunes against the fake Together server: exactly one job per create (a lost
// answer, a 500, a 429), the create's body, status mapping, events, cancel, retries of reads.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ApiError, exitCodeOf, OptionError } from '../../lib/errors.js';
import { closeDispatcher } from '../../lib/api/http.js';
import type { JobRequest, Trainer } from '../../lib/api/trainer.js';
import { createTogetherTrainer } from '../../lib/api/together/trainer.js';
import { eventsOf, jobOf, jobStatusOf } from '../../lib/api/together/job-view.js';
import { startFakeTogether, type FakeTogetherOptions } from '../support/fake-api/together.js';

t.teardown(closeDispatcher);
const dir = mkdtempSync(join(tmpdir(), 'fbstream-together-jobs-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const trainPath = join(dir, 'train.jsonl');
writeFileSync(trainPath, '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}\n');

const MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference';

async function setup(t: Test, options: FakeTogetherOptions = {}) {
  const fake = await startFakeTogether(options);
  t.teardown(fake.close);
  const delays: number[] = [];
  const trainer = createTogetherTrainer(
    { provider: 'together', apiKey: 'k', baseURL: fake.baseURL, timeoutMs: 5000, maxRetries: 3 },
    { sleep: async (ms) => void delays.push(ms) },
  );
  const file = await trainer.upload({ path: trainPath, uploads: false, partSizeBytes: 5 << 20, concurrency: 1 });
  fake.requests.length = 0;
  return { fake, trainer, delays, file };
}
const jobRequest = (trainingFile: string, over: Partial<JobRequest> = {}): JobRequest => ({
  model: MODEL, trainingFile, validationFile: null, suffix: 'chat', epochs: null, batchSize: null, lrMultiplier: null, seed: null, runTag: 'r', ...over,
});
const creates = (fake: { count(m: string, p: string): number }) => fake.count('POST', '/fine-tunes');

t.test('a create sends the asked settings once; LoRA is left to Together\'s default', async (t) => {
  const { fake, trainer, file } = await setup(t);
  const job = await trainer.createJob(jobRequest(file.id, { epochs: 3, batchSize: 8, lrMultiplier: 2, seed: 7, suffix: 'ada-v1' }));
  t.match(job, { status: 'queued', providerStatus: 'pending', model: MODEL, trainingFile: file.id, fineTunedModel: null, error: null });
  const stored = fake.jobs.get(job.id)!;
  t.match(stored, { n_epochs: 3, batch_size: 8, random_seed: 7, suffix: 'ada-v1', training_type: { type: 'Lora' } });
  t.equal(stored.learning_rate, 2e-5, '--lr-multiplier scales Together\'s default learning rate');
  t.equal(creates(fake), 1);
  t.equal(fake.count('GET', '/fine-tunes'), 1, 'the job ids were noted before the create');
});

t.test('a suffix over 40 characters is refused before any request', async (t) => {
  const { fake, trainer, file } = await setup(t);
  await t.rejects(trainer.createJob(jobRequest(file.id, { suffix: 'x'.repeat(41) })), OptionError);
  t.equal(fake.requests.length, 0);
});

t.test('a create whose answer is lost: exactly one new job, and it is the one returned', async (t) => {
  const { fake, trainer, file } = await setup(t);
  const earlier = await trainer.createJob(jobRequest(file.id)); // same file, model and suffix: must not be taken
  fake.fault({ method: 'POST', path: '/fine-tunes', fault: { lose: true } });
  const job = await trainer.createJob(jobRequest(file.id));
  t.equal(fake.jobs.size, 2, 'one job per create');
  t.not(job.id, earlier.id, 'the job that was there before is not taken for the new one');
  t.ok(fake.jobs.has(job.id));
  t.equal(creates(fake), 2, 'the lost create was not sent again');
});

t.test('a create answered 500 that made nothing: a clear error, no second create, no job', async (t) => {
  const { fake, trainer, file } = await setup(t);
  fake.fault({ method: 'POST', path: '/fine-tunes', fault: { status: 500 } });
  const err = await trainer.createJob(jobRequest(file.id)).catch((e: unknown) => e);
  t.type(err, ApiError);
  t.match((err as Error).message, /500 to create the job.*No job was created.*Run the command again/s);
  t.equal(exitCodeOf(err), 3);
  t.equal(creates(fake), 1);
  t.equal(fake.jobs.size, 0);
});

t.test('a lost answer to a create without a suffix: the job found by file and model', async (t) => {
  const { fake, trainer, file } = await setup(t);
  fake.fault({ method: 'POST', path: '/fine-tunes', fault: { lose: true } });
  const job = await trainer.createJob(jobRequest(file.id, { suffix: null }));
  t.same([...fake.jobs.keys()], [job.id]);
});

t.test('a 429 on the create created nothing: sent again after its retry-after, one job', async (t) => {
  const { fake, trainer, file, delays } = await setup(t);
  fake.fault({ method: 'POST', path: '/fine-tunes', fault: { status: 429, headers: { 'retry-after': '3' } } });
  const job = await trainer.createJob(jobRequest(file.id));
  t.equal(creates(fake), 2);
  t.same([...fake.jobs.keys()], [job.id]);
  t.same(delays, [3000]);
});

t.test('a 400 on the create: one request, the message, no look for a job', async (t) => {
  const { fake, trainer, file } = await setup(t);
  await t.rejects(trainer.createJob(jobRequest('file-nope')), { status: 400, message: /file-nope is not a processed file/ });
  t.equal(creates(fake), 1);
  t.equal(fake.count('GET', '/fine-tunes'), 1, 'only the list before the create');
  t.ok(file.id);
});

t.test('reads are retried: a reset and a 500 on the job, then its status', async (t) => {
  const { fake, trainer, file } = await setup(t);
  const job = await trainer.createJob(jobRequest(file.id));
  const path = `/fine-tunes/${job.id}`;
  fake.fault({ method: 'GET', path, fault: { reset: true } });
  fake.fault({ method: 'GET', path, nth: 2, fault: { status: 500 } });
  t.match(await trainer.getJob(job.id), { id: job.id, status: 'queued', providerStatus: 'queued' });
  t.same(fake.requests.filter((r) => r.path === path).map((r) => r.outcome), ['reset', 500, 200]);
});

t.test('a job\'s life: statuses mapped, the model when it completed, the reason when it failed', async (t) => {
  const { trainer, file } = await setup(t, { jobScript: ['queued', 'running', 'uploading', 'completed'] });
  const job = await trainer.createJob(jobRequest(file.id));
  const seen = [];
  for (let i = 0; i < 4; i++) {
    const j = await trainer.getJob(job.id);
    seen.push([j.providerStatus, j.status, j.fineTunedModel]);
  }
  t.same(seen.slice(0, 3), [['queued', 'queued', null], ['running', 'running', null], ['uploading', 'running', null]]);
  t.match(seen[3], ['completed', 'succeeded', /^fake-user\/Meta-Llama-3\.1-8B-Instruct-Reference-chat-/]);

  const failing = await setup(t, { jobScript: ['running', 'error'] });
  const bad = await failing.trainer.createJob(jobRequest(failing.file.id));
  await failing.trainer.getJob(bad.id);
  t.match(await failing.trainer.getJob(bad.id), { status: 'failed', providerStatus: 'error', error: 'Training failed: the dataset has no valid examples' });
});

t.test('status words: Together\'s onto fbstream\'s', async (t) => {
  const table: [string, string][] = [
    ['pending', 'queued'], ['queued', 'queued'], ['running', 'running'], ['compressing', 'running'], ['uploading', 'running'],
    ['completed', 'succeeded'], ['error', 'failed'], ['user_error', 'failed'], ['cancel_requested', 'cancelled'], ['cancelled', 'cancelled'],
    ['something_new', 'running'],
  ];
  for (const [word, status] of table) t.equal(jobStatusOf(word), status, word);
  t.match(jobOf({ id: 'ft-1', status: 'error', error: { message: 'bad data' } }), { error: 'bad data', fineTunedModel: null });
  t.match(jobOf({ id: 'ft-1', status: 'running', model_output_name: 'u/m', created_at: '2026-12-06T10:00:00Z' }), { fineTunedModel: null, createdAt: 1796551200 });
});

t.test('events oldest first, after a given one', async (t) => {
  const { trainer, file } = await setup(t);
  const job = await trainer.createJob(jobRequest(file.id));
  await trainer.getJob(job.id);
  await trainer.getJob(job.id);
  const all = await trainer.listEvents(job.id, null);
  t.same(all.map((e) => e.message), ['Fine tune request created', 'Job queued', 'Job running']);
  t.same((await trainer.listEvents(job.id, all[0]!.id)).map((e) => e.message), ['Job queued', 'Job running']);
  t.same(await trainer.listEvents(job.id, all[2]!.id), []);
  // sent newest first, and without ids: put in order, ids by place
  const events = eventsOf([{ created_at: '2026-12-06T10:00:02Z', message: 'b' }, { created_at: '2026-12-06T10:00:01Z', message: 'a', level: 'legacy_iwarning' }]);
  t.same(events.map((e) => [e.id, e.message, e.level]), [['event-1', 'a', 'warning'], ['event-2', 'b', 'info']]);
});

t.test('cancel, list newest first, no shutdown dates', async (t) => {
  const { fake, trainer, file } = await setup(t);
  const a = await trainer.createJob(jobRequest(file.id, { suffix: 'a' }));
  const b = await trainer.createJob(jobRequest(file.id, { suffix: 'b' }));
  fake.jobs.get(a.id)!.created_at = '2026-01-01T00:00:00Z';
  t.same((await trainer.listJobs(10)).map((j) => j.id), [b.id, a.id]);
  t.same((await trainer.listJobs(1)).map((j) => j.id), [b.id]);
  fake.fault({ method: 'POST', path: `/fine-tunes/${a.id}/cancel`, fault: { reset: true } });
  t.match(await trainer.cancelJob(a.id), { status: 'cancelled', providerStatus: 'cancel_requested' });
  t.match(await trainer.getJob(a.id), { status: 'cancelled', providerStatus: 'cancelled' });
  await t.rejects(trainer.cancelJob(a.id), { status: 400, message: /cannot be cancelled/ });
  t.equal(await (trainer as Trainer).shutdownDate(MODEL), null);
});

t.test('a lost create whose check fails too: the error says the job may exist and how to look', async (t) => {
  const { fake, trainer, file } = await setup(t);
  fake.fault({ method: 'POST', path: '/fine-tunes', fault: { lose: true } });
  fake.fault({ method: 'GET', path: '/fine-tunes', nth: 2, fault: { status: 403, body: { error: { message: 'forbidden' } } } });
  await t.rejects(trainer.createJob(jobRequest(file.id)), { message: /may have been created.*forbidden.*fbstream jobs list --provider together/s });
  t.equal(creates(fake), 1);
  t.equal(fake.jobs.size, 1);
});

t.test('the new job is told apart by file, model and suffix; several candidates are named, not guessed', async (t) => {
  const base = { model: MODEL, training_file: 'file-1' };
  const jobs = [
    { id: 'old', ...base, model_output_name: 'u/m-chat-1' },
    { id: 'other-file', ...base, training_file: 'file-2', model_output_name: 'u/m-chat-2' },
    { id: 'other-model', ...base, model: 'Qwen/Qwen3-8B', model_output_name: 'u/q-chat-3' },
    { id: 'other-suffix', ...base, model_output_name: 'u/m-blog-4' },
    { id: 'ours', ...base, model_output_name: 'u/m-chat-5' },
  ];
  const { newJobsMatching } = await import('../../lib/api/together/job-view.js');
  const query = { trainingFile: 'file-1', model: MODEL, suffix: 'chat' };
  t.same(newJobsMatching(jobs, new Set(['old']), query).map((j) => j.id), ['ours']);
  t.same(newJobsMatching(jobs, new Set(['old']), { ...query, suffix: null }).map((j) => j.id), ['other-suffix', 'ours']);

  // another client's job on the same file, model and suffix lands while ours is being made
  const other = { id: 'ft-from-elsewhere' };
  const { fake, trainer, file } = await setup(t, {
    onJobCreated: (job) => {
      if (job.id !== other.id) fake.jobs.set(other.id, { ...job, id: other.id, events: [], script: [] });
    },
  });
  fake.fault({ method: 'POST', path: '/fine-tunes', fault: { lose: true } });
  await t.rejects(trainer.createJob(jobRequest(file.id)), { message: new RegExp(`Several new jobs.*${other.id}`, 's') });
  t.equal(creates(fake), 1);
});

t.test('a create that could not connect at all made nothing: said so, no look for a job', async (t) => {
  const { fake, trainer, file } = await setup(t);
  // the list before the create is answered with the connection closed, and the server stops listening
  fake.server.prependListener('request', (req, res) => {
    if (req.method === 'GET' && req.url === '/v1/fine-tunes') {
      res.setHeader('connection', 'close');
      fake.server.close();
    }
  });
  const err = (await trainer.createJob(jobRequest(file.id)).catch((e: unknown) => e)) as Error;
  t.match(err.message, /could not reach Together AI to create the job.*ECONNREFUSED.*No job was created: the connection was refused/s);
  t.notMatch(err.message, /may have been created/);
  t.equal(creates(fake), 0);
  t.equal(fake.count('GET', '/fine-tunes'), 1, 'no look for a job that cannot exist');
});
