/**
 * lib/export/thread-job.ts: one thread's whole pipeline, run in the calling thread, its NDJSON
 * handed out in bounded pieces; failures returned, not thrown; zip archives opened once per opener.
 */
import type { StageOptions } from '../../lib/options.js';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { PartRef } from '../../lib/export/part-ref.js';
import { createPartOpener } from '../../lib/export/part-opener.js';
import { jobsFromPlans, PiecePool, runThreadJob, type ThreadJob } from '../../lib/export/thread-job.js';
import { buildExportIndex } from '../../lib/export/export-index.js';
import { listFolder } from '../../lib/sources/folder.js';
import { openZip } from '../../lib/sources/zip.js';
import { flipByte, offsetOf, yazlZip } from '../support/zip.js';
import { INBOX, partsOf } from '../support/parallel-export.js';
import { reference } from '../support/reference-pipeline.js';

const ME = 'Ada Lovelace';

function fileJob(thread: string, index = 0): ThreadJob {
  return { index, key: `inbox/${thread}`, parts: partsOf(thread).map((path): PartRef => ({ kind: 'file', path })) };
}


async function collect(job: ThreadJob, options: StageOptions, env: Parameters<typeof runThreadJob>[3] = {}) {
  const pieces: Uint8Array[] = [];
  const result = await runThreadJob(job, options, (b) => void pieces.push(b), env);
  return { result, pieces, text: Buffer.concat(pieces).toString('utf8') };
}

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'fbstream-thread-job-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('a multi-part thread gives the bytes of the one-pipeline path, in pieces of at most pieceBytes', async (t) => {
  const options: StageOptions = { me: ME, window: 4, overlap: 1 };
  for (const thread of ['bob_1002', 'eve_1005', 'frank_1006']) {
    const want = await reference(partsOf(thread), options);
    t.ok(want.length > 0, `${thread}: the reference has examples`);
    for (const pieceBytes of [4, 7, 64, 1 << 20]) {
      const { result, pieces, text } = await collect(fileJob(thread), options, { pieceBytes });
      t.equal(text, want, `${thread}, pieces of ${pieceBytes}`);
      t.notOk(result.error);
      t.equal(result.bytes, Buffer.byteLength(want));
      t.equal(result.examples, want.split('\n').length - 1);
      t.ok(pieces.every((p) => p.byteLength > 0 && p.byteLength <= pieceBytes), 'every piece within the cap');
      // no piece splits a character, and each owns its whole buffer (transferable as is)
      const utf8 = new TextDecoder('utf-8', { fatal: true });
      t.ok(pieces.every((p) => (utf8.decode(p), p.byteOffset === 0 && p.byteLength === p.buffer.byteLength)));
      if (pieceBytes === 64) t.ok(pieces.slice(0, -1).every((p) => p.byteLength > 64 - 4), 'pieces are filled');
    }
  }
});

t.test('pieces: full pieces are the buffers it takes; a buffer given back is filled again; the last goes back at the end', async (t) => {
  const options: StageOptions = { me: ME, window: 4, overlap: 1 };
  const want = await reference(partsOf('bob_1002'), options);
  const pieceBytes = 64;
  const given = new Set<ArrayBuffer>();
  let made = 0;
  const spare: ArrayBuffer[] = [];
  const pieces = {
    take() {
      const b = spare.pop() ?? (++made, new ArrayBuffer(pieceBytes));
      given.add(b);
      return new Uint8Array(b).fill(0xff); // stale bytes must never show
    },
    give: (b: ArrayBuffer) => void spare.push(b),
  };
  const convert = async () => {
    const out: Buffer[] = [];
    let full = 0;
    await runThreadJob(fileJob('bob_1002'), options, async (bytes) => {
      out.push(Buffer.from(bytes)); // the caller copies, then gives the buffer back
      if (bytes.byteLength === pieceBytes) {
        ++full;
        t.ok(given.has(bytes.buffer as ArrayBuffer), 'a full piece is a taken buffer');
        spare.push(bytes.buffer as ArrayBuffer);
      } else t.notOk(given.has(bytes.buffer as ArrayBuffer), 'a partial piece is a copy');
    }, { pieceBytes, pieces });
    t.equal(Buffer.concat(out).toString('utf8'), want);
    return full;
  };
  const full = await convert();
  t.ok(full > 3, `${full} full pieces`);
  t.ok(made <= 2, `${made} buffers made for ${full} full pieces`);
  t.equal(spare.length, made, 'every buffer is back once the job is done, the last one included');
  await convert();
  t.equal(spare.length, made, 'a second job makes none');
});

t.test('PiecePool: keeps at most max buffers of its size; takeSpare allocates nothing', async (t) => {
  const pool = new PiecePool(8, 2);
  t.equal(pool.takeSpare(), undefined);
  const a = pool.take();
  t.equal(a.byteLength, 8);
  t.ok(pool.isWhole(a));
  t.notOk(pool.isWhole(a.subarray(1)), 'a view into a buffer is not a whole piece');
  t.notOk(pool.isWhole(new Uint8Array(4)), 'another size is not');
  pool.give(new ArrayBuffer(4)); // another size: left to the GC
  t.equal(pool.takeSpare(), undefined);
  const b = new ArrayBuffer(8);
  pool.give(a.buffer as ArrayBuffer);
  pool.give(b);
  pool.give(new ArrayBuffer(8)); // past max
  t.equal(pool.take().buffer, b, 'take() gives a kept buffer');
  t.equal(pool.takeSpare(), a.buffer);
  t.equal(pool.takeSpare(), undefined, 'the third was not kept');
});

t.test('the result counts the thread; names are repaired and sorted', async (t) => {
  const { result } = await collect(fileJob('frank_1006'), { me: ME });
  t.equal(result.threads, 1);
  t.ok(result.assistantTurns > 0);
  t.same(result.people, ['Ada Lovelace', 'Frank Fox', 'Gina Gray']);
  t.same(result.report, []);
});

t.test('a bad thread resolves with its error (code and place), not a rejection', async (t) => {
  const { result } = await collect(fileJob('dave_1004'), { me: ME });
  t.equal(result.error?.code, 'FBS_JSON_SYNTAX');
  t.match(result.error?.message, /dave_1004[/\\]message_2\.json/);
  t.equal(result.examples, 0);

  const missing = await collect({ index: 0, key: 'x', parts: [{ kind: 'file', path: join(INBOX, 'nobody', 'message_1.json') }] }, { me: ME });
  t.equal(missing.result.error?.code, 'FBS_IO');
});

t.test('langchain: a thread can emit bytes before it fails (which is why callers drop them)', async (t) => {
  const { result, pieces } = await collect(fileJob('dave_1004'), { me: ME, preset: 'langchain', window: 2, overlap: 0 }, { pieceBytes: 16 });
  t.equal(result.error?.code, 'FBS_JSON_SYNTAX');
  t.ok(pieces.length > 0, 'part 1 was emitted before part 2 failed');
});

t.test('zip parts: same bytes as files; one opener opens each archive once', async (t) => {
  const dir = tempDir(t);
  const archive = join(dir, 'export.zip');
  const files = ['bob_1002', 'eve_1005'].flatMap((thread) =>
    partsOf(thread).map((p) => ({ name: `messages/inbox/${thread}/${p.slice(p.lastIndexOf('message_'))}`, content: readFileSync(p) })),
  );
  writeFileSync(archive, await yazlZip(files));
  const zipJob = (thread: string): ThreadJob => ({
    index: 0,
    key: `inbox/${thread}`,
    parts: partsOf(thread).map((p) => ({ kind: 'zip', archive, entry: `messages/inbox/${thread}/${p.slice(p.lastIndexOf('message_'))}` })),
  });
  const options: StageOptions = { me: ME };
  const opener = createPartOpener();
  t.teardown(() => opener.close());
  const bob = await collect(zipJob('bob_1002'), options, { opener });
  t.notOk(bob.result.error);
  t.equal(bob.text, await reference(partsOf('bob_1002'), options));
  unlinkSync(archive); // the opener still holds the archive open: no second open happens
  const eve = await collect(zipJob('eve_1005'), options, { opener });
  t.notOk(eve.result.error, 'read through the archive opened for the first job');
  t.equal(eve.text, await reference(partsOf('eve_1005'), options));

  // a thread whose parts come from a zip and a folder
  writeFileSync(archive, await yazlZip(files));
  const mixed: ThreadJob = { index: 0, key: 'inbox/bob_1002', parts: [{ kind: 'file', path: partsOf('bob_1002')[0]! }, zipJob('bob_1002').parts[1]!] };
  t.equal((await collect(mixed, options)).text, bob.text, 'a fresh opener, closed by the job');
});

t.test('zip faults are the thread\'s errors', async (t) => {
  const dir = tempDir(t);
  const content = readFileSync(partsOf('carol_1003')[0]!);
  const good = await yazlZip([{ name: 'inbox/carol/message_1.json', content, compress: false }]);
  const bad = join(dir, 'bad.zip');
  writeFileSync(bad, flipByte(good, offsetOf(good, 'carol_1003 #3')));
  const part = (archive: string, entry = 'inbox/carol/message_1.json'): ThreadJob => ({ index: 0, key: 'inbox/carol', parts: [{ kind: 'zip', archive, entry }] });
  t.equal((await collect(part(bad), { me: ME })).result.error?.code, 'FBS_ZIP_CORRUPT');
  const ok = join(dir, 'ok.zip');
  writeFileSync(ok, good);
  t.equal((await collect(part(ok, 'inbox/carol/message_9.json'), { me: ME })).result.error?.code, 'FBS_IO');
  const notZip = join(dir, 'not.zip');
  writeFileSync(notZip, 'hello');
  t.equal((await collect(part(notZip), { me: ME })).result.error?.code, 'FBS_ZIP_INVALID');
});

t.test('a failing emit or an abort rejects: neither is the thread\'s fault', async (t) => {
  const boom = new Error('disk full');
  await t.rejects(runThreadJob(fileJob('heidi_1008'), { me: ME }, () => Promise.reject(boom), { pieceBytes: 8 }), boom);
  const ac = new AbortController();
  let n = 0;
  const p = runThreadJob(fileJob('heidi_1008'), { me: ME }, () => void (++n === 2 && ac.abort()), { pieceBytes: 8, signal: ac.signal });
  await t.rejects(p, { name: 'AbortError' });
  const pre = new AbortController();
  pre.abort();
  await t.rejects(runThreadJob(fileJob('heidi_1008'), { me: ME }, () => {}, { signal: pre.signal }), { name: 'AbortError' });
});

t.test('bad options', async (t) => {
  await t.rejects(runThreadJob(fileJob('alice_1001'), { me: ME }, () => {}, { pieceBytes: 3 }), { code: 'FBS_INVALID_OPTION' });
  await t.rejects(runThreadJob(fileJob('alice_1001'), { me: ME, preset: 'nope' as 'default' }, () => {}), { code: 'FBS_INVALID_OPTION' });
});

t.test('jobs from the export index: folder entries become file parts, zip entries zip parts', async (t) => {
  const dir = tempDir(t);
  const archive = join(dir, 'more.zip');
  writeFileSync(archive, await yazlZip([{ name: 'messages/inbox/eve_1005/message_3.json', content: readFileSync(partsOf('eve_1005')[2]!) }]));
  const root = join(INBOX, '..', '..');
  const folder = (await listFolder(root)).filter((e) => !e.path.endsWith('eve_1005/message_3.json'));
  const zip = await openZip(archive);
  t.teardown(() => zip.close());
  const jobs = jobsFromPlans(buildExportIndex([...folder, ...zip.entries]).threads);
  t.same(jobs.map((j) => j.key), readdirSync(INBOX).sort().map((x) => `inbox/${x}`));
  const eve = jobs.find((j) => j.key === 'inbox/eve_1005')!;
  t.same(eve.parts.map((p) => p.kind), ['file', 'file', 'zip']);
  const listed = zip.entries[0]!;
  const at = { ...listed.dataAt!()!, size: listed.size, compressedSize: listed.compressedSize };
  t.same(eve.parts[2], { kind: 'zip', archive, entry: 'messages/inbox/eve_1005/message_3.json', at }, 'where the listing found its data');
  // listed by the folder walk as a regular file: opened without a stat first
  t.same(eve.parts[0], { kind: 'file', path: partsOf('eve_1005')[0], listedRegular: true });
  t.equal((await collect(eve, { me: ME })).text, await reference(partsOf('eve_1005'), { me: ME }));
});

t.test('a part listed by the folder walk fails as any other: gone since, cut short, broken', async (t) => {
  const dir = tempDir(t);
  const inbox = join(dir, 'messages', 'inbox');
  const good = readFileSync(partsOf('eve_1005')[0]!, 'utf8');
  const threads = { gone_1: good, cut_2: good.slice(0, good.length / 2), broken_3: good.replace('"messages"', '"messages" 1'), empty_4: '' };
  for (const [name, text] of Object.entries(threads)) {
    mkdirSync(join(inbox, name), { recursive: true });
    writeFileSync(join(inbox, name, 'message_1.json'), text);
  }
  const jobs = jobsFromPlans(buildExportIndex(await listFolder(dir)).threads);
  unlinkSync(join(inbox, 'gone_1', 'message_1.json'));
  t.equal(jobs.length, 4);
  const codes: Record<string, string | undefined> = {};
  for (const job of jobs) {
    const part = job.parts[0]!;
    t.match(part, { kind: 'file', listedRegular: true });
    const listed = await collect(job, { me: ME });
    const unlisted = await collect({ ...job, parts: [{ kind: 'file', path: (part as { path: string }).path }] }, { me: ME });
    t.same(listed.result, unlisted.result, `${job.key}: the error of a part not listed`);
    codes[job.key] = listed.result.error?.code;
  }
  t.same(codes, { 'inbox/broken_3': 'FBS_JSON_SYNTAX', 'inbox/cut_2': 'FBS_JSON_SYNTAX', 'inbox/empty_4': 'FBS_EMPTY_INPUT', 'inbox/gone_1': 'FBS_IO' });
});
