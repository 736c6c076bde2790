import assert from 'node:assert/strict';
import t from 'tap';
import fc from 'fast-check';
import { mergeRuns, runInfo, type RunInfo } from '../../../lib/core/order/merge-runs.js';
import type { Entry } from '../../../lib/core/order/entry.js';
import { createMemorySpill } from '../../../lib/core/order/spill.js';
import { msg, threadInfo } from '../../support/messages.js';

const th = threadInfo();
const entry = (ts: number, seq: number): Entry => ({ msg: msg(th, 's', ts), seq });

/** A memory store that counts how many runs are being read at once. */
function countingStore() {
  const store = createMemorySpill<Entry>();
  let open = 0;
  let most = 0;
  const read = store.read.bind(store);
  store.read = (h) => {
    const it = read(h);
    ++open;
    most = Math.max(most, open);
    return {
      next() {
        const r = it.next();
        if (r.done) --open;
        return r;
      },
    };
  };
  return { store, most: () => most };
}

function spill(store: ReturnType<typeof createMemorySpill<Entry>>, runs: Entry[][]): RunInfo[] {
  return runs.filter((r) => r.length).map((r) => runInfo(store.write(r), r));
}

t.test('runs that do not overlap are read one at a time (newest-first input)', async (t) => {
  const { store, most } = countingStore();
  // 50 runs of 20, spilled newest first: run k holds times [1000 - 20(k+1), 1000 - 20k)
  const runs = Array.from({ length: 50 }, (_, k) => Array.from({ length: 20 }, (_, i) => entry(1000 - 20 * (k + 1) + i, k * 20 + i)));
  const out = [...mergeRuns(store, spill(store, runs), 1)];
  t.same(out.map((e) => e.msg.timestampMs), Array.from({ length: 1000 }, (_, i) => i));
  t.ok(most() <= 2, `at most 2 runs open at once (saw ${most()})`);
  t.equal(store.runs.size, 0, 'every run removed');
});

t.test('overlapping runs are merged in passes of at most maxOpen', async (t) => {
  const { store, most } = countingStore();
  const runs = Array.from({ length: 40 }, (_, k) => Array.from({ length: 10 }, (_, i) => entry(i * 40 + k, k * 10 + i)));
  const out = [...mergeRuns(store, spill(store, runs), 1, 4)];
  t.same(out.map((e) => e.msg.timestampMs), Array.from({ length: 400 }, (_, i) => i));
  t.ok(most() <= 4, `at most 4 runs read at once (saw ${most()})`);
  t.equal(store.runs.size, 0, 'every run, first-pass ones included, removed');
});

t.test('property: the same order as one stable sort, ties by seq × tieSign, a run kept in memory', async (t) => {
  t.doesNotThrow(() => fc.assert(fc.property(
    fc.array(fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 30 }), { maxLength: 12 }),
    fc.constantFrom(1, -1), fc.integer({ min: 2, max: 6 }), fc.boolean(),
    (spec, tieSign, maxOpen, keepLast) => {
      const store = createMemorySpill<Entry>();
      let seq = 0;
      const runs = spec.map((times) => times.map((ts) => entry(ts, seq++)).sort((a, b) => a.msg.timestampMs - b.msg.timestampMs || (a.seq - b.seq) * tieSign));
      const infos = spill(store, keepLast ? runs.slice(0, -1) : runs);
      const last = runs[runs.length - 1];
      if (keepLast && last?.length) infos.push(runInfo(null, last, true));
      const expected = runs.flat().sort((a, b) => a.msg.timestampMs - b.msg.timestampMs || (a.seq - b.seq) * tieSign).map((e) => e.seq);
      assert.deepEqual([...mergeRuns(store, infos, tieSign, maxOpen)].map((e) => e.seq), expected);
      assert.equal(store.runs.size, 0);
    },
  ), { numRuns: 300 }));
});
