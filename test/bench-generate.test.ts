/**
 * The benchmark generator (bench/generate.ts): its output must look like Meta's files, decode to
 * the intended text, and be deterministic, since the memory test and the benchmarks rest on it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import {
  generateThread, metaString, metaStringify, parseSize, threadStream, writeThreadFile, writeThreadParts,
  DEFAULT_OWNER, DEFAULT_FRIEND, type GeneratedKind, type ThreadOptions, type ThreadStats,
} from '../bench/generate.js';

interface Collected {
  text: string;
  stats: ThreadStats;
  intended: Record<string, unknown>[];
  infos: { seq: number; kind: GeneratedKind }[];
}

function collect(options: ThreadOptions): Collected {
  const intended: Record<string, unknown>[] = [];
  const infos: { seq: number; kind: GeneratedKind }[] = [];
  const gen = generateThread({ ...options, onMessage: (m, info) => (intended.push(m), infos.push(info)) });
  const chunks: Buffer[] = [];
  for (const c of gen) chunks.push(c);
  return { text: Buffer.concat(chunks).toString('latin1'), stats: gen.stats, intended, infos };
}

/** What a safe repair gives: the Latin-1 chars of a parsed Meta string are UTF-8 bytes. */
function repair(v: unknown): unknown {
  if (typeof v === 'string') return Buffer.from(v, 'latin1').toString('utf8');
  if (Array.isArray(v)) return v.map(repair);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, repair(x)]));
  return v;
}

interface Doc {
  participants: { name: string }[];
  messages: Record<string, unknown>[];
  title: string;
  is_still_participant: boolean;
  thread_path: string;
  magic_words: unknown[];
}

const SEQ = /^#(\d+) /;

t.test('Meta-shaped, ASCII, newest-first, one seq per text message', async (t) => {
  const { text, stats, intended, infos } = collect({ messages: 3000, seed: 7 });
  t.match(text, /^[\x00-\x7f]*$/, 'pure ASCII');
  t.equal(stats.bytes, text.length, 'stats.bytes is the length written');
  const doc = JSON.parse(text) as Doc;
  t.same(Object.keys(doc), ['participants', 'messages', 'title', 'is_still_participant', 'thread_path', 'magic_words'], "Meta's key order");
  t.match(doc.thread_path, /^inbox\/[a-z0-9]+_\d{17}$/);
  t.match(text, /\n  "magic_words": \[\n\n  \]\n\}$/, 'ends as Meta\'s files do');
  t.same(repair(doc.participants), [{ name: DEFAULT_FRIEND }, { name: DEFAULT_OWNER }]);
  t.equal(repair(doc.title), DEFAULT_FRIEND);
  t.equal(doc.is_still_participant, true);
  t.same(doc.magic_words, []);

  const msgs = doc.messages;
  t.equal(msgs.length, 3000);
  t.equal(stats.messages, 3000);
  let decreasing = true;
  for (let i = 1; i < msgs.length; ++i) decreasing &&= (msgs[i]!['timestamp_ms'] as number) < (msgs[i - 1]!['timestamp_ms'] as number);
  t.ok(decreasing, 'timestamps strictly decreasing (newest-first)');

  // the seq of a text message is its chronological index: N-1 for the first written, 0 for the last
  let texts = 0;
  let seqsRight = true;
  t.ok(infos.every((info, i) => info.seq === msgs.length - 1 - i), 'onMessage: seqs count down to 0');
  for (let i = 0; i < msgs.length; ++i) {
    const m = SEQ.exec(String(msgs[i]!['content'] ?? ''));
    if (infos[i]!.kind === 'text') {
      ++texts;
      seqsRight &&= m !== null && Number(m[1]) === msgs.length - 1 - i;
    } else seqsRight &&= m === null;
  }
  t.ok(seqsRight, 'text messages, and only they, start with #<chronological index>');
  t.equal(texts, stats.textMessages);
  for (const m of [msgs[0]!, msgs.at(-1)!]) {
    t.equal(repair(m['sender_name']), DEFAULT_OWNER, 'newest and oldest are the owner\'s');
    t.match(m['content'], SEQ, 'newest and oldest are text messages');
  }

  // a realistic mix
  for (const kind of ['text', 'photo', 'gif', 'video', 'sticker', 'share', 'call', 'unsent', 'notice', 'reaction', 'empty']) {
    t.ok((stats.kinds[kind] ?? 0) > 0, `has ${kind} messages`);
  }
  t.ok(stats.textMessages / stats.messages > 0.7, 'mostly text');
  t.ok(msgs.some((m) => Array.isArray(m['reactions'])), 'some reactions');
  t.ok(msgs.some((m) => /^.+ sent an attachment\.$/.test(String(m['content']))), 'some "X sent an attachment." notices');
  let runs = 0;
  for (let i = 1; i < msgs.length; ++i) if (msgs[i]!['sender_name'] === msgs[i - 1]!['sender_name']) ++runs;
  t.ok(runs > 300, 'consecutive runs by one sender');
  t.same(Object.keys(stats.senders).sort(), [DEFAULT_OWNER, DEFAULT_FRIEND].sort());

  // every field on its own line, exactly as JSON.stringify(doc, null, 2) with Meta's escapes
  const reference = metaStringify({
    participants: [{ name: DEFAULT_FRIEND }, { name: DEFAULT_OWNER }],
    messages: intended,
    title: DEFAULT_FRIEND,
    is_still_participant: true,
    thread_path: doc.thread_path,
    magic_words: [],
  });
  t.equal(text, reference, 'byte for byte the reference writer');
  // and the escapes decode to the intended text
  t.same(repair(msgs), intended, 'mojibake decodes to the intended messages');
  t.ok(intended.some((m) => /[^\x00-\xff]/u.test(String(m['content']))), 'intended text has non-Latin-1 chars (emoji, CJK)');
});

t.test("Meta's escaping", async (t) => {
  t.equal(metaString('café 😢'), '"caf\\u00c3\\u00a9 \\u00f0\\u009f\\u0098\\u00a2"');
  t.equal(JSON.parse(metaString('café 😢')), 'cafÃ© ð\x9f\x98¢');
  t.equal(metaString('a"b\\c\nd'), JSON.stringify('a"b\\c\nd'));
  t.equal(metaStringify({ x: ['é'] }), '{\n  "x": [\n    "\\u00c3\\u00a9"\n  ]\n}');
  t.equal(metaStringify({ a: [], b: { c: [] }, d: '[]' }), '{\n  "a": [\n\n  ],\n  "b": {\n    "c": [\n\n    ]\n  },\n  "d": "[]"\n}', 'empty arrays open, as Meta writes them');
});

t.test('deterministic for a seed', async (t) => {
  const a = collect({ messages: 500, seed: 42 }).text;
  const b = collect({ messages: 500, seed: 42 }).text;
  const c = collect({ messages: 500, seed: 43 }).text;
  t.equal(a, b, 'same seed, same bytes');
  t.not(a, c, 'another seed, other bytes');
  const s1 = collect({ size: 300_000, seed: 5 }).text;
  const s2 = collect({ size: 300_000, seed: 5 }).text;
  t.equal(s1, s2, 'same size and seed, same bytes');
});

t.test('size targets', async (t) => {
  for (const size of [2_000, 50_000, 1_000_000, 3_000_000]) {
    for (const seed of [1, 2]) {
      const { text, stats } = collect({ size, seed });
      t.ok(text.length >= size && text.length <= size + 1000, `size ${size} seed ${seed}: ${text.length} bytes`);
      t.equal(stats.bytes, text.length);
      t.equal((JSON.parse(text) as Doc).messages.length, stats.messages);
    }
  }
  t.equal(parseSize('300MB'), 300e6);
  t.equal(parseSize('1GB'), 1e9);
  t.equal(parseSize('1.5 GiB'), 1.5 * 2 ** 30);
  t.equal(parseSize('64KiB'), 65536);
  t.equal(parseSize('1000'), 1000);
  t.throws(() => parseSize('ten'));
});

t.test('ties, names, and recorded text seqs', async (t) => {
  const owner = 'Adèle Lovelace';
  const { text, stats } = collect({ messages: 2000, seed: 9, tieRate: 0.2, owner, friend: 'Zoë', recordTextSeqs: true });
  const doc = JSON.parse(text) as Doc;
  let ties = 0;
  let nonIncreasing = true;
  for (let i = 1; i < doc.messages.length; ++i) {
    const d = (doc.messages[i]!['timestamp_ms'] as number) - (doc.messages[i - 1]!['timestamp_ms'] as number);
    if (d === 0) ++ties;
    nonIncreasing &&= d <= 0;
  }
  t.ok(nonIncreasing && ties > 200, `newest-first with ${ties} equal timestamps`);
  t.ok(doc.messages[0]!['sender_name'] === Buffer.from(owner).toString('latin1'), 'owner name written as mojibake');
  const seqs = stats.textSeqs!;
  t.equal(seqs.length, 2000);
  let n = 0;
  for (let i = 0; i < doc.messages.length; ++i) {
    const m = doc.messages[i]!;
    const seq = doc.messages.length - 1 - i;
    const match = SEQ.exec(String(m['content'] ?? ''));
    const expected = match ? (repair(m['sender_name']) === owner ? 1 : 2) : 0;
    if (seqs[seq] !== expected) t.fail(`textSeqs[${seq}] = ${seqs[seq]}, expected ${expected}`);
    if (expected) ++n;
  }
  t.equal(n, stats.textMessages);
});

t.test('a stream, a file, and parts like Meta splits them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fbstream-gen-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const options = { messages: 2345, seed: 11 };
  const single = collect(options).text;

  const { stream, stats } = threadStream(options);
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  t.equal(Buffer.concat(chunks).toString('latin1'), single, 'threadStream gives the same bytes');
  t.equal(stats.bytes, single.length);
  t.ok(chunks.length > 1, 'streamed in chunks');
  t.ok([...generateThread(options)].every((c) => c.length <= 64 * 1024), 'generated in chunks of at most 64 KiB');

  const file = join(dir, 'one.json');
  const fstats = writeThreadFile(file, options);
  t.equal(readFileSync(file, 'latin1'), single, 'writeThreadFile gives the same bytes');
  t.equal(fstats.bytes, single.length);

  const parts = join(dir, 'inbox', 'thread');
  const pstats = writeThreadParts(parts, { ...options, perPart: 1000 });
  t.same(readdirSync(parts).sort(), ['message_1.json', 'message_2.json', 'message_3.json']);
  t.equal(pstats.parts, 3);
  const all = JSON.parse(single) as Doc;
  const docs = [1, 2, 3].map((k) => JSON.parse(readFileSync(join(parts, `message_${k}.json`), 'latin1')) as Doc);
  t.same(docs.map((d) => d.messages.length), [1000, 1000, 345], 'full parts of 1000, the oldest holds the rest');
  t.same(docs.flatMap((d) => d.messages), all.messages, 'message_1 is the newest part; together, the whole thread');
  for (const d of docs) t.same({ ...d, messages: [] }, { ...all, messages: [] }, 'each part repeats the metadata');
  const total = [1, 2, 3].reduce((n, k) => n + readFileSync(join(parts, `message_${k}.json`)).length, 0);
  t.equal(pstats.bytes, total);

  const sized = writeThreadParts(join(dir, 'sized'), { size: 500_000, seed: 3, perPart: 500 });
  const sizedTotal = readdirSync(join(dir, 'sized')).reduce((n, f) => n + readFileSync(join(dir, 'sized', f)).length, 0);
  t.ok(sizedTotal >= 500_000 && sizedTotal <= 501_000, `size counts every part: ${sizedTotal}`);
  t.equal(sized.bytes, sizedTotal);
});

t.test('command line (built)', async (t) => {
  const cli = fileURLToPath(new URL('../dist/bench/generate.js', import.meta.url));
  if (!existsSync(cli)) return t.fail(`${cli} is missing: run npm run build`);
  const r = spawnSync(process.execPath, [cli, '--messages', '300', '--seed', '4'], { maxBuffer: 1 << 26 });
  t.equal(r.status, 0, 'exit code 0', { stderr: String(r.stderr) });
  t.equal(r.stdout.toString('latin1'), collect({ messages: 300, seed: 4 }).text, 'stdout: the thread');
  const stats = JSON.parse(String(r.stderr)) as ThreadStats;
  t.equal(stats.messages, 300);
  t.equal(stats.bytes, r.stdout.length);
  const bad = spawnSync(process.execPath, [cli, '--bogus']);
  t.equal(bad.status, 2);
});
