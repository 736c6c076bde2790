/**
 * The merge half of the order stage's external sort: sorted runs in, one sorted sequence out.
 *
 * Memory stays bounded whatever the input size:
 * - runs are opened lazily, in order of their first key, only once the merge has reached it. For
 *   a newest-first thread (Meta's order) the runs do not overlap in time, so one or two are open
 *   at a time, and the merge is a concatenation;
 * - when more than `maxOpen` runs overlap somewhere (a thread in random order), groups of
 *   `maxOpen` are merged into one run first, as many passes as needed (bounded fan-in).
 * The last run may be kept in memory instead of being written (`entries`).
 */
import { MinHeap } from './heap.js';
import { sortEntries, type Entry } from './entry.js';
import type { RunSpan } from './packed-messages.js';
import type { SpillStore } from './spill.js';

export interface RunInfo extends RunSpan {
  /** The run in the store, or null for one held in memory. */
  handle: number | null;
  /** A run held in memory (the messages left when the thread ended), read once. */
  entries?: Iterable<Entry>;
  /** The tie sign the run was sorted with, when it may differ from the merge's (see {@link resortedRun}). */
  sign?: number;
}

/** Runs merged at most at once. Each open run holds a read block (~64 KiB) and its parsed rows. */
export const MAX_OPEN_RUNS = 32;

export function runInfo(handle: number | null, sorted: Entry[], keep = false): RunInfo {
  const info = runSpan(handle, sorted[0]!, sorted[sorted.length - 1]!);
  if (keep) info.entries = sorted;
  return info;
}

/** A run in the store known by its first and last entries. */
function runSpan(handle: number | null, first: Entry, last: Entry): RunInfo {
  return { handle, firstTs: first.msg.timestampMs, firstSeq: first.seq, lastTs: last.msg.timestampMs, lastSeq: last.seq };
}

interface Cursor {
  head: Entry;
  rest: Iterator<Entry>;
}

/**
 * The orders, one set per tie sign, made once: the merge is hot, and a comparator made afresh per
 * merge made V8 re-optimize lazyMerge again and again (docs/performance.md#stages-as-classes).
 */
interface RunOrder {
  /** (timestamp, seq × tieSign) order. */
  before(aTs: number, aSeq: number, bTs: number, bSeq: number): boolean;
  byFirst(a: RunInfo, b: RunInfo): number;
  cursorBefore(a: Cursor, b: Cursor): boolean;
  lastBefore(a: RunInfo, b: RunInfo): boolean;
}

function orderFor(tieSign: number): RunOrder {
  const before = (aTs: number, aSeq: number, bTs: number, bSeq: number) => aTs < bTs || (aTs === bTs && (aSeq - bSeq) * tieSign < 0);
  return {
    before,
    byFirst: (a, b) => (before(a.firstTs, a.firstSeq, b.firstTs, b.firstSeq) ? -1 : 1),
    cursorBefore: (a, b) => before(a.head.msg.timestampMs, a.head.seq, b.head.msg.timestampMs, b.head.seq),
    lastBefore: (a, b) => before(a.lastTs, a.lastSeq, b.lastTs, b.lastSeq),
  };
}

const ORDERS = new Map<number, RunOrder>([
  [1, orderFor(1)],
  [-1, orderFor(-1)],
]);

/** All entries of `runs`, in (timestamp, seq × tieSign) order; merged runs are removed from the store. */
export function* mergeRuns(store: SpillStore<Entry>, runs: RunInfo[], tieSign: number, maxOpen = MAX_OPEN_RUNS): Generator<Entry> {
  const order = ORDERS.get(Math.sign(tieSign) || 1)!;
  let pending = [...runs].sort(order.byFirst);
  try {
    // bounded fan-in: merge groups of neighbours until no point in time needs more than maxOpen
    while (maxOverlap(pending, order) > maxOpen) {
      const next: RunInfo[] = [];
      for (let i = 0; i < pending.length; i += maxOpen) {
        const group = pending.slice(i, i + maxOpen);
        if (group.length === 1) {
          next.push(group[0]!);
          continue;
        }
        let first: Entry | undefined;
        let last: Entry | undefined;
        const merged = (function* () {
          for (const e of lazyMerge(store, group, order)) {
            first ??= e;
            last = e;
            yield e;
          }
        })();
        const handle = store.write(merged);
        next.push({ handle, firstTs: first!.msg.timestampMs, firstSeq: first!.seq, lastTs: last!.msg.timestampMs, lastSeq: last!.seq });
      }
      pending = next.sort(order.byFirst);
    }
    yield* lazyMerge(store, pending, order);
  } finally {
    for (const r of pending) if (r.handle !== null) store.remove(r.handle);
  }
}

/** k-way merge that opens a run only when the merge reaches its first key; removes what it merged. */
function* lazyMerge(store: SpillStore<Entry>, sorted: RunInfo[], order: RunOrder): Generator<Entry> {
  const { before } = order;
  const heap = new MinHeap<Cursor>(order.cursorBefore);
  let next = 0;
  try {
    for (;;) {
      // open every run that may hold something not after the current smallest head
      while (next < sorted.length) {
        const top = heap.peek();
        const r = sorted[next]!;
        if (top && before(top.head.msg.timestampMs, top.head.seq, r.firstTs, r.firstSeq)) break;
        const rest = r.entries ? r.entries[Symbol.iterator]() : store.read(r.handle!);
        const first = rest.next();
        if (!first.done) heap.push({ head: first.value, rest });
        ++next;
      }
      const top = heap.peek();
      if (!top) return;
      yield top.head;
      const step = top.rest.next();
      if (step.done) heap.pop();
      else {
        top.head = step.value;
        heap.replaceTop(top);
      }
    }
  } finally {
    for (const r of sorted) {
      if (r.handle !== null) store.remove(r.handle);
      r.handle = null;
    }
  }
}

/**
 * A stored run sorted with another tie sign than `tieSign`: the order stage spills before it
 * knows a thread's direction (every timestamp so far equal), and a joined document may run the
 * other way. Read whole and sorted again once the merge opens it, then removed from the store;
 * its span widened to the first and last places its entries may take in the new order.
 */
export function resortedRun(store: SpillStore<Entry>, run: RunInfo, tieSign: number): RunInfo {
  const handle = run.handle!;
  const entries: Iterable<Entry> = {
    [Symbol.iterator]() {
      const all: Entry[] = [];
      for (let it = store.read(handle), step = it.next(); !step.done; step = it.next()) all.push(step.value);
      store.remove(handle);
      return sortEntries(all, tieSign)[Symbol.iterator]();
    },
  };
  const early = tieSign < 0 ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  return { handle: null, entries, firstTs: run.firstTs, firstSeq: early, lastTs: run.lastTs, lastSeq: -early };
}

/** The most runs whose [first, last] ranges share a point (sweep over runs sorted by first key). */
function maxOverlap(sorted: readonly RunInfo[], order: RunOrder): number {
  if (sorted.length <= 1) return sorted.length;
  const open = new MinHeap<RunInfo>(order.lastBefore);
  let most = 0;
  for (const r of sorted) {
    while (open.size > 0) {
      const o = open.peek()!;
      if (!order.before(o.lastTs, o.lastSeq, r.firstTs, r.firstSeq)) break;
      open.pop();
    }
    open.push(r);
    if (open.size > most) most = open.size;
  }
  return most;
}
