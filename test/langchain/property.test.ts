/**
 * Property: for random threads, options and senders, the `langchain` preset's lines (parsed, as a
 * multiset) equal the reference port's (test/support/langchain-reference.ts). One property over
 * single files fed as bytes in random pieces, one over small export folders found as the CLI does.
 */
import t, { type Test } from 'tap';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBytes, runFolder } from '../support/run-preset.js';
import { asMultiset, referenceFile, referenceFolder, type ReferenceOptions } from '../support/langchain-reference.js';

const RUNS = Number(process.env['FBS_PROPERTY_RUNS'] ?? 300);

// ---------------------------------------------------------------------------------------------
// Running the preset





// ---------------------------------------------------------------------------------------------
// Generators

/** Meta's writing: UTF-8 bytes as Latin-1 chars. */
const moji = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

/** Senders as files write them: plain, mojibake, the same person in real text, case and NFD twins. */
const SENDERS = ['Bob', 'bob', 'Ana', moji('Zoë'), 'Zoë', 'Zoe\u0308', moji('Jürgen Ø'), ''];
/** --me: any sender, the real text of a mojibake one, or someone who never writes. */
const ME = [...SENDERS.filter((s) => s !== ''), 'Jürgen Ø', 'Nobody'];

/** Text made of what matters: Python-only white space (\x1c-\x1f, \x85), JS-only (\ufeff), both, neither. */
const UNITS = [
  'a', 'b', 'Z', '.', ' ', ' ', '\n', '\t', '\r', '\x0b', '\x1c', '\x1f', '\x85', '\xa0', '\u2028', '\u3000', '\u200b',
  '\ufeff', 'é', 'Ã', '©', '\u00f0\u009f\u0098\u00a2', '😢', '"', '\\',
];
const text = fc.string({ unit: fc.constantFrom(...UNITS), maxLength: 8 });
const content = fc.oneof(
  { weight: 3, arbitrary: text },
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(' ', '\n\n', '\x1c', '\ufeff', '\x85 '), text, fc.constantFrom('', ' ', '\n', '\x1f', '\ufeff')).map(([l, m, r]) => l + m + r) },
);

/** Keys LangChain never looks at, as exports write them. */
const extras = fc.record(
  {
    photos: fc.constant([{ uri: 'messages/inbox/x/photos/1.jpg', creation_timestamp: 1 }]),
    is_unsent: fc.boolean(),
    type: fc.constantFrom('Generic', 'Share', 'Call', 'Subscribe', 'Unsubscribe'),
    reactions: fc.constant([{ reaction: '\u00e2\u009d\u00a4', actor: 'Bob' }]),
    share: fc.constant({ link: 'https://example.com/' }),
    sticker: fc.constant({ uri: 'stickers/1.png' }),
    call_duration: fc.nat(100),
    users: fc.constant([{ name: 'Ana' }]),
    is_geoblocked_for_viewer: fc.boolean(),
  },
  { requiredKeys: [] },
);

interface GenMessage {
  sender: string;
  ts: number;
  /** undefined: no "content" key. */
  content: string | undefined;
  /** Only for content-less messages: leave out sender_name too. */
  noSender: boolean;
  extras: Record<string, unknown>;
  contentFirst: boolean;
}

const message = (senders: string[]) =>
  fc.record({
    sender: fc.constantFrom(...senders),
    // few distinct timestamps: many ties
    ts: fc.oneof(fc.integer({ min: 0, max: 6 }).map((n) => 1_600_000_000_000 + n * 1000), fc.constant(0)),
    content: fc.option(content, { nil: undefined, freq: 5 }),
    noSender: fc.boolean(),
    extras,
    contentFirst: fc.boolean(),
  });

function messageJson(m: GenMessage): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (m.contentFirst && m.content !== undefined) o['content'] = m.content;
  if (!(m.content === undefined && m.noSender)) o['sender_name'] = m.sender;
  o['timestamp_ms'] = m.ts;
  Object.assign(o, m.extras);
  if (!m.contentFirst && m.content !== undefined) o['content'] = m.content;
  return o;
}

const thread = fc
  .uniqueArray(fc.constantFrom(...SENDERS), { minLength: 1, maxLength: 4 })
  .chain((senders) =>
    fc.record({
      senders: fc.constant(senders),
      messages: fc.array(message(senders), { maxLength: 40, size: 'max' }),
      participantsLast: fc.boolean(),
    }),
  );

type Thread = { senders: string[]; messages: GenMessage[]; participantsLast: boolean };

function threadJson(th: Thread): Record<string, unknown> {
  const participants = th.senders.map((name) => ({ name }));
  const messages = th.messages.map(messageJson);
  const meta = { title: th.senders[0], is_still_participant: true, thread_path: 'inbox/x_1', magic_words: [], image: { uri: 'i.png', creation_timestamp: 1 } };
  return th.participantsLast ? { messages, ...meta, participants } : { participants, messages, ...meta };
}

/** As Meta writes (every non-ASCII char escaped, indented) or plain UTF-8 on one line. */
function serialize(doc: unknown, metaStyle: boolean): Buffer {
  if (!metaStyle) return Buffer.from(JSON.stringify(doc), 'utf8');
  const s = JSON.stringify(doc, null, 2).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return Buffer.from(s, 'ascii');
}

const windowing = fc.integer({ min: 1, max: 10 }).chain((window) => fc.record({ window: fc.constant(window), overlap: fc.integer({ min: 0, max: window - 1 }) }));
const me = fc.constantFrom(...ME);
/** Mostly someone who writes in the thread (as given, or the real text of a mojibake name). */
function meFor(senders: string[]): fc.Arbitrary<string> {
  const real = senders.filter((s) => s !== '').flatMap((s) => [s, ...(s === moji('Zoë') ? ['Zoë'] : s === moji('Jürgen Ø') ? ['Jürgen Ø'] : [])]);
  return real.length ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...real) }, { weight: 1, arbitrary: me }) : me;
}
const threadAndMe = thread.chain((th) => fc.tuple(fc.constant(th), meFor(th.senders)));

function describe(value: unknown): string {
  return JSON.stringify(value).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// ---------------------------------------------------------------------------------------------
// Properties

/** One assertion per property; fast-check's report (seed, path, shrunk counterexample) on failure. */
function report(t: Test, what: string, failure: unknown): void {
  if (failure === null) t.pass(what);
  else t.fail(`${what}\n${failure instanceof Error ? failure.message : String(failure)}`);
}

t.test('single files: the preset gives the reference\'s lines', async (t) => {
  let lines = 0;
  let productive = 0;
  let failure: unknown = null;
  try {
    await fc.assert(
      fc.asyncProperty(threadAndMe, windowing, fc.boolean(), fc.integer({ min: 1, max: 64 }), async ([th, name], w, metaStyle, piece) => {
        const doc = threadJson(th);
        const options = { me: name, ...w };
        const expected = asMultiset(referenceFile(JSON.parse(JSON.stringify(doc)), options));
        const actual = asMultiset(await runBytes(serialize(doc, metaStyle), options, piece));
        lines += expected.length;
        if (expected.length) productive++;
        if (JSON.stringify(actual) !== JSON.stringify(expected)) {
          throw new Error(`options ${describe(options)}\ninput ${describe(doc)}\nexpected ${describe(expected)}\nactual   ${describe(actual)}`);
        }
      }),
      { numRuns: RUNS },
    );
  } catch (err) {
    failure = err;
  }
  report(t, `${RUNS} random threads agree with the reference`, failure);
  t.ok(productive > RUNS / 4, `enough runs produced lines to compare (${productive} runs, ${lines} lines)`);
});

t.test('export folders: the preset gives the reference\'s lines', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'fbstream-lc-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const suffix = fc.constantFrom('.json', '.json', '.JSON', '.Json');
  const threadDir = fc.array(fc.tuple(thread, suffix), { minLength: 1, maxLength: 3, size: 'max' });
  /** Files LangChain must not read: other sections, directly in inbox, one level too deep, not .json. */
  const distractors = fc.record({ archived: fc.boolean(), stray: fc.boolean(), nested: fc.boolean(), txt: fc.boolean() });
  let n = 0;
  let lines = 0;
  let productive = 0;
  let failure: unknown = null;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(threadDir, { minLength: 2, maxLength: 3 }), distractors, thread, windowing, me, async (dirs, d, other, w, name) => {
        const root = join(base, String(n++));
        const inbox = join(root, 'inbox');
        const layout: Record<string, unknown> = {};
        dirs.forEach((files, i) => {
          const dir = join(inbox, `thread${i}_${100 + i}`);
          mkdirSync(dir, { recursive: true });
          files.forEach(([th, ext], k) => {
            const doc = threadJson(th);
            writeFileSync(join(dir, `message_${k + 1}${ext}`), serialize(doc, k % 2 === 0));
            layout[`inbox/thread${i}/message_${k + 1}${ext}`] = doc;
          });
        });
        const otherBytes = serialize(threadJson(other), true);
        if (d.archived) {
          mkdirSync(join(root, 'archived_threads', 'old_1'), { recursive: true });
          writeFileSync(join(root, 'archived_threads', 'old_1', 'message_1.json'), otherBytes);
        }
        if (d.stray) writeFileSync(join(inbox, 'message_1.json'), otherBytes);
        if (d.nested) {
          mkdirSync(join(inbox, 'thread0_100', 'photos'), { recursive: true });
          writeFileSync(join(inbox, 'thread0_100', 'photos', 'message_1.json'), otherBytes);
        }
        if (d.txt) writeFileSync(join(inbox, 'thread0_100', 'message_9.json.txt'), otherBytes);
        const options = { me: name, ...w };
        const expected = asMultiset(referenceFolder(root, options));
        const actual = asMultiset(await runFolder(root, options));
        lines += expected.length;
        if (expected.length) productive++;
        rmSync(root, { recursive: true, force: true });
        if (JSON.stringify(actual) !== JSON.stringify(expected)) {
          throw new Error(`options ${describe(options)} distractors ${describe(d)}\nfiles ${describe(layout)}\nother ${describe(threadJson(other))}\nexpected ${describe(expected)}\nactual   ${describe(actual)}`);
        }
      }),
      { numRuns: Math.ceil(RUNS / 2) },
    );
  } catch (err) {
    failure = err;
  }
  report(t, `${Math.ceil(RUNS / 2)} random folders agree with the reference`, failure);
  t.ok(productive > RUNS / 8, `enough runs produced lines to compare (${productive} runs, ${lines} lines)`);
});
