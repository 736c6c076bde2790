// startFineTune against a fake Trainer: the order of the steps, the dataset refused before any
// request, notices, one job per run, and following to the end.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JobFailedError } from '../../lib/errors.js';
import { normalizeTrainOptions, type TrainOptions } from '../../lib/options.js';
import { jobEndedError, newRunTag, startFineTune, type FineTuneRequest } from '../../lib/api/train.js';
import type { FineTuneJob, JobRequest, JobStatus, Trainer, UploadRequest } from '../../lib/api/trainer.js';
import { tempDir } from '../support/cli.js';
import { writeDataset } from '../support/train-datasets.js';

interface FakeTrainer extends Trainer {
  calls: string[];
  uploads: UploadRequest[];
  creates: JobRequest[];
}

function job(id: string, status: JobStatus, extra: Partial<FineTuneJob> = {}): FineTuneJob {
  return { id, status, providerStatus: status, model: 'gpt-4.1-mini', trainingFile: 'file-1', validationFile: null, suffix: null, fineTunedModel: null, error: null, createdAt: 1, ...extra };
}

/** Records every call; getJob walks through `script`. */
function fakeTrainer(options: { script?: FineTuneJob[]; shutdown?: string | null; provider?: Trainer['provider'] } = {}): FakeTrainer {
  const calls: string[] = [];
  const uploads: UploadRequest[] = [];
  const creates: JobRequest[] = [];
  const script = [...(options.script ?? [])];
  let files = 0;
  return {
    provider: options.provider ?? 'openai',
    calls,
    uploads,
    creates,
    async upload(r) {
      calls.push(`upload ${r.path}`);
      uploads.push(r);
      r.onProgress?.(10, 10);
      return { id: `file-${++files}`, bytes: 10, filename: r.path, via: 'files', resumedParts: 0 };
    },
    async createJob(r) {
      calls.push('createJob');
      creates.push(r);
      return job('ftjob-1', 'validating_files', { trainingFile: r.trainingFile, validationFile: r.validationFile });
    },
    async getJob(id) {
      calls.push(`getJob ${id}`);
      return script.shift() ?? job(id, 'running');
    },
    async listJobs() {
      calls.push('listJobs');
      return [];
    },
    async listEvents() {
      calls.push('listEvents');
      return [{ id: `ev-${calls.length}`, createdAt: 1, level: 'info', message: 'step' }];
    },
    async cancelJob(id) {
      calls.push(`cancelJob ${id}`);
      return job(id, 'cancelled');
    },
    async shutdownDate(model) {
      calls.push(`shutdownDate ${model}`);
      return options.shutdown ?? null;
    },
  };
}

function request(file: string, trainer: Trainer, train: Partial<TrainOptions> = {}, extra: Partial<FineTuneRequest> = {}): FineTuneRequest {
  const options = { ...normalizeTrainOptions({ model: 'gpt-4.1-mini', ...train }), pollMs: 1 };
  return { file, options, trainer, ...extra };
}

t.test('checks, uploads and creates one job tagged with a new run tag', async (t) => {
  const dir = tempDir(t);
  const file = writeDataset(dir, 'train.jsonl', 12);
  const validation = writeDataset(dir, 'valid.jsonl', 3);
  const trainer = fakeTrainer({ shutdown: '2027-01-14' });
  const notices: string[] = [];
  const progress: string[] = [];
  const created: string[] = [];
  const result = await startFineTune(request(file, trainer, { validation, suffix: 'ada', epochs: 2, uploads: true, partSize: 5, concurrency: 2 }, {
    onNotice: (l) => notices.push(l),
    onProgress: (f, sent, total) => progress.push(`${f} ${sent}/${total}`),
    onJob: (j) => created.push(j.id),
  }));
  t.same(trainer.calls, ['shutdownDate gpt-4.1-mini', `upload ${file}`, `upload ${validation}`, 'createJob'], 'no follow without wait');
  t.match(trainer.uploads[0], { uploads: true, partSizeBytes: 5 * 1024 * 1024, concurrency: 2 });
  t.match(trainer.creates[0], { model: 'gpt-4.1-mini', trainingFile: 'file-1', validationFile: 'file-2', suffix: 'ada', epochs: 2, batchSize: null, runTag: /^fbstream-[0-9a-z]+-[0-9a-f]{8}$/ });
  t.equal(result.runTag, trainer.creates[0]!.runTag);
  t.match(result, { trainingFile: { id: 'file-1' }, validationFile: { id: 'file-2' }, job: { id: 'ftjob-1', status: 'validating_files' }, fineTunedModel: null });
  t.same(created, ['ftjob-1']);
  t.same(progress, [`${file} 10/10`, `${validation} 10/10`]);
  t.ok(notices.some((l) => /gpt-4\.1-mini shuts down on 2027-01-14/.test(l)), 'the shutdown date is a warning');
  t.ok(notices.some((l) => /no new fine-tuning jobs after 2027-01-06/.test(l)), 'the end of OpenAI jobs is a note');
  t.notOk(notices.some((l) => /too_few_examples/.test(l)), 'a small validation file is fine');
});

t.test('every run gets its own tag', async (t) => {
  const tags = new Set(Array.from({ length: 50 }, () => newRunTag(0)));
  t.equal(tags.size, 50);
});

t.test('a file with format errors is refused before any request', async (t) => {
  const dir = tempDir(t);
  const good = writeDataset(dir, 'good.jsonl', 12);
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, `${readLine(good, 0)}\n{not json\n{"messages":[{"role":"user","content":"hi"}]}\n`);
  for (const [what, file, validation] of [['training', bad, undefined], ['validation', good, bad]] as const) {
    const trainer = fakeTrainer();
    const err = await startFineTune(request(file, trainer, validation ? { validation } : {})).catch((e: unknown) => e);
    t.ok(err instanceof JobFailedError, `${what}: a JobFailedError (exit 1)`);
    t.equal((err as JobFailedError).code, 'FBS_INVALID_DATASET');
    t.match((err as Error).message, new RegExp(`bad\\.jsonl cannot be used as the ${what} file: 2 lines have format errors`));
    t.match((err as Error).message, /invalid_json: not valid JSON, line 2; example_missing_assistant_message: no assistant message, line 3/);
    t.match((err as Error).message, /fbstream validate \S+bad\.jsonl/);
    t.same(trainer.calls, [], `${what}: nothing asked of the trainer`);
  }
});

t.test('fewer than 10 training examples: refused for OpenAI and Azure, a warning for Together', async (t) => {
  const dir = tempDir(t);
  const small = writeDataset(dir, 'small.jsonl', 7);
  for (const provider of ['openai', 'azure'] as const) {
    const trainer = fakeTrainer({ provider });
    await t.rejects(startFineTune(request(small, trainer, { provider })), { code: 'FBS_INVALID_DATASET', message: /small\.jsonl has 7 examples: .*needs at least 10/ });
    t.same(trainer.calls, [], provider);
  }
  const trainer = fakeTrainer({ provider: 'together' });
  const notices: string[] = [];
  await startFineTune(request(small, trainer, { provider: 'together', model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference' }, { onNotice: (l) => notices.push(l) }));
  t.equal(trainer.creates.length, 1);
  t.ok(notices.some((l) => /too_few_examples/.test(l)));
  t.notOk(notices.some((l) => /OpenAI takes no new/.test(l)), 'the OpenAI note only for openai');
});

t.test('a model outside the token table is checked for format only; --max-tokens checks lengths too', async (t) => {
  const dir = tempDir(t);
  const file = writeDataset(dir, 'train.jsonl', 12, ' long'.repeat(40));
  const model = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference';
  const plain = fakeTrainer({ provider: 'together' });
  await startFineTune(request(file, plain, { provider: 'together', model }));
  t.equal(plain.creates.length, 1);
  const notices: string[] = [];
  const limited = fakeTrainer({ provider: 'together' });
  await startFineTune(request(file, limited, { provider: 'together', model }, { maxTokens: 64, onNotice: (l) => notices.push(l) }));
  t.ok(notices.some((l) => /over_token_limit/.test(l)), 'over the given limit: a warning');
});

t.test('wait: followed to success, the fine-tuned model returned', async (t) => {
  const dir = tempDir(t);
  const file = writeDataset(dir, 'train.jsonl', 12);
  const trainer = fakeTrainer({ script: [job('ftjob-1', 'running'), job('ftjob-1', 'succeeded', { fineTunedModel: 'ft:gpt-4.1-mini:org::abc' })] });
  const statuses: string[] = [];
  let events = 0;
  const result = await startFineTune(request(file, trainer, { wait: true }, { onStatus: (j) => statuses.push(j.status), onEvent: () => events++ }));
  t.equal(result.fineTunedModel, 'ft:gpt-4.1-mini:org::abc');
  t.equal(result.job.status, 'succeeded');
  t.same(statuses, ['running', 'succeeded']);
  t.equal(events, 2);
  t.equal(trainer.creates.length, 1);
});

t.test('wait: a job that fails or is cancelled is a JobFailedError with its error', async (t) => {
  const dir = tempDir(t);
  const file = writeDataset(dir, 'train.jsonl', 12);
  const failed = fakeTrainer({ script: [job('ftjob-1', 'failed', { error: 'The training file has too few examples.' })] });
  await t.rejects(startFineTune(request(file, failed, { wait: true })), { name: 'JobFailedError', code: 'FBS_JOB_FAILED', message: /ftjob-1 .*ended failed: The training file has too few examples\./ });
  const cancelled = fakeTrainer({ script: [job('ftjob-1', 'cancelled')] });
  await t.rejects(startFineTune(request(file, cancelled, { wait: true })), { code: 'FBS_JOB_FAILED', message: /ended cancelled/ });
  t.match(jobEndedError(job('x', 'failed')).message, /no reason given/);
});

t.test('an abort while following leaves the job alone', async (t) => {
  const dir = tempDir(t);
  const file = writeDataset(dir, 'train.jsonl', 12);
  const trainer = fakeTrainer();
  const abort = new AbortController();
  const running = startFineTune(request(file, trainer, { wait: true }, { signal: abort.signal, onStatus: () => abort.abort(new Error('stop')) }));
  await t.rejects(running, { name: 'AbortError' });
  t.equal(trainer.creates.length, 1);
  t.notOk(trainer.calls.some((c) => c.startsWith('cancelJob')), 'the job is not cancelled');
});

function readLine(path: string, n: number): string {
  return readFileSync(path, 'utf8').split('\n')[n]!;
}

t.test('together: examples whose turns do not alternate are a warning', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'group.jsonl');
  const lines = [];
  for (let i = 0; i < 12; i++) lines.push(readLine(writeDataset(dir, 'one.jsonl', 1), 0));
  lines.push(JSON.stringify({ messages: [{ role: 'user', content: 'a', name: 'Mary' }, { role: 'user', content: 'b', name: 'Zoe' }, { role: 'assistant', content: 'c' }] }));
  lines.push(JSON.stringify({ messages: [{ role: 'assistant', content: 'x', weight: 0 }, { role: 'user', content: 'y' }, { role: 'assistant', content: 'z' }] }));
  writeFileSync(file, lines.join('\n') + '\n');
  const notices: string[] = [];
  const trainer = fakeTrainer({ provider: 'together' });
  await startFineTune(request(file, trainer, { provider: 'together', model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference' }, { onNotice: (l) => notices.push(l) }));
  t.ok(notices.some((l) => /group\.jsonl: warning: turns_not_alternating: 2 examples .*lines 13, 14; converting with --no-groups --merge-gap 0/.test(l)), notices.join('\n'));
  t.equal(trainer.creates.length, 1, 'a warning, not a refusal');
  const openai: string[] = [];
  await startFineTune(request(file, fakeTrainer(), {}, { onNotice: (l) => openai.push(l) }));
  t.notOk(openai.some((l) => /turns_not_alternating/.test(l)), 'OpenAI takes them');
});

t.test('alternates', async (t) => {
  const { alternates } = await import('../../lib/api/turn-order.js');
  const m = (...roles: string[]) => roles.map((role) => ({ role }));
  t.ok(alternates(m('system', 'user', 'assistant', 'user', 'assistant')));
  t.ok(alternates(m('user', 'assistant')));
  t.notOk(alternates(m('system', 'assistant', 'user')));
  t.notOk(alternates(m('user', 'user', 'assistant')));
  t.notOk(alternates(m('user', 'assistant', 'assistant')));
});
