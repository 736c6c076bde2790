/**
 * Order: each thread chronological, stable on (timestamp, position).
 *
 * Messages are held up to a memory budget; past it, the held ones are sorted and spilled to a
 * SpillStore as a run, and the thread is released by a k-way merge of its runs, lazily, batch by
 * batch. Memory does not grow with the size of a thread.
 *
 * Parts of one thread that follow each other (message_1.json, message_2.json, …) are joined into
 * one conversation when `joinParts` is on: a document's thread id (thread_path) is only known at
 * its end, so each document is held apart until then and merged into the previous one when the
 * ids agree. `joinParts: 'all'` joins every document, whatever its id: for a caller that knows its
 * input is one conversation whose documents carry different ids (an export's `e2ee_cutover` thread
 * and its continuation in the E2EE download, lib/sources/e2ee-join.ts).
 *
 * Ties: `file` keeps the order of arrival (LangChain's stable sort); `auto` reverses it for a
 * thread that arrives newest-first (Meta's order), so that equal timestamps read as they were sent.
 */
import type { Message, ThreadInfo } from '../types.js';
import { mergeRuns, runInfo, runSpan, type RunInfo } from './merge-runs.js';
import type { SpillStore } from './spill.js';
import { BATCH_SIZE, type Output, type Stage } from './stage.js';
import { OptionError } from '../errors.js';

export interface OrderOptions {
  /** Estimated bytes of messages held before a run is spilled (half that once a thread has spilled). Default 4 MiB. */
  memoryBytes?: number;
  /** How equal timestamps are ordered. Default `auto`. */
  ties?: 'auto' | 'file';
  /** Join consecutive documents of the same thread into one; `all`: every document, whatever its id. Default true. */
  joinParts?: boolean | 'all';
  /** Where runs go past the budget. Default: none, the budget is not enforced (tests). */
  spill?: SpillStore<Entry>;
}

export interface NormalizedOrderOptions {
  readonly memoryBytes: number;
  readonly ties: 'auto' | 'file';
  readonly joinParts: boolean | 'all';
  readonly spill: SpillStore<Entry> | undefined;
}

/** A message and its arrival number: what runs hold. */
export interface Entry {
  msg: Message;
  seq: number;
}

export const DEFAULT_ORDER_MEMORY = 4 * 1024 * 1024;

export function normalizeOrderOptions(options: OrderOptions = {}): NormalizedOrderOptions {
  const memoryBytes = options.memoryBytes ?? DEFAULT_ORDER_MEMORY;
  if (!Number.isInteger(memoryBytes) || memoryBytes < 1024) {
    throw new OptionError('memoryBytes', `must be an integer >= 1024`, memoryBytes);
  }
  const ties = options.ties ?? 'auto';
  if (ties !== 'auto' && ties !== 'file') throw new OptionError('ties', `must be "auto" or "file"`, ties);
  const joinParts = options.joinParts ?? true;
  if (joinParts !== true && joinParts !== false && joinParts !== 'all') throw new OptionError('joinParts', `must be true, false or "all"`, joinParts);
  return Object.freeze({ memoryBytes, ties, joinParts, spill: options.spill });
}

/**
 * Heap cost of a held message: object, fields and text. Measured on generated exports: 211 bytes
 * a message of 40 chars on average (the decoder keeps no string that pins a larger one); the text
 * counts 2 bytes a char, as text beyond Latin-1 does, and the base keeps a margin. Too low an
 * estimate lets the budget overrun a small heap (a 64 MB heap must do: test/memory.test.ts); too
 * high makes more, smaller runs.
 */
export function estimateBytes(m: Message): number {
  return 160 + 2 * (m.text?.length ?? 0) + (m.attachments ? 150 * m.attachments.length : 0) + (m.reactions ? 80 * m.reactions.length : 0);
}

/** Messages of one thread (or of one of its documents) on their way to being ordered. */
class Sorter {
  msgs: Message[] = [];
  seqs: number[] = [];
  runs: RunInfo[] = [];
  bytes = 0;
  /** +1 oldest-first, -1 newest-first, 0 not known yet (every timestamp so far equal). */
  dir = 0;
  private firstTs = NaN;
  readonly counts = new Map<string, number>();
  constructor(readonly info: ThreadInfo) {}

  add(m: Message, seq: number): void {
    if (this.dir === 0) {
      if (Number.isNaN(this.firstTs)) this.firstTs = m.timestampMs;
      else if (m.timestampMs !== this.firstTs) this.dir = m.timestampMs > this.firstTs ? 1 : -1;
    }
    this.msgs.push(m);
    this.seqs.push(seq);
    this.bytes += estimateBytes(m);
    this.counts.set(m.sender, (this.counts.get(m.sender) ?? 0) + 1);
  }

  /**
   * Positions of the held messages in (timestamp, tie) order, tie = seq * tieSign. Real exports
   * arrive already ordered, one way or the other: that is checked before anything is sorted.
   */
  sortedPositions(tieSign: number): Uint32Array {
    const { msgs, seqs } = this;
    const n = msgs.length;
    const order = new Uint32Array(n);
    let nonIncreasing = true;
    let nonDecreasing = true;
    for (let i = 1; i < n && (nonIncreasing || nonDecreasing); ++i) {
      const d = msgs[i]!.timestampMs - msgs[i - 1]!.timestampMs;
      if (d > 0) nonIncreasing = false;
      else if (d < 0) nonDecreasing = false;
    }
    if (nonIncreasing && tieSign < 0) {
      for (let i = 0; i < n; ++i) order[i] = n - 1 - i;
      return order;
    }
    for (let i = 0; i < n; ++i) order[i] = i;
    if (nonDecreasing && tieSign > 0) return order;
    return order.sort((a, b) => msgs[a]!.timestampMs - msgs[b]!.timestampMs || (seqs[a]! - seqs[b]!) * tieSign);
  }

  entryAt(position: number): Entry {
    return { msg: this.msgs[position]!, seq: this.seqs[position]! };
  }

  /**
   * The entries at `positions`, made one at a time as they are consumed: a run on its way to the
   * spill store never exists as an array of entries that would outlive the young generation.
   */
  *entriesAt(positions: Uint32Array): Generator<Entry> {
    for (const p of positions) yield this.entryAt(p);
  }

  /** The held messages as entries sorted by (timestamp, tie), tie = seq * tieSign. */
  sortedEntries(tieSign: number): Entry[] {
    return Array.from(this.sortedPositions(tieSign), (p) => this.entryAt(p));
  }

  clearHeld(): void {
    this.msgs = [];
    this.seqs = [];
    this.bytes = 0;
  }

  /** Take over a later document of the same thread. */
  absorb(other: Sorter): void {
    for (let i = 0; i < other.msgs.length; ++i) {
      this.msgs.push(other.msgs[i]!);
      this.seqs.push(other.seqs[i]!);
    }
    this.bytes += other.bytes;
    this.runs.push(...other.runs);
    if (this.dir === 0) this.dir = other.dir;
    for (const [sender, n] of other.counts) this.counts.set(sender, (this.counts.get(sender) ?? 0) + n);
  }
}

export function createOrder(options?: OrderOptions): Stage<Message[], Message> {
  const { memoryBytes, ties, joinParts, spill } = normalizeOrderOptions(options);
  let seq = 0;
  /** The thread complete so far (all its documents ended). */
  let group: Sorter | null = null;
  /** The document being read; joined to `group` or not once it ends. */
  let current: Sorter | null = null;

  const tieSignOf = (s: Sorter) => (ties === 'auto' && s.dir < 0 ? -1 : 1);

  function spillHeld(s: Sorter): void {
    if (!spill || s.msgs.length === 0) return;
    const positions = s.sortedPositions(tieSignOf(s));
    const handle = spill.write(s.entriesAt(positions));
    s.runs.push(runSpan(handle, s.entryAt(positions[0]!), s.entryAt(positions[positions.length - 1]!)));
    s.clearHeld();
  }

  /**
   * Spill past the budget. Once a thread has spilled (it is big), its later runs are half the
   * budget: the fewer messages held, the less the garbage collector copies (measured ~3% faster on
   * a 100 MB thread), while a thread that fits the whole budget is still never written at all
   * (a quarter budget throughout made a whole export 7% slower: its mid-sized threads spilled).
   */
  function enforceBudget(): void {
    if (!spill) return;
    const held = (group?.bytes ?? 0) + (current?.bytes ?? 0);
    const spilled = (group?.runs.length ?? 0) + (current?.runs.length ?? 0) > 0;
    if (held <= (spilled ? memoryBytes / 2 : memoryBytes)) return;
    if (group && group.bytes > 0) spillHeld(group);
    if (current) spillHeld(current);
  }

  /** `current` ended: release it, join it to `group`, or release `group` and start anew. */
  function settle(released: Iterable<Message[]>[]): void {
    if (!current) return;
    if (!joinParts) released.push(release(current));
    else if (group && (joinParts === 'all' || group.info.id === current.info.id)) group.absorb(current);
    else {
      if (group) released.push(release(group));
      group = current;
    }
    current = null;
  }

  /** The thread's messages in order, as batches, merged from its runs lazily. */
  function release(s: Sorter): Iterable<Message[]> {
    const info = s.info;
    info.senderCounts = s.counts;
    const tieSign = tieSignOf(s);
    if (s.runs.length === 0) {
      const entries = s.sortedEntries(tieSign);
      s.clearHeld();
      return batchesOf(entries, info);
    }
    // what is still held joins the merge from memory: the last run is never written
    if (s.msgs.length > 0) s.runs.push(runInfo(null, s.sortedEntries(tieSign), true));
    s.clearHeld();
    return batchesOf(mergeRuns(spill!, s.runs, tieSign), info);
  }

  return {
    push(batch) {
      const released: Iterable<Message[]>[] = [];
      for (const m of batch) {
        if (current === null || m.thread !== current.info) {
          settle(released);
          current = new Sorter(m.thread);
        }
        current.add(m, seq++);
      }
      enforceBudget();
      return concat(released);
    },
    flush() {
      const released: Iterable<Message[]>[] = [];
      settle(released);
      if (group) released.push(release(group));
      group = null;
      return concat(released);
    },
    destroy() {
      group = current = null;
      spill?.close();
    },
  };
}

function* batchesOf(entries: Iterable<Entry>, info: ThreadInfo): Generator<Message[]> {
  let out: Message[] = [];
  for (const e of entries) {
    e.msg.thread = info;
    out.push(e.msg);
    if (out.length === BATCH_SIZE) {
      yield out;
      out = [];
    }
  }
  if (out.length) yield out;
}

function concat(parts: Iterable<Message[]>[]): Output<Message> {
  if (parts.length === 0) return [];
  return (function* () {
    for (const p of parts) yield* p;
  })();
}
