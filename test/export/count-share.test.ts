/**
 * Inspect's counting shared with a worker thread (lib/export/count-share.ts,
 * lib/export/count-worker.ts): a worker that takes every thread counts each as the calling thread
 * would; one that dies or cannot start leaves its threads unreported, for the caller; below the
 * threshold there is no worker at all.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t, { type Test } from 'tap';
import { countThreadPart } from '../../lib/core/message-counter.js';
import { prestartCountWorker, shareCounting } from '../../lib/export/count-share.js';
import { createEntryBytesReader } from '../../lib/export/entry-bytes.js';
import { openExport } from '../../lib/export/open-export.js';
import { rawZip } from '../support/zip.js';

const MAX = 16 * 1024 * 1024;
const m = (ts: number, rest = ', "content": "hello"') => `{"sender_name": "Ada Lovelace", "timestamp_ms": ${ts}${rest}}`;
const thread = (messages: string[]) => `{"participants": [{"name": "Ada Lovelace"}, {"name": "Bob"}], "messages": [${messages.join(', ')}], "title": "T"}`;
const path = (name: string, part = 1) => `your_facebook_activity/messages/inbox/${name}/message_${part}.json`;

/** Counted, declined (a notice to decode, a control character, cut short), in two parts. */
const files: Record<string, string> = {
  [path('a_1')]: thread([m(1), m(2, ', "photos": [{"uri": "p.jpg"}]'), m(3, ', "content": "Bob left the group."')]),
  [path('b_2')]: thread([m(4, ', "content": "tab\there"')]),
  [path('c_3')]: thread([m(5)]).slice(0, 40),
  [path('d_4', 1)]: thread([m(6)]),
  [path('d_4', 2)]: thread([m(7, ', "sticker": {"uri": "s.png"}')]),
};

function writeTree(root: string): void {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
}

/** Each thread's counts as the calling thread gets them (null: not vouched for). */
async function countedHere(inputs: string[]) {
  const opened = await openExport(inputs);
  const reader = createEntryBytesReader(MAX);
  const out = opened.index.threads.map((plan) => {
    const counts = [];
    for (const part of plan.parts) {
      const bytes = reader.read(part);
      const c = bytes && countThreadPart(bytes);
      if (!c) return null;
      counts.push(c);
    }
    return counts;
  });
  await opened.close();
  return out;
}

async function countedByWorker(t: Test, inputs: string[], workerUrl?: URL) {
  const opened = await openExport(inputs);
  t.teardown(() => opened.close());
  const share = shareCounting(opened.index.threads, { maxPartBytes: MAX, minBytes: 0, ...(workerUrl && { workerUrl }) });
  // the caller takes nothing: the worker takes every thread
  const theirs = await share.theirs();
  await share.close();
  return opened.index.threads.map((_, k) => theirs.get(k));
}

t.test('a worker that takes every thread counts each as the calling thread does', async (t) => {
  const root = t.testdir();
  writeTree(root);
  const here = await countedHere([root]);
  t.same(await countedByWorker(t, [root]), here, 'folder');
  t.equal(here.filter((c) => c === null).length, 2, 'two threads declined (a control character, cut short)');
  const zip = join(t.testdir(), 'export.zip');
  const entries = Object.entries(files).map(([name, content]) => ({ name, content }));
  // a bad CRC: the entry cannot be read there, nor here
  entries.push({ name: path('e_5'), content: thread([m(8)]), crc32: 1234 } as (typeof entries)[number]);
  writeFileSync(zip, rawZip(entries));
  const zipHere = await countedHere([zip]);
  t.same(await countedByWorker(t, [zip]), zipHere, 'zip');
  t.equal(zipHere.filter((c) => c === null).length, 3, 'and the entry with a bad CRC');
});

t.test('a worker that dies, or cannot start, reports nothing: every thread is the caller’s', async (t) => {
  const root = t.testdir();
  writeTree(root);
  const dying = new URL('../support/dying-count-worker.ts', import.meta.url);
  t.same(await countedByWorker(t, [root], dying), [undefined, undefined, undefined, undefined], 'died');
  const missing = new URL('../support/no-such-count-worker.ts', import.meta.url);
  t.same(await countedByWorker(t, [root], missing), [undefined, undefined, undefined, undefined], 'never started');
});

t.test('below the threshold there is no worker: the caller takes every batch', async (t) => {
  const root = t.testdir();
  writeTree(root);
  const opened = await openExport([root]);
  t.teardown(() => opened.close());
  const share = shareCounting(opened.index.threads, { maxPartBytes: MAX, minBytes: 1e9 });
  const taken: number[] = [];
  for (let b = share.take(); b; b = share.take()) for (let k = b[0]; k < b[1]; ++k) taken.push(k);
  t.same(taken, [0, 1, 2, 3], 'every thread, in order');
  t.equal((await share.theirs()).size, 0, 'none left to a worker');
  await share.close();
});

t.test('a worker is started ahead for a folder (its size unknown until listed) or zips of minBytes, and counts as one started later', async (t) => {
  const root = t.testdir();
  writeTree(root);
  const zip = join(t.testdir(), 'export.zip');
  writeFileSync(zip, rawZip(Object.entries(files).map(([name, content]) => ({ name, content }))));
  t.equal(prestartCountWorker([zip], { minBytes: 1e9 }), null, 'zips below minBytes: none');
  t.equal(prestartCountWorker([join(root, 'no-such.zip')], { minBytes: 1 }), null, 'a zip that is not there: none');
  for (const [what, input] of [['folder', root], ['zip', zip]] as const) {
    const prestarted = prestartCountWorker([input], { minBytes: 1e9 * Number(what === 'folder') });
    t.ok(prestarted, `${what}: one started`);
    const opened = await openExport([input]);
    t.teardown(() => opened.close());
    const share = shareCounting(opened.index.threads, { maxPartBytes: MAX, minBytes: 0, prestarted });
    const theirs = await share.theirs();
    await share.close();
    t.same(opened.index.threads.map((_, k) => theirs.get(k)), await countedHere([input]), `${what}: the prestarted worker counted every thread`);
  }
});
