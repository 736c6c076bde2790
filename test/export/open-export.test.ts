/**
 * openExport (lib/export/open-export.ts) over zip parts: a part that is not a zip or is truncated
 * is reported and left out while the others are read; an export downloaded as HTML and given as
 * its .zip gets the same hint as the unpacked folder.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t, { type Test } from 'tap';
import { DataError, exitCodeOf } from '../../lib/errors.js';
import { openExport, type OpenedExport } from '../../lib/export/open-export.js';
import { noThreadsError } from '../../lib/export/select.js';
import { yazlZip, type YazlFile } from '../support/zip.js';

const INBOX = 'your_facebook_activity/messages/inbox';

function thread(name: string): string {
  return JSON.stringify({ participants: [{ name }, { name: 'Ada Lovelace' }], messages: [{ sender_name: name, timestamp_ms: 1.7e12, content: `hello from ${name}` }] });
}

async function writeZip(dir: string, name: string, files: readonly YazlFile[]): Promise<string> {
  const path = join(dir, name);
  writeFileSync(path, await yazlZip(files));
  return path;
}

/** Open, run, always close. */
async function withExport<T>(inputs: string[], fn: (opened: OpenedExport) => T | Promise<T>): Promise<T> {
  const opened = await openExport(inputs);
  try {
    return await fn(opened);
  } finally {
    await opened.close();
  }
}

async function parts(t: Test) {
  const dir = t.testdir();
  const good = await writeZip(dir, 'facebook-ada-1.zip', [
    { name: `${INBOX}/mary_1/message_1.json`, content: thread('Mary Somerville') },
    { name: `${INBOX}/charles_2/message_1.json`, content: thread('Charles Babbage') },
  ]);
  const cut = join(dir, 'facebook-ada-2.zip');
  const whole = await yazlZip([{ name: `${INBOX}/michael_3/message_1.json`, content: thread('Michael Faraday') }]);
  writeFileSync(cut, whole.subarray(0, whole.length >> 1));
  const text = join(dir, 'facebook-ada-3.zip');
  writeFileSync(text, 'not a zip at all\n'.repeat(20));
  const mediaOnly = await writeZip(dir, 'facebook-ada-4.zip', [{ name: 'your_facebook_activity/messages/photos/a.jpg', content: 'jpeg' }]);
  return { dir, good, cut, text, mediaOnly };
}

t.test('a truncated part and a part that is no zip are reported; the good part\'s threads are indexed', async (t) => {
  const { good, cut, text } = await parts(t);
  await withExport([cut, good, text], async (opened) => {
    t.same(opened.index.threads.map((p) => p.key).sort(), ['inbox/charles_2', 'inbox/mary_1'], 'the good part\'s threads');
    t.equal(opened.problems.length, 2);
    for (const [problem, input] of [[opened.problems[0], cut], [opened.problems[1], text]] as const) {
      t.equal(problem?.kind, 'unreadable-input');
      t.ok(problem?.error instanceof DataError, 'a DataError');
      t.equal(problem?.error.code, 'FBS_ZIP_INVALID');
      t.ok(problem?.error.message.startsWith(`${input}: not a zip archive, or a truncated one`), problem?.error.message);
      t.equal(exitCodeOf(problem?.error), 1);
      if (problem && 'input' in problem) t.equal(problem.input, input);
    }
    const header = await opened.header(opened.index.threads[0]!);
    t.ok(header.participants.length > 0, 'the good part is read as before');
  });
});

t.test('no readable input, or no thread in the readable ones: the bad part\'s error, as before', async (t) => {
  const { cut, text, mediaOnly } = await parts(t);
  await t.rejects(openExport([cut]), { code: 'FBS_ZIP_INVALID', message: new RegExp(`^${cut.replace(/[.]/g, '\\.')}: `) });
  await t.rejects(openExport([text, cut]), { code: 'FBS_ZIP_INVALID', message: /facebook-ada-3\.zip: not a zip archive/ }, 'the first bad part');
  await t.rejects(openExport([mediaOnly, cut]), { code: 'FBS_ZIP_INVALID', message: /facebook-ada-2\.zip/ }, 'not "no threads found": the truncated part is why');
});

t.test('an export downloaded as HTML: the same hint from its zip as from the unpacked folder', async (t) => {
  const dir = t.testdir();
  const files: YazlFile[] = [
    { name: `${INBOX}/mary_1/message_1.html`, content: '<html><body>Mary</body></html>' },
    { name: `${INBOX}/mary_1/photos/1.jpg`, content: 'jpeg' },
    { name: 'index.html', content: '<html></html>' },
  ];
  const zip = await writeZip(dir, 'facebook-ada-html.zip', files);
  const folder = join(dir, 'unpacked');
  for (const f of files) {
    mkdirSync(dirname(join(folder, f.name)), { recursive: true });
    writeFileSync(join(folder, f.name), f.content);
  }
  for (const input of [folder, zip]) {
    await withExport([input], (opened) => {
      t.equal(opened.index.threads.length, 0);
      t.ok(opened.index.htmlOnly, `${input}: told apart as HTML`);
      const err = noThreadsError(opened.index, [input]);
      t.equal(err.code, 'FBS_USAGE');
      t.match(err.message, /this export is in HTML: download it again choosing the JSON format/);
      t.same(opened.problems, [], 'the HTML files are not problems');
    });
  }
  // a JSON export beside stray HTML is read as JSON
  const mixed = await writeZip(dir, 'mixed.zip', [...files, { name: `${INBOX}/charles_2/message_1.json`, content: thread('Charles Babbage') }]);
  await withExport([mixed], (opened) => {
    t.same(opened.index.threads.map((p) => p.key), ['inbox/charles_2']);
    t.notOk(opened.index.htmlOnly);
  });
});

t.test('maxZipBytes holds for the run: a part whose JSON entries would take the declared total past it is left out before inflating', async (t) => {
  const dir = t.testdir();
  const mary = thread('Mary Somerville');
  const charles = thread('Charles Babbage');
  const first = await writeZip(dir, 'facebook-ada-1.zip', [
    { name: `${INBOX}/mary_1/message_1.json`, content: mary },
    // HTML parts are listed, never read: they do not count
    { name: `${INBOX}/mary_1/message_1.html`, content: 'x'.repeat(10_000) },
  ]);
  const second = await writeZip(dir, 'facebook-ada-2.zip', [{ name: `${INBOX}/charles_2/message_1.json`, content: charles }]);
  const limit = Buffer.byteLength(mary) + Buffer.byteLength(charles) - 1;
  const opened = await openExport([first, second], { maxZipBytes: limit });
  try {
    t.same(opened.index.threads.map((p) => p.key), ['inbox/mary_1'], 'the part within the cap is indexed');
    t.equal(opened.problems.length, 1);
    const problem = opened.problems[0]!;
    t.equal(problem.kind, 'unreadable-input');
    t.equal(problem.error.code, 'FBS_LIMIT');
    t.equal(exitCodeOf(problem.error), 1);
    t.equal(
      problem.error.message,
      `${second}: limit exceeded: its JSON entries declare ${Buffer.byteLength(charles)} bytes, past maxZipBytes ${limit} with the ${Buffer.byteLength(mary)} of the parts before it (possible zip bomb); part left out before inflating`,
    );
    t.ok((await opened.header(opened.index.threads[0]!)).participants.length > 0, 'the part within the cap is read');
  } finally {
    await opened.close();
  }
  const both = await openExport([first, second], { maxZipBytes: limit + 1 });
  t.same(both.index.threads.map((p) => p.key).sort(), ['inbox/charles_2', 'inbox/mary_1'], 'at the cap exactly, both parts');
  t.same(both.problems, []);
  await both.close();
  await t.rejects(openExport([second], { maxZipBytes: Buffer.byteLength(charles) - 1 }), { code: 'FBS_LIMIT', message: /facebook-ada-2\.zip: limit exceeded: its JSON entries declare \d+ bytes, past maxZipBytes \d+ \(possible zip bomb\)/ }, 'the only part: its error');
});
