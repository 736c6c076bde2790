import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import t, { type Test } from 'tap';
import { DataError, IoError } from '../../lib/errors.js';
import type { ExportEntry } from '../../lib/sources/entry.js';
import {
  buildExportIndex,
  classify,
  createHeaderReader,
  readThreadHeader,
  SKIP_REASONS,
  type ExportIndex,
  type ExportIndexOptions,
} from '../../lib/export/export-index.js';
import { listFolder } from '../../lib/sources/folder.js';
import { toMojibake } from '../../lib/text/mojibake.js';

const FIXTURES = new URL('../fixtures/exports/', import.meta.url).pathname;
const fx = (...p: string[]) => join(FIXTURES, ...p);
const FB25 = fx('fb-2025', 'your_facebook_activity', 'messages');

async function index(inputs: string[], options?: ExportIndexOptions): Promise<ExportIndex> {
  const entries: ExportEntry[] = [];
  for (const input of inputs) entries.push(...(await listFolder(input)));
  return buildExportIndex(entries, options);
}

/** An entry that is not a file on disk (as a zip reader makes them). */
function fake(input: string, path: string, text = '{}'): ExportEntry {
  return { input, path, name: `${input}:${path}`, size: Buffer.byteLength(text), open: () => Readable.from([Buffer.from(text)]) };
}

/** A file given as the input itself. */
function fileEntry(file: string, text = '{}'): ExportEntry {
  return { input: file, path: basename(file), name: file, size: Buffer.byteLength(text), open: () => Readable.from([Buffer.from(text)]) };
}

const summary = (ix: ExportIndex) => ix.threads.map((th) => [th.key, th.section, th.dialect, th.parts.length]);
const skippedCounts = (ix: ExportIndex) => Object.fromEntries(ix.skipped.map((s) => [s.reason, s.count]));
const partNames = (ix: ExportIndex, key: string) => ix.threads.find((th) => th.key === key)!.parts.map((p) => p.path.split('/').pop());

t.test('2025 layout: five sections in order, parts in numeric order, the rest skipped with reasons', async (t) => {
  const ix = await index([fx('fb-2025')]);
  t.same(summary(ix), [
    ['inbox/facebookuser_1009', 'inbox', 'classic', 1],
    ['inbox/marysomerville_1007', 'inbox', 'classic', 11],
    ['inbox/thecircle_1002', 'inbox', 'classic', 1],
    ['inbox/zoemartin_1001', 'inbox', 'classic', 1],
    ['archived_threads/bobstone_1003', 'archived_threads', 'classic', 1],
    ['filtered_threads/carolking_1004', 'filtered_threads', 'classic', 1],
    ['message_requests/davewu_1005', 'message_requests', 'classic', 1],
    ['e2ee_cutover/erinlee_1006', 'e2ee_cutover', 'classic', 1],
  ]);
  t.same(partNames(ix, 'inbox/marysomerville_1007'), Array.from({ length: 11 }, (_, i) => `message_${i + 1}.json`), 'message_10 after message_9');
  t.same(skippedCounts(ix), { [SKIP_REASONS.notJson]: 2, [SKIP_REASONS.messagesOther]: 1, [SKIP_REASONS.otherJson]: 2 });
  const other = ix.skipped.find((s) => s.reason === SKIP_REASONS.otherJson)!;
  t.ok(other.examples.some((e) => e.endsWith('your_posts_1.json')), 'your_posts_1.json is not an E2EE thread');
  t.ok(ix.skipped.find((s) => s.reason === SKIP_REASONS.messagesOther)!.examples[0]!.endsWith('autofill_information.json'));
  t.equal(ix.htmlOnly, false);
  t.ok(ix.threads.every((th) => th.missingParts.length === 0));
});

t.test('2024 and the older root-level messages/ layouts', async (t) => {
  t.same(summary(await index([fx('fb-2024')])), [
    ['inbox/zoemartin_1001', 'inbox', 'classic', 1],
    ['message_requests/davewu_1005', 'message_requests', 'classic', 1],
  ]);
  t.same(summary(await index([fx('fb-old')])), [
    ['inbox/zoemartin_1001', 'inbox', 'classic', 1],
    ['archived_threads/bobstone_1003', 'archived_threads', 'classic', 1],
  ]);
});

t.test('pointing at a subfolder or a file gives the same keys as the whole export', async (t) => {
  const whole = await index([fx('fb-2025')]);
  const keysOf = (ix: ExportIndex) => ix.threads.map((th) => th.key);
  t.same(keysOf(await index([FB25])), keysOf(whole), 'the messages folder');
  t.same(keysOf(await index([join(FB25, 'inbox')])), keysOf(whole).filter((k) => k.startsWith('inbox/')), 'one section');
  const one = await index([join(FB25, 'inbox', 'marysomerville_1007')]);
  t.same(summary(one), [['inbox/marysomerville_1007', 'inbox', 'classic', 11]], 'one thread folder');
  const file = buildExportIndex([fileEntry(join(FB25, 'inbox', 'zoemartin_1001', 'message_1.json'))]);
  t.same(summary(file), [['inbox/zoemartin_1001', 'inbox', 'classic', 1]], 'one file');
});

t.test('zip entries: paths from the archive root, whatever the archive is called', async (t) => {
  const zip = 'downloads/facebook-ada-2025-01-01-AbC.zip';
  const ix = buildExportIndex([
    fake(zip, 'your_facebook_activity/messages/inbox/alice_123/message_2.json'),
    fake(zip, 'your_facebook_activity/messages/inbox/alice_123/message_1.json'),
    fake(zip, 'your_activity_across_facebook/messages/e2ee_cutover/bob_9/message_1.json'),
    fake(zip, 'messages/filtered_threads/carol_7/message_1.json'),
    fake(zip, 'your_facebook_activity/messages/inbox/alice_123/audio/a.mp4'),
  ]);
  t.same(summary(ix), [
    ['inbox/alice_123', 'inbox', 'classic', 2],
    ['filtered_threads/carol_7', 'filtered_threads', 'classic', 1],
    ['e2ee_cutover/bob_9', 'e2ee_cutover', 'classic', 1],
  ]);
  t.same(partNames(ix, 'inbox/alice_123'), ['message_1.json', 'message_2.json']);
  t.equal(ix.threads[0]!.parts[0]!.name, `${zip}:your_facebook_activity/messages/inbox/alice_123/message_1.json`);
});

t.test('Instagram: its own root, or the older messages/ told apart by siblings or name', async (t) => {
  t.same(summary(await index([fx('instagram-ada-2024')])), [
    ['inbox/zoe.m_17841400000000001', 'inbox', 'instagram', 1],
    ['message_requests/stranger_17841400000000002', 'message_requests', 'instagram', 1],
  ]);
  t.same(summary(await index([fx('ig-old')])), [['inbox/zoe.m_17841400000000001', 'inbox', 'instagram', 1]], 'followers_and_following beside messages/');
  t.same(summary(await index([fx('fb-old')])).map((s) => s[2]), ['classic', 'classic'], 'friends beside messages/');

  const inbox = fx('ig-old', 'messages', 'inbox');
  t.equal((await index([inbox])).threads[0]!.dialect, 'classic', 'no sibling visible, no telling name: classic by default');
  t.equal((await index([inbox], { platform: 'instagram' })).threads[0]!.dialect, 'instagram', 'unless told');
  t.equal((await index([fx('fb-2025')], { platform: 'instagram' })).threads[0]!.dialect, 'classic', 'an unambiguous layout wins over the option');

  const byName = (zip: string) => buildExportIndex([fake(zip, 'messages/inbox/zoe_1/message_1.json')]).threads[0]!.dialect;
  t.equal(byName('dl/instagram-ada.codes-20220101-xyz.zip'), 'instagram', 'Meta names the download instagram-…');
  t.equal(byName('dl/facebook-ada-20220101-xyz.zip'), 'classic');
  const marker = buildExportIndex([fake('x.zip', 'messages/inbox/zoe_1/message_1.json'), fake('x.zip', 'connections/followers_and_following/following.json')]);
  t.equal(marker.threads[0]!.dialect, 'instagram', 'connections/followers_and_following is an Instagram sibling');
  const both = buildExportIndex([fake('x.zip', 'messages/inbox/zoe_1/message_1.json'), fake('x.zip', 'friends/a.json'), fake('x.zip', 'followers_and_following/b.json')]);
  t.equal(both.threads[0]!.dialect, 'classic', 'contradicting siblings: the default');
});

t.test('the E2EE download: each <Display Name>_<N>.json is one thread, apart from classic ones', async (t) => {
  const ix = await index([fx('e2ee-download')]);
  t.same(summary(ix), [
    ['e2ee/Bob Stone_3', 'e2ee', 'e2ee', 1],
    ['e2ee/Zoë Martin_40', 'e2ee', 'e2ee', 1],
  ]);
  t.same(skippedCounts(ix), { [SKIP_REASONS.notJson]: 1 }, 'media/');
  t.same(summary(await index([fx('e2ee-download', 'messages')])), summary(ix), 'pointing at messages/');
  const zip = buildExportIndex([fake('dl/messages (1).zip', 'Zoë Martin_40.json'), fake('dl/messages (1).zip', 'media/abc.jpeg')]);
  t.same(summary(zip), [['e2ee/Zoë Martin_40', 'e2ee', 'e2ee', 1]], 'messages.zip with the files at its root');
  t.same(summary(buildExportIndex([fileEntry('/tmp/Bob Stone_3.json')])), [['e2ee/Bob Stone_3', 'e2ee', 'e2ee', 1]], 'one file given');
  const same = buildExportIndex([fake('m.zip', 'messages/Alex Kim_1.json'), fake('m.zip', 'messages/Alex Kim_2.json')]);
  t.same(same.threads.map((th) => th.key), ['e2ee/Alex Kim_1', 'e2ee/Alex Kim_2'], 'one display name, two N: two threads (never joined)');

  const all = await index([fx('fb-2025'), fx('e2ee-download')]);
  t.same(all.threads.map((th) => th.section).slice(-3), ['e2ee_cutover', 'e2ee', 'e2ee'], 'after e2ee_cutover');
  t.equal(all.threads.find((th) => th.key === 'e2ee_cutover/erinlee_1006')!.dialect, 'classic');
});

t.test('a thread split over two inputs is merged; copies kept once and reported; a part of another size read too', async (t) => {
  const p1 = fx('split', 'part1');
  const p2 = fx('split', 'part2');
  const ix = await index([p1, p2]);
  t.same(summary(ix), [
    ['inbox/zoemartin_1001', 'inbox', 'classic', 3],
    ['archived_threads/bobstone_1003', 'archived_threads', 'classic', 1],
    ['filtered_threads/carolking_1004', 'filtered_threads', 'classic', 2],
  ]);
  const zoe = ix.threads[0]!;
  t.same(zoe.parts.map((p) => [p.input, p.path.split('/').pop()]), [[p1, 'message_1.json'], [p2, 'message_2.json'], [p1, 'message_3.json']]);
  t.same(zoe.missingParts, []);
  t.equal(ix.threads[1]!.parts[0]!.input, p1, 'the first input keeps the part');
  t.same(skippedCounts(ix), { [SKIP_REASONS.duplicate]: 1, [SKIP_REASONS.notJson]: 1 });
  // an export of another date: the same part name, other content; both read (messages deduplicated later)
  t.same(ix.threads[2]!.parts.map((p) => p.input), [p1, p2]);
  t.match(ix.skipped.find((s) => s.reason === SKIP_REASONS.duplicate)!.examples, [/part2.*bobstone_1003/]);

  const alone = await index([p1]);
  t.same(alone.threads[0]!.missingParts, [2], 'a part in a zip not given');

  const twice = await index([fx('fb-2024'), fx('fb-2024')]);
  t.same(summary(twice), summary(await index([fx('fb-2024')])), 'the same input twice');
  t.same(skippedCounts(twice), { [SKIP_REASONS.duplicate]: 2 });

  const across = await index([fx('fb-2025'), join(FB25, 'inbox')]);
  t.equal(across.threads.length, 8, 'an export and one of its own folders: the same threads');
  t.equal(skippedCounts(across)[SKIP_REASONS.duplicate], 14);
});

t.test('an HTML export is flagged; HTML beside JSON is only skipped', async (t) => {
  const ix = await index([fx('html-export')]);
  t.equal(ix.htmlOnly, true);
  t.same(ix.threads, []);
  t.same(skippedCounts(ix), { [SKIP_REASONS.html]: 1, [SKIP_REASONS.notJson]: 2 });
  const mixed = await index([fx('html-export'), fx('fb-2024')]);
  t.equal(mixed.htmlOnly, false);
  t.equal(buildExportIndex([]).htmlOnly, false, 'nothing at all is not HTML');
});

t.test('classify: the layout read from the end of the full path', async (t) => {
  const place = (p: string, atTop = false) => classify(p.split('/'), atTop);
  t.match(place('x/your_instagram_activity/messages/inbox/a_1/message_7.json'), { part: 7, key: 'inbox/a_1', section: 'inbox', dialect: 'instagram' });
  t.match(place('x/your_facebook_activity/messages/brand_new/a_1/message_1.json'), { key: 'brand_new/a_1', section: null, dialect: 'classic' }, 'unknown section kept');
  t.match(place('backup/inbox/a_1/message_1.json'), { key: 'inbox/a_1', section: 'inbox', root: ['backup'] }, 'a copied messages folder');
  t.match(place('tmp/threads/alice_1/message_2.json'), { part: 2, key: 'alice_1', section: null }, 'a loose thread folder');
  t.match(place('x/your_facebook_activity/messages/inbox/a_1/MESSAGE_3.JSON'), { part: 3 }, 'any case');
  t.same(place('x/messages/inbox/a_1/message_1.html'), { skip: SKIP_REASONS.html });
  t.same(place('x/messages/inbox/a_1/photos/p.png'), { skip: SKIP_REASONS.notJson });
  t.same(place('x/your_facebook_activity/messages/stickers_used/s.json'), { skip: SKIP_REASONS.messagesOther });
  t.same(place('x/your_facebook_activity/messages/Alice_4.json'), { skip: SKIP_REASONS.messagesOther }, 'not E2EE inside a Facebook export');
  t.same(place('x/your_facebook_activity/posts/your_posts_1.json', true), { skip: SKIP_REASONS.otherJson });
  t.same(place('x/comments/comments_1.json'), { skip: SKIP_REASONS.otherJson }, 'a _N.json elsewhere is not E2EE');
  t.same(place('dl/facebook_chat.json', true), { skip: SKIP_REASONS.looseJson }, 'a JSON file at the top of an input, in no layout');
  t.same(place('dl/messages/settings.json', true), { skip: SKIP_REASONS.messagesOther }, 'at the top of an input named messages/');
  t.match(place('dl/e2ee/Alice Smith_12.json', true), { key: 'e2ee/Alice Smith_12', dialect: 'e2ee' }, 'at the top of its input');
  t.same(place('x/messages/message.json'), { skip: SKIP_REASONS.messagesOther });
});

t.test('entries in any order give the same index', async (t) => {
  const entries = [
    ...(await listFolder(fx('fb-2025'))),
    ...(await listFolder(fx('instagram-ada-2024'))),
    ...(await listFolder(fx('e2ee-download'))),
  ];
  const expected = buildExportIndex(entries);
  const view = (ix: ExportIndex) => ix.threads.map((th) => [th.key, th.dialect, th.parts.map((p) => p.name)]);
  fc.assert(
    fc.property(fc.shuffledSubarray(entries, { minLength: entries.length }), (shuffled) => {
      const ix = buildExportIndex(shuffled);
      t.same(view(ix), view(expected));
      return true;
    }),
    { numRuns: 25 },
  );
});

t.test('maxExamples bounds the examples kept', async (t) => {
  const ix = await index([fx('fb-2025')], { maxExamples: 1 });
  t.ok(ix.skipped.every((s) => s.examples.length === 1));
});

// ---- header reading ----

t.test('a .json named as an input is a thread of its own when no layout places it', async (t) => {
  const chat = fileEntry('/tmp/x/chat.json', '{"participants": [], "messages": []}');
  const notes = fileEntry('/tmp/x/notes.txt', 'hello');
  const part = fileEntry('/tmp/x/t_1/message_1.json', '{}');
  t.same(buildExportIndex([chat, notes]).threads, [], 'not named one by one: skipped as other export data');
  const ix = buildExportIndex([chat, notes, part], { given: new Set([chat, notes, part]) });
  t.same(
    ix.threads.map((p) => [p.key, p.section, p.dialect, p.parts.map((e) => e.name)]),
    [['chat', null, 'classic', ['/tmp/x/chat.json']], ['t_1', null, 'classic', ['/tmp/x/t_1/message_1.json']]],
    'its name is its key; a part is placed as before',
  );
  t.same(skippedCounts(ix), { [SKIP_REASONS.notJson]: 1 }, 'a file that is not JSON stays skipped');
});

async function header(p: string[], options?: { repair?: boolean }) {
  const file = join(...p);
  const [e] = (await listFolder(join(file, '..'))).filter((x) => x.name === file);
  return readThreadHeader(e!, options);
}

t.test('headers of every dialect, mojibake repaired', async (t) => {
  t.same(await header([FB25, 'inbox', 'zoemartin_1001', 'message_1.json']), { participants: ['Zoë Martin', 'Ada Lovelace'], title: 'Zoë Martin', threadPath: 'inbox/zoemartin_1001', isGroup: false, format: 'classic' });
  t.match(await header([FB25, 'inbox', 'thecircle_1002', 'message_1.json']), { participants: ['Ada Lovelace', 'Zoë Martin', 'Charles Babbage'], isGroup: true });
  t.same(await header([FIXTURES, 'e2ee-download', 'messages', 'Zoë Martin_40.json']), {
    participants: ['Ada Lovelace', 'Zoë Martin'],
    title: 'Zoë Martin_40',
    isGroup: false,
    format: 'e2ee',
  });
  const ig = await header([FIXTURES, 'instagram-ada-2024', 'your_instagram_activity', 'messages', 'inbox', 'zoe.m_17841400000000001', 'message_1.json']);
  t.same(ig.participants, ['Zoë M', 'ada.codes']);
  t.same((await header([FB25, 'inbox', 'zoemartin_1001', 'message_1.json'], { repair: false })).participants[0], toMojibake('Zoë Martin'));
});

t.test('title, thread_path and thread_type are taken when they come first', async (t) => {
  const text = JSON.stringify({ title: 'Caf\u00c3\u00a9', thread_path: 'inbox/x_1', thread_type: 'RegularGroup', participants: [{ name: 'A' }, { name: 'B' }], messages: [] });
  t.same(await readThreadHeader(fake('z.zip', 'a/message_1.json', text)), { participants: ['A', 'B'], title: 'Café', threadPath: 'inbox/x_1', isGroup: true, format: 'classic' });
});

/** How an entry's bytes are read: in place (files and zip entries can be), or as a stream. */
const READS = ['in place', 'streamed'] as const;

/** A big thread file and an entry that counts the bytes handed out, read `how`. */
async function bigThread(t: Test, messages: number, participantsFirst: boolean, how: (typeof READS)[number]) {
  const dir = await mkdtemp(join(tmpdir(), 'fbstream-header-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'message_1.json');
  const people = '[{"name": "Zo\\u00c3\\u00ab"}, {"name": "Ada"}]';
  const body = Array.from({ length: messages }, (_, i) => `{"sender_name": "Ada", "timestamp_ms": ${1e12 + i}, "content": "message number ${i} with some text"}`).join(',\n');
  await writeFile(file, participantsFirst ? `{"participants": ${people}, "messages": [${body}], "title": "t"}` : `{"messages": [${body}], "participants": ${people}}`);
  const [entry] = await listFolder(dir);
  /** Per file opened: whether it is closed now (the reader closed, the stream destroyed). */
  const stats = { bytes: 0, closed: [] as (() => boolean)[] };
  const counted: ExportEntry = {
    ...entry!,
    open() {
      const s = entry!.open() as Readable;
      s.on('data', (c: Buffer) => (stats.bytes += c.length));
      stats.closed.push(() => s.destroyed);
      return s;
    },
  };
  if (how === 'in place') {
    counted.readInPlace = () => {
      const r = entry!.readInPlace!()!;
      let closed = false;
      stats.closed.push(() => closed);
      return {
        read: (into) => {
          const bytes = r.read(into);
          stats.bytes += bytes.length;
          return bytes;
        },
        close: () => {
          r.close();
          closed = true;
        },
      };
    };
  } else delete counted.readInPlace;
  return { entry: counted, stats, size: entry!.size };
}

for (const how of READS) {
  t.test(`header reading stops early and closes the file (${how})`, async (t) => {
    const { entry, stats, size } = await bigThread(t, 100_000, true, how);
    t.ok(size > 5_000_000, `a big file (${size} bytes)`);
    t.same((await readThreadHeader(entry)).participants, ['Zoë', 'Ada']);
    t.ok(stats.bytes > 0 && stats.bytes <= 2 * 65536, `read ${stats.bytes} bytes of ${size}`);
    t.same(stats.closed.map((closed) => closed()), [true], 'opened once, closed');
  });

  t.test(`participants after the messages are still found (the whole file is read, ${how})`, async (t) => {
    const { entry, stats, size } = await bigThread(t, 2_000, false, how);
    t.same((await readThreadHeader(entry)).participants, ['Zoë', 'Ada']);
    t.equal(stats.bytes, size);
  });
}

t.test('any chunking gives the same header', async (t) => {
  const text = Buffer.from('\ufeff{"participants": ["Zoë 😢", {"name": "Ada"}], "threadName": "Zoë_1", "messages": [{"a": 1}]}');
  const whole = await readThreadHeader(fake('x', 'x.json', text.toString()));
  t.same(whole, { participants: ['Zoë 😢', 'Ada'], title: 'Zoë_1', isGroup: false, format: 'e2ee' });
  const bytes = [...text].map((b) => Buffer.from([b]));
  const oneByOne: ExportEntry = { ...fake('x', 'x.json'), open: () => Readable.from(bytes) };
  t.same(await readThreadHeader(oneByOne), whole, 'one byte at a time, BOM dropped');
  const reader = createHeaderReader('x');
  let i = 0;
  while (!reader.push(bytes[i++]!));
  t.same(reader.end(), whole);
  t.ok(reader.bytesRead < text.length, 'stopped at "messages"');
});

t.test('a chunk is tokenized only up to the header: what follows in it is not looked at', async (t) => {
  const text = '{"participants": [{"name": "A"}, {"name": "B"}], "messages": [' + '{"content": "x"}, '.repeat(2000) + '!!! not JSON';
  t.ok(text.length > 4 * 4096, 'one chunk of several slices');
  const header = await readThreadHeader(fake('x', 'x.json', text));
  t.same(header.participants, ['A', 'B'], 'the header, though the chunk ends in a syntax error');
});

t.test('errors name the entry and carry a code', async (t) => {
  const read = (text: string) => readThreadHeader(fake('a.zip', 'm/message_1.json', text));
  await t.rejects(read(''), { code: 'FBS_EMPTY_INPUT', source: 'a.zip:m/message_1.json' });
  await t.rejects(read('   '), { code: 'FBS_EMPTY_INPUT' });
  await t.rejects(read('[1, 2]'), { code: 'FBS_NOT_A_THREAD' });
  await t.rejects(read('{"participants": [], "title": "x"}'), { code: 'FBS_NOT_A_THREAD', message: /no "messages"/ });
  await t.rejects(read('{"participants": [{"name": "A"}'), { code: 'FBS_JSON_SYNTAX', offset: 31 });
  await t.rejects(read('{"participants": [}'), DataError);
  const failing: ExportEntry = {
    ...fake('a.zip', 'b.json'),
    open: () =>
      new Readable({
        read() {
          this.destroy(new Error('disk on fire'));
        },
      }),
  };
  await t.rejects(readThreadHeader(failing), IoError);
  await t.rejects(readThreadHeader({ ...fake('a.zip', 'c.json'), open: () => Promise.reject(new Error('gone')) }), { code: 'FBS_IO', message: /a\.zip:c\.json.*gone/ });
  t.same(await read('{"participants": [], "messages": []}'), { participants: [], isGroup: false, format: 'classic' }, 'empty participants are fine');
});

t.test('errors read in place name the entry, and the reader is closed', async (t) => {
  let closed = 0;
  const failing: ExportEntry = {
    ...fake('a.zip', 'b.json'),
    readInPlace: () => ({
      read: () => {
        throw new Error('disk on fire');
      },
      close: () => void ++closed,
    }),
  };
  await t.rejects(readThreadHeader(failing), { code: 'FBS_IO', message: /a\.zip:b\.json.*disk on fire/ });
  t.equal(closed, 1, 'closed after the failed read');
  const refused: ExportEntry = {
    ...fake('a.zip', 'c.json'),
    readInPlace: () => {
      throw new DataError('FBS_ZIP_UNSUPPORTED', 'encrypted entry', { source: 'a.zip:c.json' });
    },
  };
  await t.rejects(readThreadHeader(refused), { code: 'FBS_ZIP_UNSUPPORTED' }, 'our own errors pass through');
  const fifoLike: ExportEntry = { ...fake('x', 'x.json', '{"participants": ["A"], "messages": []}'), readInPlace: () => null };
  t.same((await readThreadHeader(fifoLike)).participants, ['A'], 'no reader in place: read as a stream');
});
