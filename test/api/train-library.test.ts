// The library API of lib/api/index.ts (through the package entry, lib/index.ts) against the fake
// OpenAI, Azure and Together servers with the real SDK and undici: a large dataset through the
// Uploads API in small parts, exactly one job per provider, a lost create answer, following, no
// key, OpenAI's refusal, and the chat.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { chat, followJob, startFineTune, uploadTrainingFile, type Env, type FineTuneJob } from '../../lib/index.js';
import { closeDispatcher } from '../../lib/api/http.js';
import { tempDir } from '../support/cli.js';
import { startFakeOpenAI } from '../support/fake-api/openai.js';
import { startFakeTogether } from '../support/fake-api/together.js';
import { writeDataset, writeLargeDataset } from '../support/train-datasets.js';

t.teardown(closeDispatcher);

const KiB = 1024;

t.test('openai and azure: a large file through the Uploads API in small parts, one job, followed to its model', async (t) => {
  const dir = tempDir(t);
  const big = writeLargeDataset(dir, 'big.jsonl', 1_200_000);
  const bytes = readFileSync(big);
  for (const provider of ['openai', 'azure'] as const) {
    const fake = await startFakeOpenAI();
    t.teardown(fake.close);
    const env: Env = provider === 'openai' ? { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.baseURL } : { AZURE_OPENAI_ENDPOINT: fake.endpoint, AZURE_OPENAI_API_KEY: 'k' };
    const progress: number[] = [];
    const statuses: string[] = [];
    const result = await startFineTune({
      file: big, model: 'gpt-4.1-mini', provider, env, uploads: true, partSizeBytes: 256 * KiB, concurrency: 3, wait: true, pollMs: 10,
      onProgress: (_f, sent) => progress.push(sent), onStatus: (j) => statuses.push(j.status),
    });
    t.equal(fake.uploads.size, 1, `${provider}: one upload`);
    const [upload] = [...fake.uploads.values()];
    t.equal(upload!.parts.size, Math.ceil(bytes.length / (256 * KiB)), `${provider}: in 256 KiB parts`);
    t.same(await fake.fileBytes(result.trainingFile.id), bytes, `${provider}: the file arrived whole`);
    t.equal(result.trainingFile.via, 'uploads');
    t.equal(fake.jobs.size, 1, `${provider}: exactly one job`);
    t.equal(fake.count('POST', '/fine_tuning/jobs'), 1);
    t.match(result, { job: { status: 'succeeded' }, fineTunedModel: /^ft:gpt-4\.1-mini:/ });
    t.equal(progress.at(-1), bytes.length, 'progress up to the whole file');
    t.same(statuses, ['running', 'succeeded']);
  }
});

t.test('together: one job', async (t) => {
  const fake = await startFakeTogether({ jobScript: ['running', 'completed'] });
  t.teardown(fake.close);
  const file = writeDataset(tempDir(t), 'train.jsonl', 20);
  const result = await startFineTune({
    file, model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference', provider: 'together', suffix: 'ada', wait: true, pollMs: 10,
    env: { TOGETHER_API_KEY: 'k', TOGETHER_BASE_URL: fake.baseURL },
  });
  t.equal(fake.jobs.size, 1);
  t.equal(result.job.status, 'succeeded');
  t.ok(result.fineTunedModel);
  t.same(await fake.fileBytes(result.trainingFile.id), readFileSync(file));
});

t.test('a create whose answer is lost still makes one job', async (t) => {
  const fake = await startFakeOpenAI();
  t.teardown(fake.close);
  fake.fault({ method: 'POST', path: '/fine_tuning/jobs', fault: { lose: true } });
  const file = writeDataset(tempDir(t), 'train.jsonl', 20);
  const result = await startFineTune({ file, model: 'gpt-4.1-mini', env: { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.baseURL } });
  t.equal(fake.jobs.size, 1);
  t.equal(result.job.id, [...fake.jobs.keys()][0]);
  t.equal(fake.jobs.get(result.job.id)!.metadata?.['fbstream_run'], result.runTag, 'tagged with the run');
  t.equal(fake.count('POST', '/fine_tuning/jobs'), 1, 'sent once, found again by its tag');
});

t.test('uploadTrainingFile then followJob', async (t) => {
  const fake = await startFakeOpenAI({ jobScript: ['validating_files', 'running', 'failed'] });
  t.teardown(fake.close);
  const env = { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.baseURL };
  const file = writeDataset(tempDir(t), 'train.jsonl', 20);
  const uploaded = await uploadTrainingFile(file, { env });
  t.match(uploaded, { id: /^file-/, via: 'files', bytes: readFileSync(file).length });
  const started = await startFineTune({ file, model: 'gpt-4.1-mini', env });
  const events: string[] = [];
  const ended: FineTuneJob = await followJob(started.job.id, { env, pollMs: 10, onEvent: (e) => events.push(e.message) });
  t.match(ended, { status: 'failed', error: /too few examples/ }, 'a failed job is the result, not an error');
  t.ok(events.length >= 2);
});

t.test('no key: a MissingKeyError before any request; OpenAI refusing fine-tuning: FBS_FINE_TUNING_UNAVAILABLE', async (t) => {
  const fake = await startFakeOpenAI({ refuseFineTuning: true });
  t.teardown(fake.close);
  const file = writeDataset(tempDir(t), 'train.jsonl', 20);
  await t.rejects(startFineTune({ file, model: 'gpt-4.1-mini', env: { OPENAI_BASE_URL: fake.baseURL } }), { name: 'MissingKeyError', code: 'FBS_NO_API_KEY', message: /OPENAI_API_KEY/ });
  await t.rejects(uploadTrainingFile(file, { provider: 'together', env: {} }), { code: 'FBS_NO_API_KEY', message: /TOGETHER_API_KEY/ });
  t.same(fake.requests, []);
  await t.rejects(startFineTune({ file, model: 'gpt-4.1-mini', env: { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.baseURL } }), { name: 'ApiError', code: 'FBS_FINE_TUNING_UNAVAILABLE', message: /2027-01-06/ });
  await t.rejects(startFineTune({ file, model: 'gpt-4.1-mini', partSizeBytes: 0, env: { OPENAI_API_KEY: 'k' } }), { code: 'FBS_INVALID_OPTION', message: /partSizeBytes/ });
});

t.test('chat through the same provider choice', async (t) => {
  const fake = await startFakeOpenAI();
  t.teardown(fake.close);
  const pieces: string[] = [];
  const reply = await chat({ model: 'ft:gpt-4.1-mini:org::x', messages: [{ role: 'user', content: 'hi' }], env: { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.baseURL }, onText: (p) => void pieces.push(p) });
  t.equal(reply, 'echo (1 messages): hi');
  t.equal(pieces.join(''), reply);
});
