// The one go, `fbstream EXPORT --train --model M [--wait]`, against the fake servers: converted
// through a temporary file that is gone afterwards (also on failure and Ctrl-C), the split's share
// as the validation file, -o kept, flags and key checked before anything is converted.
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { collect, looksLikeStackTrace, ROOT, runCli, spawnCli, tempDir, waitFor } from '../support/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-api/openai.js';
import { startFakeTogether } from '../support/fake-api/together.js';
import { writeTrainableExport } from '../support/train-datasets.js';

const EXAMPLE = join(ROOT, 'examples', 'export');
const SUCCEEDS = ['validating_files', 'running', 'succeeded'];

/** A fresh TMPDIR for the child: what the run leaves there is checked. */
function envFor(t: { teardown(fn: () => void): void }, fake: FakeOpenAI, extra: Record<string, string | undefined> = {}) {
  const tmp = tempDir(t, 'fbstream-tmp-');
  return { tmp, env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.baseURL, TMPDIR: tmp, ...extra } };
}

t.test('examples/export has 7 examples: a clear refusal, exit 1, nothing sent, nothing left', async (t) => {
  const fake = await startFakeOpenAI();
  t.teardown(fake.close);
  const { tmp, env } = envFor(t, fake);
  const r = await runCli([EXAMPLE, '--me', 'Ada Lovelace', '--train', '--model', 'gpt-4.1-mini', '--wait'], { env });
  t.equal(r.code, 1, r.stderr);
  t.equal(r.stdout, '');
  t.match(r.stderr, /7 examples from 3 threads/);
  t.match(r.stderr, /error: the converted training data has 7 examples: OpenAI needs at least 10 to fine-tune/);
  t.same(fake.requests, [], 'nothing was sent');
  t.same(readdirSync(tmp), [], 'the temporary file is gone');
  t.notOk(looksLikeStackTrace(r.stderr));
});

t.test('a larger export: converted, uploaded, one job followed to its model; the temporary file gone', async (t) => {
  const fake = await startFakeOpenAI({ jobScript: SUCCEEDS });
  t.teardown(fake.close);
  const dir = tempDir(t);
  const exported = writeTrainableExport(ROOT, join(dir, 'export'));
  const { tmp, env } = envFor(t, fake);
  const r = await runCli([exported, '--me', 'Ada Lovelace', '--train', '--model', 'gpt-4.1-mini', '--wait', '--poll', '1'], { env });
  t.equal(r.code, 0, r.stderr);
  t.equal(fake.jobs.size, 1);
  const [job] = [...fake.jobs.values()];
  t.equal(r.stdout, `${job!.fine_tuned_model}\n`);
  t.match(job!.fine_tuned_model, /^ft:gpt-4\.1-mini:/);
  const plain = await runCli([exported, '--me', 'Ada Lovelace', '--model', 'gpt-4.1-mini'], { env: { TMPDIR: tmp } });
  t.equal((await fake.fileBytes(job!.training_file)).toString(), plain.stdout, 'the upload is the conversion');
  t.ok(plain.stdout.split('\n').length > 11);
  t.equal(job!.validation_file, null);
  t.same(readdirSync(tmp), [], 'the temporary file is gone');
});

t.test('--split: the validation share is uploaded as the validation file; -o keeps the training file', async (t) => {
  const fake = await startFakeOpenAI();
  t.teardown(fake.close);
  const dir = tempDir(t);
  const exported = writeTrainableExport(ROOT, join(dir, 'export'), 6);
  const out = join(dir, 'train.jsonl');
  const { tmp, env } = envFor(t, fake);
  const r = await runCli([exported, '--me', 'Ada Lovelace', '--train', '--model', 'gpt-4.1-mini', '--split', '0.7', '-o', out, '--epochs', '2'], { env });
  t.equal(r.code, 0, r.stderr);
  const [job] = [...fake.jobs.values()];
  t.equal(r.stdout, `${job!.id}\n`);
  t.ok(job!.validation_file, 'a validation file');
  t.equal((await fake.fileBytes(job!.training_file)).toString(), readFileSync(out, 'utf8'), '-o FILE kept, and trained from');
  t.ok((await fake.fileBytes(job!.validation_file!)).length > 0);
  t.match(job!.method, { supervised: { hyperparameters: { n_epochs: 2 } } });
  t.same(readdirSync(tmp), [], 'the validation share was a temporary file, gone');
});

t.test('a failed job or Ctrl-C while following: the temporary file is gone too', async (t) => {
  const dir = tempDir(t);
  const exported = writeTrainableExport(ROOT, join(dir, 'export'));
  const failing = await startFakeOpenAI({ jobScript: ['validating_files', 'failed'] });
  t.teardown(failing.close);
  const a = envFor(t, failing);
  const r = await runCli([exported, '--train', '--model', 'gpt-4.1-mini', '--wait'], { env: a.env });
  t.equal(r.code, 1, r.stderr);
  t.match(r.stderr, /ended failed: The training file has too few examples/);
  t.same(readdirSync(a.tmp), []);

  const running = await startFakeOpenAI({ jobScript: Array(100).fill('running') });
  t.teardown(running.close);
  const b = envFor(t, running);
  const child = spawnCli([exported, '--train', '--model', 'gpt-4.1-mini', '--wait', '--poll', '1'], { env: b.env });
  child.stdin!.end();
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = collect(child, 15_000);
  await waitFor(() => /status: running/.test(stderr), 10_000, 'the job followed');
  t.not(readdirSync(b.tmp).length, 0, 'the temporary file is there while the job is followed');
  child.kill('SIGINT');
  const c = await done;
  t.equal(c.code, 130, stderr);
  t.match(stderr, /Follow it again: fbstream jobs follow ftjob-\S+ --provider openai/);
  t.same(readdirSync(b.tmp), [], 'gone after Ctrl-C');
});

t.test('checked before anything is converted: the key, the flags, the token limit', async (t) => {
  const fake = await startFakeOpenAI();
  t.teardown(fake.close);
  const dir = tempDir(t);
  const out = join(dir, 'train.jsonl');
  const noKey = await runCli([EXAMPLE, '--train', '--model', 'gpt-4.1-mini', '-o', out], { env: { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: fake.baseURL } });
  t.equal(noKey.code, 2);
  t.match(noKey.stderr, /set OPENAI_API_KEY/);
  t.notMatch(noKey.stderr, /examples from/, 'nothing converted');
  t.notOk(existsSync(out));

  const waitAlone = await runCli([EXAMPLE, '--wait', '--provider', 'azure'], { env: { OPENAI_API_KEY: 'k' } });
  t.equal(waitAlone.code, 2);
  t.match(waitAlone.stderr, /--wait, --provider go with --train/);

  const unknown = await runCli([EXAMPLE, '--train', '--model', 'my-llama', '--provider', 'together'], { env: { TOGETHER_API_KEY: 'k' } });
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /--max-tokens: is needed with --train --model my-llama/);

  const openaiModel = await runCli([EXAMPLE, '--train', '--provider', 'together'], { env: { TOGETHER_API_KEY: 'k' } });
  t.equal(openaiModel.code, 2);
  t.match(openaiModel.stderr, /--train --provider together needs --model: a Together base model/);

  const stdout = await runCli([EXAMPLE, '--train', '-o', '-'], { env: { OPENAI_API_KEY: 'k' } });
  t.equal(stdout.code, 2);
  t.match(stdout.stderr, /--train trains from a file/);
  t.same(fake.requests, []);
});

t.test('together: a model outside the token table with --max-tokens, one job', async (t) => {
  const fake = await startFakeTogether();
  t.teardown(fake.close);
  const dir = tempDir(t);
  const exported = writeTrainableExport(ROOT, join(dir, 'export'));
  const tmp = tempDir(t, 'fbstream-tmp-');
  const env = { TOGETHER_API_KEY: 'tg', TOGETHER_BASE_URL: fake.baseURL, TMPDIR: tmp };
  const r = await runCli([exported, '--train', '--provider', 'together', '--model', 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference', '--max-tokens', '8192', '--suffix', 'ada'], { env });
  t.equal(r.code, 0, r.stderr);
  t.equal(fake.jobs.size, 1);
  t.equal(r.stdout, `${[...fake.jobs.keys()][0]}\n`);
  t.same(readdirSync(tmp), []);
});
