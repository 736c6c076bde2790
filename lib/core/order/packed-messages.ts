/**
 * What the order stage holds of a thread, packed: past a small budget of objects, messages are
 * encoded into spill-codec blocks (lib/core/order/spill-codec.ts), not kept as objects.
 *
 * Why: a thread is held until it ends, since it arrives newest-first and leaves oldest-first. Held
 * as objects, every message of a long thread lived through young-generation collections and was
 * promoted (docs/performance.md#order-stage). Packed, only the messages not yet sealed (at most
 * `objectBytes`, estimated, or BLOCK_ROWS messages) are objects; the rest is bytes outside the
 * heap, which is also what a spilled run is made of: spilling writes the blocks as they are. Most
 * threads of a real export fit the object budget and are never encoded nor decoded.
 *
 * Real exports arrive sorted, one way or the other. Such a run leaves block by block, forwards or
 * backwards, never sorted and never all objects at once. Any other order is decoded and sorted.
 *
 * Blocks are cut from slabs that go back to a small free list once the run has been read or written
 * out: left to the garbage collector, they piled up as dead ArrayBuffers. Decoding copies
 * everything out of a block (strings and numbers), so a slab given back is referenced by nothing.
 */
import type { Message } from '../../types.js';
import { sortEntries, type Entry } from './entry.js';
import { BLOCK_ROWS, type SpillCodec } from './spill-codec.js';
import { blockBatches, decodeBlock, slicedBatches } from './held-batches.js';

/** First and last (timestamp, seq) of a run in its sorted order: what the merge needs. */
export interface RunSpan {
  firstTs: number;
  firstSeq: number;
  lastTs: number;
  lastSeq: number;
}

/** Held messages as the order stage releases or spills them. */
export interface TakenRun {
  entries: Iterable<Entry>;
  span: RunSpan;
}

/** Held messages as encoded blocks for a store that keeps the same codec's blocks. */
export interface TakenBlocks {
  /** Each block with its length prefix, in arrival order. */
  blocks: Buffer[];
  /** The sorted run is the blocks' rows read backwards (a newest-first thread). */
  reverse: boolean;
  span: RunSpan;
  /** Call once the blocks are written: their memory is reused (the blocks must not be read again). */
  done(): void;
}

const SLAB_BYTES = 256 * 1024;
/** Slabs kept for reuse, per isolate: 4 MiB, the default budget. */
const FREE_SLABS_MAX = 16;
const freeSlabs: Buffer[] = [];

function giveBack(slabs: Buffer[]): void {
  // most threads never fill a slab: leave their empty list alone
  if (slabs.length === 0) return;
  for (const slab of slabs) if (freeSlabs.length < FREE_SLABS_MAX) freeSlabs.push(slab);
  slabs.length = 0;
}

/**
 * Heap cost of a message not yet packed: object, fields and text (measured on generated exports,
 * docs/performance.md#order-stage); the text counts 2 bytes a char, and the base keeps a margin.
 */
export function estimateBytes(m: Message): number {
  return 160 + 2 * (m.text?.length ?? 0) + (m.attachments ? 150 * m.attachments.length : 0) + (m.reactions ? 80 * m.reactions.length : 0);
}

export class PackedMessages {
  /** Sealed blocks, in arrival order: views of `slabs` (or, past a slab's size, buffers of their own). */
  private blocks: Buffer[] = [];
  private blockBytes = 0;
  private slabs: Buffer[] = [];
  private slabUsed = SLAB_BYTES;
  /**
   * The messages not sealed yet: at most `objectBytes` of them (estimated), or BLOCK_ROWS messages;
   * their arrival numbers apart (no entry object a message while most are never sealed nor sorted):
   * `pendingFirstSeq` onwards one by one (the order stage's case), or listed in `pendingSeqs`.
   */
  private pending: Message[] = [];
  private pendingFirstSeq = 0;
  private pendingSeqs: number[] | null = null;
  private pendingBytes = 0;
  length = 0;
  private nonIncreasing = true;
  private nonDecreasing = true;
  private firstTs = 0;
  private firstSeq = 0;
  private lastTs = 0;
  private lastSeq = 0;

  /** `objectBytes`: messages held as objects (estimated) before they are sealed into blocks. */
  constructor(
    readonly codec: SpillCodec,
    readonly objectBytes = 0,
  ) {}

  /** Memory held: the blocks' bytes and an estimate of the messages not packed yet. */
  get bytes(): number {
    return this.blockBytes + this.pendingBytes;
  }

  push(msg: Message, seq: number): void {
    const ts = msg.timestampMs;
    if (this.length === 0) {
      this.firstTs = ts;
      this.firstSeq = seq;
    } else if (ts > this.lastTs) this.nonIncreasing = false;
    else if (ts < this.lastTs) this.nonDecreasing = false;
    this.lastTs = ts;
    this.lastSeq = seq;
    ++this.length;
    const n = this.pending.push(msg) - 1;
    if (n === 0) this.pendingFirstSeq = seq;
    else if (this.pendingSeqs) this.pendingSeqs.push(seq);
    else if (seq !== this.pendingFirstSeq + n) (this.pendingSeqs = this.listSeqs(n)).push(seq);
    this.pendingBytes += estimateBytes(msg);
    if (this.pendingBytes > this.objectBytes && this.pending.length >= BLOCK_ROWS) this.seal();
  }

  /** Append `other` (held after this), which is left empty. Both must share one codec. */
  absorb(other: PackedMessages): void {
    if (other.codec !== this.codec) throw new Error('packed messages of two codecs cannot be joined');
    if (other.length === 0) return;
    if (this.length === 0) {
      this.firstTs = other.firstTs;
      this.firstSeq = other.firstSeq;
      this.nonIncreasing = other.nonIncreasing;
      this.nonDecreasing = other.nonDecreasing;
    } else {
      if (other.firstTs > this.lastTs) this.nonIncreasing = false;
      else if (other.firstTs < this.lastTs) this.nonDecreasing = false;
      this.nonIncreasing &&= other.nonIncreasing;
      this.nonDecreasing &&= other.nonDecreasing;
      if (other.blocks.length === 0) return this.absorbPending(other);
      this.seal();
    }
    for (const b of other.blocks) this.blocks.push(b);
    this.blockBytes += other.blockBytes;
    // go on filling the other's last slab (what is left of ours stays unused until it is given back)
    for (const slab of other.slabs) this.slabs.push(slab);
    this.slabUsed = other.slabUsed;
    this.pending = other.pending;
    this.pendingFirstSeq = other.pendingFirstSeq;
    this.pendingSeqs = other.pendingSeqs;
    this.pendingBytes = other.pendingBytes;
    this.lastTs = other.lastTs;
    this.lastSeq = other.lastSeq;
    this.length += other.length;
    other.reset();
  }

  /** `absorb` of messages all held as objects: they stay objects while the budget allows. */
  private absorbPending(other: PackedMessages): void {
    const n = this.pending.length;
    if (n === 0) {
      this.pendingFirstSeq = other.pendingFirstSeq;
      this.pendingSeqs = other.pendingSeqs;
    } else if (this.pendingSeqs || other.pendingSeqs || other.pendingFirstSeq !== this.pendingFirstSeq + n) {
      const seqs = (this.pendingSeqs ??= this.listSeqs(n));
      for (let i = 0; i < other.pending.length; ++i) seqs.push(other.seqAt(i));
    }
    for (const m of other.pending) this.pending.push(m);
    this.pendingBytes += other.pendingBytes;
    this.lastTs = other.lastTs;
    this.lastSeq = other.lastSeq;
    this.length += other.length;
    other.reset();
    if (this.pendingBytes > this.objectBytes && this.pending.length >= BLOCK_ROWS) this.seal();
  }

  /**
   * Which way arrival order is already the order (timestamp, seq × tieSign): 1 as it came, -1
   * backwards, 0 neither (it must be sorted).
   */
  direction(tieSign: number): 1 | -1 | 0 {
    if (this.nonIncreasing && tieSign < 0) return -1;
    if (this.nonDecreasing && tieSign > 0) return 1;
    return 0;
  }

  /** Everything held, in (timestamp, seq × tieSign) order, lazily when it needs no sort; this is left empty. */
  take(tieSign: number): TakenRun | null {
    if (this.length === 0) return null;
    const dir = this.direction(tieSign);
    const { codec, blocks, slabs } = this;
    let taken: TakenRun;
    if (dir === 0) {
      const sorted = this.sorted(tieSign);
      const first = sorted[0]!;
      const last = sorted[sorted.length - 1]!;
      taken = { entries: sorted, span: { firstTs: first.msg.timestampMs, firstSeq: first.seq, lastTs: last.msg.timestampMs, lastSeq: last.seq } };
    } else {
      const pending = this.pendingEntries();
      taken = { entries: dir > 0 ? forwards(codec, blocks, pending, slabs) : backwards(codec, blocks, pending, slabs), span: this.span(dir) };
    }
    this.reset();
    return taken;
  }

  /**
   * Everything held, in (timestamp, seq × tieSign) order, as batches of BATCH_SIZE messages, each
   * given `thread`; this is left empty. What `take` gives, without an entry object per message.
   */
  takeBatches(tieSign: number, thread: Message['thread']): Iterable<Message[]> {
    if (this.length === 0) return [];
    const dir = this.direction(tieSign);
    const { codec, blocks, pending, slabs, length } = this;
    let batches: Iterable<Message[]>;
    if (dir === 0) batches = slicedBatches(this.sorted(tieSign).map((e) => e.msg), thread);
    else if (blocks.length === 0) batches = slicedBatches(dir > 0 ? pending : pending.reverse(), thread);
    else batches = blockBatches(codec, blocks, pending, dir < 0, length, thread, () => giveBack(slabs));
    this.reset();
    return batches;
  }

  /** Everything held as entries, sorted; the slabs are given back. */
  private sorted(tieSign: number): Entry[] {
    const all = decodeAll(this.codec, this.blocks, this.pendingEntries());
    giveBack(this.slabs);
    return sortEntries(all, tieSign);
  }

  private pendingEntries(from = 0, to = this.pending.length): Entry[] {
    const entries: Entry[] = new Array(to - from);
    for (let i = from; i < to; ++i) entries[i - from] = { msg: this.pending[i]!, seq: this.seqAt(i) };
    return entries;
  }

  private seqAt(i: number): number {
    return this.pendingSeqs ? this.pendingSeqs[i]! : this.pendingFirstSeq + i;
  }

  /** The first `n` pending arrival numbers as a list (one came out of turn). */
  private listSeqs(n: number): number[] {
    const seqs: number[] = [];
    for (let i = 0; i < n; ++i) seqs.push(this.pendingFirstSeq + i);
    return seqs;
  }

  /** Everything held as sealed blocks, when it needs no sort (else null, and nothing is taken). */
  takeBlocks(tieSign: number): TakenBlocks | null {
    const dir = this.direction(tieSign);
    if (this.length === 0 || dir === 0) return null;
    this.seal();
    const slabs = this.slabs;
    const taken = { blocks: this.blocks, reverse: dir < 0, span: this.span(dir), done: () => giveBack(slabs) };
    this.reset();
    return taken;
  }

  private span(dir: 1 | -1): RunSpan {
    const { firstTs, firstSeq, lastTs, lastSeq } = this;
    return dir > 0 ? { firstTs, firstSeq, lastTs, lastSeq } : { firstTs: lastTs, firstSeq: lastSeq, lastTs: firstTs, lastSeq: firstSeq };
  }

  /** Encode the messages not sealed yet into blocks of BLOCK_ROWS (the last one may be short). */
  private seal(): void {
    const n = this.pending.length;
    for (let from = 0; from < n; from += BLOCK_ROWS) this.sealBlock(this.pendingEntries(from, Math.min(from + BLOCK_ROWS, n)));
    this.pending = [];
    this.pendingSeqs = null;
    this.pendingBytes = 0;
  }

  private sealBlock(entries: readonly Entry[]): void {
    // the codec's bytes are its scratch buffer, reused by the next block: keep a copy
    const bytes = this.codec.encode(entries);
    let block: Buffer;
    if (bytes.length > SLAB_BYTES) block = Buffer.from(bytes);
    else {
      if (this.slabUsed + bytes.length > SLAB_BYTES) {
        this.slabs.push(freeSlabs.pop() ?? Buffer.allocUnsafeSlow(SLAB_BYTES));
        this.slabUsed = 0;
      }
      const slab = this.slabs[this.slabs.length - 1]!;
      block = slab.subarray(this.slabUsed, this.slabUsed + bytes.length);
      bytes.copy(block);
      this.slabUsed += bytes.length;
    }
    this.blocks.push(block);
    this.blockBytes += block.length;
  }

  private reset(): void {
    this.blocks = [];
    this.blockBytes = 0;
    this.slabs = [];
    this.slabUsed = SLAB_BYTES;
    this.pending = [];
    this.pendingSeqs = null;
    this.pendingBytes = 0;
    this.length = 0;
    this.nonIncreasing = this.nonDecreasing = true;
  }
}

function decodeAll(codec: SpillCodec, blocks: Buffer[], pending: Entry[]): Entry[] {
  const all: Entry[] = [];
  for (const b of blocks) for (const e of decodeBlock(codec, b)) all.push(e);
  for (const e of pending) all.push(e);
  return all;
}

/** The slabs are given back once every block is decoded, or when the reader stops early. */
function* forwards(codec: SpillCodec, blocks: Buffer[], pending: Entry[], slabs: Buffer[]): Generator<Entry> {
  try {
    for (const block of blocks) yield* decodeBlock(codec, block);
  } finally {
    giveBack(slabs);
  }
  yield* pending;
}

function* backwards(codec: SpillCodec, blocks: Buffer[], pending: Entry[], slabs: Buffer[]): Generator<Entry> {
  for (let j = pending.length - 1; j >= 0; --j) yield pending[j]!;
  try {
    for (let i = blocks.length - 1; i >= 0; --i) {
      const entries = decodeBlock(codec, blocks[i]!);
      for (let j = entries.length - 1; j >= 0; --j) yield entries[j]!;
    }
  } finally {
    giveBack(slabs);
  }
}
