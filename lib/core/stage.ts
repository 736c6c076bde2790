/**
 * The stage contract (docs/architecture.md#stages): a pure, synchronous core that owns its state.
 * `push` takes one stream chunk (a batch of records, or bytes for the tokenizer) and returns the
 * records it completes: one batch as an array, or, where a stage may release more than fits in
 * memory at once (the order stage's merge), a lazy iterable of batches that the stream wrapper
 * drains under backpressure.
 *
 * One optimization for every job: a stage whose per-record code is hot is a class behind its
 * `create…` function, not an object of closures: an export makes a new pipeline per thread, and
 * V8 re-optimized closures made afresh in every large thread
 * (docs/performance.md#stages-as-classes).
 */
export type Output<T> = T[] | Iterable<T[]>;

export interface Stage<In, Out> {
  push(input: In): Output<Out>;
  /** End of input: release what is held. */
  flush(): Output<Out>;
  /** Abandoned mid-way (error, destroy): release buffers and temporary files. Idempotent. */
  destroy?(): void;
}

/**
 * Records per batch when a stage releases a long run: enough to keep per-batch costs small, few
 * enough that a batch is gone before the next young-generation collection (docs/performance.md).
 */
export const BATCH_SIZE = 256;

/** Every record of an output, batch after batch (a lazy output is read as this is read). */
export function* recordsOf<T>(out: Output<T>): Generator<T> {
  if (Array.isArray(out)) yield* out;
  else for (const batch of out) yield* batch;
}
