/**
 * The `langchain` preset, rule by rule (docs/formats.md#langchain), through the library API: each fixture in
 * test/fixtures/langchain/ isolates one rule. For each, the hand-written expected lines are checked
 * against the reference port (test/support/langchain-reference.ts) and against the preset.
 */
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createPipeline } from '../../lib/pipeline.js';
import { collector, runBytes, runFolder } from '../support/run-preset.js';
import {
  asMultiset, referenceFile, referenceFolder, type ExampleLine, type OpenAiMessage, type ReferenceOptions,
} from '../support/langchain-reference.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/langchain/', import.meta.url));
const EXPORT = FIXTURES + 'export';

const u = (content: string): OpenAiMessage => ({ role: 'user', content });
const a = (content: string): OpenAiMessage => ({ role: 'assistant', content });
const line = (...messages: OpenAiMessage[]): ExampleLine => ({ messages });





/** A name for test titles, non-ASCII escaped (NFC and NFD spellings look alike). */
const ascii = (s: string) => JSON.stringify(s).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** Reference and preset both give exactly `expected` (a multiset of lines) for a fixture file. */
async function check(t: Test, file: string, options: ReferenceOptions, expected: ExampleLine[]): Promise<void> {
  const bytes = readFileSync(FIXTURES + file);
  const what = `${file} me=${ascii(options.me)} window=${options.window ?? 8} overlap=${options.overlap ?? 2}`;
  t.same(asMultiset(referenceFile(JSON.parse(bytes.toString('utf8')), options)), asMultiset(expected), `reference: ${what}`);
  const ours = await runBytes(bytes, options);
  t.same(asMultiset(ours), asMultiset(expected), `preset: ${what}`);
}

t.test('ties on timestamp_ms keep file order (stable sort), even in a newest-first file', async (t) => {
  await check(t, 'ties.json', { me: 'Zoë', window: 4, overlap: 0 }, [
    line(a('start'), u('tie, first in the file'), a('tie, second in the file'), u('tie, third in the file\n\nlater')),
  ]);
});

t.test('content "" is kept, as a user or an assistant turn, and merges like any text', async (t) => {
  await check(t, 'empty-content.json', { me: 'Zoë', window: 4, overlap: 1 }, [line(u(''), a('hi'), u('x'), a(''))]);
});

t.test('only a missing "content" key skips a message; is_unsent, type, photos, reactions are ignored', async (t) => {
  // the skipped photo between Bob's "a" and "b" lets them merge; the content-less message without
  // sender_name is skipped before LangChain would read its sender
  await check(t, 'no-content.json', { me: 'Zoë', window: 5, overlap: 0 }, [
    line(
      u('a\n\nb'),
      a('You unsent a message.'),
      u('Ana called you.'),
      a('Zo\u00c3\u00ab sent an attachment.'),
      u('Reacted \u00f0\u009f\u0098\u0082 to your message '),
    ),
  ]);
});

t.test('strip only on merge, with Python\'s white space (\\x1c-\\x1f, \\x85 stripped; \\ufeff kept)', async (t) => {
  await check(t, 'strip.json', { me: 'Zoë', window: 11, overlap: 0 }, [
    line(
      u('  lone bob  '), // a lone message keeps its white space
      a('a \n\n b'), // " a " + " b\x1c": stripped at the ends only
      u('\x1clone\x1c'), // lone: not stripped although Python would strip \x1c
      a('\ufeffx\n\ny\ufeff'), // U+FEFF is not Python white space (JS trim() would remove it)
      u('p\n\nq'), // \x85, \u3000, \u2028 are
      a(''), // "   " + "   "
      u('\t\n'), // lone
      a('z\u00c2\u00a0'), // lone mojibake no-break space
      u('m\n\nn\u00c2'), // merged: the \xa0 of the mojibake goes, its \xc2 stays
      a('a\n\nb'), // "a" + "  " + "b": each merge strips
      u(''), // "\x1f" + "\x1e": JS trim() would leave "\x1f\n\n\x1e"
    ),
  ]);
});

t.test('sessions without an assistant message are dropped', async (t) => {
  // Zoë's only message there has no content
  await check(t, 'no-assistant.json', { me: 'Zoë', window: 1, overlap: 0 }, []);
  // the same file with someone who did write: every turn, windows without an assistant included
  await check(t, 'no-assistant.json', { me: 'Bob', window: 1, overlap: 0 }, [line(a('hello')), line(u('hi')), line(a('hey')), line(u('bye'))]);
  t.test('a name that matches nobody: no lines, and checkMe() throws', async (t) => {
    const p = createPipeline({ preset: 'langchain', me: 'Nobody', window: 1, overlap: 0 });
    const out: string[] = [];
    await pipeline([Readable.from([readFileSync(FIXTURES + 'no-assistant.json')]), ...p.streams, collector(out)]);
    t.equal(out.join(''), '', 'no lines');
    t.throws(() => p.checkMe(), { code: 'FBS_UNKNOWN_SENDER' }, 'checkMe reports the unknown sender');
  });
});

t.test('sessions shorter than the window give nothing', async (t) => {
  await check(t, 'short.json', { me: 'Zoë', window: 4, overlap: 0 }, []);
  await check(t, 'short.json', { me: 'Zoë', window: 4, overlap: 3 }, []);
  await check(t, 'short.json', { me: 'Zoë', window: 3, overlap: 0 }, [line(u('one'), a('two'), u('three'))]);
});

t.test('a tail not covered by a full window is dropped', async (t) => {
  const turn = (i: number) => (i % 2 ? a(`t${i}`) : u(`t${i}`));
  const span = (from: number, to: number) => line(...Array.from({ length: to - from }, (_, k) => turn(from + k)));
  // 13 turns, windows of 4 every 4: t12 is left out
  await check(t, 'tail.json', { me: 'Zoë', window: 4, overlap: 0 }, [span(0, 4), span(4, 8), span(8, 12)]);
  // windows of 5 every 3: t11 and t12 are left out
  await check(t, 'tail.json', { me: 'Zoë', window: 5, overlap: 2 }, [span(0, 5), span(3, 8), span(6, 11)]);
  // the notebook's 8 and 2: one window, five turns left out
  await check(t, 'tail.json', { me: 'Zoë' }, [span(0, 8)]);
});

t.test('windows without an assistant message are kept when their session has one', async (t) => {
  await check(t, 'window-no-assistant.json', { me: 'Zoë', window: 2, overlap: 0 }, [
    line(a('z'), u('b1')),
    line(u('a1'), u('b2')),
    line(u('a2'), u('b3')),
  ]);
});

t.test('consecutive user turns of different senders stay separate', async (t) => {
  await check(t, 'consecutive-users.json', { me: 'Zoë', window: 4, overlap: 0 }, [line(u('hi'), u('hey'), u('yo'), a('hello all'))]);
});

t.test('mojibake is not repaired; --me matches exactly, as given or in its mojibake form', async (t) => {
  // the file writes Zoë both ways (Zo\u00c3\u00ab and Zo\u00eb): raw senders differ, so no merge
  await check(t, 'mojibake.json', { me: 'Zoë', window: 4, overlap: 0 }, [
    line(a('na\u00c3\u00afve'), u('\u00e2\u0080\u009cquoted\u00e2\u0080\u009d'), a('real text, same person'), a('caf\u00c3\u00a9 \u00f0\u009f\u0098\u00a2')),
  ]);
  // the name as the file writes it matches only that spelling (as in LangChain)
  await check(t, 'mojibake.json', { me: 'Zo\u00c3\u00ab', window: 4, overlap: 0 }, [
    line(a('na\u00c3\u00afve'), u('\u00e2\u0080\u009cquoted\u00e2\u0080\u009d'), u('real text, same person'), a('caf\u00c3\u00a9 \u00f0\u009f\u0098\u00a2')),
  ]);
  await check(t, 'mojibake.json', { me: 'zoë', window: 1, overlap: 0 }, []); // case matters
  await check(t, 'mojibake.json', { me: 'Zoe\u0308', window: 1, overlap: 0 }, []); // NFD is another name
  await check(t, 'mojibake.json', { me: 'Bob', window: 1, overlap: 0 }, [
    line(u('na\u00c3\u00afve')), line(a('\u00e2\u0080\u009cquoted\u00e2\u0080\u009d')), line(u('real text, same person')), line(u('caf\u00c3\u00a9 \u00f0\u009f\u0098\u00a2')),
  ]);
  // a file in real UTF-8 (not Meta's escapes) is read as such
  await check(t, 'raw-utf8.json', { me: 'Zoë', window: 2, overlap: 0 }, [line(u('ça va?'), a('crème brûlée'))]);
  await check(t, 'raw-utf8.json', { me: 'Zoe\u0308', window: 2, overlap: 0 }, []);
});

t.test('a message without "content" is skipped whatever other keys it has (E2EE-like senderName/text)', async (t) => {
  await check(t, 'e2ee-keys.json', { me: 'Zoë', window: 2, overlap: 0 }, [line(a('z'), u('b'))]);
  // also with a `timestamp` key: the whole E2EE shape (senderName, timestamp, text), still no "content"
  await check(t, 'e2ee-shape.json', { me: 'Zoë', window: 2, overlap: 0 }, [line(a('z'), u('b'))]);
});

/**
 * Inputs no export contains, where LangChain still gives lines and we knowingly differ (README,
 * "Differences from LangChain"): the reference shows LangChain's answer, the preset ours.
 */
t.test('known differences on inputs no export contains', async (t) => {
  const run = async (file: string, options: ReferenceOptions) => {
    const bytes = readFileSync(FIXTURES + file);
    return { ref: asMultiset(referenceFile(JSON.parse(bytes.toString('utf8')), options)), ours: asMultiset(await runBytes(bytes, options)) };
  };
  // sender_name null: LangChain keeps it as a user turn that never merges; we skip a message
  // without a sender (and count it)
  const nullSender = await run('null-sender.json', { me: 'Zoë', window: 1, overlap: 0 });
  t.same(nullSender.ref, asMultiset([line(u('a')), line(u('b')), line(a('z'))]), 'LangChain');
  t.same(nullSender.ours, asMultiset([line(a('z'))]), 'ours: skipped');
  // "messages" twice: json.load keeps the last array; a stream has emitted the first already
  const duplicate = await run('duplicate-messages.json', { me: 'Zoë', window: 1, overlap: 0 });
  t.same(duplicate.ref, asMultiset([line(a('z')), line(u('b'))]), 'LangChain');
  t.equal(duplicate.ours.length, 3, 'ours: both arrays read');
  // timestamps beyond 2^53 (no real one is): JS numbers round them, so they tie and keep file order
  const ours = await runBytes(readFileSync(FIXTURES + 'big-timestamps.json'), { me: 'Zoë', window: 2, overlap: 0 });
  t.same(ours, [line(u('second by time'), a('first by time'))], 'ours: a tie in file order (Python would compare them exactly)');
});

t.test('folder: only <root>/inbox/*/*.json, each file its own session', async (t) => {
  // alice_1/message_2.json: old1 old2 old3; alice_1/message_1.json: new1 new2 (too short for 3);
  // joined, old3 and new1 (both Ana) would merge. bob_2/message_1.JSON counts. Everything under
  // archived_threads/, filtered_threads/, directly in inbox/, in inbox/bob_2/photos/, or not
  // ending in .json says IGNORED; dan_5 and eve_7 have no assistant turn.
  const cases: [ReferenceOptions, ExampleLine[]][] = [
    [{ me: 'Zoë', window: 3, overlap: 0 }, [line(u('old1'), a('old2'), u('old3')), line(u('upper1'), a('upper2'), u('upper3'))]],
    [
      { me: 'Zoë', window: 2, overlap: 0 },
      [line(u('old1'), a('old2')), line(u('new1'), a('new2')), line(u('upper1'), a('upper2'))],
    ],
    [{ me: 'Zoë', window: 1, overlap: 0 }, ['old1', 'old2', 'old3', 'new1', 'new2', 'upper1', 'upper2', 'upper3'].map((s) => line(s.endsWith('2') ? a(s) : u(s)))],
  ];
  for (const [options, expected] of cases) {
    const what = `export/ window=${options.window} overlap=${options.overlap}`;
    t.same(asMultiset(referenceFolder(EXPORT, options)), asMultiset(expected), `reference: ${what}`);
    t.same(asMultiset(await runFolder(EXPORT, options)), asMultiset(expected), `preset: ${what}`);
  }
});

/** A small thread in which Zoë writes: one line with window 3. */
function thread(tag: string): string {
  return JSON.stringify({
    participants: [{ name: 'Bob' }, { name: 'Zo\u00c3\u00ab' }],
    messages: [
      { sender_name: 'Bob', timestamp_ms: 3, content: `${tag}3` },
      { sender_name: 'Zo\u00c3\u00ab', timestamp_ms: 2, content: `${tag}2` },
      { sender_name: 'Bob', timestamp_ms: 1, content: `${tag}1` },
    ],
  });
}
const threadLine = (tag: string) => line(u(`${tag}1`), a(`${tag}2`), u(`${tag}3`));

t.test('folder: a file named just ".json" has no suffix for pathlib, so LangChain skips it', async (t) => {
  const root = t.testdir({ inbox: { t1: { '.json': thread('dot'), 'message_1.json': thread('t1-') } } });
  const options = { me: 'Zoë', window: 3, overlap: 0 };
  const expected = [threadLine('t1-')];
  t.same(asMultiset(referenceFolder(root, options)), asMultiset(expected), 'reference');
  t.same(asMultiset(await runFolder(root, options)), asMultiset(expected), 'preset');
});

t.test('folder: is_dir() and open() follow symbolic links', async (t) => {
  const root = t.testdir({
    elsewhere: { 'message_1.json': thread('linked-dir-') },
    'other.json': thread('linked-file-'),
    inbox: {
      linked: t.fixture('symlink', '../elsewhere'),
      t2: { 'message_1.json': t.fixture('symlink', '../../other.json') },
      t3: { 'message_1.json': thread('plain-') },
    },
  });
  const options = { me: 'Zoë', window: 3, overlap: 0 };
  const expected = [threadLine('linked-dir-'), threadLine('linked-file-'), threadLine('plain-')];
  t.same(asMultiset(referenceFolder(root, options)), asMultiset(expected), 'reference');
  t.same(asMultiset(await runFolder(root, options)), asMultiset(expected), 'preset');
});
