/**
 * lib/validate/read-lines.ts: a file read one byte at a time, or in small or large chunks, gives the
 * same numbered lines as the splitter on the whole file; an abort stops the reading.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readLines } from '../../lib/validate/read-lines.js';
import { createLineSplitter, type SplitLine } from '../../lib/validate/line-splitter.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'validate');

async function all(path: string, chunkBytes: number): Promise<SplitLine[]> {
  const out: SplitLine[] = [];
  for await (const batch of readLines(path, { chunkBytes, maxLineBytes: 1000 })) out.push(...batch);
  return out;
}

for (const name of ['every-kind.jsonl', 'bom-crlf.jsonl', 'warnings-only.jsonl']) {
  t.test(`${name}: the same lines for any chunk size`, async (t) => {
    const path = join(FIXTURES, name);
    const splitter = createLineSplitter({ maxLineBytes: 1000 });
    const whole = [...splitter.push(readFileSync(path)), ...splitter.flush()];
    t.ok(whole.length > 0);
    for (const chunkBytes of [1, 2, 3, 7, 64, 1 << 20]) t.same(await all(path, chunkBytes), whole, `chunks of ${chunkBytes}`);
  });
}

t.test('an aborted read rejects with an AbortError', async (t) => {
  const abort = new AbortController();
  abort.abort();
  const reading = (async () => {
    for await (const batch of readLines(join(FIXTURES, 'every-kind.jsonl'), { signal: abort.signal })) void batch;
  })();
  await t.rejects(reading, { name: 'AbortError' });
});
