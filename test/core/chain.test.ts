import assert from 'node:assert/strict';
import t from 'tap';
import fc from 'fast-check';
import { createChain } from '../../lib/core/chain.js';
import type { Output, Stage } from '../../lib/core/stage.js';
import { drain, runStage } from '../support/stage.js';

/** Keeps numbers for `hold` pushes, then releases them lazily in batches of 2; flush releases the rest. */
function holder(hold: number): Stage<number[], number> {
  let held: number[] = [];
  let pushes = 0;
  const release = (): Output<number> => {
    const all = held;
    held = [];
    return (function* () {
      for (let i = 0; i < all.length; i += 2) yield all.slice(i, i + 2);
    })();
  };
  return {
    push(batch) {
      held.push(...batch);
      return ++pushes % hold === 0 ? release() : [];
    },
    flush: release,
  };
}

/** Maps each number; flush adds a marker of its own. */
function mapper(f: (x: number) => number, marker: number): Stage<number[], number> {
  return { push: (batch) => batch.map(f), flush: () => [marker] };
}

/** Drops odd numbers (so it may return empty batches). */
const evens = (): Stage<number[], number> => ({ push: (batch) => batch.filter((x) => x % 2 === 0), flush: () => [] });

/** The stages run one after another, each over everything the one before it gave. */
function oneByOne(stages: Stage<number[], number>[], inputs: number[][]): number[] {
  let batches = inputs;
  for (const s of stages) {
    const out: number[][] = [];
    for (const b of batches) out.push(...asBatches(s.push(b)));
    out.push(...asBatches(s.flush()));
    batches = out.filter((b) => b.length > 0); // as the chain: an empty batch is not passed on
  }
  return batches.flat();
}

function asBatches(out: Output<number>): number[][] {
  return Array.isArray(out) ? [out] : [...out];
}

const plan = () => [mapper((x) => x * 3, -2), holder(2), evens(), mapper((x) => x + 1, -3), holder(3)];

t.test('a chain gives what its stages give one after another, flushes in order', async (t) => {
  const inputs = [[1, 2], [3], [], [4, 5, 6], [7]];
  const want = oneByOne(plan(), inputs);
  const got = runStage(createChain<number[], number>(plan()), inputs);
  t.same(got, want);
  t.same(got, [7, 13, 19, -1, -3], "stage 0's flush (-2, then +1) went through the rest before stage 3's (-3)");
});

t.test('a lazy output stays lazy: nothing downstream runs before it is read', async (t) => {
  let seen = 0;
  const counter: Stage<number[], number> = { push: (b) => ((seen += b.length), b), flush: () => [] };
  const chain = createChain<number[], number>([holder(1), counter]);
  const out = chain.push([1, 2, 3, 4, 5]);
  t.notOk(Array.isArray(out), 'an iterable, not a batch');
  t.equal(seen, 0, 'nothing read yet');
  const it = (out as Iterable<number[]>)[Symbol.iterator]();
  t.same(it.next().value, [1, 2]);
  t.equal(seen, 2, 'one batch through the rest of the chain');
  t.same([...{ [Symbol.iterator]: () => it }].flat(), [3, 4, 5]);
  t.equal(seen, 5);
});

t.test('empty batches are not passed on', async (t) => {
  const pushed: number[][] = [];
  const spy: Stage<number[], number> = { push: (b) => (pushed.push(b), b), flush: () => [] };
  runStage(createChain<number[], number>([evens(), spy]), [[1, 3], [2], [5]]);
  t.same(pushed, [[2]]);
});

t.test('random inputs: the same as one stage after another', async (t) => {
  t.doesNotThrow(() => fc.assert(fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 99 }), { maxLength: 6 }), { maxLength: 12 }), (inputs) => {
    assert.deepEqual(runStage(createChain<number[], number>(plan()), inputs), oneByOne(plan(), inputs));
  }), { numRuns: 300 }));
});

t.test('destroy reaches every stage, and throws the first failure after', async (t) => {
  const calls: string[] = [];
  const stage = (name: string, fail = false): Stage<number[], number> => ({
    push: (b) => b,
    flush: () => [],
    destroy() {
      calls.push(name);
      if (fail) throw new Error(`${name} failed`);
    },
  });
  const chain = createChain<number[], number>([stage('a'), stage('b', true), { push: (b: number[]) => b, flush: () => [] }, stage('c', true)]);
  t.throws(() => chain.destroy!(), { message: 'b failed' });
  t.same(calls, ['a', 'b', 'c']);
  t.throws(() => createChain([]), TypeError);
  t.same(drain(createChain<number[], number>([stage('d')]).flush()), []);
});
