/**
 * inspectExport with the message counter against inspectExport reading every thread with the
 * decoder (`counter: false`, the way every thread was once read): the same result, key order and
 * errors included, on exports whose threads the counter counts, declines, or cannot read at all;
 * and so with a counting worker thread (lib/export/count-share.ts), one that dies included.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { inspectExport } from '../../lib/export/inspect.js';
import { rawZip, yazlZip } from '../support/zip.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

const dying = new URL('../support/dying-count-worker.ts', import.meta.url);

/** `workers`: also with counting workers (a worker starts in ~1 s under the test loader: not for every export). */
async function same(t: Test, inputs: string[], what: string, workers = true) {
  const counted = JSON.stringify(await inspectExport(inputs), null, 2);
  const decoded = JSON.stringify(await inspectExport(inputs, { counter: false }), null, 2);
  t.equal(counted, decoded, what);
  if (workers) {
    // with a counting worker (taking the first threads), and one that takes every thread and dies
    t.equal(JSON.stringify(await inspectExport(inputs, { workerBytes: 0, workerFirst: true }), null, 2), decoded, `${what}, with a worker`);
    t.equal(JSON.stringify(await inspectExport(inputs, { workerBytes: 0, workerFirst: true, workerUrl: dying }), null, 2), decoded, `${what}, with a worker that dies`);
  }
  return JSON.parse(counted) as { threads: { key: string; messages: number; error?: { code: string } }[] };
}

const thread = (participants: string, messages: string[], tail = '"title": "T", "thread_path": "inbox/x_1"') =>
  `{\n  "participants": ${participants},\n  "messages": [\n    ${messages.join(',\n    ')}\n  ],\n  ${tail}\n}\n`;
const people = '[{"name": "Zo\\u00c3\\u00ab Martin"}, {"name": "Ada Lovelace"}]';
const m = (who: string, ts: number, rest = '') => `{"sender_name": "${who}", "timestamp_ms": ${ts}${rest}}`;

/** Thread files, by path below the export root: counted, declined, unreadable. */
const files: Record<string, string> = {
  // two parts: counted together, kinds in first-seen order across them
  'your_facebook_activity/messages/inbox/zoe_1/message_1.json': thread(people, [m('Ada Lovelace', 5, ', "content": "Bob left the group."'), m('Zo\\u00c3\\u00ab Martin', 4, ', "photos": [{"uri": "p.jpg"}]')]),
  'your_facebook_activity/messages/inbox/zoe_1/message_2.json': thread(people, [m('Ada Lovelace', 2, ', "content": "caf\\u00c3\\u00a9 \\"quoted\\" \\\\"'), m('Ada Lovelace', 1, ', "sticker": {"uri": "s.png"}')]),
  // keys in odd order, nested values, escapes that write notice words
  'your_facebook_activity/messages/inbox/bob_2/message_1.json': thread(people, [
    '{"reactions": [{"reaction": "x", "actor": "Ada Lovelace"}], "content": "You c\\u0061lled Bob.", "timestamp_ms": 9, "sender_name": "Ada Lovelace"}',
    '{"share": {"link": "https://x"}, "sender_name": "Ada Lovelace", "timestamp_ms": 10, "content": "Ada sent a link."}',
    '{"type": "Call", "call_duration": 5, "sender_name": "Ada Lovelace", "timestamp_ms": 11}',
    m('Ada Lovelace', 12, ', "call_duration": null, "content": "hello"'),
  ]),
  // participants after the messages: the header reader is asked
  'your_facebook_activity/messages/inbox/late_3/message_1.json': `{"messages": [${m('Ada Lovelace', 3, ', "content": "x"')}], "participants": [{"name": "Ada Lovelace"}, {"name": "Late"}], "title": "L"}`,
  // truncated inside a message: the decoder's figures up to the fault, and its error
  'your_facebook_activity/messages/inbox/cut_4/message_1.json': thread(people, [m('Ada Lovelace', 3, ', "content": "x"'), m('Ada Lovelace', 4, ', "content": "y"')]).slice(0, 200),
  // a raw control character inside a string: invalid JSON the counter must not count
  'your_facebook_activity/messages/inbox/ctl_5/message_1.json': thread(people, [m('Ada Lovelace', 3, ', "content": "tab\there"')]),
  // not a thread at all
  'your_facebook_activity/messages/inbox/none_6/message_1.json': '{"participants": []}',
  // empty messages array
  'your_facebook_activity/messages/inbox/empty_7/message_1.json': thread(people, []),
};

t.test('a folder export: the same result as the decoder gives', async (t) => {
  const root = t.testdir();
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const result = await same(t, [root], 'tricky threads');
  const byKey = new Map(result.threads.map((th) => [th.key, th]));
  t.equal(byKey.get('inbox/zoe_1')?.messages, 4, 'two parts counted');
  t.ok(byKey.get('inbox/cut_4')?.error, 'the truncated thread has its error');
  t.ok(byKey.get('inbox/ctl_5')?.error, 'the control character is an error');
});

t.test('the same as a zip, with an entry whose data is corrupt', async (t) => {
  const root = t.testdir();
  const zip = join(root, 'export.zip');
  writeFileSync(zip, await yazlZip(Object.entries(files).map(([name, content]) => ({ name, content }))));
  await same(t, [zip], 'zip');
  const bad = join(root, 'bad.zip');
  const good = thread(people, [m('Ada Lovelace', 1, ', "content": "x"')]);
  writeFileSync(bad, rawZip([
    { name: 'your_facebook_activity/messages/inbox/ok_1/message_1.json', content: good },
    { name: 'your_facebook_activity/messages/inbox/crc_2/message_1.json', content: good, crc32: 1234 },
  ]));
  const result = await same(t, [bad], 'zip with a bad CRC');
  t.ok(result.threads.find((th) => th.key === 'inbox/crc_2')?.error, 'the entry with a bad CRC has its error');
});

t.test('the fixture exports, an E2EE download joined to its cutover thread included', async (t) => {
  const exports = join(fixtures, 'exports');
  for (const name of ['fb-2024', 'fb-2025', 'fb-old', 'ig-old', 'instagram-ada-2024', 'split', 'e2ee-download']) {
    await same(t, [join(exports, name)], name, false);
  }
  await same(t, [join(exports, 'fb-2024'), join(exports, 'e2ee-download')], 'fb-2024 + e2ee-download');
  await same(t, [join(fixtures, 'parallel', 'export')], 'parallel fixture', false);
});

t.test('a worker started ahead for zip inputs ends with the run when the export cannot be inspected', async (t) => {
  const root = t.testdir();
  const empty = join(root, 'empty.zip');
  writeFileSync(empty, await yazlZip([{ name: 'your_facebook_activity/messages/inbox/readme.txt', content: 'no thread' }]));
  await t.rejects(inspectExport([empty], { workerBytes: 0 }), { code: 'FBS_USAGE', message: /no Messenger threads/ }, 'no thread in the zip');
  const notZip = join(root, 'not.zip');
  writeFileSync(notZip, 'not a zip at all');
  await t.rejects(inspectExport([notZip], { workerBytes: 0 }), { code: 'FBS_ZIP_INVALID' }, 'not a zip');
});
