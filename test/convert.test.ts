/**
 * The conversion service (lib/convert.ts) as a library user calls it: the same rules as the CLI,
 * one `--me` rule, threads that fail left out while the others come out.
 */
import t from 'tap';
import { copyFileSync, linkSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { convert } from '../lib/convert.js';
import { toMojibake } from '../lib/text/mojibake.js';
import { fixture, tempDir } from './support/cli.js';

const THREAD = fixture('thread.json');
const OTHER = fixture('other-thread.json');

/** A stdout that keeps what it is given. */
function sink() {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  return { out, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** An export folder whose threads are the given files (`inbox/<name>/message_1.json`). */
function exportOf(dir: string, threads: Record<string, string>): string {
  const root = join(dir, 'export');
  for (const [name, text] of Object.entries(threads)) {
    const folder = join(root, 'your_facebook_activity', 'messages', 'inbox', name);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'message_1.json'), text);
  }
  return root;
}

/** A whole thread file cut short after its participants: its header reads, its messages do not. */
function truncatedThread(path: string): string {
  const text = readFileSync(path, 'utf8');
  return text.slice(0, text.indexOf('"messages"') + 40);
}

t.test('thread files: counts, and the same bytes as stdin', async (t) => {
  const a = sink();
  const r = await convert({ inputs: [THREAD, OTHER], me: 'Ada Lovelace' }, { stdout: a.out });
  t.match(r, { me: 'Ada Lovelace', meIsOwner: false, threads: 2, exitCode: 0, failed: [] });
  t.ok(r.examples > 0 && r.assistantTurns > 0);
  const b = sink();
  const stdin = Readable.from([readFileSync(THREAD), readFileSync(OTHER)]);
  await convert({ me: 'Ada Lovelace' }, { stdin, stdout: b.out });
  t.equal(a.text(), b.text(), 'files and stdin give the same lines');
});

t.test('a bad file among good ones: left out and named, the others written, exitCode 1', async (t) => {
  const alone = sink();
  await convert({ inputs: [OTHER], me: 'Ada Lovelace' }, { stdout: alone.out });
  const s = sink();
  const r = await convert({ inputs: [fixture('truncated.json'), OTHER], me: 'Ada Lovelace' }, { stdout: s.out });
  t.equal(r.exitCode, 1);
  t.equal(r.failed.length, 1);
  t.match(r.failed[0], { what: /truncated\.json$/, code: 'FBS_JSON_SYNTAX', message: /truncated\.json at byte \d+/ });
  t.equal(s.text(), alone.text());
});

t.test('every thread of an export fails: their errors, exitCode 1, not "matches nobody"', async (t) => {
  const dir = tempDir(t);
  const root = exportOf(dir, { charlesbabbage_1: truncatedThread(THREAD), gracehopper_2: truncatedThread(OTHER) });
  for (const me of ['Ada Lovelace', undefined]) {
    const s = sink();
    const r = await convert({ inputs: [root], jobs: 1, ...(me && { me }) }, { stdout: s.out });
    t.equal(r.exitCode, 1, `me ${me ?? '(the owner)'}`);
    t.equal(r.failed.length, 2);
    for (const f of r.failed) t.match(f, { code: 'FBS_JSON_SYNTAX', message: /message_1\.json at byte \d+/ });
    t.equal(s.text(), '');
  }
});

t.test('a thread with only media and calls: nothing to train on (exit 1), not a usage error', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'message_1.json');
  const messages = [
    { sender_name: 'Ada Lovelace', timestamp_ms: 2000, photos: [{ uri: 'photos/1.jpg' }] },
    { sender_name: 'Charles Babbage', timestamp_ms: 1000, call_duration: 60, content: 'Charles started a call.' },
  ];
  writeFileSync(path, JSON.stringify({ participants: [{ name: 'Ada Lovelace' }, { name: 'Charles Babbage' }], messages }));
  await t.rejects(convert({ inputs: [path], me: 'Ada Lovelace' }, { stdout: sink().out }), { code: 'FBS_NOTHING_TO_TRAIN', me: 'Ada Lovelace' });
  const root = exportOf(dir, { charlesbabbage_2: readFileSync(path, 'utf8') });
  await t.rejects(convert({ inputs: [root], me: 'Ada Lovelace' }, { stdout: sink().out }), { code: 'FBS_NOTHING_TO_TRAIN' }, 'an export too');
  await t.rejects(convert({ inputs: [path], me: 'Nobody Atall' }, { stdout: sink().out }), { code: 'FBS_UNKNOWN_SENDER' }, 'somebody not there is still a usage error');
});

t.test('one --me rule: NFC, mojibake, a near miss refused before converting', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'message_1.json');
  copyFileSync(OTHER, path); // Grace Hopper and Ada Lovelace
  const zoe = join(dir, 'zoe.json');
  const text = JSON.stringify({
    participants: [{ name: toMojibake('Zoë') }, { name: 'Ada' }],
    messages: [
      { sender_name: toMojibake('Zoë'), timestamp_ms: 2000, content: 'hi' },
      { sender_name: 'Ada', timestamp_ms: 1000, content: 'hello' },
    ],
  });
  writeFileSync(zoe, text);
  const forms = ['Zoë', 'Zoe\u0308', toMojibake('Zoë')];
  const outs: string[] = [];
  for (const me of forms) {
    const s = sink();
    const r = await convert({ inputs: [zoe], me }, { stdout: s.out });
    t.equal(r.assistantTurns, 1, `--me ${JSON.stringify(me)}`);
    outs.push(s.text());
  }
  t.equal(new Set(outs).size, 1, 'every form gives the same lines');

  let read = 0;
  await t.rejects(
    convert({ inputs: [path], me: 'Ada Lovelac' }, { stdout: sink().out, onRead: (n) => (read += n) }),
    { code: 'FBS_UNKNOWN_SENDER', message: /Did you mean "Ada Lovelace"\?/ },
  );
  t.equal(read, 0, 'said before anything was converted');
});

t.test('a missing input is said before --me is asked for', async (t) => {
  await t.rejects(convert({ inputs: [OTHER, fixture('nope.json')] }), { code: 'FBS_NO_INPUT', message: /nope\.json: no such file or folder/ });
  await t.rejects(convert({ inputs: [OTHER] }), { code: 'FBS_USAGE', message: /--me is required.*Grace Hopper/ });
});

t.test('out: a file written whole, and refused when it is an input', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'train.jsonl');
  const s = sink();
  await convert({ inputs: [OTHER], me: 'Ada Lovelace' }, { stdout: s.out });
  const r = await convert({ inputs: [OTHER], me: 'Ada Lovelace', out }, { stdout: sink().out });
  t.equal(r.exitCode, 0);
  t.equal(readFileSync(out, 'utf8'), s.text());
  const input = join(dir, 'message_1.json');
  copyFileSync(OTHER, input);
  await t.rejects(convert({ inputs: [input], me: 'Ada Lovelace', out: input }), { code: 'FBS_OUTPUT_IS_INPUT' });
});

t.test('out: refused when it is a thread file inside an export given as a folder, also through a hard link', async (t) => {
  const dir = tempDir(t);
  const root = exportOf(dir, { a_1: readFileSync(THREAD, 'utf8'), b_2: readFileSync(OTHER, 'utf8') });
  const part = join(root, 'your_facebook_activity', 'messages', 'inbox', 'b_2', 'message_1.json');
  const before = readFileSync(part);
  await t.rejects(convert({ inputs: [root], me: 'Ada Lovelace', out: part }), { code: 'FBS_OUTPUT_IS_INPUT', message: /b_2\/message_1\.json/ });
  const link = join(dir, 'train.jsonl');
  linkSync(part, link);
  await t.rejects(convert({ inputs: [root], me: 'Ada Lovelace', out: link }), { code: 'FBS_OUTPUT_IS_INPUT' });
  t.same(readFileSync(part), before, 'the thread file is untouched');
  // an older output of the same size as a part is not a part: it is written over
  const old = join(dir, 'old.jsonl');
  writeFileSync(old, Buffer.alloc(before.length, 0x20));
  const r = await convert({ inputs: [root], me: 'Ada Lovelace', out: old }, { stdout: sink().out });
  t.equal(r.exitCode, 0);
  t.match(readFileSync(old, 'utf8'), /^\{"messages"/);
});

t.test('bad options are refused by name before anything is read', async (t) => {
  await t.rejects(convert({ inputs: [OTHER], me: 'Ada Lovelace', window: 0 }), { code: 'FBS_INVALID_OPTION', message: /--window: must be an integer >= 1, got 0/ });
  await t.rejects(convert({ inputs: [OTHER], me: 'Ada Lovelace', window: 4, overlap: 4 }), { code: 'FBS_INVALID_OPTION', message: /--overlap/ });
  await t.rejects(convert({ inputs: [OTHER], me: 'Ada Lovelace', sections: ['inbox', 'spam'] as never }), { code: 'FBS_INVALID_OPTION', message: /--sections/ });
  await t.rejects(convert({ inputs: [OTHER], me: '  ' }), { code: 'FBS_INVALID_OPTION', message: /--me/ });
});

t.test('an aborted run rejects and writes no file', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'train.jsonl');
  const abort = new AbortController();
  abort.abort();
  await t.rejects(convert({ inputs: [OTHER], me: 'Ada Lovelace', out }, { signal: abort.signal }), { name: 'AbortError' });
  t.same(readdirSync(dir), [], 'nothing made');
});
