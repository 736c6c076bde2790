/**
 * lib/validate/validate-file.ts on fixtures: every error kind and warning at its line numbers, a
 * BOM and CRLF, a line over the cap, the options' rules, a missing file (usage) and an unreadable
 * one (I/O).
 */
import t from 'tap';
import { chmodSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as o200k from 'gpt-tokenizer/encoding/o200k_base';
import { normalizeValidateOptions, validateFile } from '../../lib/validate/validate-file.js';
import type { IssueSummary } from '../../lib/validate/issues.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'validate');
const fixture = (name: string) => join(FIXTURES, name);
const linesByKind = (issues: IssueSummary[]) => Object.fromEntries(issues.map((i) => [i.kind, i.lines]));

t.test('every error kind and warning, each at its lines', async (t) => {
  const r = await validateFile(fixture('every-kind.jsonl'), { maxTokens: 50, maxLineBytes: 1000 });
  t.same(linesByKind(r.errors), {
    invalid_json: [3],
    line_too_long: [23],
    data_type: [4, 18],
    missing_messages_list: [5, 6, 22],
    message_missing_key: [7],
    message_unrecognized_key: [8],
    unrecognized_role: [9],
    missing_content: [7, 10, 20],
    example_missing_assistant_message: [11],
    invalid_weight: [12, 13],
  });
  t.same(linesByKind(r.warnings), {
    blank_line: [2, 24],
    no_user_message: [9, 14, 18],
    ends_on_user: [11, 15],
    invalid_name: [16],
    over_token_limit: [17],
  });
  t.same(Object.keys(linesByKind(r.errors)), ['invalid_json', 'line_too_long', 'data_type', 'missing_messages_list', 'message_missing_key', 'message_unrecognized_key', 'unrecognized_role', 'missing_content', 'example_missing_assistant_message', 'invalid_weight'], 'in a fixed order');
  t.equal(r.valid, false);
  t.equal(r.lines, 25, 'the last line has no newline and is read');
  t.equal(r.examples, 17, 'lines with a messages list');
  t.equal(r.overLimit, 1);
  const words = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
  // 3 a message, its role and content; 3 for the example
  const line17 = (3 + 1 + o200k.encode(words).length) + (3 + 1 + 1) + 3;
  t.same(r.warnings.find((w) => w.kind === 'over_token_limit')!.details, [`${line17} tokens`], 'the count is given');
  const line23 = readFileSync(fixture('every-kind.jsonl'), 'utf8').split('\n')[22]!;
  t.same(r.errors.find((e) => e.kind === 'line_too_long')!.details, [`${Buffer.byteLength(line23)} bytes`]);
  t.match(r.errors.find((e) => e.kind === 'invalid_json')!.details![0], /JSON/);
  t.equal(r.limit, 50);
  t.equal(r.encoding, 'o200k_base');
  t.equal(r.tokens!.max, line17);
  t.equal(r.epochs, 5, '17 examples: floor(100 / 17)');
});

t.test('warnings alone: valid', async (t) => {
  const r = await validateFile(fixture('warnings-only.jsonl'));
  t.equal(r.valid, true);
  t.same(r.errors, []);
  t.same(linesByKind(r.warnings), { blank_line: [2], no_user_message: [3], ends_on_user: [4], too_few_examples: [] });
  t.equal(r.limit, null, 'no model, no limit');
  t.equal(r.overLimit, 0);
});

t.test('a BOM and CRLF line endings: read as plain JSONL, tokens counted', async (t) => {
  const r = await validateFile(fixture('bom-crlf.jsonl'), { model: 'gpt-4o-mini-2024-07-18' });
  t.equal(r.valid, true);
  t.same(r.warnings.map((w) => w.kind), ['too_few_examples']);
  t.equal(r.lines, 2);
  t.equal(r.model, 'gpt-4o-mini-2024-07-18');
  t.equal(r.limit, 65_536);
  const second = (3 + 1 + o200k.encode('你好').length) + (3 + 1 + o200k.encode('😀').length) + 3;
  t.same([r.tokens!.min, r.tokens!.max].sort((a, b) => a - b), [Math.min(15, second), Math.max(15, second)], 'the first example: 15 tokens (test/tokens.test.ts)');
});

t.test('gpt-3.5-turbo counts with cl100k_base', async (t) => {
  const r = await validateFile(fixture('bom-crlf.jsonl'), { model: 'gpt-3.5-turbo-0125' });
  t.equal(r.encoding, 'cl100k_base');
  t.equal(r.limit, 16_385);
});

t.test('options: --max-tokens overrides, an unknown model needs it, bad values named', async (t) => {
  t.same(normalizeValidateOptions({}), { model: null, encoding: 'o200k_base', limit: null, maxLineBytes: 64 * 1024 * 1024 });
  t.equal(normalizeValidateOptions({ model: 'gpt-4.1-nano', maxTokens: 1000 }).limit, 1000);
  t.same(normalizeValidateOptions({ model: 'my-llama', maxTokens: 4096 }), { model: 'my-llama', encoding: 'o200k_base', limit: 4096, maxLineBytes: 64 * 1024 * 1024 });
  t.throws(() => normalizeValidateOptions({ model: 'my-llama' }), { code: 'FBS_INVALID_OPTION', message: /--model.*--max-tokens/ });
  t.throws(() => normalizeValidateOptions({ maxTokens: 0 }), { code: 'FBS_INVALID_OPTION', message: /--max-tokens: must be an integer >= 1, got 0/ });
  t.throws(() => normalizeValidateOptions({ maxTokens: 2.5 }), { code: 'FBS_INVALID_OPTION' });
  t.throws(() => normalizeValidateOptions({ model: ' ' }), { code: 'FBS_INVALID_OPTION' });
});

t.test('a missing file or a folder: usage errors; an unreadable file: I/O error', async (t) => {
  await t.rejects(validateFile(fixture('nope.jsonl')), { code: 'FBS_USAGE', message: /nope\.jsonl: no such file/ });
  await t.rejects(validateFile(FIXTURES), { code: 'FBS_USAGE', message: /folder/ });
  // /proc/self/mem cannot be read from its start (EIO), even by root
  if (process.platform === 'linux') await t.rejects(validateFile('/proc/self/mem'), { code: 'FBS_IO', message: /cannot read \/proc\/self\/mem/ });
  if (process.getuid?.() !== 0 && process.platform !== 'win32') {
    const dir = mkdtempSync(join(tmpdir(), 'fbstream-validate-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'locked.jsonl');
    writeFileSync(file, '{}\n');
    chmodSync(file, 0o000);
    await t.rejects(validateFile(file), { code: 'FBS_IO' });
  }
});
