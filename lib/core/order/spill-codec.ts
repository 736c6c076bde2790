/**
 * How the order stage's held and spilled entries are stored (lib/core/order/packed-messages.ts, run
 * files): blocks of up to BLOCK_ROWS entries, each
 *
 *   [uint32 n][n × 4 float64: timestamp, seq, index, tag][UTF-8 JSON array: n texts, then extras]
 *
 * Numbers go in binary: turning a millisecond timestamp into decimal text and back is most of what
 * JSON.stringify and JSON.parse cost on rows like these. Strings go as one JSON array: one native
 * call builds them all. `tag` packs the sender and the kind as numbers into tables kept for the
 * life of the store (a thread has a handful of senders, and they come back as shared strings, not
 * one copy a message) and a flag for the rare extras (attachments, reactions, a session number).
 */
import type { Entry } from './entry.js';
import type { Message, ThreadInfo } from '../../types.js';

export const BLOCK_ROWS = 256;
const NUMS = 4;
const ROW_BYTES = NUMS * 8;
/** tag = (sender × KINDS_MAX + kind) × 2 + extras flag. */
const KINDS_MAX = 64;
const SCRATCH_BYTES = 64 * 1024;

/** Messages come back with this thread; the order stage sets the real one as it releases them. */
const UNSET_THREAD: ThreadInfo = Object.freeze({
  id: '', source: '', title: '', participants: [], dialect: 'classic', section: null, isGroup: false,
}) as ThreadInfo;

type Extras = [Message['attachments'] | null, Message['reactions'] | null, number];

/** Strings by number and numbers by string. */
class Table<T extends string> {
  readonly values: T[] = [];
  private readonly numbers = new Map<T, number>();
  numberOf(value: T): number {
    let n = this.numbers.get(value);
    if (n === undefined) {
      n = this.values.push(value) - 1;
      this.numbers.set(value, n);
    }
    return n;
  }
}

export class SpillCodec {
  private readonly senders = new Table<string>();
  private readonly kinds = new Table<Message['kind']>();
  /**
   * Reused for every block; made at the first one, since most threads are never encoded
   * (docs/performance.md#order-stage).
   */
  private scratch: Buffer | null = null;

  /**
   * One block of `entries[from, to)` (at most BLOCK_ROWS), its byte length first (not counted in
   * it), ready to be written. The bytes are valid until the next call: write them before encoding
   * another block.
   */
  encode(entries: readonly Entry[], from = 0, to = entries.length): Buffer {
    const n = to - from;
    const strings: unknown[] = new Array(n);
    for (let i = 0; i < n; ++i) {
      const m = entries[from + i]!.msg;
      strings[i] = m.text;
      if (m.attachments || m.reactions || m.session !== 0) strings.push([m.attachments ?? null, m.reactions ?? null, m.session] satisfies Extras);
    }
    const json = JSON.stringify(strings);
    const numsEnd = 8 + n * ROW_BYTES;
    // at most 3 bytes a UTF-16 unit: when that fits, write the text and take its size, in one pass
    let scratch = (this.scratch ??= Buffer.allocUnsafeSlow(SCRATCH_BYTES));
    let size: number;
    if (scratch.length >= numsEnd + 3 * json.length) size = numsEnd + scratch.write(json, numsEnd);
    else {
      size = numsEnd + Buffer.byteLength(json);
      if (scratch.length < size) scratch = this.scratch = Buffer.allocUnsafeSlow(Math.max(size, 2 * scratch.length));
      scratch.write(json, numsEnd);
    }
    const out = scratch.subarray(0, size);
    out.writeUInt32LE(size - 4, 0);
    out.writeUInt32LE(n, 4);
    for (let i = 0, at = 8; i < n; ++i, at += ROW_BYTES) {
      const { msg: m, seq } = entries[from + i]!;
      const kind = this.kinds.numberOf(m.kind);
      if (kind >= KINDS_MAX) throw new RangeError(`more than ${KINDS_MAX} message kinds`);
      const extras = m.attachments || m.reactions || m.session !== 0 ? 1 : 0;
      out.writeDoubleLE(m.timestampMs, at);
      out.writeDoubleLE(seq, at + 8);
      out.writeDoubleLE(m.index, at + 16);
      out.writeDoubleLE((this.senders.numberOf(m.sender) * KINDS_MAX + kind) * 2 + extras, at + 24);
    }
    return out;
  }

  /** The entries of a block body (what follows its length), in order. */
  decode(body: Buffer, length: number): Entry[] {
    const n = body.readUInt32LE(0);
    const numsEnd = 4 + n * ROW_BYTES;
    const strings = JSON.parse(body.toString('utf8', numsEnd, length)) as unknown[];
    let extrasAt = n;
    const entries: Entry[] = new Array(n);
    for (let i = 0, at = 4; i < n; ++i, at += ROW_BYTES) {
      const tag = body.readDoubleLE(at + 24);
      const msg: Message = {
        thread: UNSET_THREAD,
        sender: this.senders.values[Math.floor(tag / (2 * KINDS_MAX))]!,
        timestampMs: body.readDoubleLE(at),
        text: strings[i] as string | null,
        kind: this.kinds.values[Math.floor(tag / 2) % KINDS_MAX]!,
        index: body.readDoubleLE(at + 16),
        session: 0,
      };
      if (tag % 2 === 1) {
        const [attachments, reactions, session] = strings[extrasAt++] as Extras;
        if (attachments) msg.attachments = attachments;
        if (reactions) msg.reactions = reactions;
        msg.session = session;
      }
      entries[i] = { msg, seq: body.readDoubleLE(at + 8) };
    }
    return entries;
  }
}
