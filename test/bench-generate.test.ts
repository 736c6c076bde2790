/**
 * The benchmark generator (bench/generate.ts): its output must look like Meta's files, decode to
 * the intended text, and be deterministic, since the memory test and the benchmarks rest on it.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import {
  generateThread, metaString, metaStringify, parseSize, threadStream, writeThreadFile, writeThreadParts,
  DEFAULT_OWNER, DEFAULT_FRIEND, type GeneratedKind, type ThreadOptions, type ThreadStats,
} from '../bench/generate.js';
import { e2eeFileText, planRealThreads, probit, E2EE_START_MS, REAL_SHAPE } from '../bench/real-shape.js';
import { SECTIONS } from '../bench/export-plan.js';
import { writeExport } from '../bench/export-tree.js';
import { openExport } from '../lib/export/open-export.js';

/** bench/export.ts's default shape, 5 MB, seed 1, media x0.2: written by the code before the real shape. */
const BIG_5MB_DIGEST = '2790efb4da2535aa66c11736f5b6616faef8c51573267e9e17ca6561e8517a5d';

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

// ---------------------------------------------------------------------------------------------
// The real export shape (issue 18): thousands of small threads, a heavy tail, every section, E2EE halves

/** The p-quantile of sorted numbers (nearest rank). */
const quantile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;

/** One digest of a folder's files: relative paths and contents, in path order. */
function treeDigest(root: string): string {
  const hash = createHash('sha256');
  const visit = (rel: string) => {
    for (const d of readdirSync(join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) visit(r);
      else hash.update(`${r}\0`).update(createHash('sha256').update(readFileSync(join(root, r))).digest());
    }
  };
  visit('');
  return hash.digest('hex');
}

t.test('real shape: messages per thread fit the real inbox quantiles, scaled to the size', async (t) => {
  t.ok(Math.abs(probit(0.9) - 1.2815516) < 1e-6 && Math.abs(probit(0.5)) < 1e-9 && Math.abs(probit(0.01) + 2.3263479) < 1e-6, 'probit');
  const small = planRealThreads(20e6, 1);
  t.ok(small.length >= 300 && small.length <= 450, `20 MB: ${small.length} threads`);
  const counts = small.map((x) => x.messages).sort((a, b) => a - b);
  const near = (got: number, want: number, tol: number, what: string) => t.ok(Math.abs(got / want - 1) <= tol, `${what}: ${got}, want ${want} ±${tol * 100}%`);
  near(quantile(counts, 0.5), REAL_SHAPE.median, 0.1, 'median');
  near(quantile(counts, 0.9), REAL_SHAPE.p90, 0.1, 'p90');
  t.ok(counts.at(-1)! > 20 * REAL_SHAPE.median, `a heavy tail: max ${counts.at(-1)}`);
  t.ok(counts.filter((c) => c < 100).length > small.length / 2, 'most threads under 100 messages');
  const est = counts.reduce((a, b) => a + b, 0) * REAL_SHAPE.bytesPerMessage;
  near(est, 20e6, 0.1, 'estimated bytes of the thread files');

  const full = planRealThreads(300e6, 1);
  t.ok(full.length >= 4500 && full.length <= 5800, `300 MB: ${full.length} threads (the real inbox: 5,732)`);
  const fc = full.map((x) => x.messages).sort((a, b) => a - b);
  near(quantile(fc, 0.5), 76, 0.05, '300 MB median');
  near(quantile(fc, 0.9), 337, 0.05, '300 MB p90');
  t.ok(fc.at(-1)! >= 40_000 && fc.at(-1)! <= 70_000, `300 MB max ${fc.at(-1)} (the real inbox: 60,000)`);
  t.throws(() => planRealThreads(1e6, 1, 4), /threads/);
});

t.test('real shape: every section, groups, E2EE halves, in the real proportions', async (t) => {
  const plan = planRealThreads(20e6, 7);
  const n = plan.length;
  const total = Object.values(REAL_SHAPE.sections).reduce((a, b) => a + b, 0);
  const median = quantile(plan.map((x) => x.messages).sort((a, b) => a - b), 0.5);
  for (const [section, real] of Object.entries(REAL_SHAPE.sections)) {
    const got = plan.filter((x) => x.section === section).length;
    t.ok(got >= 1 && Math.abs(got - (n * real) / total) <= 1.5, `${section}: ${got} of ${n}`);
  }
  t.ok(plan.filter((x) => x.section === 'message_requests' || x.section === 'filtered_threads').every((x) => x.messages <= median), 'requests and filtered threads are small');
  const groups = plan.filter((x) => x.group);
  t.ok(groups.length > 0 && groups.every((x) => x.section === 'inbox' || x.section === 'archived_threads'), `${groups.length} group chats, inbox and archived only`);
  const cut = plan.filter((x) => x.section === 'e2ee_cutover');
  t.ok(cut.every((x) => x.e2eeMessages >= 1 && !x.group), 'every e2ee_cutover thread is 1:1 with an E2EE half');
  t.ok(plan.every((x) => (x.section === 'e2ee_cutover') === (x.e2eeMessages > 0)), 'E2EE halves only for cutover threads');
});

t.test('real shape: deterministic by seed', async (t) => {
  t.same(planRealThreads(20e6, 3), planRealThreads(20e6, 3), 'same seed, same plan');
  const other = planRealThreads(20e6, 4);
  t.notSame(other, planRealThreads(20e6, 3), 'another seed, another plan');
  t.same(other.map((x) => x.messages).sort((a, b) => a - b), planRealThreads(20e6, 3).map((x) => x.messages).sort((a, b) => a - b), 'the same quantiles');
  const e = { seed: 5, messages: 40, owner: DEFAULT_OWNER, friend: 'Zoë Martin', threadName: 'Zoë Martin_40' };
  t.equal(e2eeFileText(e), e2eeFileText(e), 'E2EE file: same seed, same bytes');
});

t.test('real shape: a written export opens, with each E2EE half joined to its cutover thread', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fbstream-gen-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const options = { size: 3e6, seed: 2, mediaRatio: 0.05, shape: 'real' as const };
  const stats = writeExport(join(dir, 'a', 'root'), options);
  t.ok(stats.e2eeRoot && stats.e2eeFiles! > 0, `${stats.e2eeFiles} E2EE files`);
  t.same(Object.keys(stats.sections).sort(), [...SECTIONS].sort(), 'every section');
  const opened = await openExport([stats.root, stats.e2eeRoot!]);
  t.teardown(() => opened.close());
  const threads = opened.index.threads;
  const joined = threads.filter((p) => p.joined);
  t.equal(joined.length, stats.e2eeFiles, 'one joined thread per E2EE file');
  t.ok(joined.every((p) => p.section === 'e2ee_cutover' && p.joined!.map((j) => j.section).join() === 'e2ee_cutover,e2ee'), 'cutover half, then E2EE half');
  t.equal(threads.length, stats.threads, 'no E2EE thread left apart');
  t.same(opened.ambiguousE2ee, []);
  const e2eeFile = readdirSync(join(stats.e2eeRoot!, 'messages'))[0]!;
  const doc = JSON.parse(readFileSync(join(stats.e2eeRoot!, 'messages', e2eeFile), 'utf8')) as { participants: string[]; threadName: string; messages: { timestamp: number }[] };
  t.equal(`${doc.threadName}.json`, e2eeFile);
  t.ok(doc.messages.every((m, i) => i === 0 || m.timestamp > doc.messages[i - 1]!.timestamp), 'E2EE half oldest-first');
  t.ok(doc.messages[0]!.timestamp >= E2EE_START_MS, 'after the cutover: no overlap');

  const again = writeExport(join(dir, 'b', 'root'), options);
  t.equal(treeDigest(join(dir, 'b')), treeDigest(join(dir, 'a')), 'same options, same tree (E2EE download included)');
  t.equal(again.jsonBytes, stats.jsonBytes);
});

t.test('big shape: the tree of the default shape is unchanged', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fbstream-gen-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeExport(join(dir, 'root'), { size: 5e6, seed: 1, mediaRatio: 0.2 });
  // the digest of the tree written before the real shape was added
  t.equal(treeDigest(dir), BIG_5MB_DIGEST);
});
