/**
 * Every error code of lib/errors.ts (the ErrorCode union) is produced by at least one scenario: a
 * library call matched on `code` (and on exitCodeOf), and a CLI run matched on its exit code.
 * A code added to the union without a row here fails the first test.
 */
import t from 'tap';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fixture, looksLikeStackTrace, ROOT, runCli, tempDir, type RunOptions } from '../support/cli.js';
import { exitCodeOf, UnknownSenderError, type ErrorCode } from '../../lib/errors.js';
import { createTokenizer } from '../../lib/core/tokenizer.js';
import { createDecoder } from '../../lib/core/decoder.js';
import { createPipeline } from '../../lib/pipeline.js';
import { resolveInputs, tokenizeSources } from '../../lib/sources/files.js';
import { createAtomicFile } from '../../lib/sinks/atomic-file.js';
import { convert } from '../../lib/convert.js';
import { openZip } from '../../lib/sources/zip.js';
import { rawZip } from '../support/zip.js';
import { startFineTune } from '../../lib/api/index.js';
import { closeDispatcher } from '../../lib/api/http.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-api/openai.js';
import { writeDataset } from '../support/train-datasets.js';

// independent scenarios (own temp folders, own child processes): run a few at once
t.jobs = 4;

const ME = ['--me', 'Ada Lovelace'];
const THREAD = fixture('thread.json');

/** The members of the ErrorCode union, read from the source so that new codes are noticed. */
function declaredCodes(): string[] {
  const src = readFileSync(join(ROOT, 'lib', 'errors.ts'), 'utf8');
  const union = /export\s+type\s+ErrorCode\s*=([^;]+);/.exec(src);
  if (!union) throw new Error('lib/errors.ts: no `export type ErrorCode = ...;`');
  return [...union[1]!.matchAll(/'([A-Z0-9_]+)'/g)].map((m) => m[1]!);
}

/** Tokenize then decode a whole input in one go (library path, no streams). */
function decodeAll(input: string, decoderOptions?: Parameters<typeof createDecoder>[0]): void {
  const tokenizer = createTokenizer({ source: 'mem.json' });
  const decoder = createDecoder(decoderOptions);
  decoder.push(tokenizer.push(Buffer.from(input)));
  decoder.push(tokenizer.flush());
  decoder.flush();
}

/** A thread whose messages are all photos and calls: nothing with text. */
function mediaOnlyThread(dir: string): string {
  const path = join(dir, 'message_1.json');
  const messages = [
    { sender_name: 'Ada Lovelace', timestamp_ms: 2000, photos: [{ uri: 'photos/1.jpg' }] },
    { sender_name: 'Charles Babbage', timestamp_ms: 1000, call_duration: 60, content: 'Charles started a call.' },
  ];
  writeFileSync(path, JSON.stringify({ participants: [{ name: 'Ada Lovelace' }, { name: 'Charles Babbage' }], messages }));
  return path;
}

/** What a scenario needs of its test: somewhere to register cleanup. */
type Teardown = { teardown(fn: () => void): void };

interface Row {
  code: ErrorCode;
  exit: number;
  /** A library call that must fail with this code. */
  lib?: (t: Teardown) => Promise<unknown> | unknown;
  /** A CLI run that must exit with `exit` (files made in `dir` when needed). */
  cli?: (dir: string) => { args: string[]; opts?: RunOptions };
  /** What stderr must say for this CLI scenario. */
  stderr?: RegExp;
}

const rows: Row[] = [
  {
    code: 'FBS_USAGE',
    exit: 2,
    lib: () => resolveInputs([fixture('does-not-exist.json')]),
    cli: () => ({ args: [THREAD] }), // no --me
    stderr: /--me/,
  },
  {
    code: 'FBS_NO_INPUT',
    exit: 2,
    lib: () => convert({ inputs: [fixture('does-not-exist.json')] }),
    cli: () => ({ args: [fixture('does-not-exist.json')] }), // missing, and no --me: the missing file is said first
    stderr: /does-not-exist\.json: no such file/,
  },
  {
    code: 'FBS_NOTHING_TO_TRAIN',
    exit: 1,
    lib: (t) => {
      const dir = tempDir(t);
      return convert({ inputs: [mediaOnlyThread(dir)], me: 'Ada Lovelace' }, { stdout: new PassThrough() });
    },
    cli: (dir) => ({ args: [...ME, mediaOnlyThread(dir)] }),
    stderr: /nothing to train on: "Ada Lovelace"/,
  },
  {
    code: 'FBS_INVALID_OPTION',
    exit: 2,
    lib: () => createPipeline({ me: 'Ada Lovelace', window: 0 }),
    cli: () => ({ args: [...ME, '--window', '0', THREAD] }),
    stderr: /--window/,
  },
  {
    code: 'FBS_UNKNOWN_SENDER',
    exit: 2,
    lib: async () => {
      const p = createPipeline({ me: 'Nobody', source: 'thread.json' });
      await pipeline([Readable.from([readFileSync(THREAD)]), ...p.streams, new Writable({ write: (_c, _e, cb) => cb() })]);
      p.checkMe();
    },
    cli: () => ({ args: ['--me', 'Nobody', THREAD] }),
    stderr: /Charles Babbage/,
  },
  {
    code: 'FBS_OUTPUT_IS_INPUT',
    exit: 2,
    lib: (t) => {
      const dir = tempDir(t);
      const input = join(dir, 'message_1.json');
      copyFileSync(THREAD, input);
      return convert({ inputs: [input], out: input, me: 'Ada Lovelace' }, { stdout: new PassThrough() });
    },
    cli: (dir) => {
      const input = join(dir, 'message_1.json');
      copyFileSync(THREAD, input);
      return { args: [...ME, input, '-o', input] };
    },
  },
  {
    code: 'FBS_JSON_SYNTAX',
    exit: 1,
    lib: () => decodeAll('{"messages": [{"sender_name": "A"'),
    cli: () => ({ args: [...ME, fixture('truncated.json')] }),
    stderr: /\bbyte\b/,
  },
  {
    code: 'FBS_EMPTY_INPUT',
    exit: 1,
    lib: () => decodeAll(''),
    cli: () => ({ args: ME, opts: { stdin: '' } }),
    stderr: /empty input/i,
  },
  {
    code: 'FBS_NOT_A_THREAD',
    exit: 1,
    lib: () => decodeAll('[]'),
    cli: () => ({ args: [...ME, fixture('array.json')] }),
  },
  {
    code: 'FBS_LIMIT',
    exit: 1,
    lib: () => decodeAll(`{"x": ${'['.repeat(20)}${']'.repeat(20)}}`, { maxDepth: 8 }),
    cli: () => ({ args: ME, opts: { stdin: `{"x": ${'['.repeat(1000)}${']'.repeat(1000)}}` } }),
    stderr: /limit exceeded/i,
  },
  {
    code: 'FBS_ZIP_INVALID',
    exit: 1,
    lib: (t) => {
      const path = join(tempDir(t), 'not.zip');
      writeFileSync(path, 'this is not a zip archive');
      return openZip(path);
    },
  },
  ...(['FBS_ZIP_UNSAFE', 'FBS_ZIP_UNSUPPORTED'] as const).map((code): Row => ({
    code,
    exit: 1,
    // a refused entry is a problem of the listing, not a rejection: the row throws it
    lib: async (t) => {
      const path = join(tempDir(t), 'bad.zip');
      writeFileSync(path, rawZip([
        { name: '../escape.json', content: '{}' },
        { name: 'locked.json', data: Buffer.alloc(40), flags: 0x801, method: 8, crc32: 1, uncompressedSize: 28 },
      ]));
      const zip = await openZip(path);
      await zip.close();
      throw zip.problems.find((p) => p.error.code === code)?.error;
    },
  })),
  {
    code: 'FBS_ZIP_CORRUPT',
    exit: 1,
    lib: async (t) => {
      const path = join(tempDir(t), 'crc.zip');
      writeFileSync(path, rawZip([{ name: 'a.json', content: '{"messages": []}', method: 0, crc32: 0x12345678 }]));
      const zip = await openZip(path);
      try {
        for await (const _ of zip.entries[0]!.open());
      } finally {
        await zip.close();
      }
    },
  },
  {
    code: 'FBS_IO',
    exit: 3,
    lib: async (t) => {
      // the finished file cannot be renamed onto an existing folder
      const dir = tempDir(t);
      const target = join(dir, 'out');
      mkdirSync(target);
      const file = createAtomicFile(target);
      file.stream.end('{}\n');
      await new Promise<void>((resolve, reject) => file.stream.on('close', () => resolve()).on('error', reject));
      await file.commit();
    },
    cli: (dir) => ({ args: [...ME, THREAD, '-o', join(dir, 'missing', 'out.jsonl')] }),
  },
  // the API commands, against fake servers on 127.0.0.1 (started below)
  {
    code: 'FBS_NO_API_KEY',
    exit: 2,
    lib: () => startFineTune({ file: THREAD, model: 'gpt-4.1-mini', env: {} }),
    cli: () => ({ args: ['train', THREAD, '--model', 'gpt-4.1-mini'], opts: { env: { OPENAI_API_KEY: undefined } } }),
    stderr: /set OPENAI_API_KEY/,
  },
  {
    code: 'FBS_INVALID_DATASET',
    exit: 1,
    lib: () => startFineTune({ file: THREAD, model: 'gpt-4.1-mini', env: apiEnv(api.ok) }),
    cli: () => ({ args: ['train', THREAD, '--model', 'gpt-4.1-mini'], opts: { env: apiEnv(api.ok) } }),
    stderr: /cannot be used as the training file: .*format errors/,
  },
  {
    code: 'FBS_JOB_FAILED',
    exit: 1,
    lib: (t) => startFineTune({ file: trainable(t), model: 'gpt-4.1-mini', wait: true, pollMs: 1, env: apiEnv(api.failing) }),
    cli: (dir) => ({ args: ['train', writeTrainable(dir), '--model', 'gpt-4.1-mini', '--wait'], opts: { env: apiEnv(api.failing) } }),
    stderr: /ended failed/,
  },
  {
    code: 'FBS_API',
    exit: 3,
    lib: (t) => startFineTune({ file: trainable(t), model: 'gpt-4.1-mini', env: { ...apiEnv(api.keyed), OPENAI_API_KEY: 'wrong' } }),
    cli: (dir) => ({ args: ['train', writeTrainable(dir), '--model', 'gpt-4.1-mini'], opts: { env: { ...apiEnv(api.keyed), OPENAI_API_KEY: 'wrong' } } }),
    stderr: /answered 401/,
  },
  {
    code: 'FBS_FINE_TUNING_UNAVAILABLE',
    exit: 3,
    lib: (t) => startFineTune({ file: trainable(t), model: 'gpt-4.1-mini', env: apiEnv(api.refusing) }),
    cli: (dir) => ({ args: ['train', writeTrainable(dir), '--model', 'gpt-4.1-mini'], opts: { env: apiEnv(api.refusing) } }),
    stderr: /2027-01-06/,
  },
];

/** Fake OpenAI servers for the API rows: one that works, one whose jobs fail, one with a key, one refusing fine-tuning. */
const api = {
  ok: await startFakeOpenAI(),
  failing: await startFakeOpenAI({ jobScript: ['validating_files', 'failed'] }),
  keyed: await startFakeOpenAI({ apiKey: 'right' }),
  refusing: await startFakeOpenAI({ refuseFineTuning: true }),
};
t.teardown(async () => {
  for (const fake of Object.values(api)) await fake.close();
  await closeDispatcher();
});
function apiEnv(fake: FakeOpenAI): Record<string, string> {
  return { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.baseURL };
}
function writeTrainable(dir: string): string {
  return writeDataset(dir, 'train.jsonl', 12);
}
function trainable(t: Teardown): string {
  return writeTrainable(tempDir(t));
}

t.test('every ErrorCode has a scenario', async (t) => {
  const declared = declaredCodes();
  t.ok(declared.length > 0, `lib/errors.ts declares ${declared.length} codes`);
  t.same([...new Set(rows.map((r) => r.code))].sort(), [...declared].sort(), 'one row per declared code, no stale rows');
});

for (const row of rows) {
  t.test(row.code, async (t) => {
    if (row.lib) {
      let caught: unknown;
      try {
        await row.lib(t);
      } catch (err) {
        caught = err;
      }
      t.match(caught, { code: row.code }, `library: fails with code ${row.code}`);
      t.equal(exitCodeOf(caught), row.exit, `library: exitCodeOf gives ${row.exit}`);
    }
    if (row.cli) {
      const { args, opts } = row.cli(tempDir(t));
      const r = await runCli(args, opts);
      t.equal(r.code, row.exit, `CLI: exit ${row.exit}`);
      if (row.stderr) t.match(r.stderr, row.stderr, `CLI: stderr matches ${row.stderr}`);
      t.match(r.stderr, /\S/, 'CLI: says something on stderr');
      t.notOk(looksLikeStackTrace(r.stderr), 'CLI: no stack trace');
    }
  });
}

t.test('FBS_IO also comes from a source that fails while being read', async (t) => {
  const failing = {
    name: 'broken.json',
    open: () =>
      new Readable({
        read() {
          this.push('{"messages": [');
          this.destroy(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }));
        },
      }),
  };
  let caught: unknown;
  try {
    for await (const _ of tokenizeSources([failing])) void _;
  } catch (err) {
    caught = err;
  }
  t.match(caught, { code: 'FBS_IO' });
  t.match((caught as Error).message, 'broken.json', 'names the source');
  t.equal(exitCodeOf(caught), 3);
});

t.test('UnknownSenderError carries the participants and the suggestion', async (t) => {
  const p = createPipeline({ me: 'Ada', source: 'thread.json' });
  await pipeline([Readable.from([readFileSync(THREAD)]), ...p.streams, new Writable({ write: (_c, _e, cb) => cb() })]);
  t.throws(() => p.checkMe(), { code: 'FBS_UNKNOWN_SENDER', participants: ['Ada Lovelace', 'Charles Babbage'], message: /Ada Lovelace/ });
});

t.test('UnknownSenderError names a dozen people at most; .participants has them all', async (t) => {
  const people = Array.from({ length: 30 }, (_, i) => `Friend ${String(i).padStart(2, '0')}`);
  const err = new UnknownSenderError('Nobody', people);
  t.equal(err.participants.length, 30);
  t.match(err.message, /Found: Friend 00, .*Friend 11 and 18 more$/);
  t.notMatch(err.message, /Friend 12/);
  t.match(new UnknownSenderError('Nobody', people.slice(0, 12)).message, /Friend 11$/, 'twelve are all named');
});

t.test('data errors carry their position', async (t) => {
  t.throws(() => decodeAll('{"messages": [}'), { code: 'FBS_JSON_SYNTAX', source: 'mem.json', offset: Number });
});
