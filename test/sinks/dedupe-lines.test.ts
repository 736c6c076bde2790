/**
 * lib/sinks/dedupe-lines.ts: each distinct line is written once, whatever the chunking; past
 * `maxLines` lines are written without being remembered, and counted.
 */
import assert from 'node:assert/strict';
import t from 'tap';
import fc from 'fast-check';
import { createDedupeLines, LineSet } from '../../lib/sinks/dedupe-lines.js';

/** `input` through a dedupe-lines Transform cut at `cuts`; the output and stats. */
async function through(input: Buffer, cuts: number[] = [], maxLines?: number) {
  const d = createDedupeLines(maxLines === undefined ? {} : { maxLines });
  const out: Buffer[] = [];
  d.on('data', (b: Buffer) => out.push(b));
  const at = [...new Set([0, ...cuts.map((c) => c % (input.length + 1)), input.length])].sort((a, b) => a - b);
  for (let i = 0; i + 1 < at.length; ++i) d.write(input.subarray(at[i], at[i + 1]));
  d.end();
  await new Promise((resolve) => d.on('end', resolve));
  return { text: Buffer.concat(out).toString(), stats: d.stats };
}

/** What the output must be: the first copy of each line, in order. */
function firstCopies(lines: string[]): string {
  const seen = new Set<string>();
  return lines.filter((l) => !seen.has(l) && seen.add(l)).join('');
}

t.test('each distinct line once, in order, whatever the chunking', async (t) => {
  const line = fc.array(fc.constantFrom('a', 'b', '😀', 'é', '"'), { maxLength: 6 }).map((cs) => `${cs.join('')}\n`);
  await fc.assert(
    fc.asyncProperty(fc.array(line, { maxLength: 60 }), fc.array(fc.nat(), { maxLength: 8 }), async (lines, cuts) => {
      const { text, stats } = await through(Buffer.from(lines.join('')), cuts);
      assert.equal(text, firstCopies(lines));
      assert.equal(stats.dropped, lines.length - new Set(lines).size);
    }),
    { numRuns: 200 },
  );
});

t.test('a line cut across several chunks is one line, and its copy too', async (t) => {
  const input = Buffer.from('first\na long line\nmid\na long line\nlast');
  const r = await through(input, [8, 10, 12, 25, 30, 33]);
  t.equal(r.text, 'first\na long line\nmid\nlast');
  t.equal(r.stats.dropped, 1);
});

t.test('a last line without its newline is written as it is', async (t) => {
  t.equal((await through(Buffer.from('x\nx\ny'), [3])).text, 'x\ny');
});

t.test('past maxLines, lines are written without being remembered, and counted', async (t) => {
  const { text, stats } = await through(Buffer.from('a\nb\nc\na\nc\n'), [], 2);
  t.equal(text, 'a\nb\nc\nc\n', 'a and b remembered, c not');
  t.same(stats, { dropped: 1, unremembered: 2 });
});

t.test('LineSet: thousands of lines, the table growing, none mistaken for another', async (t) => {
  const set = new LineSet();
  for (let i = 0; i < 20_000; ++i) assert.equal(set.seenOrAdd(Buffer.from(`line ${i}\n`)), false);
  for (let i = 0; i < 20_000; i += 7) assert.equal(set.seenOrAdd(Buffer.from(`line ${i}\n`)), true);
  t.equal(set.size, 20_000);
});
