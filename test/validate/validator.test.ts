/**
 * lib/validate/validator.ts, the pure core: lines in, a report out. The cookbook's quirks (Python
 * truthiness, a message counted under several kinds), a kind counted once per line however many of
 * its messages have it, the first ten lines kept and all counted.
 */
import t from 'tap';
import { loadEncoding } from '../../lib/tokens.js';
import { createValidator } from '../../lib/validate/validator.js';
import { LINES_KEPT } from '../../lib/validate/issues.js';

const encoding = await loadEncoding('o200k_base');
const kinds = (lines: string[], limit: number | null = null) => {
  const v = createValidator({ encoding, limit });
  lines.forEach((line, i) => v.push(line, i + 1));
  const r = v.result();
  // too_few_examples (about the file, at no line) has its own test
  const warnings = r.warnings.filter((w) => w.kind !== 'too_few_examples');
  return { r, errors: Object.fromEntries(r.errors.map((e) => [e.kind, e.lines])), warnings: Object.fromEntries(warnings.map((e) => [e.kind, e.lines])) };
};
const line = (...messages: unknown[]) => JSON.stringify({ messages });

t.test('a valid example: no error, no warning, its tokens', async (t) => {
  const { r } = kinds([line({ role: 'user', content: 'Hello world' }, { role: 'assistant', content: 'Hello world' })]);
  t.equal(r.valid, true);
  t.same(r.errors, []);
  t.same(r.warnings.map((w) => w.kind), ['too_few_examples'], 'one example: fewer than 10');
  t.equal(r.tokens!.total, 15);
  t.equal(r.examples, 1);
  t.equal(r.epochs, 25);
  t.equal(r.billedTokens, 25 * 15);
});

t.test('content: the cookbook\'s truthiness', async (t) => {
  const fc = { name: 'f', arguments: '{}' };
  t.same(kinds([line({ role: 'user', content: 'q' }, { role: 'assistant', content: '', function_call: fc })]).errors, {}, 'empty beside a function_call');
  t.same(kinds([line({ role: 'user', content: 'q' }, { role: 'assistant', content: '', function_call: {} })]).errors, { missing_content: [1] }, 'an empty function_call is none');
  t.same(kinds([line({ role: 'user', content: ['q'] }, { role: 'assistant', content: 'a' })]).errors, { missing_content: [1] }, 'content parts are not a string');
  t.same(kinds([line({ role: 'user', content: 'q' }, { content: 'a' })]).errors, {
    message_missing_key: [1], unrecognized_role: [1], example_missing_assistant_message: [1],
  }, 'a missing role is also an unrecognized one, as in the cookbook');
});

t.test('weight: 0 or 1, on assistant messages only', async (t) => {
  const u = { role: 'user', content: 'q' };
  t.same(kinds([line(u, { role: 'assistant', content: 'a', weight: 0 }), line(u, { role: 'assistant', content: 'a', weight: 1 })]).errors, {});
  for (const weight of [0.5, '1', true, null, 2]) {
    t.same(kinds([line(u, { role: 'assistant', content: 'a', weight })]).errors, { invalid_weight: [1] }, `weight ${JSON.stringify(weight)}`);
  }
  t.same(kinds([line({ ...u, weight: 1 }, { role: 'assistant', content: 'a' })]).errors, { invalid_weight: [1] }, 'on a user message');
});

t.test('a line counts once per kind; the first ten lines kept, all counted', async (t) => {
  const bad = line({ role: 'user', content: 'q', x: 1 }, { role: 'assistant', content: 'a', y: 2 });
  const { r } = kinds(Array.from({ length: 25 }, () => bad));
  t.same(r.errors, [{ kind: 'message_unrecognized_key', description: r.errors[0]!.description, count: 25, lines: Array.from({ length: LINES_KEPT }, (_, i) => i + 1) }]);
  t.equal(r.valid, false);
});

t.test('names: 1 to 64 of a-z, A-Z, 0-9, _ and -', async (t) => {
  const ok = kinds([line({ role: 'user', name: 'Ada_L-1', content: 'q' }, { role: 'assistant', content: 'a' })]);
  t.same(ok.warnings, {});
  const bad = ['Søren', '王伟', '', 'a b', 'x'.repeat(65), 7];
  t.same(kinds(bad.map((name) => line({ role: 'user', name, content: 'q' }, { role: 'assistant', content: 'a' }))).warnings, { invalid_name: [1, 2, 3, 4, 5, 6] });
});

t.test('over the limit: a warning with the count, counted in overLimit, billed at the limit', async (t) => {
  const ex = line({ role: 'user', content: 'Hello world' }, { role: 'assistant', content: 'Hello world' }); // 15 tokens
  const { r, warnings } = kinds([ex, ex], 14);
  t.same(warnings, { over_token_limit: [1, 2] });
  t.same(r.warnings[0]!.details, ['15 tokens', '15 tokens']);
  t.equal(r.overLimit, 2);
  t.equal(r.billedTokens, 25 * 2 * 14);
  t.same(kinds([ex], 15).warnings, {}, 'at the limit is not over it');
});

t.test('lines too long and blank lines; lines counted to the last one seen', async (t) => {
  const v = createValidator({ encoding, limit: null });
  v.push('', 1);
  v.pushTooLong(2, 70_000_000);
  v.push(' \t', 3);
  const r = v.result();
  t.equal(r.lines, 3);
  t.equal(r.examples, 0);
  t.equal(r.tokens, null);
  t.equal(r.epochs, 0);
  t.same(r.errors.map((e) => [e.kind, e.lines, e.details]), [['line_too_long', [2], ['70000000 bytes']]]);
  t.same(r.warnings.map((e) => [e.kind, e.lines]), [['blank_line', [1, 3]], ['too_few_examples', []]]);
});

t.test('fewer than 10 examples: a warning about the file, at no line; result() may be asked twice', async (t) => {
  const ex = line({ role: 'user', content: 'q' }, { role: 'assistant', content: 'a' });
  const nine = createValidator({ encoding, limit: null });
  for (let i = 1; i <= 9; i++) nine.push(ex, i);
  nine.result();
  t.same(nine.result().warnings, [{ kind: 'too_few_examples', description: nine.result().warnings[0]!.description, count: 1, lines: [] }]);
  t.equal(nine.result().valid, true, 'a warning, not an error');
  const ten = createValidator({ encoding, limit: null });
  for (let i = 1; i <= 10; i++) ten.push(ex, i);
  t.same(ten.result().warnings, []);
  t.same(createValidator({ encoding, limit: null }).result().warnings.map((w) => w.kind), ['too_few_examples'], 'an empty file');
});
