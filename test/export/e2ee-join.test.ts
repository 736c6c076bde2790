/**
 * lib/export/e2ee-join.ts. The pure match first: an E2EE download thread joins the one
 * `e2ee_cutover` thread with the same participants; anything less than a certain one-to-one match
 * stays apart. Then the whole path: an E2EE download thread and its `e2ee_cutover` thread, given
 * together, are one conversation: one thread in the index, the selection and `inspect`; one job; the
 * same JSONL as the two halves in one file. Threads with the same participants (no one-to-one
 * match) stay apart and are reported. From folders and from zip parts; `--jobs 1` and `2`
 * byte-identical.
 */
import type { StageOptions } from '../../lib/options.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import t, { type Test } from 'tap';
import { runConvert, type ConvertArgs } from '../../cli/commands/convert.js';
import { runInspect } from '../../cli/commands/inspect.js';
import type { Io } from '../../cli/io.js';
import { joinE2eeThreads } from '../../lib/export/e2ee-join.js';
import type { ThreadHeader, ThreadPlan, ThreadSection } from '../../lib/export/export-index.js';
import { openExport, type OpenExportOptions } from '../../lib/export/open-export.js';
import { convertThreads } from '../../lib/export/parallel.js';
import { resolveOwner, selectThreads, type SelectOptions } from '../../lib/export/select.js';
import { jobsFromPlans } from '../../lib/export/thread-job.js';
import type { ExportEntry } from '../../lib/sources/entry.js';
import { metaJson } from '../support/messages.js';
import { reference } from '../support/reference-pipeline.js';
import { yazlZip } from '../support/zip.js';

function entry(name: string): ExportEntry {
  return { input: 'x', path: name, name, size: 1, open: () => { throw new Error('not read'); } };
}

function plan(key: string, parts = 1): ThreadPlan {
  const section = key.slice(0, key.indexOf('/')) as ThreadSection;
  const dialect = section === 'e2ee' ? 'e2ee' : 'classic';
  return { key, section, dialect, parts: Array.from({ length: parts }, (_, i) => entry(`${key}/message_${i + 1}.json`)), missingParts: [] };
}

function headersOf(list: [ThreadPlan, string[]][]): Map<ThreadPlan, ThreadHeader> {
  return new Map(list.map(([p, participants]) => [p, { participants, isGroup: participants.length > 2, format: p.section === 'e2ee' ? 'e2ee' : 'classic' }]));
}

t.test('one cutover thread and one E2EE thread with the same participants become one', async (t) => {
  const inbox = plan('inbox/zoemartin_1');
  const cut = plan('e2ee_cutover/zoemartin_2', 2);
  const other = plan('e2ee_cutover/bob_3');
  const e2ee = plan('e2ee/Zoë Martin_40');
  const threads = [inbox, other, cut, e2ee];
  // the order of names does not matter; the inbox thread with the same people takes no part
  const r = joinE2eeThreads(threads, headersOf([[inbox, ['Ada', 'Zoë Martin']], [cut, ['Zoë Martin', 'Ada']], [other, ['Bob', 'Ada']], [e2ee, ['Ada', 'Zoë Martin']]]));
  t.equal(r.threads.length, 3);
  t.same(r.threads.map((p) => p.key), ['inbox/zoemartin_1', 'e2ee_cutover/bob_3', 'e2ee_cutover/zoemartin_2'], 'at the cutover thread\'s place');
  const joined = r.threads[2]!;
  t.same(r.joined, [joined]);
  t.same(joined.joined, [cut, e2ee]);
  t.match(joined, { key: cut.key, section: 'e2ee_cutover', dialect: 'classic' });
  t.same(joined.parts.map((p) => p.name), [...cut.parts, ...e2ee.parts].map((p) => p.name), 'the cutover parts, then the E2EE file');
  t.same(r.ambiguous, []);
  t.equal(r.threads[0], inbox, 'other threads are the same objects');
});

t.test('ambiguous or uncertain: nothing joined', async (t) => {
  const a1 = plan('e2ee_cutover/samlee_1');
  const a2 = plan('e2ee_cutover/samlee_2');
  const ae = plan('e2ee/Sam Lee_7');
  const b = plan('e2ee_cutover/alexkim_3');
  const be1 = plan('e2ee/Alex Kim_1');
  const be2 = plan('e2ee/Alex Kim_2');
  const ghost = plan('e2ee_cutover/facebookuser_4');
  const ghostE = plan('e2ee/Facebook user_9');
  const group = plan('e2ee_cutover/crew_5');
  const sub = plan('e2ee/Cy_5');
  const lone = plan('e2ee_cutover/me_6');
  const loneE = plan('e2ee/Me_6');
  const unread = plan('e2ee_cutover/dora_7');
  const doraE = plan('e2ee/Dora_7');
  const threads = [a1, a2, b, ghost, group, lone, unread, ae, be1, be2, ghostE, sub, loneE, doraE];
  const r = joinE2eeThreads(threads, headersOf([
    [a1, ['Ada', 'Sam Lee']], [a2, ['Ada', 'Sam Lee']], [ae, ['Ada', 'Sam Lee']], // two cutover threads
    [b, ['Ada', 'Alex Kim']], [be1, ['Ada', 'Alex Kim']], [be2, ['Ada', 'Alex Kim']], // two E2EE threads
    [ghost, ['Ada', 'Facebook user']], [ghostE, ['Ada', 'Facebook user']], // any deleted account
    [group, ['Ada', 'Bo', 'Cy']], [sub, ['Ada', 'Cy']], // not the same set
    [lone, ['Ada']], [loneE, ['Ada']], // one name tells nothing
    [doraE, ['Ada', 'Dora']], // `unread`: its header failed
  ]));
  t.same(r.threads, threads, 'every thread as it was');
  t.same(r.joined, []);
  t.same(r.ambiguous, [
    { participants: ['Ada', 'Alex Kim'], keys: ['e2ee_cutover/alexkim_3', 'e2ee/Alex Kim_1', 'e2ee/Alex Kim_2'] },
    { participants: ['Ada', 'Sam Lee'], keys: ['e2ee_cutover/samlee_1', 'e2ee_cutover/samlee_2', 'e2ee/Sam Lee_7'] },
  ]);
});

const ADA = 'Ada Lovelace';
const ZOE = 'Zoë Martin';
const T0 = 1_700_000_000_000;
// no session or merge gap: the test is about one conversation across the cutover, days apart
const OPTIONS: StageOptions = { me: ADA, window: 4, overlap: 1, sessionGapMs: 0, mergeGapMs: 0 };

interface Msg { sender: string; ts: number; text: string }

/** One conversation, oldest first: the cutover part, then (later, no overlap) the E2EE part. */
const said = (sender: string, i: number, text: string): Msg => ({ sender, ts: T0 + i * 60_000, text });
const CUTOVER: Msg[] = [
  said(ZOE, 0, 'salut Ada, ça va ?'), said(ADA, 1, 'très bien, et toi ?'), said(ZOE, 2, 'did you read the notes?'),
  said(ADA, 3, 'yes, twice'), said(ADA, 3, 'same millisecond, second'), said(ZOE, 4, 'and?'), said(ADA, 5, 'the engine can weave algebra'),
  said(ZOE, 6, 'like a loom'), said(ZOE, 7, 'moving to the encrypted chat'), said(ADA, 8, 'ok, see you there'),
];
const E2EE: Msg[] = [
  said(ADA, 20, 'here now'), said(ZOE, 21, 'welcome 🎉'), said(ADA, 22, 'so, the loom'), said(ZOE, 23, 'punched cards'),
  said(ADA, 24, 'exactly'), said(ZOE, 25, 'bye'),
];

const classic = (m: Msg) => ({ sender_name: m.sender, timestamp_ms: m.ts, content: m.text, is_geoblocked_for_viewer: false });
const classicDoc = (key: string, people: string[], newestFirst: Msg[]) =>
  metaJson({ participants: people.map((name) => ({ name })), messages: newestFirst.map(classic), title: people[0], is_still_participant: true, thread_path: key, magic_words: [] });
const e2eeDoc = (threadName: string, people: string[], oldestFirst: Msg[]) =>
  JSON.stringify({
    participants: people,
    threadName,
    messages: oldestFirst.map((m) => ({ senderName: m.sender, timestamp: m.ts, text: m.text, type: 'text', isUnsent: false, media: [], reactions: [] })),
  }, null, 2);
const newestFirst = (list: Msg[]) => [...list].reverse();

/** File path under the export → its content. The Facebook export and the E2EE download apart. */
function facebookExport(): Map<string, string> {
  const root = 'your_facebook_activity/messages';
  const cut = newestFirst(CUTOVER);
  const sam = (n: number) => newestFirst([said('Sam Lee', 30 + n, `sam ${n}`), said(ADA, 31 + n, `ada ${n}`), said('Sam Lee', 32 + n, `sam again ${n}`)]);
  return new Map([
    [`${root}/inbox/bobstone_1003/message_1.json`, classicDoc('inbox/bobstone_1003', ['Bob Stone', ADA], newestFirst([said('Bob Stone', 40, 'hi'), said(ADA, 41, 'hello Bob')]))],
    // Meta's order: message_1 the newest part
    [`${root}/e2ee_cutover/zoemartin_1001/message_1.json`, classicDoc('e2ee_cutover/zoemartin_1001', [ZOE, ADA], cut.slice(0, 5))],
    [`${root}/e2ee_cutover/zoemartin_1001/message_2.json`, classicDoc('e2ee_cutover/zoemartin_1001', [ZOE, ADA], cut.slice(5))],
    // two cutover threads with the same people: which one the E2EE chat continues is unclear
    [`${root}/e2ee_cutover/samlee_2001/message_1.json`, classicDoc('e2ee_cutover/samlee_2001', ['Sam Lee', ADA], sam(0))],
    [`${root}/e2ee_cutover/samlee_2002/message_1.json`, classicDoc('e2ee_cutover/samlee_2002', ['Sam Lee', ADA], sam(10))],
  ]);
}

function e2eeDownload(): Map<string, string> {
  return new Map([
    [`messages/${ZOE}_40.json`, e2eeDoc(`${ZOE}_40`, [ADA, ZOE], E2EE)],
    ['messages/Sam Lee_7.json', e2eeDoc('Sam Lee_7', [ADA, 'Sam Lee'], [said('Sam Lee', 50, 'new phone'), said(ADA, 51, 'noted')])],
  ]);
}

function write(dir: string, files: Map<string, string>): string {
  for (const [path, text] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'fbstream-e2ee-join-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The export as folders: the Facebook one and the E2EE download. */
function folders(t: Test): string[] {
  const dir = tempDir(t);
  return [write(join(dir, 'facebook-ada-2026'), facebookExport()), write(join(dir, 'ada-e2ee'), e2eeDownload())];
}

/** The same as zips: the Facebook export in two parts (the cutover thread split across them), the E2EE download. */
async function zips(t: Test): Promise<string[]> {
  const dir = tempDir(t);
  const fb = [...facebookExport()];
  const part1 = fb.filter(([p]) => !p.endsWith('zoemartin_1001/message_2.json'));
  const part2 = fb.filter(([p]) => p.endsWith('zoemartin_1001/message_2.json'));
  const out: string[] = [];
  for (const [name, files] of [['facebook-ada-2026-1.zip', part1], ['facebook-ada-2026-2.zip', part2], ['messages.zip', [...e2eeDownload()]]] as const) {
    const path = join(dir, name);
    writeFileSync(path, await yazlZip(files.map(([p, text]) => ({ name: p, content: text }))));
    out.push(path);
  }
  return out;
}

/** The whole library path: open, owner, select, jobs, convert. */
async function convert(inputs: string[], jobs: number, select: SelectOptions = {}, open: OpenExportOptions = {}) {
  const ex = await openExport(inputs, open);
  try {
    const me = await resolveOwner(ex);
    const { selected } = await selectThreads(ex, select);
    let text = '';
    const summary = await convertThreads(jobsFromPlans(selected), { ...OPTIONS, me, jobs }, async (b) => void (text += Buffer.from(b).toString('utf8')));
    return { text, summary, selected: selected.map((p) => p.key), index: ex.index, ambiguous: ex.ambiguousE2ee };
  } finally {
    await ex.close();
  }
}

/** What the one-pipeline path gives for the given documents, each in its own temporary file. */
async function referenceOf(t: Test, ...docs: string[][]): Promise<string> {
  const dir = tempDir(t);
  let out = '';
  for (const [i, parts] of docs.entries()) {
    const paths = parts.map((text, j) => join(dir, `${i}_${j}.json`));
    parts.forEach((text, j) => writeFileSync(paths[j]!, text));
    out += await reference(paths, OPTIONS);
  }
  return out;
}

/** Expected output: every thread alone in index order, the Zoë conversation as ONE file holding both halves. */
async function expected(t: Test): Promise<string> {
  const fb = facebookExport();
  const dl = e2eeDownload();
  const root = 'your_facebook_activity/messages';
  const one = classicDoc('e2ee_cutover/zoemartin_1001', [ZOE, ADA], newestFirst([...CUTOVER, ...E2EE]));
  return referenceOf(t,
    [fb.get(`${root}/inbox/bobstone_1003/message_1.json`)!],
    [fb.get(`${root}/e2ee_cutover/samlee_2001/message_1.json`)!],
    [fb.get(`${root}/e2ee_cutover/samlee_2002/message_1.json`)!],
    [one],
    [dl.get('messages/Sam Lee_7.json')!],
  );
}

t.test('from folders: the E2EE chat continues its cutover thread as one conversation; --jobs 1 and 2 byte-identical', async (t) => {
  const inputs = folders(t);
  const want = await expected(t);
  const one = await convert(inputs, 1);
  t.same(one.index.threads.map((p) => [p.key, p.joined?.map((h) => h.key)]), [
    ['inbox/bobstone_1003', undefined],
    ['e2ee_cutover/samlee_2001', undefined],
    ['e2ee_cutover/samlee_2002', undefined],
    ['e2ee_cutover/zoemartin_1001', ['e2ee_cutover/zoemartin_1001', `e2ee/${ZOE}_40`]],
    ['e2ee/Sam Lee_7', undefined],
  ], 'one thread for the pair, at the cutover thread\'s place; the Sam Lee threads apart');
  t.same(one.ambiguous, [{ participants: [ADA, 'Sam Lee'], keys: ['e2ee_cutover/samlee_2001', 'e2ee_cutover/samlee_2002', 'e2ee/Sam Lee_7'] }]);
  t.equal(one.text, want, 'the same JSONL as the two halves in one file');
  t.match(one.text, /ok, see you there\\n\\nhere now/, 'one conversation: the turns either side of the cutover merge');
  t.equal(one.summary.threads, 5);
  const two = await convert(inputs, 2);
  t.equal(two.text, one.text, '--jobs 2: byte-identical');

  const apart = await convert(inputs, 1, {}, { joinE2ee: false });
  t.equal(apart.index.threads.length, 6, 'joinE2ee: false keeps them apart');
  t.not(apart.text, want, 'and then the output differs');
});

t.test('from zip parts: the same output as from the folders', async (t) => {
  const want = await expected(t);
  const inputs = await zips(t);
  const one = await convert(inputs, 1);
  t.equal(one.index.threads.find((p) => p.joined)?.parts.length, 3, 'two cutover parts from two zips, the E2EE file from a third');
  t.equal(one.text, want);
  t.equal((await convert(inputs, 2)).text, want, '--jobs 2');
});

t.test('sections: a joined thread is kept when either section is, and only its selected halves are read', async (t) => {
  const inputs = folders(t);
  const both = await convert(inputs, 1, { sections: ['e2ee_cutover', 'e2ee'] });
  t.same(both.selected, ['e2ee_cutover/samlee_2001', 'e2ee_cutover/samlee_2002', 'e2ee_cutover/zoemartin_1001', 'e2ee/Sam Lee_7']);
  const e2eeOnly = await convert(inputs, 1, { sections: ['e2ee'] });
  t.same(e2eeOnly.selected, [`e2ee/${ZOE}_40`, 'e2ee/Sam Lee_7']);
  t.equal(e2eeOnly.text, await referenceOf(t, [e2eeDownload().get(`messages/${ZOE}_40.json`)!], [e2eeDownload().get('messages/Sam Lee_7.json')!]), 'the E2EE chats alone, as without the join');
  const cutoverOnly = await convert(inputs, 1, { sections: ['inbox', 'e2ee_cutover'] });
  t.same(cutoverOnly.selected, ['inbox/bobstone_1003', 'e2ee_cutover/samlee_2001', 'e2ee_cutover/samlee_2002', 'e2ee_cutover/zoemartin_1001']);
  t.notMatch(cutoverOnly.text, /here now/, 'no E2EE message');
  const byName = await convert(inputs, 1, { threads: [`${ZOE}_40`] });
  t.same(byName.selected, ['e2ee_cutover/zoemartin_1001'], '--thread matches the joined thread by its E2EE half\'s name');
});

function fakeIo() {
  let out = '';
  let err = '';
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const io: Io = { stdin: new PassThrough(), stdout, stderr, stderrIsTTY: false, signals: new PassThrough() };
  return { io, out: () => out, err: () => err };
}

t.test('inspect counts the joined thread once; the command line says what it joined and what it did not', async (t) => {
  const inputs = folders(t);
  const json = fakeIo();
  t.equal(await runInspect({ inputs, json: true }, json.io), 0);
  const r = JSON.parse(json.out());
  t.equal(r.threads.length, 5);
  const zoe = r.threads.find((x: { key: string }) => x.key === 'e2ee_cutover/zoemartin_1001');
  t.match(zoe, { joined: ['e2ee_cutover/zoemartin_1001', `e2ee/${ZOE}_40`], parts: 3, messages: CUTOVER.length + E2EE.length, participants: [ZOE, ADA] });
  t.equal(r.messages.total, 2 + 3 + 3 + CUTOVER.length + E2EE.length + 2);
  t.same(r.notJoined, [{ participants: [ADA, 'Sam Lee'], keys: ['e2ee_cutover/samlee_2001', 'e2ee_cutover/samlee_2002', 'e2ee/Sam Lee_7'] }]);
  const human = fakeIo();
  t.equal(await runInspect({ inputs, json: false }, human.io), 0);
  t.match(human.out(), /threads: 5 /);
  t.match(human.out(), `e2ee_cutover/zoemartin_1001 + e2ee/${ZOE}_40  2 people  16 messages`);
  t.match(human.out(), /not joined \(same participants, no one-to-one match\): e2ee_cutover\/samlee_2001, e2ee_cutover\/samlee_2002, e2ee\/Sam Lee_7/);

  const cli = fakeIo();
  const args: ConvertArgs = { inputs, window: 4, overlap: 1, sessionGap: 0, mergeGap: 0, quiet: false, jobs: 1 };
  t.equal(await runConvert(args, cli.io), 0);
  t.equal(cli.out(), await expected(t));
  t.match(cli.err(), /5 of 5 threads, as Ada Lovelace/);
  t.match(cli.err(), /joined: 1 E2EE chat with its e2ee_cutover thread/);
  t.match(cli.err(), /not joined: e2ee_cutover\/samlee_2001, e2ee_cutover\/samlee_2002, e2ee\/Sam Lee_7 \(the same participants/);
});
