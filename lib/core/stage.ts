/**
 * The stage contract (DESIGN.md): a pure, synchronous core that owns its state.
 * `push` takes one stream chunk (a batch of records, or bytes for the tokenizer) and returns the
 * records it completes: one batch as an array, or, where a stage may release more than fits in
 * memory at once (the order stage's merge), a lazy iterable of batches that the stream wrapper
 * drains under backpressure.
 *
 * One optimization for every job: a stage whose per-record code is hot is a class behind its
 * `create…` function, not an object of closures. A whole export runs a new pipeline per thread,
 * and V8 optimized closures made afresh again in every large thread: on the 2 GB bench export,
 * ~30 times each, 4.7 s of background compiling in a 30 s run (`--trace-opt`); with classes the
 * run-merger, chunker, role mapper, dedupe, order and message scanner are optimized once or twice.
 * (The decoder's and tokenizer's closures cost ~0.1 s and are left as they are.)
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
 * enough that a batch is gone before the next young-generation collection (1024 made the scavenger
 * copy 396 MB on a 2 GB export, 256 makes it 222 MB, at the same speed; `--trace-gc-nvp`).
 */
export const BATCH_SIZE = 256;

/** Every record of an output, batch after batch (a lazy output is read as this is read). */
export function* recordsOf<T>(out: Output<T>): Generator<T> {
  if (Array.isArray(out)) yield* out;
  else for (const batch of out) yield* batch;
}
