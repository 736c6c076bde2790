/**
 * Bytes in, numbered lines out (pure, no I/O), for reading any JSONL file in constant memory.
 * Lines end at LF; a CR before it is dropped, a UTF-8 BOM at the very start is dropped, the last line
 * needs no newline. A line longer than `maxLineBytes` is not kept: it comes out as a `too-long`
 * record with its number and length, and the bytes up to its end are skipped without buffering.
 */

export type SplitLine =
  | { kind: 'line'; lineNumber: number; text: string }
  | { kind: 'too-long'; lineNumber: number; bytes: number };

export interface LineSplitterOptions {
  /** Longest line kept, in bytes (without its line ending). Default 64 MiB. */
  maxLineBytes?: number;
}

export interface LineSplitter {
  push(chunk: Uint8Array): SplitLine[];
  /** The last line, when the input does not end with a newline. */
  flush(): SplitLine[];
}

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;
// ignoreBOM: a BOM on a later line is data (and not JSON), not to be dropped silently
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

export function createLineSplitter(options: LineSplitterOptions = {}): LineSplitter {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  let parts: Uint8Array[] = []; // the current line's bytes so far, when it spans chunks
  let pending = 0; // bytes in parts
  let skipped = -1; // >= 0: the current line is too long, this many bytes seen so far
  let skippedCr = false; // the last byte skipped is a CR (not counted in the line's length)
  let lineNumber = 0;
  let head: Uint8Array | null = new Uint8Array(0); // the first bytes, held until a BOM can be told apart

  function emit(bytes: Uint8Array, out: SplitLine[]): void {
    lineNumber++;
    if (skipped >= 0) {
      skip(bytes);
      out.push({ kind: 'too-long', lineNumber, bytes: skipped - (skippedCr ? 1 : 0) });
      skipped = -1;
      return;
    }
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    if (bytes.length > maxLineBytes) out.push({ kind: 'too-long', lineNumber, bytes: bytes.length });
    else out.push({ kind: 'line', lineNumber, text: decoder.decode(bytes) });
  }

  function skip(piece: Uint8Array): void {
    if (piece.length === 0) return;
    skipped += piece.length;
    skippedCr = piece[piece.length - 1] === CR;
  }

  /** The current line continues past this chunk: keep its bytes (a copy, the caller may reuse its buffer). */
  function hold(piece: Uint8Array): void {
    if (piece.length === 0) return;
    if (skipped >= 0) skip(piece);
    else if (pending + piece.length > maxLineBytes + 1) {
      // one byte of slack: the line's CR may be the byte that crossed the cap
      skipped = pending;
      parts = [];
      pending = 0;
      skip(piece);
    } else {
      parts.push(piece.slice());
      pending += piece.length;
    }
  }

  function take(piece: Uint8Array): Uint8Array {
    if (pending === 0) return piece;
    parts.push(piece);
    const whole = concat(parts, pending + piece.length);
    parts = [];
    pending = 0;
    return whole;
  }

  function split(chunk: Uint8Array, out: SplitLine[]): void {
    let from = 0;
    for (let lf = chunk.indexOf(LF); lf >= 0; lf = chunk.indexOf(LF, from)) {
      emit(skipped >= 0 ? chunk.subarray(from, lf) : take(chunk.subarray(from, lf)), out);
      from = lf + 1;
    }
    hold(chunk.subarray(from));
  }

  return {
    push(chunk) {
      const out: SplitLine[] = [];
      if (head !== null) {
        head = concat([head, chunk], head.length + chunk.length);
        if (head.length < 3) return out; // maybe the start of a BOM
        chunk = hasBom(head) ? head.subarray(3) : head;
        head = null;
      }
      split(chunk, out);
      return out;
    },
    flush() {
      const out: SplitLine[] = [];
      if (head !== null) {
        split(head, out);
        head = null;
      }
      if (skipped >= 0) emit(new Uint8Array(0), out);
      else if (pending > 0) emit(take(new Uint8Array(0)), out);
      return out;
    },
  };
}

function hasBom(bytes: Uint8Array): boolean {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
