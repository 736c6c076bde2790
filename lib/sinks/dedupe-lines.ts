/**
 * Examples written once: a line identical to an earlier one (the same exchange in two threads, a
 * greeting answered the same way every year) is dropped. Lines are remembered by a 64-bit digest
 * in an open-addressing table that grows to at most `maxLines` (8 bytes a line, so 2 Mi lines is
 * 16 MiB of table, bounded whatever the export); past it, new lines are no longer remembered (they
 * are still written, and counted). Works on whole lines: the stream may cut them anywhere.
 */
import { hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export const DEFAULT_MAX_LINES = 2 * 1024 * 1024;
const FIRST_SLOTS = 1 << 12;
const NEWLINE = 0x0a;

/** The set of lines seen, by digest. */
export class LineSet {
  #hi: Uint32Array;
  #lo: Uint32Array;
  #size = 0;
  /** Lines not remembered because the table was full. */
  unremembered = 0;

  constructor(readonly maxLines = DEFAULT_MAX_LINES) {
    this.#hi = new Uint32Array(FIRST_SLOTS);
    this.#lo = new Uint32Array(FIRST_SLOTS);
  }

  get size(): number {
    return this.#size;
  }

  /** True when `line` was added before; adds it otherwise (while there is room). */
  seenOrAdd(line: Uint8Array): boolean {
    // the digest as a binary (latin1) string, a char a byte: a Buffer per line cost more than the hash
    const d = hash('sha1', line, 'binary');
    // 0 marks an empty slot: a digest of 0 (one in 2^32) is stored as 1
    const hi = (d.charCodeAt(0) | (d.charCodeAt(1) << 8) | (d.charCodeAt(2) << 16) | (d.charCodeAt(3) << 24)) >>> 0 || 1;
    const lo = (d.charCodeAt(4) | (d.charCodeAt(5) << 8) | (d.charCodeAt(6) << 16) | (d.charCodeAt(7) << 24)) >>> 0;
    const mask = this.#hi.length - 1;
    for (let i = (hi ^ lo) & mask; ; i = (i + 1) & mask) {
      const h = this.#hi[i]!;
      if (h === 0) break;
      if (h === hi && this.#lo[i] === lo) return true;
    }
    if (this.#size >= this.maxLines) {
      ++this.unremembered;
      return false;
    }
    if ((this.#size + 1) * 2 > this.#hi.length) this.#grow();
    this.#put(hi, lo);
    ++this.#size;
    return false;
  }

  #put(hi: number, lo: number): void {
    const mask = this.#hi.length - 1;
    let i = (hi ^ lo) & mask;
    while (this.#hi[i] !== 0) i = (i + 1) & mask;
    this.#hi[i] = hi;
    this.#lo[i] = lo;
  }

  #grow(): void {
    const oldHi = this.#hi;
    const oldLo = this.#lo;
    this.#hi = new Uint32Array(oldHi.length * 2);
    this.#lo = new Uint32Array(oldLo.length * 2);
    for (let i = 0; i < oldHi.length; ++i) if (oldHi[i] !== 0) this.#put(oldHi[i]!, oldLo[i]!);
  }
}

export interface DedupeLinesStats {
  /** Lines dropped as copies of earlier ones. */
  dropped: number;
  /** Lines written without being remembered (the table was full). */
  unremembered: number;
}

/** A Transform that writes each distinct line once; `stats` fills in as it runs. */
export function createDedupeLines(options: { maxLines?: number } = {}): Transform & { stats: DedupeLinesStats } {
  const lines = new LineSet(options.maxLines);
  const stats: DedupeLinesStats = { dropped: 0, unremembered: 0 };
  /** The start of a line cut by the chunks, copied out of them (their buffers are reused). */
  let carry: Buffer[] = [];
  let carried = 0;
  const transform = new Transform({
    transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      const out: Buffer[] = [];
      let kept = 0;
      let start = 0;
      if (carried) {
        const nl = bytes.indexOf(NEWLINE);
        if (nl === -1) {
          carry.push(Buffer.from(bytes));
          carried += bytes.length;
          return callback();
        }
        carry.push(bytes.subarray(0, nl + 1));
        const line = Buffer.concat(carry, carried + nl + 1);
        carry = [];
        carried = 0;
        if (lines.seenOrAdd(line)) ++stats.dropped;
        else {
          out.push(line);
          kept += line.length;
        }
        start = nl + 1;
      }
      // lines kept one after another go out as one run: one copy, not one a line
      let run = start;
      for (let nl = bytes.indexOf(NEWLINE, start); nl !== -1; nl = bytes.indexOf(NEWLINE, start)) {
        if (lines.seenOrAdd(bytes.subarray(start, nl + 1))) {
          ++stats.dropped;
          if (start > run) out.push(bytes.subarray(run, start));
          kept += start - run;
          run = nl + 1;
        }
        start = nl + 1;
      }
      if (start > run) out.push(bytes.subarray(run, start));
      kept += start - run;
      if (start < bytes.length) {
        carry.push(Buffer.from(bytes.subarray(start)));
        carried = bytes.length - start;
      }
      stats.unremembered = lines.unremembered;
      // what is kept is slices of the chunk: one copy out, so the chunk's buffer can be reused
      callback(null, kept ? Buffer.concat(out, kept) : undefined);
    },
    flush(callback: TransformCallback) {
      // a last line without its newline is written as it is
      callback(null, carried ? Buffer.concat(carry, carried) : undefined);
    },
  });
  return Object.assign(transform, { stats });
}
