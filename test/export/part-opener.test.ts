/**
 * lib/export/part-opener.ts: a zip part whose data the export's listing located is read there, by
 * each opener through its own descriptor, with no second listing, and gives the same bytes and
 * the same errors as the archive listed again; anything else goes through the listing.
 */
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { createPartOpener } from '../../lib/export/part-opener.js';
import { partRefOf, type PartRef } from '../../lib/export/part-ref.js';
import { runThreadJob, type ThreadJob } from '../../lib/export/thread-job.js';
import { openZip, type ZipEntry } from '../../lib/sources/zip.js';
import { WHOLE_INFLATE_MAX } from '../../lib/sources/zip/in-place.js';
import { partsOf } from '../support/parallel-export.js';
import { reference } from '../support/reference-pipeline.js';
import { CORRUPT_DEFLATE, yazlZip } from '../support/zip.js';

const ME = 'Ada Lovelace';

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'fbstream-part-opener-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The threads' parts in one archive (bob's stored, the others deflated), and its entries as the export lists them. */
async function archiveOf(dir: string, threads: string[], edit: (zip: Buffer, entries: ZipEntry[]) => Buffer = (z) => z) {
  const path = join(dir, 'export.zip');
  const files = threads.flatMap((thread) => partsOf(thread).map((p) => ({ name: `messages/inbox/${thread}/${p.slice(p.lastIndexOf('message_'))}`, content: readFileSync(p), compress: thread !== 'bob_1002' })));
  const bytes = await yazlZip(files);
  writeFileSync(path, bytes);
  const listing = await openZip(path);
  const entries = listing.entries;
  await listing.close();
  writeFileSync(path, edit(bytes, entries));
  const job = (thread: string, ref: (e: ZipEntry) => PartRef = partRefOf): ThreadJob => ({
    index: 0,
    key: `inbox/${thread}`,
    parts: entries.filter((e) => e.path.includes(`/${thread}/`)).map(ref),
  });
  return { path, entries, job };
}

/** An opener that counts the entries its listings look at. */
function countingOpener() {
  const seen = { entries: 0 };
  const opener = createPartOpener({ zip: { include: (p) => (++seen.entries, p.endsWith('.json')) } });
  return { opener, seen };
}

async function collect(job: ThreadJob, opener = createPartOpener()) {
  const pieces: Uint8Array[] = [];
  const result = await runThreadJob(job, { me: ME }, (b) => void pieces.push(b), { opener });
  return { result, text: Buffer.concat(pieces).toString('utf8') };
}

t.test('a located part is read where the listing found it: the same bytes, the archive never listed again', async (t) => {
  const dir = tempDir(t);
  const { path, job } = await archiveOf(dir, ['bob_1002', 'eve_1005']);
  t.ok(job('eve_1005').parts.every((p) => p.kind === 'zip' && p.at !== undefined), 'the parts carry where their data is');
  const { opener, seen } = countingOpener();
  t.teardown(() => opener.close());
  const bob = await collect(job('bob_1002'), opener);
  t.notOk(bob.result.error);
  t.equal(bob.text, await reference(partsOf('bob_1002'), { me: ME }), 'stored entries');
  unlinkSync(path); // the opener holds its own descriptor: the next thread is read through it
  const eve = await collect(job('eve_1005'), opener);
  t.notOk(eve.result.error);
  t.equal(eve.text, await reference(partsOf('eve_1005'), { me: ME }), 'deflated entries, across parts');
  t.equal(seen.entries, 0, 'no listing');
  await opener.close();
  await t.rejects(opener.source(job('bob_1002').parts[0]!), { code: 'FBS_IO', message: /the part opener is closed/ });
});

t.test('a located part fails as the listed one does: corrupt deflate data, a wrong CRC-32, invalid JSON', async (t) => {
  const dir = tempDir(t);
  for (const [thread, what] of [['eve_1005', 'deflated'], ['bob_1002', 'stored'], ['bob_1002', 'not JSON']] as const) {
    // the first part's deflate data refused at its first byte; a letter of the stored one changed (still JSON)
    const { job } = await archiveOf(dir, [thread], (zip, entries) => {
      const e = entries.find((x) => x.path.endsWith(`${thread}/message_1.json`))!;
      const start = e.dataAt!()!.start;
      if (what === 'deflated') return Buffer.concat([zip.subarray(0, start), CORRUPT_DEFLATE, zip.subarray(start + CORRUPT_DEFLATE.length)]);
      const letter = zip.indexOf('"sender_name":', start) + (what === 'stored' ? 16 : 13);
      const by = what === 'stored' ? (zip[letter] === 0x58 ? 'Y' : 'X') : ';';
      return Buffer.concat([zip.subarray(0, letter), Buffer.from(by), zip.subarray(letter + 1)]);
    });
    const located = await collect(job(thread));
    const listed = await collect(job(thread, (e) => ({ kind: 'zip', archive: e.input, entry: e.path })));
    t.equal(located.result.error?.code, what === 'not JSON' ? 'FBS_JSON_SYNTAX' : 'FBS_ZIP_CORRUPT', `${what}: a coded error`);
    t.match(located.result.error?.message, /export\.zip:messages\/inbox\/.*message_1\.json/, `${what}: naming the entry`);
    t.same(located.result.error, listed.result.error, `${what}: the listed part's error`);
    t.equal(located.text, '', `${what}: no output`);
  }
});

t.test('a part that cannot be read in place, or whose archive is gone, goes through the listing', async (t) => {
  const dir = tempDir(t);
  const { path, job } = await archiveOf(dir, ['eve_1005']);
  // as a deflated entry too large to inflate whole would be: read as a stream of the listed entry
  const large = job('eve_1005', (e) => {
    const ref = partRefOf(e) as Extract<PartRef, { kind: 'zip' }>;
    return e.path.endsWith('message_2.json') ? { ...ref, at: { ...ref.at!, size: WHOLE_INFLATE_MAX + 1 } } : ref;
  });
  const { opener, seen } = countingOpener();
  t.teardown(() => opener.close());
  t.equal((await collect(large, opener)).text, await reference(partsOf('eve_1005'), { me: ME }));
  t.ok(seen.entries > 0, 'listed for that part');

  unlinkSync(path);
  const gone = await collect(job('eve_1005'));
  const listedGone = await collect(job('eve_1005', (e) => ({ kind: 'zip', archive: e.input, entry: e.path })));
  t.equal(gone.result.error?.code, 'FBS_IO');
  t.same(gone.result.error, listedGone.result.error, 'the listing\'s own error');
});
