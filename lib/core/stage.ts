/**
 * The stage contract (DESIGN.md): a pure, synchronous core with its state in a closure.
 * `push` takes one stream chunk (a batch of records, or bytes for the tokenizer) and returns the
 * records it completes: one batch as an array, or, where a stage may release more than fits in
 * memory at once (the order stage's merge), a lazy iterable of batches that the stream wrapper
 * drains under backpressure.
 */
export type Output<T> = T[] | Iterable<T[]>;

export interface Stage<In, Out> {
  push(input: In): Output<Out>;
  /** End of input: release what is held. */
  flush(): Output<Out>;
  /** Abandoned mid-way (error, destroy): release buffers and temporary files. Idempotent. */
  destroy?(): void;
}

/** Records per batch when a stage releases a long run (keeps per-chunk costs small). */
export const BATCH_SIZE = 1024;
