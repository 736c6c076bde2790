/**
 * Golden end-to-end runs of `fbstream [inputs..]`: Messenger JSON in, OpenAI chat JSONL out.
 * Every scenario runs the built CLI as a child process (npm run build first).
 */
import t from 'tap';
import { copyFileSync, linkSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, jsonLines, looksLikeStackTrace, runCli, staleBuildWarning, tempDir } from '../support/cli.js';

// independent scenarios (own temp folders, own child processes): run a few at once
t.jobs = 4;

const stale = staleBuildWarning();
if (stale) t.comment(`warning: ${stale}`);

const ME = ['--me', 'Ada Lovelace'];
const THREAD = fixture('thread.json');
const OTHER = fixture('other-thread.json');
const PART1 = fixture('split', 'inbox', 'alanturing_789', 'message_1.json'); // newest part
const PART2 = fixture('split', 'inbox', 'alanturing_789', 'message_2.json'); // older part

type Msg = { role: 'user' | 'assistant' | 'system'; content: string; name?: string };
const line = (...messages: Msg[]) => JSON.stringify({ messages }) + '\n';
const user = (content: string): Msg => ({ role: 'user', content });
const assistant = (content: string): Msg => ({ role: 'assistant', content });

/**
 * thread.json, written newest-first with \u00XX mojibake: chronological, repaired (é, 😢, curly
 * quotes), Ada's two consecutive messages merged with a blank line, and the photo-only message,
 * the "Liked a message" reaction notice, the call, the unsent message and the group notice left out.
 */
const THREAD_LINE = line(
  user('Hi Ada! How are you?'),
  assistant('I am \u201cfine\u201d\n\nYes, tomorrow.'),
  user('See you at the caf\u00e9'),
  assistant('Bye \u{1F622}'),
);
/** other-thread.json: a second thread ("Naïve" is mojibake in the file). */
const OTHER_LINE = line(user('Found a bug?'), assistant('Na\u00efve question: no.'));
/**
 * The two parts of one thread: message_2.json (older) holds One, Two; message_1.json (newest) holds
 * Three, Four. One conversation: Alan's "Two" (part 2) and "Three" (part 1) merge into one turn.
 */
// Ada's "One" opens the conversation: a reply to nothing, it is not trained
const SPLIT_LINE = line(user('Two\n\nThree'), assistant('Four'));

/** Runs several scenarios look at, started once. */
const once = <T>(f: () => Promise<T>) => {
  let p: Promise<T> | undefined;
  return () => (p ??= f());
};
const threadFromStdin = once(() => runCli(ME, { stdin: readFileSync(THREAD) }));
const threadFromFile = once(() => runCli([...ME, THREAD]));
const otherFromStdin = once(() => runCli(ME, { stdin: readFileSync(OTHER) }));

t.test('stdin in, JSONL out: exact lines', async (t) => {
  const r = await threadFromStdin();
  t.equal(r.code, 0, 'exit 0');
  t.equal(r.stdout, THREAD_LINE, 'mojibake repaired, chronological, runs merged, non-text left out');
  t.notOk(looksLikeStackTrace(r.stderr), 'no stack trace');
  t.notMatch(r.stdout, /\u00c3|\u00f0|\u00e2\u0080/, 'no mojibake left in the output');
});

t.test('the output is valid UTF-8 and every line is an OpenAI chat example', async (t) => {
  const r = await threadFromStdin();
  t.doesNotThrow(() => new TextDecoder('utf-8', { fatal: true }).decode(r.stdoutBytes), 'valid UTF-8');
  t.ok(r.stdout.endsWith('\n'), 'every line is newline-terminated');
  for (const ex of jsonLines(r.stdout) as { messages: Msg[] }[]) {
    t.ok(Array.isArray(ex.messages) && ex.messages.length > 0, 'messages is a non-empty array');
    t.ok(ex.messages.some((m) => m.role === 'assistant'), 'has an assistant turn');
  }
});

t.test('the same fixture as a file argument gives byte-identical stdout', async (t) => {
  const [fromStdin, fromFile] = await Promise.all([threadFromStdin(), threadFromFile()]);
  t.equal(fromFile.code, 0);
  t.ok(fromStdin.stdoutBytes.equals(fromFile.stdoutBytes), 'identical bytes');
  t.equal(fromFile.stdout, THREAD_LINE);
});

t.test('`-` means stdin', async (t) => {
  const r = await runCli([...ME, '-'], { stdin: readFileSync(THREAD) });
  t.equal(r.code, 0);
  t.equal(r.stdout, THREAD_LINE);
});

t.test('two parts of one thread form one conversation, given in either order', async (t) => {
  const [newestFirst, oldestFirst] = await Promise.all([
    runCli([...ME, PART1, PART2]),
    runCli([...ME, PART2, PART1]),
  ]);
  t.equal(newestFirst.code, 0, 'exit 0 (message_1, message_2)');
  t.equal(oldestFirst.code, 0, 'exit 0 (message_2, message_1)');
  t.equal(newestFirst.stdout, SPLIT_LINE, 'one chronological conversation across both parts');
  t.equal(oldestFirst.stdout, newestFirst.stdout, 'argument order does not matter');
});

t.test('the folder holding a split thread gives the same conversation', async (t) => {
  const r = await runCli([...ME, fixture('split')]);
  t.equal(r.code, 0);
  t.equal(r.stdout, SPLIT_LINE);
});

t.test('`cat a.json b.json |`: two concatenated documents of different threads', async (t) => {
  const r = await runCli(ME, { stdin: Buffer.concat([readFileSync(THREAD), readFileSync(OTHER)]) });
  t.equal(r.code, 0);
  t.equal(r.stdout, THREAD_LINE + OTHER_LINE, 'each thread its own example, in input order');
  const [a, b] = await Promise.all([threadFromStdin(), otherFromStdin()]);
  t.equal(r.stdout, a.stdout + b.stdout, 'same as converting each file on its own');
});

t.test('--no-merge keeps one turn per message', async (t) => {
  const r = await runCli([...ME, '--no-merge', THREAD]);
  t.equal(r.code, 0);
  t.equal(
    r.stdout,
    line(
      user('Hi Ada! How are you?'),
      assistant('I am \u201cfine\u201d'),
      assistant('Yes, tomorrow.'),
      user('See you at the caf\u00e9'),
      assistant('Bye \u{1F622}'),
    ),
  );
});

t.test('--window / --overlap set the example size', async (t) => {
  const r = await runCli([...ME, '--window', '2', '--overlap', '0', THREAD]);
  t.equal(r.code, 0);
  t.equal(
    r.stdout,
    line(user('Hi Ada! How are you?'), assistant('I am \u201cfine\u201d\n\nYes, tomorrow.')) +
      line(user('See you at the caf\u00e9'), assistant('Bye \u{1F622}')),
  );
});

t.test('--quiet: data on stdout, nothing on stderr', async (t) => {
  const r = await runCli([...ME, '--quiet', THREAD]);
  t.equal(r.code, 0);
  t.equal(r.stdout, THREAD_LINE);
  t.equal(r.stderr, '');
});

t.test('without --quiet a summary goes to stderr, never to stdout', async (t) => {
  const r = await threadFromFile();
  t.equal(r.code, 0);
  t.equal(r.stdout, THREAD_LINE, 'stdout holds only data');
  t.match(r.stderr, /\b1\b[^\n]*example/, 'the summary counts the examples');
});

t.test('-o FILE', async (t) => {
  t.test('writes the file, nothing on stdout, summary on stderr', async (t) => {
    const dir = tempDir(t);
    const out = join(dir, 'train.jsonl');
    const r = await runCli([...ME, THREAD, '-o', out]);
    t.equal(r.code, 0);
    t.equal(r.stdout, '', 'nothing on stdout');
    t.equal(readFileSync(out, 'utf8'), THREAD_LINE, 'the file holds the examples');
    t.match(r.stderr, /\b1\b[^\n]*example/, 'summary on stderr');
    t.same(readdirSync(dir), ['train.jsonl'], 'no temporary file left beside it');
  });

  t.test('--out is the long form, stdin works too', async (t) => {
    const dir = tempDir(t);
    const out = join(dir, 'train.jsonl');
    const r = await runCli([...ME, '--out', out], { stdin: readFileSync(THREAD) });
    t.equal(r.code, 0);
    t.equal(readFileSync(out, 'utf8'), THREAD_LINE);
  });

  t.test('replaces an existing file on success', async (t) => {
    const dir = tempDir(t);
    const out = join(dir, 'train.jsonl');
    writeFileSync(out, 'old\n');
    const r = await runCli([...ME, THREAD, '-o', out]);
    t.equal(r.code, 0);
    t.equal(readFileSync(out, 'utf8'), THREAD_LINE);
    t.same(readdirSync(dir), ['train.jsonl']);
  });

  t.test('failure (truncated input): no output file, no temporary file', async (t) => {
    const dir = tempDir(t);
    const out = join(dir, 'train.jsonl');
    // a whole valid thread first, so examples were already written when the error comes
    const r = await runCli([...ME, '-o', out], { stdin: Buffer.concat([readFileSync(OTHER), readFileSync(fixture('truncated.json'))]) });
    t.equal(r.code, 1, 'exit 1');
    t.equal(r.stdout, '');
    t.same(readdirSync(dir), [], 'the folder is empty');
    t.notOk(looksLikeStackTrace(r.stderr));
  });

  t.test('a bad thread file among good ones is reported and left out; the good ones are written (exit 1)', async (t) => {
    const dir = tempDir(t);
    const out = join(dir, 'train.jsonl');
    writeFileSync(out, 'precious\n');
    const good = await runCli([...ME, OTHER]);
    t.equal(good.code, 0);
    const r = await runCli([...ME, OTHER, fixture('truncated.json'), '-o', out]);
    t.equal(r.code, 1);
    t.match(r.stderr, /error: .*truncated\.json left out: .*truncated\.json at byte \d+/, 'the bad file named, with where');
    t.equal(readFileSync(out, 'utf8'), good.stdout, 'the good thread written, as alone');
    t.same(readdirSync(dir), ['train.jsonl'], 'no temporary file left');
    const both = await runCli([...ME, fixture('truncated.json'), OTHER]);
    t.equal(both.code, 1);
    t.equal(both.stdout, good.stdout, 'whatever the order');
  });

  t.test('a run that fails leaves an existing output file untouched', async (t) => {
    const dir = tempDir(t);
    const out = join(dir, 'train.jsonl');
    writeFileSync(out, 'precious\n');
    const r = await runCli([...ME, '-o', out], { stdin: readFileSync(fixture('truncated.json')) });
    t.equal(r.code, 1);
    t.equal(readFileSync(out, 'utf8'), 'precious\n', 'old content kept');
    t.same(readdirSync(dir), ['train.jsonl'], 'no temporary file left');
  });

  t.test('-o naming an input is refused with exit 2, before reading', async (t) => {
    const dir = tempDir(t);
    const input = join(dir, 'message_1.json');
    copyFileSync(THREAD, input);
    const before = readFileSync(input);
    const r = await runCli([...ME, input, '-o', input]);
    t.equal(r.code, 2, 'usage error');
    t.match(r.stderr, input, 'names the file');
    t.ok(readFileSync(input).equals(before), 'input untouched');
    t.same(readdirSync(dir), ['message_1.json'], 'no temporary file');

    // a truncated file read first would fail with exit 1: exit 2 shows nothing was read
    const bad = join(dir, 'bad.json');
    copyFileSync(fixture('truncated.json'), bad);
    const r2 = await runCli([...ME, bad, input, '-o', input]);
    t.equal(r2.code, 2, 'refused before reading any input');
    t.ok(readFileSync(input).equals(before), 'input untouched');
  });

  t.test('-o naming an input through a link is refused too', async (t) => {
    const dir = tempDir(t);
    const input = join(dir, 'thread.json');
    copyFileSync(THREAD, input);
    symlinkSync(input, join(dir, 'sym.jsonl'));
    linkSync(input, join(dir, 'hard.jsonl'));
    const before = readFileSync(input);
    for (const name of ['sym.jsonl', 'hard.jsonl']) {
      const r = await runCli([...ME, input, '-o', join(dir, name)]);
      t.equal(r.code, 2, `${name}: usage error`);
      t.ok(readFileSync(input).equals(before), `${name}: input untouched`);
    }
  });
});
