// `fbstream train` as a user runs it, against the fake OpenAI (and Azure) and Together servers on
// 127.0.0.1: one job per run on each provider, a bad file refused before any request, --wait, a
// failed job, no key, and Ctrl-C while following. Build first (npx tsc -p tsconfig.json).
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collect, looksLikeStackTrace, runCli, spawnCli, tempDir, waitFor } from '../support/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-api/openai.js';
import { startFakeTogether } from '../support/fake-api/together.js';
import { writeDataset, writeLargeDataset } from '../support/train-datasets.js';

const openaiEnv = (fake: FakeOpenAI) => ({ OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.baseURL, HTTPS_PROXY: undefined, HTTP_PROXY: undefined });

t.test('openai: one job, its id on stdout', async (t) => {
  const fake = await startFakeOpenAI({ shutdownDates: { 'gpt-4.1-mini': '2027-01-14' } });
  t.teardown(fake.close);
  const file = writeDataset(tempDir(t), 'train.jsonl', 20);
  const r = await runCli(['train', file, '--model', 'gpt-4.1-mini', '--suffix', 'ada'], { env: openaiEnv(fake) });
  t.equal(r.code, 0, r.stderr);
  t.equal(fake.jobs.size, 1);
  const [job] = [...fake.jobs.values()];
  t.equal(r.stdout, `${job!.id}\n`);
  t.equal(fake.count('POST', '/fine_tuning/jobs'), 1);
  t.match(job, { model: 'gpt-4.1-mini', suffix: 'ada', metadata: {} });
  t.equal((await fake.fileBytes(job!.training_file)).length, (await import('node:fs')).statSync(file).size, 'the file arrived whole');
  t.match(r.stderr, /gpt-4\.1-mini shuts down on 2027-01-14/);
  t.match(r.stderr, /no new fine-tuning jobs after 2027-01-06/);
  t.match(r.stderr, new RegExp(`fbstream jobs follow ${job!.id} --provider openai`));
  t.notOk(looksLikeStackTrace(r.stderr));
});

t.test('openai: an 11 MB dataset through the Uploads API in 5 MB parts, one job', async (t) => {
  const fake = await startFakeOpenAI();
  t.teardown(fake.close);
  const file = writeLargeDataset(tempDir(t), 'big.jsonl', 11 * 1024 * 1024);
  const r = await runCli(['train', file, '--model', 'gpt-4.1-mini', '--uploads', '--part-size', '5', '--concurrency', '2', '--json'], { env: openaiEnv(fake), timeoutMs: 60_000 });
  t.equal(r.code, 0, r.stderr);
  t.equal(fake.uploads.size, 1);
  t.equal([...fake.uploads.values()][0]!.parts.size, 3, '5 + 5 + 1 MB');
  t.equal(fake.count('POST', /^\/files$/), 0, 'not through the Files API');
  t.equal(fake.jobs.size, 1);
  const [job] = [...fake.jobs.values()];
  t.same(await fake.fileBytes(job!.training_file), readFileSync(file));
  t.match(JSON.parse(r.stdout), { id: job!.id, training_file: job!.training_file });
});

t.test('azure: one job; --json gives the job as an object', async (t) => {
  const fake = await startFakeOpenAI();
  t.teardown(fake.close);
  const dir = tempDir(t);
  const file = writeDataset(dir, 'train.jsonl', 20);
  const validation = writeDataset(dir, 'valid.jsonl', 4);
  // OPENAI_BASE_URL set for another use (a local server) must not get in Azure's way
  const env = { AZURE_OPENAI_ENDPOINT: fake.endpoint, AZURE_OPENAI_API_KEY: 'az-key', OPENAI_API_KEY: undefined, OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' };
  const r = await runCli(['train', file, '--validation', validation, '--model', 'gpt-4.1-mini', '--provider', 'azure', '--json'], { env });
  t.equal(r.code, 0, r.stderr);
  t.equal(fake.jobs.size, 1);
  const [job] = [...fake.jobs.values()];
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  t.match(out, { id: job!.id, status: 'validating_files', model: 'gpt-4.1-mini', training_file: job!.training_file, validation_file: job!.validation_file, provider: 'azure' });
  t.ok(job!.validation_file, 'the validation file uploaded and given');
  t.ok(fake.requests.every((q) => q.headers['api-key'] === 'az-key'), "Azure's api-key header");
  t.notMatch(r.stderr, /OpenAI takes no new/, 'the note is for openai only');
});

t.test('together: one job', async (t) => {
  const fake = await startFakeTogether();
  t.teardown(fake.close);
  const file = writeDataset(tempDir(t), 'train.jsonl', 20);
  const env = { TOGETHER_API_KEY: 'tg-key', TOGETHER_BASE_URL: fake.baseURL, OPENAI_API_KEY: undefined };
  const r = await runCli(['train', file, '--model', 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference', '--provider', 'together', '--suffix', 'ada'], { env });
  t.equal(r.code, 0, r.stderr);
  t.equal(fake.jobs.size, 1);
  const [job] = [...fake.jobs.values()];
  t.equal(r.stdout, `${job!.id}\n`);
  t.equal(fake.count('POST', /\/fine-tunes$/), 1);
  t.match(job, { model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference' });
});

t.test('a file with format errors: exit 1, no request made', async (t) => {
  const fake = await startFakeOpenAI();
  t.teardown(fake.close);
  const dir = tempDir(t);
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}]}\n{oops\n{"messages":[{"role":"user","content":"no reply"}]}\n');
  const r = await runCli(['train', bad, '--model', 'gpt-4.1-mini', '--wait'], { env: openaiEnv(fake) });
  t.equal(r.code, 1, r.stderr);
  t.equal(r.stdout, '');
  t.match(r.stderr, /bad\.jsonl cannot be used as the training file: 2 lines have format errors — invalid_json: not valid JSON, line 2; example_missing_assistant_message: no assistant message, line 3/);
  t.same(fake.requests, [], 'nothing was sent');
  t.notOk(looksLikeStackTrace(r.stderr));
});

t.test('too few examples for OpenAI: exit 1 before any request', async (t) => {
  const fake = await startFakeOpenAI();
  t.teardown(fake.close);
  const file = writeDataset(tempDir(t), 'small.jsonl', 7);
  const r = await runCli(['train', file, '--model', 'gpt-4.1-mini'], { env: openaiEnv(fake) });
  t.equal(r.code, 1, r.stderr);
  t.match(r.stderr, /small\.jsonl has 7 examples: OpenAI needs at least 10/);
  t.same(fake.requests, []);
});

t.test('--wait prints the fine-tuned model; --json adds it to the object', async (t) => {
  const fake = await startFakeOpenAI({ jobScript: ['validating_files', 'running', 'succeeded'] });
  t.teardown(fake.close);
  const file = writeDataset(tempDir(t), 'train.jsonl', 20);
  const r = await runCli(['train', file, '--model', 'gpt-4.1-mini', '--wait', '--poll', '1'], { env: openaiEnv(fake) });
  t.equal(r.code, 0, r.stderr);
  const [job] = [...fake.jobs.values()];
  t.match(job!.fine_tuned_model, /^ft:gpt-4\.1-mini:/);
  t.equal(r.stdout, `${job!.fine_tuned_model}\n`);
  t.match(r.stderr, /status: running/);
  t.match(r.stderr, /status: succeeded/);
  t.match(r.stderr, /info: Job succeeded/, 'events on stderr');

  const fake2 = await startFakeOpenAI({ jobScript: ['validating_files', 'succeeded'] });
  t.teardown(fake2.close);
  const j = await runCli(['train', file, '--model', 'gpt-4.1-mini', '--wait', '--json'], { env: openaiEnv(fake2) });
  t.equal(j.code, 0, j.stderr);
  t.match(JSON.parse(j.stdout), { status: 'succeeded', fine_tuned_model: /^ft:gpt-4\.1-mini:/ });
});

t.test('--wait on a job that fails: exit 1 with its error', async (t) => {
  const fake = await startFakeOpenAI({ jobScript: ['validating_files', 'failed'] });
  t.teardown(fake.close);
  const file = writeDataset(tempDir(t), 'train.jsonl', 20);
  const r = await runCli(['train', file, '--model', 'gpt-4.1-mini', '--wait'], { env: openaiEnv(fake) });
  t.equal(r.code, 1, r.stderr);
  t.equal(r.stdout, '');
  t.match(r.stderr, /ended failed: The training file has too few examples\./);
  t.notOk(looksLikeStackTrace(r.stderr));
});

t.test('no key: exit 2 naming the variable, nothing read or sent', async (t) => {
  const fake = await startFakeOpenAI();
  t.teardown(fake.close);
  const r = await runCli(['train', join(tempDir(t), 'missing.jsonl'), '--model', 'gpt-4.1-mini'], { env: { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: fake.baseURL } });
  t.equal(r.code, 2);
  t.match(r.stderr, /no API key for the openai provider: set OPENAI_API_KEY/);
  t.same(fake.requests, []);
  const noModel = await runCli(['train', 'x.jsonl'], { env: { OPENAI_API_KEY: 'k' } });
  t.equal(noModel.code, 2);
  t.match(noModel.stderr, /--model: is required/);
});

t.test('Ctrl-C while waiting: exit 130, the job left running, the command to follow it again', async (t) => {
  const fake = await startFakeOpenAI({ jobScript: Array(100).fill('running') });
  t.teardown(fake.close);
  const file = writeDataset(tempDir(t), 'train.jsonl', 20);
  const child = spawnCli(['train', file, '--model', 'gpt-4.1-mini', '--wait', '--poll', '1'], { env: openaiEnv(fake) });
  child.stdin!.end();
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = collect(child, 15_000);
  await waitFor(() => /status: running/.test(stderr), 10_000, 'the job followed');
  child.kill('SIGINT');
  const r = await done;
  t.equal(r.code, 130, stderr);
  const [job] = [...fake.jobs.values()];
  t.match(stderr, new RegExp(`the job ${job!.id} goes on\\. Follow it again: fbstream jobs follow ${job!.id} --provider openai`));
  t.equal(job!.status, 'running', 'not cancelled');
  t.equal(fake.count('POST', /cancel$/), 0);
});

t.test('Ctrl-C during the upload or the create: exit 130, what it means for the job', async (t) => {
  const file = writeDataset(tempDir(t), 'train.jsonl', 20);
  const cases = [
    { path: /^\/files$/, step: 'upload', says: /interrupted during the upload: no job was started/ },
    { path: '/fine_tuning/jobs', step: 'create', says: /interrupted while the job was being created: it may exist; look with fbstream jobs list --provider openai/ },
  ] as const;
  for (const c of cases) {
    const fake = await startFakeOpenAI();
    t.teardown(fake.close);
    fake.fault({ method: 'POST', path: c.path, fault: { delayMs: 10_000 } });
    const child = spawnCli(['train', file, '--model', 'gpt-4.1-mini'], { env: openaiEnv(fake) });
    child.stdin!.end();
    const done = collect(child, 15_000);
    await waitFor(() => fake.requests.some((q) => q.method === 'POST' && (typeof c.path === 'string' ? q.path === c.path : c.path.test(q.path))), 10_000, `the ${c.step} request`);
    child.kill('SIGINT');
    const r = await done;
    t.equal(r.code, 130, `${c.step}: ${r.stderr}`);
    t.match(r.stderr, c.says);
    t.equal(r.stdout, '');
  }
});
