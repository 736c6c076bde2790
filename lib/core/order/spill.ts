/**
 * Where the order stage puts sorted runs that do not fit its memory budget. The core only sees this
 * interface; `lib/streams/spill-files.ts` keeps runs in temporary files, tests may keep them in
 * arrays.
 */
import type { SpillCodec } from './spill-codec.js';

export interface SpillStore<T> {
  /** Persist one sorted run (an array, or a merge streamed through); returns its handle. */
  write(run: Iterable<T>): number;
  /**
   * A store that keeps runs as spill-codec blocks can take the order stage's packed blocks as they
   * are (lib/core/order/packed-messages.ts): `codec` is the one they must be encoded with.
   */
  readonly codec?: SpillCodec;
  /** Persist a run given as `codec` blocks in arrival order; `reverse`: the run is their rows backwards. */
  writeBlocks?(blocks: readonly Uint8Array[], reverse: boolean): number;
  /** Read a run back, in order, lazily. */
  read(handle: number): Iterator<T>;
  /** Forget a run once it is merged. */
  remove(handle: number): void;
  /** Remove everything (end, error, destroy). Idempotent. */
  close(): void;
}

/** A store that keeps runs in memory: for tests and for callers that want no disk. */
export function createMemorySpill<T>(): SpillStore<T> & { runs: Map<number, readonly T[]> } {
  const runs = new Map<number, readonly T[]>();
  let next = 0;
  return {
    runs,
    write(run) {
      runs.set(next, [...run]);
      return next++;
    },
    read(handle) {
      const run = runs.get(handle);
      if (!run) throw new Error(`no spilled run ${handle}`);
      return run[Symbol.iterator]();
    },
    remove(handle) {
      runs.delete(handle);
    },
    close() {
      runs.clear();
    },
  };
}
