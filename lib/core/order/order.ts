/**
 * Order: each thread chronological, stable on (timestamp, position).
 *
 * Messages are held up to a memory budget, as objects up to a quarter of it, packed past that
 * (lib/core/order/packed-messages.ts); past the budget, the held ones are sorted and spilled to a
 * SpillStore as a run, and the thread is released by a k-way merge of its runs, lazily, batch by
 * batch. Memory does not grow with the size of a thread.
 *
 * Parts of one thread that follow each other (message_1.json, message_2.json, …) are joined into
 * one conversation when `joinParts` is on: a document's thread id (thread_path) is only known at
 * its end, so each document is held apart until then and merged into the previous one when the
 * ids agree. `joinParts: 'all'` joins every document, whatever its id: for a caller that knows its
 * input is one conversation whose documents carry different ids (an export's `e2ee_cutover` thread
 * and its continuation in the E2EE download, lib/export/e2ee-join.ts).
 *
 * Ties: `file` keeps the order of arrival (LangChain's stable sort); `auto` reverses it for a
 * thread that arrives newest-first (Meta's order), so that equal timestamps read as they were sent.
 */
import type { Message, ThreadInfo } from '../../types.js';
import { mergeRuns, resortedRun, type RunInfo } from './merge-runs.js';
import { PackedMessages } from './packed-messages.js';
import { SpillCodec } from './spill-codec.js';
import type { SpillStore } from './spill.js';
import type { Entry } from './entry.js';
import { BATCH_SIZE, type Output, type Stage } from '../stage.js';
import { OptionError } from '../../errors.js';

export interface OrderOptions {
  /** Bytes of packed messages held before they are spilled as a run. Default 4 MiB. */
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

export const DEFAULT_ORDER_MEMORY = 4 * 1024 * 1024;
/** The budget's share held as objects, per document (see Order#objectBytes). */
const OBJECT_SHARE = 4;

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

/** Messages of one thread (or of one of its documents) on their way to being ordered. */
class Sorter {
  readonly held: PackedMessages;
  runs: RunInfo[] = [];
  /** +1 oldest-first, -1 newest-first, 0 not known yet (every timestamp so far equal). */
  dir = 0;
  private firstTs = NaN;
  readonly counts = new Map<string, number>();
  constructor(
    readonly info: ThreadInfo,
    codec: SpillCodec,
    objectBytes: number,
  ) {
    this.held = new PackedMessages(codec, objectBytes);
  }

  add(m: Message, seq: number): void {
    if (this.dir === 0) {
      if (Number.isNaN(this.firstTs)) this.firstTs = m.timestampMs;
      else if (m.timestampMs !== this.firstTs) this.dir = m.timestampMs > this.firstTs ? 1 : -1;
    }
    this.held.push(m, seq);
    this.counts.set(m.sender, (this.counts.get(m.sender) ?? 0) + 1);
  }

  /** Take over a later document of the same thread. */
  absorb(other: Sorter): void {
    this.held.absorb(other.held);
    this.runs.push(...other.runs);
    if (this.dir === 0) this.dir = other.dir;
    for (const [sender, n] of other.counts) this.counts.set(sender, (this.counts.get(sender) ?? 0) + n);
  }
}

export function createOrder(options?: OrderOptions): Stage<Message[], Message> {
  return new Order(normalizeOrderOptions(options));
}

/** A class, not closures: see "one optimization for every job" in lib/core/stage.ts. */
class Order implements Stage<Message[], Message> {
  readonly #memoryBytes: number;
  /**
   * Held as objects before they are packed, per document: a small thread is never encoded, and
   * the objects of a thread and of its next document stay within half of the budget.
   */
  readonly #objectBytes: number;
  readonly #ties: NormalizedOrderOptions['ties'];
  readonly #joinParts: NormalizedOrderOptions['joinParts'];
  readonly #spill: SpillStore<Entry> | undefined;
  /** Held messages are packed with the store's codec, so that a spill writes them as they are. */
  readonly #codec: SpillCodec;
  #seq = 0;
  /** The thread complete so far (all its documents ended). */
  #group: Sorter | null = null;
  /** The document being read; joined to `group` or not once it ends. */
  #current: Sorter | null = null;

  constructor({ memoryBytes, ties, joinParts, spill }: NormalizedOrderOptions) {
    this.#memoryBytes = memoryBytes;
    this.#objectBytes = Math.floor(memoryBytes / OBJECT_SHARE);
    this.#ties = ties;
    this.#joinParts = joinParts;
    this.#spill = spill;
    this.#codec = spill?.codec ?? new SpillCodec();
  }

  push(batch: Message[]): Output<Message> {
    const released: Iterable<Message[]>[] = [];
    for (const m of batch) {
      if (this.#current === null || m.thread !== this.#current.info) {
        this.#settle(released);
        this.#current = new Sorter(m.thread, this.#codec, this.#objectBytes);
      }
      this.#current.add(m, this.#seq++);
    }
    this.#enforceBudget();
    return concat(released);
  }

  flush(): Output<Message> {
    const released: Iterable<Message[]>[] = [];
    this.#settle(released);
    if (this.#group) released.push(this.#release(this.#group));
    this.#group = null;
    return concat(released);
  }

  destroy(): void {
    this.#group = this.#current = null;
    this.#spill?.close();
  }

  #tieSignOf(s: Sorter): number {
    return this.#ties === 'auto' && s.dir < 0 ? -1 : 1;
  }

  #spillHeld(s: Sorter): void {
    const spill = this.#spill;
    if (!spill || s.held.length === 0) return;
    const tieSign = this.#tieSignOf(s);
    // blocks in the store's own format go as they are; anything else is sorted and written
    const blocks = spill.writeBlocks && spill.codec === this.#codec ? s.held.takeBlocks(tieSign) : null;
    if (blocks) {
      s.runs.push({ handle: spill.writeBlocks!(blocks.blocks, blocks.reverse), ...blocks.span, sign: tieSign });
      blocks.done();
    } else {
      const run = s.held.take(tieSign)!;
      s.runs.push({ handle: spill.write(run.entries), ...run.span, sign: tieSign });
    }
  }

  /**
   * Spill past the budget. The budget counts packed bytes: a thread of a few MB of JSON is held
   * whole and never written.
   */
  #enforceBudget(): void {
    if (!this.#spill) return;
    const group = this.#group;
    const current = this.#current;
    const held = (group?.held.bytes ?? 0) + (current?.held.bytes ?? 0);
    if (held <= this.#memoryBytes) return;
    if (group && group.held.length > 0) this.#spillHeld(group);
    if (current) this.#spillHeld(current);
  }

  /** `current` ended: release it, join it to `group`, or release `group` and start anew. */
  #settle(released: Iterable<Message[]>[]): void {
    const current = this.#current;
    if (!current) return;
    const group = this.#group;
    if (!this.#joinParts) released.push(this.#release(current));
    else if (group && (this.#joinParts === 'all' || group.info.id === current.info.id)) group.absorb(current);
    else {
      if (group) released.push(this.#release(group));
      this.#group = current;
    }
    this.#current = null;
  }

  /** The thread's messages in order, as batches, merged from its runs lazily. */
  #release(s: Sorter): Iterable<Message[]> {
    const info = s.info;
    info.senderCounts = s.counts;
    const tieSign = this.#tieSignOf(s);
    if (s.runs.length === 0) return s.held.takeBatches(tieSign, info);
    const last = s.held.take(tieSign);
    // a run spilled before the thread's direction was known, or from a document that ran the
    // other way, is sorted again: equal timestamps come out as they would from memory
    const runs = s.runs.map((r) => (r.sign === undefined || r.sign === tieSign ? r : resortedRun(this.#spill!, r, tieSign)));
    // what is still held joins the merge from memory: the last run is never written
    if (last) runs.push({ handle: null, entries: last.entries, ...last.span });
    return batchesOf(mergeRuns(this.#spill!, runs, tieSign), info);
  }
}

function* batchesOf(entries: Iterable<Entry>, info: ThreadInfo): Generator<Message[]> {
  let out: Message[] = [];
  for (const e of entries) {
    const m = e.msg;
    // a message of the thread's first document has it already (a read is cheaper than a write)
    if (m.thread !== info) m.thread = info;
    out.push(m);
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
