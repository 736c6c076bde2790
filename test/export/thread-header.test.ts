/** lib/export/thread-header.ts: a title after the messages (classic files), the end of a file read alone, error offsets. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import t, { type Test } from 'tap';
import { openExport } from '../../lib/export/open-export.js';
import { selectThreads } from '../../lib/export/select.js';
import { createHeaderReader, membersAtEnd, readThreadHeader } from '../../lib/export/thread-header.js';
import type { ExportEntry, InPlaceReader } from '../../lib/sources/entry.js';
import { listFolder } from '../../lib/sources/folder.js';
import { yazlZip } from '../support/zip.js';

const people = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `Person ${i}` }));
const messages = (n: number) => Array.from({ length: n }, (_, i) => ({ sender_name: 'Person 0', timestamp_ms: 1e12 + i, content: `message ${i}: "quoted" [brackets] {braces} \\ backslash, "title": "not this"` }));

/** A classic thread file: participants, the messages, then title and the rest (as Meta writes them). */
function classic(participants: number, count: number, title = 'Book Club \u00e2\u0098\u0095'): string {
  return JSON.stringify({ participants: people(participants), messages: messages(count), title, is_still_participant: true, thread_type: 'RegularGroup', thread_path: 'inbox/bookclub_42', magic_words: [] }, null, 2);
}

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fbstream-thread-header-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The file's entry, counting the bytes its in-place reader hands out (the end included). */
async function countedFile(t: Test, text: string) {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'message_1.json'), text);
  const [entry] = await listFolder(dir);
  const read = { bytes: 0 };
  const counted: ExportEntry = {
    ...entry!,
    readInPlace() {
      const r = entry!.readInPlace!()!;
      const count = (b: Uint8Array) => ((read.bytes += b.length), b);
      return { read: (into) => count(r.read(into)), readTail: (into) => count(r.readTail!(into)), close: () => r.close() };
    },
  };
  return { entry: counted, read };
}

/** An entry readable only as a stream, or in place without an end to read alone (a deflated zip entry). */
function noTail(text: string, how: 'stream' | 'in place'): ExportEntry {
  const bytes = Buffer.from(text);
  const entry: ExportEntry = { input: 'x', path: 'message_1.json', name: 'x/message_1.json', size: bytes.length, open: () => Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]) };
  if (how === 'in place') {
    entry.readInPlace = (): InPlaceReader => {
      let at = 0;
      return { read: (into) => { const n = Math.min(into.length, bytes.length - at); bytes.copy(into, 0, at, at + n); at += n; return into.subarray(0, n); }, close() {} };
    };
  }
  return entry;
}

t.test('a title after the messages is found; from a file, only its start and its end are read', async (t) => {
  const text = classic(3, 50_000);
  const { entry, read } = await countedFile(t, text);
  t.ok(text.length > 5_000_000, `a big file (${text.length} bytes)`);
  t.same(await readThreadHeader(entry), {
    participants: ['Person 0', 'Person 1', 'Person 2'],
    title: 'Book Club ☕',
    threadPath: 'inbox/bookclub_42',
    isGroup: true,
    format: 'classic',
  });
  t.ok(read.bytes <= 64 * 1024, `read ${read.bytes} bytes of ${text.length}`);
});

t.test('keys after the messages longer than the first read of the end: a longer one', async (t) => {
  const doc = JSON.parse(classic(2, 100)) as Record<string, unknown>;
  doc['magic_words'] = Array.from({ length: 1000 }, (_, i) => `word ${i}`);
  const { entry } = await countedFile(t, JSON.stringify(doc));
  t.equal((await readThreadHeader(entry)).title, 'Book Club ☕');
});

for (const how of ['stream', 'in place'] as const) {
  t.test(`with no end to read alone (${how}): asked for titles, a group chat is read through for its title, a one-to-one chat is not`, async (t) => {
    t.equal((await readThreadHeader(noTail(classic(3, 2000), how), { titleAtEnd: true })).title, 'Book Club ☕');
    t.equal((await readThreadHeader(noTail(classic(3, 2000), how))).title, undefined, 'not asked: not read through');
    const oneToOne = JSON.stringify({ participants: people(2), messages: messages(10), title: 'Person 1' });
    t.same(await readThreadHeader(noTail(oneToOne, how), { titleAtEnd: true }), { participants: ['Person 0', 'Person 1'], isGroup: false, format: 'classic' }, "its title is the other participant's name");
  });
}

t.test('a file cut short or broken after the header: the header without a title, no error', async (t) => {
  const text = classic(3, 100);
  for (const broken of [text.slice(0, -40), text.slice(0, text.lastIndexOf(']')) + ']] }', text + ' garbage']) {
    const { entry } = await countedFile(t, broken);
    const header = await readThreadHeader(entry);
    t.same(header.participants, ['Person 0', 'Person 1', 'Person 2']);
    t.equal(header.title, undefined);
    t.equal((await readThreadHeader(noTail(broken, 'in place'))).title, undefined, 'read through, the same');
  }
});

t.test('membersAtEnd: the keys after the last big value, exactly, whatever the strings hold', async (t) => {
  const tricky = fc.string({ unit: fc.constantFrom('a', '"', '\\', '[', ']', '{', '}', ',', ':', ' ', 'é', '\u2028') });
  fc.assert(
    fc.property(fc.array(tricky, { minLength: 1, maxLength: 30 }), tricky, fc.nat(4000), (contents, title, cut) => {
      const doc = JSON.stringify({ participants: [{ name: 'A' }], messages: contents.map((content) => ({ content, x: [[{}]] })), title, image: { uri: 'x' } });
      const bytes = Buffer.from(doc);
      const members = membersAtEnd(bytes.subarray(Math.min(cut, bytes.length)));
      if (members === null) return; // the end given is too short to tell
      const parsed = JSON.parse(members) as Record<string, unknown>;
      // the end given may begin in a value after the messages: no title then, never a wrong one
      if ('title' in parsed && parsed['title'] !== title) throw new Error(`${JSON.stringify(parsed['title'])} for ${JSON.stringify(title)}`);
      if (cut < doc.indexOf('],"title"') && parsed['title'] !== title) throw new Error(`no title from ${cut}`);
    }),
    { numRuns: 500 },
  );
  t.pass('every cut gives the right title or none');
  t.equal(membersAtEnd(Buffer.from('[1, 2]')), null, 'not an object');
  t.equal(membersAtEnd(Buffer.from('"title": "x"}')), null, 'no value begins before the end given');
  t.equal(membersAtEnd(Buffer.from('ssages": [1, 2], "title": "t"}')), null, 'the value before the title is whole: which is open is unknown');
  t.equal(membersAtEnd(Buffer.from('1, [2]], "title": "t"}  \n')), '{"":[], "title": "t"}  \n');
  t.equal(membersAtEnd(Buffer.from('x", "y": {"z": 1}], "title": "t"}')), '{"":[], "title": "t"}', 'begun inside a string of the messages');
});

t.test('--thread matches a title that comes after the messages (folder and zip)', async (t) => {
  const dir = await tempDir(t);
  const thread = (title: string, n: number) => JSON.stringify({ participants: people(n), messages: messages(20), title, thread_path: 'x' });
  const files = {
    'messages/inbox/bookclub_42/message_1.json': thread('Book Club \u00e2\u0098\u0095', 3),
    'messages/inbox/person1_7/message_1.json': thread('Person 1', 2),
  };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, 'folder', path, '..'), { recursive: true });
    await writeFile(join(dir, 'folder', path), text);
  }
  await writeFile(join(dir, 'export.zip'), await yazlZip(Object.entries(files).map(([name, content]) => ({ name, content }))));
  for (const input of [join(dir, 'folder'), join(dir, 'export.zip')]) {
    const opened = await openExport([input]);
    t.teardown(() => opened.close());
    const keys = async (threads: string[]) => (await selectThreads(opened, { threads })).selected.map((p) => p.key);
    t.same(await keys(['book club']), ['inbox/bookclub_42'], `a substring of the title (${input})`);
    t.same(await keys(['*club ☕']), ['inbox/bookclub_42'], 'a wildcard over the repaired title');
    t.same(await keys(['person 1']), ['inbox/bookclub_42', 'inbox/person1_7'], 'participants as before');
  }
});

t.test('the offset of a fault in the header is within the slice it is found in, not the read', async (t) => {
  const good = '{"participants": [' + '{"name": "A"}, '.repeat(100);
  const text = good + '}' + ' '.repeat(20_000) + '], "messages": []}';
  const reader = createHeaderReader('x');
  t.throws(() => reader.push(Buffer.from(text)), { code: 'FBS_JSON_SYNTAX' });
  try {
    createHeaderReader('x').push(Buffer.from(text));
  } catch (e) {
    const offset = (e as { offset: number }).offset;
    t.ok(offset > good.length && offset <= good.length + 512, `offset ${offset}, fault at ${good.length}`);
  }
});

t.test('a small file is read once: its end is in that read, not read again', async (t) => {
  const dir = await tempDir(t);
  const text = classic(3, 20);
  t.ok(Buffer.byteLength(text) < 16 * 1024, 'smaller than one read');
  await writeFile(join(dir, 'message_1.json'), text);
  const [entry] = await listFolder(dir);
  const calls: string[] = [];
  const watched: ExportEntry = {
    ...entry!,
    readInPlace() {
      const r = entry!.readInPlace!()!;
      return { size: r.size, read: (into) => (calls.push('read'), r.read(into)), readTail: (into) => (calls.push('tail'), r.readTail!(into)), close: () => r.close() };
    },
  };
  t.same(await readThreadHeader(watched), await readThreadHeader(noTail(text, 'in place')).then((h) => ({ ...h, title: 'Book Club ☕', threadPath: 'inbox/bookclub_42' })));
  t.same(calls, ['read'], 'one read, no read of the end');
});

t.test('keys at the end that the reader refuses are left out, as they always were', async (t) => {
  const text = classic(3, 20);
  const end = text.lastIndexOf('"title"');
  const deep = `${text.slice(0, end)}"thread_type": ${'['.repeat(70)}${']'.repeat(70)}, "title": "Deep"}`;
  const broken = `${text.slice(0, end)}"title": "Broken", "x": [1 2]}`;
  const fine = `${text.slice(0, end)}"thread_type": [[["RegularGroup"]]], "title": "Fine", "thread_path": "inbox/x_1"}`;
  for (const [doc, title] of [[deep, undefined], [broken, undefined], [fine, 'Fine']] as const) {
    const { entry } = await countedFile(t, doc);
    t.equal((await readThreadHeader(entry)).title, title, title ?? 'left out');
    const reader = createHeaderReader('x', { tokenizeAll: true });
    reader.push(Buffer.from(doc).subarray(0, 2000));
    reader.tail(Buffer.from(doc).subarray(-1024));
    t.equal(reader.end().title, title, 'as the tokenizer reads the end');
  }
});
