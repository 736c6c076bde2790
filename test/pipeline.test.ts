/** lib/pipeline.ts: the stages wired together, as streams (createPipeline) and as one core (createPipelineCore). */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import t from 'tap';
import { splitAt } from './support/chunks.js';
import fc from 'fast-check';
import { createPipeline, createPipelineCore, createPipelineCoreFor, pipelineCounts, textFrom, type PipelineOptions } from '../lib/pipeline.js';
import { normalizeStageOptions } from '../lib/options.js';
import { createTokenizer } from '../lib/core/tokenizer.js';
import { drain } from './support/stage.js';
import { metaJson } from './support/messages.js';
import { Report } from '../lib/report.js';

/** A newest-first thread with mojibake, runs of one sender, media and notices. */
function thread(n: number, path = 'inbox/zoe_1', t0 = 1_600_000_000_000): string {
  const messages = [];
  for (let i = n - 1; i >= 0; --i) {
    const sender = i % 3 === 0 ? 'Zoë Brontë' : 'Ada Lovelace';
    const m: Record<string, unknown> = { sender_name: sender, timestamp_ms: t0 + i * 1000 };
    if (i % 7 === 3) m['photos'] = [{ uri: `p${i}.jpg` }];
    else if (i % 11 === 5) m['content'] = `${sender} sent an attachment.`;
    else m['content'] = `#${i} café ☕ ${'x'.repeat(i % 13)}`;
    messages.push(m);
  }
  return metaJson({ participants: [{ name: 'Zoë Brontë' }, { name: 'Ada Lovelace' }], messages, title: 'Zoë', thread_path: path });
}

async function run(chunks: Buffer[], options: Partial<PipelineOptions> = {}): Promise<string> {
  const p = createPipeline({ me: 'Ada Lovelace', source: 'in.json', ...options });
  let out = '';
  const sink = new Writable({ write(chunk, _e, cb) { out += chunk.toString(); cb(); } });
  await pipeline([Readable.from(chunks, { objectMode: true }), ...p.streams, sink]);
  return out;
}


const input = Buffer.from(thread(40) + thread(25, 'inbox/bob_2'));

t.test('the pipeline gives JSONL, chronological, repaired', async (t) => {
  const out = await run([input]);
  const lines = out.trimEnd().split('\n').map((l) => JSON.parse(l));
  t.ok(lines.length > 3);
  const first = lines[0].messages;
  t.match(first[0], { role: 'user', content: /^#0 café ☕/ });
  const seqs = lines.flatMap((l) => l.messages.flatMap((m: { content: string }) => [...m.content.matchAll(/#(\d+)/g)].map((x) => Number(x[1]))));
  t.ok(seqs.length > 30);
});

t.test('byte at a time and random chunkings give byte-identical output', async (t) => {
  const whole = await run([input]);
  t.equal(await run([...input].map((b) => Buffer.from([b]))), whole, 'one byte at a time');
  await fc.assert(fc.asyncProperty(fc.array(fc.nat(input.length), { maxLength: 30 }), async (cuts) => {
    assert.equal(await run(splitAt(input, cuts)), whole);
  }), { numRuns: 60 });
  await fc.assert(fc.asyncProperty(fc.array(fc.nat(input.length), { maxLength: 30 }), async (cuts) => {
    assert.equal(await run(splitAt(input, cuts), { memoryBytes: 2048 }), whole, 'spilling to disk changes nothing');
  }), { numRuns: 20 });
  t.pass('random chunkings');
});

t.test('the langchain preset too', async (t) => {
  const whole = await run([input], { preset: 'langchain', window: 3, overlap: 1 });
  t.ok(whole.length > 0);
  t.equal(await run([...input].map((b) => Buffer.from([b])), { preset: 'langchain', window: 3, overlap: 1 }), whole);
});

t.test('temporary sort files are removed on end and on error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fbstream-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await run([input], { memoryBytes: 1024, tmpDir: dir });
  t.same(readdirSync(dir), [], 'none left after a good run');
  const truncated = input.subarray(0, input.length - 200);
  await t.rejects(run([truncated], { memoryBytes: 1024, tmpDir: dir }), { code: 'FBS_JSON_SYNTAX' });
  t.same(readdirSync(dir), [], 'none left after an error');
  t.ok(existsSync(dir));
});

t.test('checkMe: names nobody -> UnknownSenderError with the people found', async (t) => {
  const p = createPipeline({ me: 'Ada', source: 'in.json' });
  await pipeline([Readable.from([input]), ...p.streams, new Writable({ write: (_c, _e, cb) => cb() })]);
  t.throws(() => p.checkMe(), { code: 'FBS_UNKNOWN_SENDER', participants: ['Ada Lovelace', 'Zoë Brontë'], message: /Did you mean "Ada Lovelace"/ });
});

/** The same input through createPipelineCore: token chunks in, every output drained before the next push. */
function runCore(chunks: Buffer[], options: Partial<PipelineOptions> = {}): string {
  const p = createPipelineCore({ me: 'Ada Lovelace', ...options });
  const tokenizer = createTokenizer({ source: 'in.json' });
  const lines: string[] = [];
  try {
    for (const c of chunks) lines.push(...drain(p.stage.push(tokenizer.push(c))));
    lines.push(...drain(p.stage.push(tokenizer.flush())), ...drain(p.stage.flush()));
  } finally {
    p.stage.destroy!();
  }
  return lines.join('');
}

t.test('createPipelineCore: the same lines as the streams, spilled or not, either preset', async (t) => {
  for (const options of [{}, { memoryBytes: 1024 }, { preset: 'langchain' as const, window: 3, overlap: 1 }]) {
    const whole = await run([input], options);
    t.equal(runCore([input], options), whole, JSON.stringify(options));
    t.equal(runCore(splitAt(input, [17, 500, 501, 3000]), options), whole, `${JSON.stringify(options)}, in pieces`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'fbstream-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  runCore([input], { memoryBytes: 1024, tmpDir: dir });
  t.same(readdirSync(dir), [], 'destroy after a good run leaves no sort file');
  t.throws(() => runCore([input.subarray(0, input.length - 200)], { memoryBytes: 1024, tmpDir: dir }), { code: 'FBS_JSON_SYNTAX' });
  t.same(readdirSync(dir), [], 'nor after an error');
});

t.test('textFrom: the core as text read on demand, the same as the streams', async (t) => {
  const whole = await run([input], { memoryBytes: 1024 });
  const p = createPipelineCore({ me: 'Ada Lovelace', memoryBytes: 1024 });
  const tokenizer = createTokenizer({ source: 'in.json' });
  let pulled = 0;
  async function* chunks() {
    for (const c of splitAt(input, [100, 2000, 4000])) {
      ++pulled;
      yield tokenizer.push(c);
    }
    yield tokenizer.flush();
  }
  const text = textFrom(p.stage, chunks());
  t.equal(pulled, 0, 'nothing read before the text is');
  let out = '';
  try {
    for await (const s of text) out += s;
  } finally {
    p.stage.destroy!();
  }
  t.equal(out, whole);
  t.equal(pulled, 4);
});

/* Instagram's duplicated notices through the whole pipeline (lib/core/dedupe.ts, lib/core/filter.ts). */

const DUP = 'duplicate messages left out';

/** An Instagram thread, newest first, with a bilingual reaction notice and two texts in one millisecond. */
function instagramThread(): string {
  const T = 1_700_000_000_000;
  const newestFirst = [
    { sender_name: 'zoë.m', timestamp_ms: T + 5000, content: 'ok, tomorrow then' },
    { sender_name: 'ada.codes', timestamp_ms: T + 4000, content: 'A aimé un message' },
    { sender_name: 'ada.codes', timestamp_ms: T + 4000, content: 'Liked a message' },
    { sender_name: 'ada.codes', timestamp_ms: T + 3000, content: 'second line, same millisecond' },
    { sender_name: 'ada.codes', timestamp_ms: T + 3000, content: 'first line' },
    { sender_name: 'zoë.m', timestamp_ms: T + 1000, content: 'are you coming?' },
  ];
  return metaJson({ participants: [{ name: 'zoë.m' }, { name: 'ada.codes' }], messages: newestFirst, title: 'zoë.m', thread_path: 'inbox/zoem_1784' });
}

async function convert(options: Partial<Parameters<typeof createPipeline>[0]>): Promise<{ lines: { messages: { role: string; content: string }[] }[]; report: Report }> {
  const p = createPipeline({ me: 'ada.codes', source: 'message_1.json', window: 20, merge: false, ...options });
  let text = '';
  await pipeline([Readable.from([Buffer.from(instagramThread())]), ...p.streams, new Writable({ objectMode: true, write: (s: string, _e, cb) => ((text += s), cb()) })]);
  return { lines: text.trim().split('\n').map((l) => JSON.parse(l)), report: p.report };
}

t.test('Instagram notices, kept: the bilingual notice once, both texts of one millisecond', async (t) => {
  const { lines, report } = await convert({ kinds: ['text', 'reaction'] });
  t.equal(lines.length, 1);
  t.same(lines[0]!.messages.map((m) => m.content), ['are you coming?', 'first line', 'second line, same millisecond', 'Liked a message']);
  t.equal(report.count(DUP), 1);
});

t.test('Instagram notices, defaults: neither language of the notice becomes training text', async (t) => {
  const { lines, report } = await convert({});
  t.same(lines[0]!.messages.map((m) => m.content), ['are you coming?', 'first line', 'second line, same millisecond']);
  t.equal(report.count('left out: reaction messages'), 2);
  t.equal(report.count(DUP), 0);
});

t.test('createPipelineCoreFor: pipelines of one settings object (an export\'s threads) each count their own thread', async (t) => {
  for (const options of [{ me: 'Ada Lovelace', statsTokens: true }, { me: 'Ada Lovelace', preset: 'langchain' as const, window: 3, overlap: 1 }]) {
    const settings = normalizeStageOptions(options);
    const once = (text: string, shared: boolean) => {
      const report = new Report();
      const p = shared ? createPipelineCoreFor(settings, { report }) : createPipelineCore({ ...options, report });
      const tokenizer = createTokenizer({ source: 'in.json' });
      try {
        const lines = [...drain(p.stage.push(tokenizer.push(Buffer.from(text)))), ...drain(p.stage.push(tokenizer.flush())), ...drain(p.stage.flush())];
        return { text: lines.join(''), counts: pipelineCounts(p.stats), people: [...p.stats.people], threads: p.stats.threads, report: [...report.counts] };
      } finally {
        p.stage.destroy!();
      }
    };
    const threads = [thread(40), thread(7, 'inbox/bob_2', 1_700_000_000_000), thread(40)];
    const shared = threads.map((text) => once(text, true));
    t.same(shared, threads.map((text) => once(text, false)), `${options.preset ?? 'default'}: as with settings of its own`);
    t.same(shared[0], shared[2], 'the same thread again: the same counts, none carried over');
    t.not(shared[0]!.counts['turns'], shared[1]!.counts['turns']);
  }
});
