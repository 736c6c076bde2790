/**
 * lib/core/order/order.ts: each thread chronological, stable; parts joined (by id, or `joinParts: 'all'`:
 * every document is one conversation whatever its id, as an export's joined E2EE thread); spills past the budget.
 */
import assert from 'node:assert/strict';
import t from 'tap';
import fc from 'fast-check';
import { createOrder, type OrderOptions } from '../../../lib/core/order/order.js';
import { createMemorySpill } from '../../../lib/core/order/spill.js';
import { createFileSpill } from '../../../lib/streams/spill-files.js';
import type { Message } from '../../../lib/types.js';
import { msg, threadInfo } from '../../support/messages.js';
import { drain, runStage } from '../../support/stage.js';

const order = (batches: Message[][], options: OrderOptions = {}) => runStage(createOrder(options), batches);
const texts = (ms: Message[]) => ms.map((m) => m.text);

t.test('newest-first in, chronological out; ties read as sent', async (t) => {
  const th = threadInfo();
  const input = [msg(th, 'a', 30, 'c2'), msg(th, 'a', 30, 'c1'), msg(th, 'b', 20, 'b'), msg(th, 'a', 10, 'a')];
  t.same(texts(order([input])), ['a', 'b', 'c1', 'c2'], 'auto: a newest-first thread keeps equal timestamps in sending order');
  t.same(texts(order([input], { ties: 'file' })), ['a', 'b', 'c2', 'c1'], 'file: equal timestamps keep file order (LangChain)');
});

t.test('unordered input is sorted stably', async (t) => {
  const th = threadInfo();
  const input = [msg(th, 'a', 5, 'x'), msg(th, 'a', 1, 'y'), msg(th, 'a', 5, 'z'), msg(th, 'a', 3, 'w')];
  t.same(texts(order([input], { ties: 'file' })), ['y', 'w', 'x', 'z']);
});

t.test('parts of one thread join; another thread is a boundary; counts per sender', async (t) => {
  const part1 = threadInfo('inbox/t_1');
  const part2 = threadInfo('inbox/t_1');
  const other = threadInfo('inbox/u_2');
  const out = order([[msg(part1, 'a', 40), msg(part1, 'b', 30)], [msg(part2, 'a', 20), msg(part2, 'a', 10)], [msg(other, 'c', 5)]]);
  t.same(out.map((m) => m.timestampMs), [10, 20, 30, 40, 5]);
  t.ok(out.slice(0, 4).every((m) => m.thread === part1), 'the joined thread has one ThreadInfo');
  t.same([...part1.senderCounts!], [['a', 3], ['b', 1]]);
  const separate = order([[msg(part1, 'a', 40)], [msg(part2, 'a', 20)]], { joinParts: false });
  t.same(separate.map((m) => m.timestampMs), [40, 20], 'joinParts: false keeps each document apart');
});

t.test('nothing is released before the thread is complete', async (t) => {
  const stage = createOrder();
  const th = threadInfo();
  t.same(drain(stage.push([msg(th, 'a', 2), msg(th, 'a', 1)])), []);
  t.same(drain(stage.flush()).map((m) => m.timestampMs), [1, 2]);
});

t.test('spilling past the budget gives the same order as in memory, and removes its runs', async (t) => {
  const message = fc.record({ ts: fc.integer({ min: 0, max: 50 }), thread: fc.integer({ min: 0, max: 2 }), len: fc.integer({ min: 0, max: 300 }) });
  t.doesNotThrow(() => fc.assert(fc.property(fc.array(message, { maxLength: 300 }), fc.integer({ min: 1, max: 40 }), fc.constantFrom<'auto' | 'file'>('auto', 'file'), (spec, batchSize, ties) => {
    const infos = [threadInfo('inbox/a_1'), threadInfo('inbox/b_2'), threadInfo('inbox/c_3')];
    const make = () => spec.map((s, i) => msg(infos[s.thread]!, 's', s.ts, `${i}:${'x'.repeat(s.len)}`));
    const batches = (ms: Message[]) => Array.from({ length: Math.ceil(ms.length / batchSize) }, (_, i) => ms.slice(i * batchSize, (i + 1) * batchSize));
    const inMemory = texts(order(batches(make()), { ties }));
    const spill = createMemorySpill<never>();
    const spilled = texts(order(batches(make()), { ties, memoryBytes: 1024, spill: spill as never }));
    assert.deepEqual(spilled, inMemory);
    assert.equal(spill.runs.size, 0, 'runs removed after merging');
  }), { numRuns: 150 }));
});

t.test('a run spilled before the direction is known (every timestamp so far equal) comes out as from memory', async (t) => {
  // found by the property above: spilled at 34, 34 (direction unknown), then 0 made it newest-first
  const th = threadInfo('inbox/c_3');
  const input = () => [msg(th, 's', 34, 'first'), msg(th, 's', 34, 'second'.padEnd(600, '.')), msg(th, 's', 0, 'oldest')].map((m) => [m]);
  const inMemory = texts(order(input()));
  t.same(inMemory.map((x) => x!.slice(0, 6)), ['oldest', 'second', 'first'], 'newest-first: the later of two equal timestamps was sent first');
  const spill = createMemorySpill<never>();
  t.same(texts(order(input(), { memoryBytes: 1024, spill: spill as never })), inMemory);
  t.equal(spill.runs.size, 0);
});

t.test('documents joined whatever their direction: spilled or not, the same order', async (t) => {
  // few distinct timestamps, so that ties are everywhere and a direction is often known late
  const doc = fc.array(fc.record({ ts: fc.integer({ min: 0, max: 4 }), len: fc.integer({ min: 0, max: 200 }) }), { maxLength: 60 });
  t.doesNotThrow(() => fc.assert(fc.property(fc.array(doc, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 8 }), fc.constantFrom<true | 'all'>(true, 'all'), (docs, batchSize, joinParts) => {
    const make = () => docs.flatMap((spec, d) => {
      const info = threadInfo('inbox/a_1', { source: `inbox/a_1/message_${d + 1}.json` });
      return spec.map((m, i) => msg(info, 's', m.ts, `${d}.${i}:${'x'.repeat(m.len)}`));
    });
    const batches = (ms: Message[]) => Array.from({ length: Math.ceil(ms.length / batchSize) }, (_, i) => ms.slice(i * batchSize, (i + 1) * batchSize));
    const inMemory = texts(order(batches(make()), { joinParts }));
    const spill = createMemorySpill<never>();
    assert.deepEqual(texts(order(batches(make()), { joinParts, memoryBytes: 1024, spill: spill as never })), inMemory);
    assert.equal(spill.runs.size, 0, 'runs removed after merging');
    // the file store takes the packed blocks as they are, reversed or not (lib/streams/spill-files.ts)
    const files = createFileSpill();
    try {
      assert.deepEqual(texts(order(batches(make()), { joinParts, memoryBytes: 1024, spill: files })), inMemory, 'through files');
    } finally {
      files.close();
    }
  }), { numRuns: 300 }));
});

t.test('destroy closes the spill store', async (t) => {
  const spill = createMemorySpill<never>();
  const stage = createOrder({ memoryBytes: 1024, spill: spill as never });
  const th = threadInfo();
  drain(stage.push(Array.from({ length: 50 }, (_, i) => msg(th, 'a', i, 'x'.repeat(100)))));
  t.ok(spill.runs.size > 0, 'spilled');
  stage.destroy!();
  t.equal(spill.runs.size, 0);
});

t.test('a thread that fits the budget is never written; past it, runs of the budget are', async (t) => {
  const th = threadInfo();
  // 200 estimated bytes a message (160 + 2 × 20 chars) while its block is not full, one message per push
  const m = (i: number) => msg(th, 'a', 1000 - i, 'x'.repeat(20));
  const sizes: number[] = [];
  const spill = createMemorySpill<never>();
  const write = spill.write.bind(spill);
  spill.write = (run) => {
    const handle = write(run);
    sizes.push(spill.runs.get(handle)!.length);
    return handle;
  };
  const small = createOrder({ memoryBytes: 2000, spill: spill as never });
  for (let i = 0; i < 10; ++i) drain(small.push([m(i)]));
  t.same(sizes, [], '10 messages = 2,000 bytes: held, not written');
  drain(small.flush());
  const big = createOrder({ memoryBytes: 2000, spill: spill as never });
  for (let i = 0; i < 40; ++i) drain(big.push([m(i)]));
  t.same(sizes, [11, 11, 11], 'a run each time 2,000 bytes are passed; the last 7 stay in memory');
  const out = drain(big.flush()).flat();
  t.equal(out.length, 40, 'all 40 come out');
  t.ok(out.every((x, i) => i === 0 || x.timestampMs > out[i - 1]!.timestampMs), 'in order');
});

t.test('options are checked', async (t) => {
  t.throws(() => createOrder({ memoryBytes: 10 }), { code: 'FBS_INVALID_OPTION', message: /memoryBytes: must be an integer >= 1024, got 10/ });
  t.throws(() => createOrder({ ties: 'x' as never }), { code: 'FBS_INVALID_OPTION' });
});

/**
 * Cutover parts (newest first, one id), then the E2EE file (oldest first, another id). `pad`
 * lengthens every text: held messages are packed, and 1 KiB (the smallest budget) must not hold two.
 */
function cutoverThenE2ee(pad = ''): Message[][] {
  const cut1 = threadInfo('e2ee_cutover/zoe_1');
  const cut2 = threadInfo('e2ee_cutover/zoe_1');
  const e2ee = threadInfo('Zoë_40', { dialect: 'e2ee', section: null });
  const m = (thread: typeof cut1, sender: string, ts: number) => msg(thread, sender, ts, `${sender}@${ts}${pad}`);
  return [
    [m(cut1, 'z', 40), m(cut1, 'a', 30)],
    [m(cut2, 'z', 20), m(cut2, 'a', 10)],
    [m(e2ee, 'a', 50), m(e2ee, 'z', 60), m(e2ee, 'a', 70)],
  ];
}

t.test("joinParts 'all': documents with different ids are one thread, in time order", async (t) => {
  const out = order(cutoverThenE2ee(), { joinParts: 'all' });
  t.same(out.map((m) => m.timestampMs), [10, 20, 30, 40, 50, 60, 70]);
  t.ok(out.every((m) => m.thread === out[0]!.thread), 'one ThreadInfo: the first document\'s');
  t.equal(out[0]!.thread.id, 'e2ee_cutover/zoe_1');
  t.same([...out[0]!.thread.senderCounts!].sort(), [['a', 4], ['z', 3]]);

  const store = createMemorySpill();
  let writes = 0;
  const spill = { ...store, write: (entries: Parameters<typeof store.write>[0]) => (++writes, store.write(entries)) };
  const spilled = order(cutoverThenE2ee(' '.repeat(600)), { joinParts: 'all', memoryBytes: 1024, spill: spill as never });
  t.same(spilled.map((m) => m.timestampMs), [10, 20, 30, 40, 50, 60, 70], 'the same through spill runs');
  t.ok(writes > 0, 'runs were spilled');

  const byId = order(cutoverThenE2ee());
  t.same(byId.map((m) => m.timestampMs), [10, 20, 30, 40, 50, 60, 70], 'the default joins by id: two threads');
  t.not(byId[0]!.thread, byId[4]!.thread);
});

t.test("joinParts must be true, false or 'all'", async (t) => {
  t.throws(() => createOrder({ joinParts: 'some' as never }), { code: 'FBS_INVALID_OPTION' });
});
