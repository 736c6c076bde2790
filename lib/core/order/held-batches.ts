/**
 * The order stage's held messages released as batches of BATCH_SIZE (lib/core/order/packed-messages.ts,
 * `takeBatches`): straight from the held list or block by block, one batch made at a time, so
 * that no object or generator step is made a message.
 */
import type { Message } from '../../types.js';
import type { Entry } from './entry.js';
import type { SpillCodec } from './spill-codec.js';
import { BATCH_SIZE } from '../stage.js';

/** The entries of one block (with its length prefix). */
export function decodeBlock(codec: SpillCodec, block: Buffer): Entry[] {
  return codec.decode(block.subarray(4), block.length - 4);
}

/** `messages` (owned: a batch may be the array itself) as batches of BATCH_SIZE, each message given `thread`. */
export function* slicedBatches(messages: Message[], thread: Message['thread']): Generator<Message[]> {
  for (const m of messages) if (m.thread !== thread) m.thread = thread;
  if (messages.length <= BATCH_SIZE) yield messages;
  else for (let i = 0; i < messages.length; i += BATCH_SIZE) yield messages.slice(i, i + BATCH_SIZE);
}

/**
 * The blocks' messages then the pending ones (or all of it backwards), decoded block by block, in
 * batches; `done` once every block is decoded, or when the reader stops early.
 */
export function* blockBatches(
  codec: SpillCodec,
  blocks: Buffer[],
  pending: Message[],
  reverse: boolean,
  length: number,
  thread: Message['thread'],
  done: () => void,
): Generator<Message[]> {
  const batches = new BatchFiller(length, thread);
  let full: Message[] | null;
  if (reverse) for (let j = pending.length - 1; j >= 0; --j) if ((full = batches.add(pending[j]!))) yield full;
  try {
    for (let b = 0; b < blocks.length; ++b) {
      const entries = decodeBlock(codec, blocks[reverse ? blocks.length - 1 - b : b]!);
      for (let k = 0; k < entries.length; ++k) if ((full = batches.add(entries[reverse ? entries.length - 1 - k : k]!.msg))) yield full;
    }
  } finally {
    done();
  }
  if (!reverse) for (let j = 0; j < pending.length; ++j) if ((full = batches.add(pending[j]!))) yield full;
}

/** Fills batches of BATCH_SIZE (the last one shorter) with `length` messages, each given `thread`. */
class BatchFiller {
  #out: Message[];
  #n = 0;
  constructor(
    private left: number,
    readonly thread: Message['thread'],
  ) {
    this.#out = new Array(Math.min(BATCH_SIZE, left));
  }

  /** The batch when `m` filled it. */
  add(m: Message): Message[] | null {
    if (m.thread !== this.thread) m.thread = this.thread;
    const out = this.#out;
    out[this.#n++] = m;
    if (this.#n < out.length) return null;
    this.left -= this.#n;
    this.#n = 0;
    this.#out = new Array(Math.min(BATCH_SIZE, this.left));
    return out;
  }
}
