/**
 * Bad input, end to end (rows 1-10 of the table in docs/reliability.md#behaviour): what the user
 * sees on stderr, the exit code, and that whatever does come out is valid.
 */
import t from 'tap';
import { readFileSync, statSync } from 'node:fs';
import { fixture, jsonLines, looksLikeStackTrace, runCli } from '../support/cli.js';
import { createTokenizer } from '../../lib/core/tokenizer.js';
import { createDecoder } from '../../lib/core/decoder.js';
import type { Message } from '../../lib/types.js';
import type { Output } from '../../lib/core/stage.js';

// independent scenarios (own temp folders, own child processes): run a few at once
t.jobs = 4;

const ME = ['--me', 'Ada Lovelace'];
const THREAD = fixture('thread.json');
const OTHER = fixture('other-thread.json');
const STDIN = '<stdin>';

const line = (...messages: { role: string; content: string }[]) => JSON.stringify({ messages }) + '\n';
const THREAD_LINE = line(
  { role: 'user', content: 'Hi Ada! How are you?' },
  { role: 'assistant', content: 'I am \u201cfine\u201d\n\nYes, tomorrow.' },
  { role: 'user', content: 'See you at the caf\u00e9' },
  { role: 'assistant', content: 'Bye \u{1F622}' },
);

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The byte offset reported on stderr ("... at byte N ..."), if any. */
function reportedOffset(stderr: string): number | undefined {
  const m = /\bbyte\D{0,12}(\d+)/i.exec(stderr);
  return m ? Number(m[1]) : undefined;
}

// Rows 1 and 2: syntax errors and empty input, read from a file and from stdin
const syntax: { name: string; file: string; stderr: RegExp }[] = [
  { name: 'truncated JSON', file: 'truncated.json', stderr: /at byte \d+: invalid JSON: the input ends inside a document \(truncated\?\)/ },
  { name: 'mismatched brackets', file: 'mismatched.json', stderr: /invalid JSON|expected/i },
  { name: 'trailing garbage', file: 'trailing-garbage.json', stderr: /invalid JSON|expected|unexpected/i },
];

for (const c of syntax) {
  t.test(`${c.name}: exit 1, source and byte offset named`, async (t) => {
    const path = fixture(c.file);
    const size = statSync(path).size;
    const [fromFile, fromStdin] = await Promise.all([runCli([...ME, path]), runCli(ME, { stdin: readFileSync(path) })]);
    for (const [r, source] of [[fromFile, path], [fromStdin, STDIN]] as const) {
      t.equal(r.code, 1, `${source}: exit 1`);
      t.match(r.stderr, source, `${source}: names the source`);
      t.match(r.stderr, /\bbyte\b/, `${source}: gives a byte offset`);
      const offset = reportedOffset(r.stderr);
      t.ok(offset !== undefined && offset >= 0 && offset <= size, `${source}: offset ${offset} lies within the ${size}-byte input`);
      t.match(r.stderr, c.stderr, `${source}: says what is wrong`);
      t.notOk(looksLikeStackTrace(r.stderr), `${source}: no stack trace`);
    }
  });
}

t.test('a syntax error in the second file names that file', async (t) => {
  const r = await runCli([...ME, OTHER, fixture('mismatched.json')]);
  t.equal(r.code, 1);
  t.match(r.stderr, fixture('mismatched.json'));
  t.notMatch(r.stderr, new RegExp(escapeRe(OTHER)), 'not the good file');
});

for (const file of ['empty.json', 'whitespace.json']) {
  t.test(`${file}: "empty input" error naming the source`, async (t) => {
    const path = fixture(file);
    const [fromFile, fromStdin] = await Promise.all([runCli([...ME, path]), runCli(ME, { stdin: readFileSync(path) })]);
    for (const [r, source] of [[fromFile, path], [fromStdin, STDIN]] as const) {
      t.equal(r.code, 1, `${source}: exit 1`);
      t.match(r.stderr, /empty input/i, `${source}: says empty input`);
      t.match(r.stderr, source, `${source}: names the source`);
      t.equal(r.stdout, '');
      t.notOk(looksLikeStackTrace(r.stderr));
    }
  });
}

// Row 3: a JSON document that is not a thread
for (const file of ['array.json', 'no-messages.json', 'messages-not-array.json']) {
  t.test(`not a thread (${file}): exit 1 naming the source`, async (t) => {
    const path = fixture(file);
    const [fromFile, fromStdin] = await Promise.all([runCli([...ME, path]), runCli(ME, { stdin: readFileSync(path) })]);
    for (const [r, source] of [[fromFile, path], [fromStdin, STDIN]] as const) {
      t.equal(r.code, 1, `${source}: exit 1`);
      t.match(r.stderr, source, `${source}: names the source`);
      t.match(r.stderr, /thread|messages/i, `${source}: says why`);
      t.notOk(looksLikeStackTrace(r.stderr));
    }
  });
}

// Row 4: one bad message is skipped, counted with its JSON path; the rest survives
t.test('bad messages are skipped and counted with their JSON path', async (t) => {
  const r = await runCli(ME, { stdin: readFileSync(fixture('bad-messages.json')) });
  t.equal(r.code, 0, 'exit 0');
  t.equal(r.stdout, line({ role: 'user', content: 'How are you?' }, { role: 'assistant', content: 'Fine, thanks.' }), 'the good messages come out');
  // file order (newest first): [0] good, [1] no sender_name, [2] timestamp "yesterday", [3] content 42, [4] good
  t.match(r.stderr, /sender_name[^\n]*messages\[1\]/, 'missing sender_name: messages[1]');
  t.match(r.stderr, /timestamp_ms[^\n]*messages\[2\]/, 'non-numeric timestamp_ms: messages[2]');
  t.match(r.stderr, /content[^\n]*messages\[3\]/, 'non-string content: messages[3]');
  t.notMatch(r.stderr, /messages\[[04]\]/, 'the good messages are not reported');
  t.match(r.stderr, STDIN, 'names the source');
  t.notOk(looksLikeStackTrace(r.stderr));
});

t.test('bad messages from a file are reported with the file path', async (t) => {
  const path = fixture('bad-messages.json');
  const r = await runCli([...ME, path]);
  t.equal(r.code, 0);
  t.match(r.stderr, new RegExp(`${escapeRe(path)}[^\\n]*messages\\[1\\]`));
});

// Row 5: BOM
t.test('a UTF-8 BOM at the start of the input is accepted', async (t) => {
  const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(THREAD)]);
  const r = await runCli(ME, { stdin: withBom });
  t.equal(r.code, 0);
  t.equal(r.stdout, THREAD_LINE, 'same output as without the BOM');
  t.notOk(looksLikeStackTrace(r.stderr));
});

// Row 6: invalid UTF-8
t.test('invalid UTF-8 bytes: output still valid UTF-8 JSON, replacement reported', async (t) => {
  // raw bytes FF FE (never valid in UTF-8) inside an ASCII string
  const bytes = Buffer.from(readFileSync(THREAD, 'latin1').replace('Hi Ada!', 'Hi \u00ff\u00fe Ada!'), 'latin1');
  t.equal(bytes.indexOf(Buffer.from([0xff, 0xfe])) > 0, true, 'the input holds invalid UTF-8');
  const r = await runCli(ME, { stdin: bytes });
  t.equal(r.code, 0, 'exit 0');
  t.doesNotThrow(() => new TextDecoder('utf-8', { fatal: true }).decode(r.stdoutBytes), 'stdout is valid UTF-8');
  const lines = jsonLines(r.stdout) as { messages: { content: string }[] }[];
  t.equal(lines.length, 1, 'one example, every line JSON');
  const [first, ...rest] = lines[0]!.messages;
  t.match(first?.content, /^Hi \S+ Ada! How are you\?$/, 'the rest of the string survives');
  t.notMatch(first?.content, /[\u00fe\u00ff]/, 'the invalid bytes are not read as Latin-1');
  t.same(rest, (JSON.parse(THREAD_LINE) as { messages: unknown[] }).messages.slice(1), 'the other messages are unchanged');
  t.match(r.stderr, /UTF-8/i, 'the replacement is reported on stderr');
});

t.test('lone surrogates: output valid UTF-8 JSON', async (t) => {
  const doc =
    '{"participants":[{"name":"Ada Lovelace"},{"name":"Charles Babbage"}],"messages":[' +
    '{"sender_name":"Ada Lovelace","timestamp_ms":2,"content":"half \\ud83d an emoji"},' +
    '{"sender_name":"Charles Babbage","timestamp_ms":1,"content":"low \\udc00 alone"}],"thread_path":"inbox/x_1"}';
  const r = await runCli(ME, { stdin: doc });
  t.equal(r.code, 0);
  t.doesNotThrow(() => new TextDecoder('utf-8', { fatal: true }).decode(r.stdoutBytes), 'stdout is valid UTF-8');
  t.equal(jsonLines(r.stdout).length, 1, 'every line is JSON');
  t.test('and counted on stderr (docs/reliability.md, row 6)', async (t) => {
    t.match(r.stderr, /surrogate/i);
  });
});

// Row 7: __proto__ / constructor keys
t.test('__proto__ / constructor keys at top level and in messages change nothing', async (t) => {
  const r = await runCli(ME, { stdin: readFileSync(fixture('proto.json')) });
  t.equal(r.code, 0, 'exit 0');
  t.equal(r.stdout, line({ role: 'user', content: '__proto__' }, { role: 'assistant', content: 'constructor' }), 'the messages as written');
  t.notMatch(r.stdout + r.stderr, /Mallory|polluted/, 'nothing from the __proto__ values leaks in');
  t.notOk(looksLikeStackTrace(r.stderr));
});

t.test('__proto__ keys: no prototype change in the library either', async (t) => {
  const tokenizer = createTokenizer({ source: 'proto.json' });
  const decoder = createDecoder();
  const bytes = readFileSync(fixture('proto.json'));
  const msgs: Message[] = [];
  const take = (out: Output<Message>) => {
    for (const x of Array.isArray(out) ? [out] : out) msgs.push(...x);
  };
  for (let i = 0; i < bytes.length; i += 97) take(decoder.push(tokenizer.push(bytes.subarray(i, i + 97))));
  take(decoder.push(tokenizer.flush()));
  take(decoder.flush());
  t.same(msgs.map((m) => [m.sender, m.text]), [['Ada Lovelace', 'constructor'], ['Charles Babbage', '__proto__']]);
  t.equal(({} as Record<string, unknown>)['polluted'], undefined, 'Object.prototype untouched');
  t.same(msgs[0]!.thread.participants, ['Charles Babbage', 'Ada Lovelace'], 'participants as written');
  for (const m of msgs) t.equal(Object.getPrototypeOf(m), Object.prototype, 'messages are plain objects');
});

// Row 10: nesting depth 100,000
const DEEP = 100_000;
const deep: { name: string; doc: () => string }[] = [
  { name: 'in an unread top-level key', doc: () => `{"x":${'['.repeat(DEEP)}${']'.repeat(DEEP)}}` },
  {
    name: 'inside a message',
    doc: () => `{"participants":[],"messages":[{"sender_name":"A","timestamp_ms":1,"content":${'['.repeat(DEEP)}${']'.repeat(DEEP)}}]}`,
  },
  { name: 'objects, never closed', doc: () => `{"messages":[{"share":${'{"a":'.repeat(DEEP)}` },
];
for (const c of deep) {
  t.test(`nesting depth ${DEEP} (${c.name}): "limit exceeded", exit 1, no crash`, async (t) => {
    const started = Date.now();
    const r = await runCli(ME, { stdin: c.doc(), timeoutMs: 10_000 });
    t.notOk(r.timedOut, 'no hang');
    t.equal(r.code, 1, 'exit 1');
    t.match(r.stderr, /limit exceeded/i);
    t.match(r.stderr, STDIN, 'names the source');
    t.match(r.stderr, /\bbyte\b/, 'with a position');
    t.notOk(looksLikeStackTrace(r.stderr), 'no stack trace');
    t.ok(Date.now() - started < 10_000, 'quick');
  });
}

// Row 10: a string over the cap, through the library (64 MiB by default; a cap of 1000 here)
const LONG = {
  'message content': `{"messages":[{"sender_name":"A","timestamp_ms":1,"content":"${'x'.repeat(5000)}"}]}`,
  'thread title': `{"title":"${'x'.repeat(5000)}","messages":[]}`,
};

/** Push `input` in chunks of `size` bytes, then flush; the error thrown, if any. */
function tokenizeInChunks(input: string, size: number): unknown {
  const tokenizer = createTokenizer({ maxValueLength: 1000, source: 'long.json' });
  try {
    for (let i = 0; i < input.length; i += size) tokenizer.push(Buffer.from(input.slice(i, i + size)));
    tokenizer.flush();
  } catch (err) {
    return err;
  }
  return undefined;
}

t.test('a JSON string longer than maxValueLength: FBS_LIMIT from the tokenizer', async (t) => {
  for (const [where, input] of Object.entries(LONG)) {
    for (const size of [1, 7, 64, 100, 999]) {
      const caught = tokenizeInChunks(input, size);
      t.match(caught, { code: 'FBS_LIMIT', source: 'long.json' }, `${where}, chunks of ${size} bytes: FBS_LIMIT`);
      t.match((caught as Error | undefined)?.message, /limit exceeded/i, `${where}, chunks of ${size} bytes: says limit exceeded`);
      t.type((caught as { offset?: unknown } | undefined)?.offset, 'number', `${where}, chunks of ${size} bytes: with a byte offset`);
    }
  }
  const ok = createTokenizer({ maxValueLength: 1000 });
  const short = `{"messages":[{"content":"${'x'.repeat(900)}"}]}`;
  t.doesNotThrow(() => {
    for (let i = 0; i < short.length; i += 7) ok.push(short.slice(i, i + 7));
    ok.flush();
  }, 'a value under the cap is fine');
});

t.test('a JSON string longer than maxValueLength, in large chunks', async (t) => {
  for (const [where, input] of Object.entries(LONG)) {
    for (const size of [4096, input.length]) {
      t.match(tokenizeInChunks(input, size), { code: 'FBS_LIMIT' }, `${where}, chunks of ${size} bytes: FBS_LIMIT`);
    }
  }
});
