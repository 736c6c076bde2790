/**
 * Issue 16's options through the CLI: formats, stats, split, examples written once, privacy, the
 * langchain preset's warning, token limits by model.
 */
import t from 'tap';
import { cpSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, ROOT, runCli, tempDir } from '../support/cli.js';

const EXAMPLE = join(ROOT, 'examples', 'export');
const lines = (s: string) => s.split('\n').filter(Boolean).map((l) => JSON.parse(l));

t.test('--format: each shape, from the same examples', async (t) => {
  const openai = lines((await runCli([EXAMPLE, '-q'])).stdout);
  t.ok(openai.every((e) => Array.isArray(e.messages)));
  t.ok(openai.some((e) => e.messages.some((m: { weight?: number }) => m.weight === 0)), 'context replies weigh 0');
  const hf = lines((await runCli([EXAMPLE, '-q', '--format', 'hf'])).stdout);
  t.ok(hf.every((e) => e.messages.every((m: object) => Object.keys(m).join() === 'role,content')));
  const sharegpt = lines((await runCli([EXAMPLE, '-q', '--format', 'sharegpt'])).stdout);
  t.ok(sharegpt.every((e) => e.conversations.every((m: { from: string }) => ['system', 'human', 'gpt'].includes(m.from))));
  const gemini = lines((await runCli([EXAMPLE, '-q', '--format', 'gemini'])).stdout);
  t.ok(gemini.every((e) => e.contents.at(-1).role === 'model'));
  const text = lines((await runCli([EXAMPLE, '-q', '--format', 'text'])).stdout);
  t.ok(text.every((e) => /^\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\) [^:]+: /.test(e.text)));
  const bad = await runCli([EXAMPLE, '--format', 'csv']);
  t.equal(bad.code, 2);
});

t.test('--stats and --stats-json', async (t) => {
  const dir = tempDir(t);
  const json = join(dir, 'stats.json');
  const r = await runCli([EXAMPLE, '--stats', '--stats-json', json]);
  t.equal(r.code, 0);
  t.match(r.stderr, /stats: messages: \d+ \(text \d+/);
  t.match(r.stderr, /stats: replies trained: \d+/);
  const s = JSON.parse(readFileSync(json, 'utf8'));
  t.match(s, { threads: 3, examples: lines(r.stdout).length, conversations: Number, turns: Number, trainedReplies: Number, tokens: Number });
  t.ok(s.tokens > 0 && s.messages.total > 0);
});

t.test('--split: whole threads to one file or the other, the same every time', async (t) => {
  const dir = tempDir(t);
  const run = async (seed: string) => {
    const train = join(dir, `train-${seed}.jsonl`);
    const valid = join(dir, `valid-${seed}.jsonl`);
    const r = await runCli([EXAMPLE, '-q', '--split', '0.5', '--seed', seed, '-o', train, '--validation-out', valid]);
    t.equal(r.code, 0, r.stderr);
    return [readFileSync(train, 'utf8'), readFileSync(valid, 'utf8')] as const;
  };
  const all = (await runCli([EXAMPLE, '-q'])).stdout;
  const [a, b] = await run('1');
  t.same([a, b], await run('1'), 'deterministic');
  t.equal(lines(a).length + lines(b).length, lines(all).length, 'every example once');
  const threadsOf = (s: string) => new Set(lines(s).map((e) => e.messages.map((m: { content: string }) => m.content)[0]));
  for (const x of threadsOf(a)) t.notOk(threadsOf(b).has(x));
  const half = await runCli([EXAMPLE, '--split', '0.5']);
  t.equal(half.code, 2, '--split needs --validation-out');
});

t.test('an example identical to an earlier one is written once; langchain keeps copies', async (t) => {
  const dir = tempDir(t);
  const a = join(dir, 'a', 'message_1.json');
  const b = join(dir, 'b', 'message_1.json');
  cpSync(fixture('other-thread.json'), a);
  cpSync(fixture('other-thread.json'), b);
  const once = await runCli(['--me', 'Ada Lovelace', a, b, '--stats']);
  t.equal(once.code, 0);
  t.equal(lines(once.stdout).length, lines((await runCli(['--me', 'Ada Lovelace', a, '-q'])).stdout).length);
  t.match(once.stderr, /copies of earlier examples dropped: 1/);
  t.match(once.stderr, new RegExp(`${lines(once.stdout).length} examples? from 2 threads`), 'the summary counts what was written');
});

t.test('--redact and --pseudonymize', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'message_1.json');
  const messages = [
    { sender_name: 'Ada Lovelace', timestamp_ms: 3000, content: 'Write to charles@example.com or call +44 20 7946 0958, Charles.' },
    { sender_name: 'Charles Babbage', timestamp_ms: 2000, content: 'Ada, where do I send the notes? Version 1.2.3 is out.' },
  ];
  writeFileSync(path, JSON.stringify({ participants: [{ name: 'Ada Lovelace' }, { name: 'Charles Babbage' }], messages }));
  const r = await runCli(['--me', 'Ada Lovelace', path, '-q', '--redact', 'all', '--pseudonymize', '--salt', 's3cret']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /\[email\]/);
  t.match(r.stdout, /\[phone\]/);
  t.notMatch(r.stdout, /Charles/);
  t.match(r.stdout, /Version 1\.2\.3/, 'near misses kept');
  t.equal((await runCli(['--me', 'Ada Lovelace', path, '--pseudonymize'])).code, 2, '--pseudonymize needs --salt');
});

t.test('--model: its token limit; an unknown model needs --max-tokens', async (t) => {
  t.equal((await runCli([EXAMPLE, '-q', '--model', 'gpt-4.1-nano'])).code, 0);
  const unknown = await runCli([EXAMPLE, '--model', 'llama-3-8b']);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /--max-tokens/);
  t.equal((await runCli([EXAMPLE, '-q', '--model', 'llama-3-8b', '--max-tokens', '8192'])).code, 0);
});

t.test('langchain: a warning when its file would fail validate (windows with no reply)', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'message_1.json');
  const messages = [5, 4, 3, 2].map((i) => ({ sender_name: i % 2 ? 'Mary Somerville' : 'Charles Babbage', timestamp_ms: i * 1000, content: `m${i}` }));
  messages.push({ sender_name: 'Ada Lovelace', timestamp_ms: 1000, content: 'a1' });
  const participants = [{ name: 'Ada Lovelace' }, { name: 'Charles Babbage' }, { name: 'Mary Somerville' }];
  writeFileSync(path, JSON.stringify({ participants, messages }));
  const r = await runCli(['--preset', 'langchain', '--me', 'Ada Lovelace', '--window', '2', '--overlap', '0', path]);
  t.equal(r.code, 0);
  t.equal(lines(r.stdout).length, 2, 'LangChain writes both windows');
  t.match(r.stderr, /warning: 1 example has no assistant message/);
  const clean = await runCli(['--me', 'Ada Lovelace', '--window', '2', '--overlap', '0', path]);
  t.notMatch(clean.stderr, /warning/, 'the defaults never write one');
});
