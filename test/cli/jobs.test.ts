// `fbstream jobs list | show | follow | cancel` as a user runs it (the built CLI, a child process)
// against the fake OpenAI server on 127.0.0.1. Build first: npx tsc -p tsconfig.json.
import t, { type Test } from 'tap';
import { toFile } from 'openai';
import { closeDispatcher } from '../../lib/api/http.js';
import { openaiClient } from '../../lib/api/openai-client.js';
import { createOpenAIJobs } from '../../lib/api/openai/jobs.js';
import type { FineTuneJob } from '../../lib/api/trainer.js';
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions } from '../support/fake-api/openai.js';
import { collect, looksLikeStackTrace, runCli, spawnCli, waitFor } from '../support/cli.js';

t.teardown(closeDispatcher);

const NO_PROXY_ENV = { HTTP_PROXY: undefined, HTTPS_PROXY: undefined, http_proxy: undefined, https_proxy: undefined, ALL_PROXY: undefined };

async function setup(t: Test, options: FakeOpenAIOptions = {}) {
  const fake = await startFakeOpenAI({ apiKey: 'sk-test', ...options });
  t.teardown(fake.close);
  const env = { ...NO_PROXY_ENV, OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.baseURL };
  return { fake, env, create: (suffix: string | null = null) => createJob(fake, suffix) };
}

/** A job on the fake, made the way `train` makes one. */
async function createJob(fake: FakeOpenAI, suffix: string | null): Promise<FineTuneJob> {
  const client = openaiClient({ provider: 'openai', apiKey: 'sk-test', baseURL: fake.baseURL, organization: undefined, project: undefined, timeoutMs: 5000, maxRetries: 0 });
  const file = await client.files.create({ file: await toFile(Buffer.from('{}\n'), 'train.jsonl'), purpose: 'fine-tune' });
  const job = await createOpenAIJobs(client, 'openai').createJob({ model: 'gpt-4.1-mini', trainingFile: file.id, validationFile: null, suffix, epochs: null, batchSize: null, lrMultiplier: null, seed: null, runTag: `t-${Math.random()}` });
  fake.requests.length = 0;
  return job;
}

t.test('list: newest first, --limit, --json', async (t) => {
  const { env, create } = await setup(t);
  const a = await create();
  const b = await create('second');
  const r = await runCli(['jobs', 'list'], { env });
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.equal(lines.length, 2);
  t.match(lines[0], new RegExp(`^${b.id}\\s+validating_files\\s+gpt-4.1-mini\\s+-\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d$`));
  t.match(lines[1], new RegExp(`^${a.id}\\s`));
  const json = await runCli(['jobs', 'list', '--limit', '1', '--json'], { env });
  t.equal(json.code, 0, json.stderr);
  t.match(JSON.parse(json.stdout), [{ id: b.id, status: 'validating_files', suffix: 'second' }]);
  t.equal((JSON.parse(json.stdout) as unknown[]).length, 1);
});

t.test('show: the fields for a person, or JSON', async (t) => {
  const { env, create } = await setup(t);
  const job = await create('ada');
  const r = await runCli(['jobs', 'show', job.id], { env });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, new RegExp(`^id: +${job.id}\nstatus: +running\nmodel: +gpt-4.1-mini\ntraining file: +file-\\w+\nsuffix: +ada\ncreated: +\\d{4}-.* UTC\n$`));
  const json = await runCli(['jobs', 'show', job.id, '--json'], { env });
  t.match(JSON.parse(json.stdout), { id: job.id, status: 'succeeded', fineTunedModel: /^ft:/ });
});

t.test('follow: each event once, in order, on stderr; the fine-tuned model on stdout', async (t) => {
  const { fake, env, create } = await setup(t, { jobScript: ['running', 'running', 'succeeded'] });
  const job = await create();
  const r = await runCli(['jobs', 'follow', job.id, '--poll', '1'], { env });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, `${fake.jobs.get(job.id)!.fine_tuned_model}\n`);
  const messages = r.stderr.split('\n').filter((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d info: /.test(l)).map((l) => l.replace(/^.*? info: /, ''));
  t.same(messages, [`Created fine-tuning job: ${job.id}`, 'Job running', 'Job succeeded']);
  t.match(r.stderr, `fbstream: job ${job.id}: running\n`);
  t.match(r.stderr, `fbstream: job ${job.id}: succeeded\n`);
});

t.test('follow of a job that fails: exit 1 with its error', async (t) => {
  const { env, create } = await setup(t, { jobScript: ['running', 'failed'] });
  const job = await create();
  const r = await runCli(['jobs', 'follow', job.id, '--poll', '1'], { env });
  t.equal(r.code, 1);
  t.equal(r.stdout, '');
  t.match(r.stderr, `error: the job ${job.id} failed: The training file has too few examples. (invalid_training_file)`);
  t.notOk(looksLikeStackTrace(r.stderr));
});

t.test('cancel; cancelling it again is a 400: one request, a clear message, exit 3', async (t) => {
  const { fake, env, create } = await setup(t);
  const job = await create();
  const r = await runCli(['jobs', 'cancel', job.id], { env });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, `${job.id} cancelled\n`);
  t.equal(fake.jobs.get(job.id)!.status, 'cancelled');
  fake.requests.length = 0;
  const again = await runCli(['jobs', 'cancel', job.id], { env });
  t.equal(again.code, 3);
  t.match(again.stderr, `fbstream: error: OpenAI answered 400 to cancel the fine-tuning job ${job.id}: Job ${job.id} has already cancelled`);
  t.equal(fake.requests.length, 1, 'not retried');
  t.notOk(looksLikeStackTrace(again.stderr));
});

t.test('a wrong key (401): one request, a clear message, exit 3', async (t) => {
  const { fake, env, create } = await setup(t);
  const job = await create();
  const r = await runCli(['jobs', 'show', job.id, '--max-retries', '3'], { env: { ...env, OPENAI_API_KEY: 'sk-wrong' } });
  t.equal(r.code, 3);
  t.match(r.stderr, /OpenAI answered 401 to get the fine-tuning job .*Incorrect API key provided.*check the API key/);
  t.equal(fake.requests.length, 1, 'not retried');
});

t.test('no key: exit 2 naming the variable, before any request', async (t) => {
  const { fake, env } = await setup(t);
  const r = await runCli(['jobs', 'list'], { env: { ...env, OPENAI_API_KEY: undefined } });
  t.equal(r.code, 2);
  t.match(r.stderr, 'no API key for the openai provider: set OPENAI_API_KEY');
  const azure = await runCli(['jobs', 'list', '--provider', 'azure'], { env: { ...env, AZURE_OPENAI_ENDPOINT: fake.endpoint, AZURE_OPENAI_API_KEY: undefined } });
  t.equal(azure.code, 2);
  t.match(azure.stderr, 'set AZURE_OPENAI_API_KEY');
  t.equal(fake.requests.length, 0);
  const noId = await runCli(['jobs', 'show'], { env });
  t.equal(noId.code, 2);
  t.match(noId.stderr, 'fbstream jobs show needs the job id');
});

t.test('Azure: the endpoint and the api-key header', async (t) => {
  const { fake, create } = await setup(t);
  const job = await create();
  const azureEnv = { ...NO_PROXY_ENV, AZURE_OPENAI_ENDPOINT: fake.endpoint, AZURE_OPENAI_API_KEY: 'sk-test', OPENAI_API_KEY: undefined };
  const r = await runCli(['jobs', 'show', job.id, '--provider', 'azure', '--json'], { env: azureEnv });
  t.equal(r.code, 0, r.stderr);
  t.match(JSON.parse(r.stdout), { id: job.id });
  t.equal(fake.requests.length, 1);
  t.equal(fake.requests[0]!.headers['api-key'], 'sk-test');
  t.match(fake.requests[0]!.query.get('api-version'), /^\d{4}-\d\d-\d\d/);
});

t.test('Ctrl-C while following: exit 130, the job left running, the command to follow it again', async (t) => {
  const { fake, env, create } = await setup(t, { jobScript: ['running'] });
  const job = await create();
  const child = spawnCli(['jobs', 'follow', job.id, '--poll', '1'], { env });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = collect(child, 15_000, () => child.stdin!.end());
  await waitFor(() => stderr.includes(`job ${job.id}: running`), 10_000, 'the first status');
  child.kill('SIGINT');
  const r = await done;
  t.equal(r.code, 130);
  t.equal(r.stdout, '');
  t.match(stderr, `fbstream jobs follow ${job.id} --provider openai`);
  t.equal(fake.jobs.get(job.id)!.status, 'running');
  t.equal(fake.count('POST', /cancel$/), 0);
  t.notOk(looksLikeStackTrace(stderr));
});
