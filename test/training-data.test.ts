/**
 * The default training data (issue 16), end to end through the pipeline: conversations, each reply
 * taught once with its prompt, token limits, names in group chats, a file `validate` accepts.
 */
import t from 'tap';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createPipeline, type PipelineOptions } from '../lib/pipeline.js';
import { createValidator } from '../lib/validate/validator.js';
import { loadEncoding } from '../lib/tokens.js';
import type { Example, RoleTurn } from '../lib/types.js';

const ME = 'Ada Lovelace';
const HOUR = 3_600_000;

/** A deterministic thread: bursts of messages, silences from seconds to days, newest first. */
function thread(seed: number, people: string[], messages: number): Buffer {
  let x = seed;
  const rand = () => ((x = (x * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const out: { sender_name: string; timestamp_ms: number; content: string }[] = [];
  let ts = Date.UTC(2024, 0, 1);
  for (let i = 0; i < messages; ++i) {
    const r = rand();
    ts += r < 0.6 ? rand() * 120_000 : r < 0.9 ? rand() * 2 * HOUR : rand() * 72 * HOUR;
    const sender = people[Math.floor(rand() * people.length)]!;
    const long = rand() < 0.02 ? ' and on'.repeat(3000) : '';
    out.push({ sender_name: sender, timestamp_ms: Math.round(ts), content: `message ${i} from ${sender}${long}` });
  }
  const doc = { participants: people.map((name) => ({ name })), messages: out.reverse(), title: people.join(', '), thread_path: `inbox/t${seed}_${seed}` };
  return Buffer.from(JSON.stringify(doc));
}

async function run(input: Buffer[], options: Partial<PipelineOptions> = {}) {
  const p = createPipeline({ me: ME, source: 'thread.json', ...options });
  const turns: RoleTurn[] = [];
  const examples: Example[] = [];
  let text = '';
  // the role mapper's turns and the chunker's examples, seen as they pass
  const streams = p.streams.map((s, i) => {
    if (i === p.streams.length - 2) s.on('data', (batch: Example[]) => examples.push(...batch));
    if (i === p.streams.length - 3) s.on('data', (batch: RoleTurn[]) => turns.push(...batch));
    return s;
  });
  await pipeline([Readable.from(input), ...streams, new Writable({ write: (c, _e, cb) => ((text += c), cb()) })]);
  return { p, turns, examples, text };
}

const input = [thread(1, [ME, 'Charles Babbage'], 3000), thread(2, [ME, 'Mary Somerville', '王伟', 'Søren'], 2000)];

t.test('defaults: conversations, replies taught once with a prompt, within the limit, named', async (t) => {
  const { p, turns, examples, text } = await run(input, { maxTokens: 2000 });
  // conversations: no two turns of one conversation more than 6 hours apart
  for (let i = 1; i < turns.length; ++i) {
    const a = turns[i - 1]!;
    const b = turns[i]!;
    if (a.thread === b.thread && a.session === b.session) t.ok(b.firstTimestampMs - a.lastTimestampMs <= 6 * HOUR || t.fail('a silence over 6 h inside a conversation'));
  }
  t.ok(new Set(turns.map((x) => `${x.thread.id}/${x.session}`)).size > 20, 'many conversations');
  // every example: a user turn first, a reply taught last; each reply taught once
  const taught = new Map<RoleTurn | string, number>();
  for (const e of examples) {
    const ms = e.messages.filter((m) => m.role !== 'system');
    t.equal(ms[0]!.role, 'user');
    t.equal(ms.at(-1)!.role, 'assistant');
    t.not(ms.at(-1)!.weight, 0);
    for (const m of ms) if (m.role === 'assistant' && m.weight !== 0) taught.set(`${e.thread.id}/${e.meta.session}/${m.content}`, (taught.get(`${e.thread.id}/${e.meta.session}/${m.content}`) ?? 0) + 1);
  }
  t.ok([...taught.values()].every((n) => n === 1), 'no reply taught twice');
  t.equal(taught.size, p.stats.counts['trainedReplies'], 'the count says as much');
  // names on the other speakers of the group chat, in ASCII
  const names = new Set(examples.flatMap((e) => e.messages.map((m) => m.name).filter(Boolean)));
  t.same([...names].sort(), ['Mary_Somerville', 'Soren', 'Wang_Wei']);
  // the file passes validate, nothing over the limit
  const v = createValidator({ limit: 2000, encoding: await loadEncoding('o200k_base') });
  text.split('\n').filter(Boolean).forEach((line, i) => v.push(line, i + 1));
  const result = v.result();
  t.same(result.errors, [], 'no error');
  t.equal(result.overLimit, 0, 'no example over the limit');
  t.ok(result.tokens!.max <= 2000);
});

t.test('--session-gap 0 and --merge-gap 0 turn them off', async (t) => {
  const on = await run(input);
  const off = await run(input, { sessionGapMs: 0, mergeGapMs: 0 });
  t.equal(new Set(off.turns.map((x) => `${x.thread.id}/${x.session}`)).size, 2, 'one conversation per thread');
  t.ok(off.turns.length < on.turns.length, 'longer turns without a merge limit');
});

t.test('formats without weights: no reply in two examples', async (t) => {
  const { examples } = await run(input, { format: 'hf' });
  const seen = new Set<string>();
  for (const e of examples) {
    for (const m of e.messages) {
      if (m.role !== 'assistant') continue;
      const key = `${e.thread.id}/${e.meta.session}/${m.content}`;
      t.notOk(seen.has(key) && m.content.startsWith('message'), `${key} once`);
      seen.add(key);
    }
  }
});
