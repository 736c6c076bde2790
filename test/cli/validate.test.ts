/**
 * `fbstream validate` as a user runs it (the built CLI): the report on stdout, human or --json;
 * exit 0 when only warnings, 1 on any error, 2 for a missing file or a bad option, 3 for a file
 * that cannot be read.
 */
import t from 'tap';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { looksLikeStackTrace, runCli } from '../support/cli.js';

t.jobs = 4;

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'validate');
const fixture = (name: string) => join(FIXTURES, name);

t.test('errors: exit 1, each kind with its lines on stdout, nothing on stderr', async (t) => {
  const r = await runCli(['validate', fixture('every-kind.jsonl'), '--max-tokens', '50']);
  t.equal(r.code, 1);
  t.equal(r.stderr, '');
  t.match(r.stdout, /^  invalid_json: 1 — not valid JSON; line 3 \(.*JSON.*\)$/m);
  t.match(r.stdout, /^  missing_messages_list: 3 — [^;]*; lines 5, 6, 22$/m);
  t.match(r.stdout, /^  missing_content: 3 — [^;]*; lines 7, 10, 20$/m);
  t.match(r.stdout, /^  blank_line: 2 — [^;]*; lines 2, 24$/m);
  // line 23, too long only with a lower cap than the CLI's 64 MiB, is read here
  t.match(r.stdout, /^  over_token_limit: 2 — [^;]*; lines 17 \(132 tokens\), 23 \(\d+ tokens\)$/m);
  t.match(r.stdout, /^model: \(none\) \(o200k_base, 50 tokens per example\)$/m);
  t.match(r.stdout, /^epochs: 5 /m); // 18 examples: floor(100 / 18)
  t.match(r.stdout, /^invalid: /m);
});

t.test('warnings only: exit 0', async (t) => {
  const r = await runCli(['validate', fixture('warnings-only.jsonl')]);
  t.equal(r.code, 0);
  t.equal(r.stderr, '');
  t.match(r.stdout, /^warnings: 4$/m);
  t.match(r.stdout, /^  too_few_examples — fewer than 10 examples/m);
  t.match(r.stdout, /no limit: give --model or --max-tokens/);
  t.match(r.stdout, /^valid: no errors$/m);
});

t.test('--json: one JSON object, the same report', async (t) => {
  const r = await runCli(['validate', fixture('bom-crlf.jsonl'), '--model', 'gpt-3.5-turbo', '--json']);
  t.equal(r.code, 0);
  const report = JSON.parse(r.stdout) as Record<string, unknown>;
  t.match(report, { file: fixture('bom-crlf.jsonl'), model: 'gpt-3.5-turbo', encoding: 'cl100k_base', limit: 16_385, valid: true, lines: 2, examples: 2, errors: [], overLimit: 0, epochs: 25 });
  t.same((report['warnings'] as { kind: string }[]).map((w) => w.kind), ['too_few_examples']);
  t.match(report['tokens'], { examples: 2, min: Number, max: Number, mean: Number, median: Number, p5: Number, p95: Number });
  const bad = JSON.parse((await runCli(['validate', fixture('every-kind.jsonl'), '--json'])).stdout) as { valid: boolean; errors: { kind: string; lines: number[] }[] };
  t.equal(bad.valid, false);
  t.same(bad.errors.find((e) => e.kind === 'invalid_weight')?.lines, [12, 13]);
});

const usage: { name: string; args: string[]; stderr: RegExp }[] = [
  { name: 'a missing file', args: ['validate', fixture('nope.jsonl')], stderr: /cannot read .*nope\.jsonl: no such file/ },
  { name: 'a folder', args: ['validate', FIXTURES], stderr: /folder/ },
  { name: 'an unknown model without --max-tokens', args: ['validate', fixture('bom-crlf.jsonl'), '--model', 'llama-3'], stderr: /--model.*--max-tokens.*"llama-3"/ },
  { name: '--max-tokens 0', args: ['validate', fixture('bom-crlf.jsonl'), '--max-tokens', '0'], stderr: /--max-tokens: must be an integer >= 1, got 0/ },
  { name: '--max-tokens abc', args: ['validate', fixture('bom-crlf.jsonl'), '--max-tokens', 'abc'], stderr: /--max-tokens: must be an integer >= 1/ },
  { name: 'no file', args: ['validate'], stderr: /not enough non-option arguments/i },
];
for (const c of usage) {
  t.test(`usage error, exit 2: ${c.name}`, async (t) => {
    const r = await runCli(c.args);
    t.equal(r.code, 2);
    t.equal(r.stdout, '');
    t.match(r.stderr, c.stderr);
    t.notOk(looksLikeStackTrace(r.stderr));
  });
}

t.test('an unknown model with --max-tokens: o200k_base and that limit', async (t) => {
  const r = await runCli(['validate', fixture('bom-crlf.jsonl'), '--model', 'llama-3', '--max-tokens', '4096']);
  t.equal(r.code, 0);
  t.match(r.stdout, /^model: llama-3 \(o200k_base, 4,096 tokens per example\)$/m);
});

t.test('a file that cannot be read: exit 3', { skip: process.platform !== 'linux' && 'needs /proc' }, async (t) => {
  // /proc/self/mem fails to read from its start (EIO), even for root
  const r = await runCli(['validate', '/proc/self/mem']);
  t.equal(r.code, 3);
  t.equal(r.stdout, '');
  t.match(r.stderr, /cannot read \/proc\/self\/mem/);
  t.notOk(looksLikeStackTrace(r.stderr));
});

t.test('--help lists the command and its options', async (t) => {
  t.match((await runCli(['--help'])).stdout, /validate <file>/);
  const r = await runCli(['validate', '--help']);
  t.equal(r.code, 0);
  for (const opt of ['--model', '--max-tokens', '--json']) t.match(r.stdout, opt);
});
