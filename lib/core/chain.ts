/**
 * Stages run as one stage: each batch a stage returns goes straight into the next stage, in the
 * same call, before anything else is pushed. What the streams do between stages (a buffer on each
 * side, a callback per batch) is left out, so the records of a batch live only while it passes.
 *
 * Why (the CLI and every thread job of an export run the pipeline this way): between Transforms a
 * batch waits in buffers and costs a callback per stage, and more records outlive young-generation
 * collections (docs/architecture.md#chain-and-transforms, docs/performance.md#the-chain).
 *
 * A stage's lazy output (the order stage's merge of spilled runs) stays lazy: the chain then
 * returns an iterable of batches that runs each batch through the rest of the chain as it is read.
 * Drain it before pushing again, as the stream wrapper does.
 */
import type { Output, Stage } from './stage.js';

// Records change type from stage to stage; the chain only passes batches along.
type AnyStage = Stage<any, unknown>;

export function createChain<In, Out>(stages: readonly AnyStage[]): Stage<In, Out> {
  if (stages.length === 0) throw new TypeError('a chain needs at least one stage');
  return new Chain<In, Out>(stages);
}

/** A class, not closures: see "one optimization for every job" in lib/core/stage.ts. */
class Chain<In, Out> implements Stage<In, Out> {
  readonly #stages: readonly AnyStage[];

  constructor(stages: readonly AnyStage[]) {
    this.#stages = [...stages];
  }

  push(input: In): Output<Out> {
    return this.#onward(1, this.#stages[0]!.push(input)) as Output<Out>;
  }

  /** Every stage's flush in order, each one's output through the stages after it. */
  flush(): Output<Out> {
    return this.#flushAll() as Output<Out>;
  }

  destroy(): void {
    let first: unknown;
    for (const s of this.#stages) {
      try {
        s.destroy?.();
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  }

  /** `out`, the output of stage `i - 1`, through stages `i`… */
  #onward(i: number, out: Output<unknown>): Output<unknown> {
    return Array.isArray(out) ? this.#through(i, out) : this.#lazy(i, out);
  }

  /** One batch through stages `i`…: a batch, or batches to read when some stage answered lazily. */
  #through(i: number, batch: unknown[]): Output<unknown> {
    const stages = this.#stages;
    let b = batch;
    for (; i < stages.length; ++i) {
      // as the stream wrapper: an empty batch is not passed on
      if (b.length === 0) return b;
      const out = stages[i]!.push(b);
      if (!Array.isArray(out)) return this.#lazy(i + 1, out);
      b = out;
    }
    return b;
  }

  *#lazy(i: number, batches: Iterable<unknown[]>): Generator<unknown[]> {
    for (const batch of batches) {
      const out = this.#through(i, batch);
      if (!Array.isArray(out)) yield* out;
      else if (out.length > 0) yield out;
    }
  }

  *#flushAll(): Generator<unknown[]> {
    const stages = this.#stages;
    for (let i = 0; i < stages.length; ++i) {
      const out = this.#onward(i + 1, stages[i]!.flush());
      if (!Array.isArray(out)) yield* out;
      else if (out.length > 0) yield out;
    }
  }
}
