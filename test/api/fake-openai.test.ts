// The fake OpenAI server answers the real SDK the way the API does (the other API tests stand on it).
import t from 'tap';
import { toFile } from 'openai';
import { openaiClient } from '../../lib/api/openai-client.js';
import { closeDispatcher } from '../../lib/api/http.js';
import { startFakeOpenAI } from '../support/fake-api/openai.js';

t.teardown(closeDispatcher);

t.test('files, uploads, jobs, events, models and chat through the real SDK', async (t) => {
  const fake = await startFakeOpenAI({ shutdownDates: { 'gpt-4.1': '2027-01-14' } });
  t.teardown(fake.close);
  const client = openaiClient({ provider: 'openai', apiKey: 'k', baseURL: fake.baseURL, organization: undefined, project: undefined, timeoutMs: 5000, maxRetries: 0 });
  const file = await client.files.create({ file: await toFile(Buffer.from('{"a":1}\n'), 'train.jsonl'), purpose: 'fine-tune' });
  t.equal(file.bytes, 8);
  t.same(await fake.fileBytes(file.id), Buffer.from('{"a":1}\n'));

  const upload = await client.uploads.create({ bytes: 10, filename: 'big.jsonl', mime_type: 'text/jsonl', purpose: 'fine-tune' });
  const p1 = await client.uploads.parts.create(upload.id, { data: await toFile(Buffer.from('hello '), 'part') });
  const p2 = await client.uploads.parts.create(upload.id, { data: await toFile(Buffer.from('wor'), 'part') });
  await t.rejects(client.uploads.complete(upload.id, { part_ids: [p1.id, p2.id] }), /9 bytes/);
  const p3 = await client.uploads.parts.create(upload.id, { data: await toFile(Buffer.from('l'), 'part') });
  const done = await client.uploads.complete(upload.id, { part_ids: [p1.id, p2.id, p3.id] });
  t.equal(done.status, 'completed');
  t.equal((await fake.fileBytes(done.file!.id)).toString(), 'hello worl');

  const job = await client.fineTuning.jobs.create({ model: 'gpt-4.1', training_file: file.id, metadata: { run: 'r1' } });
  t.equal(job.status, 'validating_files');
  t.equal((await client.fineTuning.jobs.retrieve(job.id)).status, 'running');
  const finished = await client.fineTuning.jobs.retrieve(job.id);
  t.match(finished, { status: 'succeeded', fine_tuned_model: /^ft:gpt-4.1:/ });
  t.equal((await client.fineTuning.jobs.list({ metadata: { run: 'r1' } })).data.length, 1);
  t.equal((await client.fineTuning.jobs.list({ metadata: { run: 'other' } })).data.length, 0);
  t.equal((await client.fineTuning.jobs.listEvents(job.id)).data.length, 3);
  t.match(await client.models.retrieve('gpt-4.1'), { shutdown_date: '2027-01-14' });

  const stream = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  t.equal(text, 'echo (1 messages): hi');
});

t.test('faults: a 429 with retry-after, a reset and a lost answer', async (t) => {
  const fake = await startFakeOpenAI();
  t.teardown(fake.close);
  const client = openaiClient({ provider: 'openai', apiKey: 'k', baseURL: fake.baseURL, organization: undefined, project: undefined, timeoutMs: 5000, maxRetries: 2 });
  fake.fault({ method: 'GET', path: /^\/models\//, fault: { status: 429, headers: { 'retry-after-ms': '10' } } });
  fake.fault({ method: 'GET', path: /^\/models\//, nth: 2, fault: { reset: true } });
  t.match(await client.models.retrieve('x'), { id: 'x' });
  t.same(fake.requests.map((r) => r.outcome), [429, 'reset', 200]);
  const file = await client.files.create({ file: await toFile(Buffer.from('{}\n'), 't.jsonl'), purpose: 'fine-tune' });
  fake.fault({ method: 'POST', path: '/fine_tuning/jobs', fault: { lose: true } });
  await t.rejects(client.fineTuning.jobs.create({ model: 'm', training_file: file.id }, { maxRetries: 0 }));
  t.equal(fake.jobs.size, 1, 'the create was done although its answer was lost');
});
