/**
 * lib/validate/token-stats.ts: the cookbook's default epochs for small and large n, billed tokens
 * (capped at the limit), and the distribution against a plain sort (numpy's linear quantiles).
 */
import t from 'tap';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { defaultEpochs, quantile, TokenCounts } from '../../lib/validate/token-stats.js';

t.test('epochs: 3, or moved so that training sees 100 to 25,000 examples', async (t) => {
  const cases: [number, number][] = [
    [0, 0],
    [1, 25], // min(25, 100)
    [4, 25],
    [5, 20], // 15 < 100: floor(100 / 5)
    [10, 10],
    [33, 3], // 99 < 100: floor(100 / 33) = 3
    [34, 3], // 102: the target
    [8_333, 3], // 24,999
    [8_334, 2], // 25,002 > 25,000: floor(25,000 / 8,334)
    [12_500, 2],
    [12_501, 1],
    [1_000_000, 1], // max(1, 0)
  ];
  for (const [n, epochs] of cases) t.equal(defaultEpochs(n), epochs, `n = ${n}`);
});

t.test('billed tokens: epochs × Σ min(limit, tokens); no cap without a limit', async (t) => {
  const capped = new TokenCounts(10);
  for (const n of [5, 20, 10]) capped.add(n);
  t.equal(capped.overLimit, 1, '20 > 10; 10 is not over');
  t.equal(capped.billedTokens(defaultEpochs(3)), 25 * (5 + 10 + 10));
  const uncapped = new TokenCounts(null);
  for (const n of [5, 20, 10]) uncapped.add(n);
  t.equal(uncapped.overLimit, 0);
  t.equal(uncapped.billedTokens(2), 70);
  // large n: 30,000 examples of 100 tokens, 1 epoch
  const many = new TokenCounts(65_536);
  for (let i = 0; i < 30_000; i++) many.add(100);
  t.equal(many.billedTokens(defaultEpochs(many.examples)), 3_000_000);
});

t.test('quantiles as numpy computes them (linear interpolation)', async (t) => {
  t.equal(quantile([1, 2, 3, 4, 5], 0.5), 3);
  t.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
  t.equal(quantile([1, 2, 3, 4, 5], 0.05), 1.2);
  t.equal(quantile([1, 2, 3, 4, 5], 0.95), 4.8);
  t.equal(quantile([7], 0.95), 7);
  t.equal(new TokenCounts(null).distribution(), null, 'no example, no distribution');
});

t.test('the distribution matches a plain sort, past the first growth of the array', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 200_000 }), { minLength: 1, maxLength: 3000 }), (values) => {
      const counts = new TokenCounts(null);
      for (const v of values) counts.add(v);
      const sorted = [...values].sort((a, b) => a - b);
      const total = values.reduce((a, b) => a + b, 0);
      assert.deepEqual(counts.distribution(), {
        examples: values.length, total, min: sorted[0], max: sorted.at(-1), mean: total / values.length,
        median: quantile(sorted, 0.5), p5: quantile(sorted, 0.05), p95: quantile(sorted, 0.95),
      });
    }),
    { numRuns: 50 },
  );
  t.pass('50 lists of up to 3,000 counts');
});
