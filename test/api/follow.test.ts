// followJob against the fake OpenAI server through the real SDK: each event once and in order, the
// final job, transient failures polled through (then given up on), and an abort that leaves the job.
import { getEventListeners } from 'node:events';
import t, { type Test } from 'tap';
import { toFile } from 'openai';
import { followJob, isTransient } from '../../lib/api/follow.js';
import { closeDispatcher } from '../../lib/api/http.js';
import { openaiClient } from '../../lib/api/openai-client.js';
import { createOpenAIJobs } from '../../lib/api/openai/jobs.js';
import type { FineTuneJob, JobEvent, Trainer } from '../../lib/api/trainer.js';
import { ApiError, exitCodeOf } from '../../lib/errors.js';
import { startFakeOpenAI, type FakeOpenAIOptions } from '../support/fake-api/openai.js';

t.teardown(closeDispatcher);

async function setup(t: Test, options: FakeOpenAIOptions = {}) {
  const fake = await startFakeOpenAI(options);
  t.teardown(fake.close);
  const client = openaiClient({ provider: 'openai', apiKey: 'k', baseURL: fake.baseURL, organization: undefined, project: undefined, timeoutMs: 5000, maxRetries: 0 });
  const trainer: Trainer = {
    provider: 'openai',
    upload: () => Promise.reject(new Error('not in these tests')),
    ...createOpenAIJobs(client, 'openai'),
  };
  const file = await client.files.create({ file: await toFile(Buffer.from('{}\n'), 'train.jsonl'), purpose: 'fine-tune' });
  const job = await trainer.createJob({ model: 'gpt-4.1-mini', trainingFile: file.id, validationFile: null, suffix: null, epochs: null, batchSize: null, lrMultiplier: null, seed: null, runTag: 'r' });
  return { fake, trainer, job };
}

function recorder() {
  const events: JobEvent[] = [];
  const statuses: string[] = [];
  return { events, statuses, onEvent: (e: JobEvent) => events.push(e), onStatus: (j: FineTuneJob) => statuses.push(j.status) };
}

t.test('events once each, in order, then the succeeded job with its model', async (t) => {
  const { fake, trainer, job } = await setup(t, { jobScript: ['validating_files', 'queued', 'running', 'running', 'succeeded'] });
  const seen = recorder();
  const done = await followJob(trainer, job.id, { pollMs: 1, ...seen });
  t.match(done, { id: job.id, status: 'succeeded', fineTunedModel: /^ft:gpt-4.1-mini:/ });
  t.same(seen.events.map((e) => e.message), fake.jobs.get(job.id)!.events.map((e) => e.message), 'every event, oldest first');
  t.same(seen.events.map((e) => e.message), [`Created fine-tuning job: ${job.id}`, 'Job queued', 'Job running', 'Job running', 'Job succeeded']);
  t.equal(new Set(seen.events.map((e) => e.id)).size, seen.events.length, 'none twice');
  t.same(seen.statuses, ['queued', 'running', 'succeeded'], 'each status change once');
});

t.test('a failed job ends the follow with the job and its error (not an exception)', async (t) => {
  const { trainer, job } = await setup(t, { jobScript: ['running', 'failed'] });
  const done = await followJob(trainer, job.id, { pollMs: 1 });
  t.match(done, { status: 'failed', error: 'The training file has too few examples. (invalid_training_file)' });
});

t.test('429, 5xx and resets while following are polled through', async (t) => {
  const { fake, trainer, job } = await setup(t, { jobScript: ['running', 'running', 'succeeded'] });
  fake.fault({ method: 'GET', path: /^\/fine_tuning\/jobs\/[^/]+$/, fault: { status: 503 } });
  fake.fault({ method: 'GET', path: /\/events$/, nth: 1, fault: { reset: true } });
  fake.fault({ method: 'GET', path: /^\/fine_tuning\/jobs\/[^/]+$/, nth: 3, fault: { status: 429 } });
  const seen = recorder();
  const done = await followJob(trainer, job.id, { pollMs: 1, ...seen });
  t.equal(done.status, 'succeeded');
  t.same(seen.events.map((e) => e.message), [`Created fine-tuning job: ${job.id}`, 'Job running', 'Job succeeded'], 'still each event once');
  t.same(fake.requests.filter((r) => typeof r.outcome !== 'number' || r.outcome >= 400).map((r) => r.outcome), [503, 'reset', 429]);
});

t.test('too many failed polls in a row: exit 3, saying how to follow again', async (t) => {
  const { fake, trainer, job } = await setup(t, { jobScript: ['running'] });
  fake.fault({ method: 'GET', path: /^\/fine_tuning\/jobs\/[^/]+$/, times: 3, fault: { status: 502 } });
  const err = await followJob(trainer, job.id, { pollMs: 1, maxFailures: 3 }).catch((e: unknown) => e);
  t.type(err, ApiError);
  t.match(err, { code: 'FBS_API', status: 502, message: new RegExp(`3 failed polls in a row.*502.*fbstream jobs follow ${job.id} --provider openai`, 's') });
  t.equal(exitCodeOf(err), 3);
});

t.test('a 404 or 401 ends the follow at once', async (t) => {
  const { fake, trainer } = await setup(t);
  const before = fake.requests.length;
  await t.rejects(followJob(trainer, 'ftjob-missing', { pollMs: 1 }), { status: 404, message: /ftjob-missing/ });
  t.equal(fake.requests.length - before, 1);
  t.notOk(isTransient(new ApiError('openai', 'x', 401)));
  t.ok(isTransient(new ApiError('openai', 'x', undefined)));
  t.notOk(isTransient(new Error('a bug')));
});

t.test('an abort stops following and leaves the job running', async (t) => {
  const { fake, trainer, job } = await setup(t, { jobScript: ['running'] });
  const abort = new AbortController();
  const following = followJob(trainer, job.id, { pollMs: 50, signal: abort.signal, onStatus: () => abort.abort(new Error('stop')) });
  await t.rejects(following, /stop|abort/i);
  t.equal(fake.jobs.get(job.id)!.status, 'running');
  t.equal(fake.count('POST', /cancel$/), 0);
});

t.test("following leaves the run's signal as it was: no listener per poll (the SDK never removes its own)", async (t) => {
  const { trainer, job } = await setup(t, { jobScript: Array.from({ length: 14 }, () => 'running').concat('succeeded') });
  const abort = new AbortController();
  await followJob(trainer, job.id, { pollMs: 1, signal: abort.signal });
  t.equal(getEventListeners(abort.signal, 'abort').length, 0);
});
