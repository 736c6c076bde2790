/**
 * `fbstream --preset langchain` through the built CLI (dist/, made by `npm run build`, or by
 * `npm ci`'s prepare in CI), against hand-written lines and the reference port.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  asMultiset, referenceFile, referenceFolder, type ExampleLine, type OpenAiMessage, type ReferenceOptions,
} from '../support/langchain-reference.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = ROOT + 'dist/cli/fbstream.js';
const FIXTURES = fileURLToPath(new URL('../fixtures/langchain/', import.meta.url));

const u = (content: string): OpenAiMessage => ({ role: 'user', content });
const a = (content: string): OpenAiMessage => ({ role: 'assistant', content });
const line = (...messages: OpenAiMessage[]): ExampleLine => ({ messages });

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function fbstream(args: string[], stdin?: Buffer): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.end(stdin);
  });
}

function lines(stdout: string): unknown[] {
  return stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
}

function optionArgs(o: ReferenceOptions): string[] {
  const args = ['--preset', 'langchain', '--me', o.me];
  if (o.window !== undefined) args.push('--window', String(o.window));
  if (o.overlap !== undefined) args.push('--overlap', String(o.overlap));
  return args;
}

if (!existsSync(CLI)) {
  t.fail(`${CLI} is missing: run npm run build first`);
} else {
  t.test('one file: mojibake kept, --me given as real text', async (t) => {
    const options = { me: 'Zoë', window: 4, overlap: 0 };
    const expected = [
      line(a('na\u00c3\u00afve'), u('\u00e2\u0080\u009cquoted\u00e2\u0080\u009d'), a('real text, same person'), a('caf\u00c3\u00a9 \u00f0\u009f\u0098\u00a2')),
    ];
    const r = await fbstream([...optionArgs(options), FIXTURES + 'mojibake.json']);
    t.equal(r.code, 0, 'exit 0');
    t.same(asMultiset(lines(r.stdout)), asMultiset(expected), 'the expected lines');
    t.same(asMultiset(referenceFile(JSON.parse(readFileSync(FIXTURES + 'mojibake.json', 'utf8')), options)), asMultiset(expected), 'as the reference');
  });

  t.test('one file: strip on merge only, Python white space', async (t) => {
    const options = { me: 'Zoë', window: 11, overlap: 0 };
    const r = await fbstream([...optionArgs(options), FIXTURES + 'strip.json']);
    t.equal(r.code, 0, 'exit 0');
    const expected = referenceFile(JSON.parse(readFileSync(FIXTURES + 'strip.json', 'utf8')), options);
    t.equal(expected.length, 1, 'one line expected');
    t.same(asMultiset(lines(r.stdout)), asMultiset(expected), 'as the reference');
  });

  t.test('stdin, the notebook\'s window 8 and overlap 2 by default, tail dropped', async (t) => {
    const turn = (i: number) => (i % 2 ? a(`t${i}`) : u(`t${i}`));
    const expected = [line(...Array.from({ length: 8 }, (_, i) => turn(i)))];
    const r = await fbstream(optionArgs({ me: 'Zoë' }), readFileSync(FIXTURES + 'tail.json'));
    t.equal(r.code, 0, 'exit 0');
    t.same(asMultiset(lines(r.stdout)), asMultiset(expected), 'one window of 8, five turns dropped');
  });

  t.test('several files: each its own session, as SingleFileFacebookMessengerChatLoader on each', async (t) => {
    const options = { me: 'Zoë', window: 2, overlap: 0 };
    const files = ['short.json', 'consecutive-users.json', 'no-assistant.json'];
    const r = await fbstream([...optionArgs(options), ...files.map((f) => FIXTURES + f)]);
    t.equal(r.code, 0, 'exit 0');
    const expected = files.flatMap((f) => referenceFile(JSON.parse(readFileSync(FIXTURES + f, 'utf8')), options));
    t.same(asMultiset(lines(r.stdout)), asMultiset(expected), 'the union of each file\'s lines');
    t.same(asMultiset(expected), asMultiset([line(u('one'), a('two')), line(u('hi'), u('hey')), line(u('yo'), a('hello all'))]), 'which are these');
  });

  t.test('ties keep file order', async (t) => {
    const r = await fbstream([...optionArgs({ me: 'Zoë', window: 4, overlap: 0 }), FIXTURES + 'ties.json']);
    t.equal(r.code, 0, 'exit 0');
    t.same(lines(r.stdout), [line(a('start'), u('tie, first in the file'), a('tie, second in the file'), u('tie, third in the file\n\nlater'))]);
  });

  t.test('an export folder: inbox/*/*.json only, each file its own session', async (t) => {
    const cases = [
      { me: 'Zoë', window: 3, overlap: 0 },
      { me: 'Zoë', window: 2, overlap: 0 },
      { me: 'Zo\u00c3\u00ab', window: 1, overlap: 0 },
    ];
    const runs = await Promise.all(cases.map((options) => fbstream([...optionArgs(options), FIXTURES + 'export'])));
    cases.forEach((options, i) => {
      const r = runs[i]!;
      t.equal(r.code, 0, `exit 0, window ${options.window}`);
      t.notMatch(r.stdout, 'IGNORED', 'nothing outside inbox/*/*.json');
      t.same(asMultiset(lines(r.stdout)), asMultiset(referenceFolder(FIXTURES + 'export', options)), `as the reference, window ${options.window}`);
    });
    t.same(asMultiset(lines(runs[0]!.stdout)), asMultiset([line(u('old1'), a('old2'), u('old3')), line(u('upper1'), a('upper2'), u('upper3'))]), 'the expected lines');
  });

  t.test('--me matching nobody: exit 2, no lines (LangChain would silently give nothing)', async (t) => {
    const r = await fbstream([...optionArgs({ me: 'Nobody', window: 1, overlap: 0 }), FIXTURES + 'consecutive-users.json']);
    t.equal(r.code, 2, 'exit 2');
    t.equal(r.stdout, '', 'no lines');
    t.match(r.stderr, 'Nobody', 'the error names the sender');
    const f = await fbstream([...optionArgs({ me: 'zoë', window: 1, overlap: 0 }), FIXTURES + 'export']);
    t.equal(f.code, 2, 'exit 2 on a folder, case matters');
    t.equal(f.stdout, '', 'no lines');
  });

  t.test('--me in the data but with no session that has an assistant: no lines, and said so (exit 1)', async (t) => {
    // Zoë is a participant; her only message has no content
    const r = await fbstream([...optionArgs({ me: 'Zoë', window: 1, overlap: 0 }), FIXTURES + 'no-assistant.json']);
    t.equal(r.code, 1, 'exit 1: nothing to train on, not a usage error');
    t.equal(r.stdout, '', 'no lines');
    t.match(r.stderr, /nothing to train on: "Zoë"/);
  });
}
