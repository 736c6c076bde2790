/**
 * lib/core/order/packed-messages.ts: what the order stage holds comes back whole and in (timestamp,
 * seq × tieSign) order, whether it arrived sorted (read forwards or backwards, block by block) or
 * not (sorted), across partial blocks and joined documents; and a store given its blocks as they
 * are (lib/streams/spill-files.ts `writeBlocks`) reads the same run back.
 */
import assert from 'node:assert/strict';
import t from 'tap';
import fc from 'fast-check';
import type { Entry } from '../../../lib/core/order/entry.js';
import { PackedMessages } from '../../../lib/core/order/packed-messages.js';
import { BLOCK_ROWS, SpillCodec } from '../../../lib/core/order/spill-codec.js';
import { createFileSpill } from '../../../lib/streams/spill-files.js';
import { BATCH_SIZE } from '../../../lib/core/stage.js';
import { msg, threadInfo } from '../../support/messages.js';

const th = threadInfo();

/** What a run must hold: (timestamp, seq, sender, text), in order. */
const rows = (entries: Iterable<Entry>) => [...entries].map((e) => [e.msg.timestampMs, e.seq, e.msg.sender, e.msg.text]);

function expected(all: Entry[], tieSign: number) {
  return rows([...all].sort((a, b) => a.msg.timestampMs - b.msg.timestampMs || (a.seq - b.seq) * tieSign));
}

/** Timestamps in one of the shapes real input has, or in none. */
const timestamps = fc.oneof(
  fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 700, size: 'max' }).map((a) => a.sort((x, y) => y - x)),
  fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 700, size: 'max' }).map((a) => a.sort((x, y) => x - y)),
  fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 700, size: 'max' }),
  fc.array(fc.constant(7), { maxLength: 300, size: 'max' }),
);

/** Messages held as objects before they are sealed: none (every full block sealed), a few blocks' worth, all. */
const objectBudgets = fc.constantFrom(0, 60_000, 1 << 30);

/**
 * Arrival numbers: message i of document d has i × step + d × gap; the order stage's are one by one
 * ([1, 0]), which is held without a list of them.
 */
type Seqs = [step: number, gap: number];
const seqShapes = fc.constantFrom<Seqs>([1, 0], [1, 0], [3, 0], [1, 5]);

/** Pushes `ts` into documents cut at `cuts`, joins them as the order stage does, and returns the joined one. */
function build(codec: SpillCodec, ts: number[], cuts: number[], objectBytes = 0, seqs: Seqs = [1, 0]): { packed: PackedMessages; all: Entry[] } {
  const [step, gap] = seqs;
  const bounds = [...new Set([0, ...cuts.map((c) => c % (ts.length + 1)), ts.length])].sort((a, b) => a - b);
  const docs: PackedMessages[] = [];
  const all: Entry[] = [];
  for (let d = 0; d + 1 < bounds.length; ++d) {
    const p = new PackedMessages(codec, objectBytes);
    for (let i = bounds[d]!; i < bounds[d + 1]!; ++i) {
      const m = msg(th, i % 3 ? 'Ada' : 'Zoë', ts[i]!, `#${i}`);
      const seq = i * step + d * gap;
      p.push(m, seq);
      all.push({ msg: m, seq });
    }
    docs.push(p);
  }
  const packed = docs[0] ?? new PackedMessages(codec, objectBytes);
  for (const d of docs.slice(1)) packed.absorb(d);
  return { packed, all };
}

t.test('take: every message, in order, whatever the shape and the document cuts', async (t) => {
  t.doesNotThrow(() =>
    fc.assert(
      fc.property(timestamps, fc.array(fc.nat(), { maxLength: 4 }), fc.constantFrom(1, -1), objectBudgets, seqShapes, (ts, cuts, tieSign, objectBytes, seqs) => {
        const { packed, all } = build(new SpillCodec(), ts, cuts, objectBytes, seqs);
        assert.equal(packed.length, ts.length);
        const taken = packed.take(tieSign);
        if (ts.length === 0) return assert.equal(taken, null);
        const want = expected(all, tieSign);
        assert.deepEqual(rows(taken!.entries), want);
        assert.deepEqual([taken!.span.firstTs, taken!.span.firstSeq, taken!.span.lastTs, taken!.span.lastSeq], [...want[0]!.slice(0, 2), ...want.at(-1)!.slice(0, 2)]);
        assert.equal(packed.length, 0, 'left empty');
        assert.equal(packed.take(tieSign), null);
      }),
      { numRuns: 300 },
    ),
  );
});

t.test('takeBatches: what take gives, as batches of BATCH_SIZE, every message given the thread', async (t) => {
  const other = threadInfo('inbox/released_2');
  t.doesNotThrow(() =>
    fc.assert(
      fc.property(timestamps, fc.array(fc.nat(), { maxLength: 4 }), fc.constantFrom(1, -1), objectBudgets, seqShapes, (ts, cuts, tieSign, objectBytes, seqs) => {
        const { packed, all } = build(new SpillCodec(), ts, cuts, objectBytes, seqs);
        const batches = [...packed.takeBatches(tieSign, other)];
        assert.equal(packed.length, 0, 'left empty');
        assert.deepEqual(batches.map((b) => b.length), Array.from({ length: Math.ceil(ts.length / BATCH_SIZE) }, (_, i) => Math.min(BATCH_SIZE, ts.length - i * BATCH_SIZE)));
        const messages = batches.flat();
        assert.deepEqual(messages.map((m) => [m.timestampMs, m.text]), expected(all, tieSign).map((r) => [r[0], r[3]]));
        assert.ok(messages.every((m) => m.thread === other));
      }),
      { numRuns: 300 },
    ),
  );
});

t.test('takeBlocks through a file store: the run read back is the sorted run; unsorted input is refused', async (t) => {
  const store = createFileSpill();
  t.teardown(() => store.close());
  t.doesNotThrow(() =>
    fc.assert(
      fc.property(timestamps, fc.array(fc.nat(), { maxLength: 4 }), fc.constantFrom(1, -1), objectBudgets, (ts, cuts, tieSign, objectBytes) => {
        const { packed, all } = build(store.codec, ts, cuts, objectBytes);
        const sorted = packed.direction(tieSign) !== 0;
        const blocks = packed.takeBlocks(tieSign);
        if (ts.length === 0 || !sorted) {
          assert.equal(blocks, null);
          assert.equal(packed.length, ts.length, 'nothing taken');
          return;
        }
        assert.equal(packed.length, 0);
        const handle = store.writeBlocks(blocks!.blocks, blocks!.reverse);
        assert.deepEqual(rows({ [Symbol.iterator]: () => store.read(handle) }), expected(all, tieSign));
        store.remove(handle);
      }),
      { numRuns: 200 },
    ),
  );
});

t.test('memory: full blocks are bytes, only the block being filled is estimated', async (t) => {
  const packed = new PackedMessages(new SpillCodec());
  for (let i = 0; i < BLOCK_ROWS - 1; ++i) packed.push(msg(th, 'Ada', 1000 - i, 'x'.repeat(40)), i);
  const estimated = packed.bytes;
  packed.push(msg(th, 'Ada', 0, 'x'.repeat(40)), BLOCK_ROWS);
  t.ok(packed.bytes < estimated / 3, `a sealed block (${packed.bytes} B) is far smaller than its estimate (${estimated} B)`);
  t.equal(packed.direction(-1), -1, 'newest-first: read backwards');
  t.equal(packed.direction(1), 0, 'newest-first with file ties: must be sorted');
});

t.test('memory: with an object budget, messages stay objects up to it, then are sealed in blocks', async (t) => {
  const budget = 3 * BLOCK_ROWS * 300;
  const packed = new PackedMessages(new SpillCodec(), budget);
  let i = 0;
  while (packed.bytes + 300 <= budget) packed.push(msg(th, 'Ada', 1e6 - i, 'x'.repeat(40)), i++);
  t.ok(i > 2 * BLOCK_ROWS, `${i} messages held`);
  const estimated = packed.bytes;
  const taken = packed.takeBlocks(-1);
  t.equal(taken?.blocks.length, Math.ceil(i / BLOCK_ROWS), 'nothing was sealed before: all of it is sealed now, a block per BLOCK_ROWS');
  taken!.done();
  let j = 0;
  for (let last = -1; packed.bytes > last; ++j) {
    last = packed.bytes;
    packed.push(msg(th, 'Ada', 1e5 - j, 'x'.repeat(40)), j);
  }
  t.ok(j >= i, `sealed once past the budget (${j} messages)`);
  t.ok(packed.bytes < estimated / 3, `sealed: ${packed.bytes} B`);
  const big = new PackedMessages(new SpillCodec(), budget);
  for (let j = 0; j < BLOCK_ROWS - 1; ++j) big.push(msg(th, 'Ada', j, 'y'.repeat(2000)), j);
  const held = big.bytes;
  t.ok(held > budget, 'past the budget with fewer than BLOCK_ROWS messages: not sealed yet (as without a budget)');
  big.push(msg(th, 'Ada', BLOCK_ROWS, 'y'), BLOCK_ROWS);
  t.ok(big.bytes < held * 0.6, `sealed at BLOCK_ROWS: ${big.bytes} B`);
});

t.test('joining documents held as objects keeps them objects while the budget allows', async (t) => {
  const codec = new SpillCodec();
  const a = new PackedMessages(codec, 1 << 20);
  const b = new PackedMessages(codec, 1 << 20);
  for (let i = 0; i < 200; ++i) a.push(msg(th, 'Ada', 1000 - i, `a${i}`), i);
  for (let i = 0; i < 200; ++i) b.push(msg(th, 'Ada', 500 - i, `b${i}`), 200 + i);
  const estimated = a.bytes + b.bytes;
  a.absorb(b);
  t.equal(a.bytes, estimated, 'still objects, nothing sealed');
  t.equal(b.length, 0);
  t.same(rows(a.take(-1)!.entries).map((r) => r[3]), [...Array.from({ length: 200 }, (_, i) => `b${199 - i}`), ...Array.from({ length: 200 }, (_, i) => `a${199 - i}`)]);
});

t.test('joining documents checks the order across the join', async (t) => {
  const codec = new SpillCodec();
  const doc = (...ts: number[]) => {
    const p = new PackedMessages(codec);
    ts.forEach((x, i) => p.push(msg(th, 'Ada', x), i));
    return p;
  };
  const a = doc(50, 40);
  a.absorb(doc(30, 20));
  t.equal(a.direction(-1), -1, 'newest-first parts in order stay sorted');
  const b = doc(50, 40);
  b.absorb(doc(45, 20));
  t.equal(b.direction(-1), 0, 'a later part that goes back in time must be sorted');
  t.throws(() => doc(1).absorb(new PackedMessages(new SpillCodec())), /two codecs/);
});

t.test('slabs: a run not read to its end keeps its bytes while other runs are packed, read and written', async (t) => {
  const codec = new SpillCodec();
  const store = createFileSpill();
  t.teardown(() => store.close());
  const run = (base: number, n: number) => {
    const p = new PackedMessages(codec);
    for (let i = 0; i < n; ++i) p.push(msg(th, 'Ada', base - i, `${base}:${i}:${'y'.repeat(i % 97)}`), i);
    return p;
  };
  const a = run(1e6, 3000).take(-1)!;
  const it = a.entries[Symbol.iterator]();
  const seen = [it.next().value!.msg.text];
  for (let k = 0; k < 5; ++k) {
    // runs packed, read and given back, and runs written out and given back, while `a` waits
    t.equal([...run(5e5 + k * 1e4, 2000).take(-1)!.entries].length, 2000);
    const blocks = run(2e5 + k * 1e4, 2000).takeBlocks(-1)!;
    const handle = store.writeBlocks(blocks.blocks, blocks.reverse);
    blocks.done();
    t.equal([...{ [Symbol.iterator]: () => store.read(handle) }].length, 2000);
  }
  for (let step = it.next(); !step.done; step = it.next()) seen.push(step.value.msg.text);
  t.same(seen, Array.from({ length: 3000 }, (_, i) => `${1e6}:${2999 - i}:${'y'.repeat((2999 - i) % 97)}`), 'every text of the waiting run intact');
});
