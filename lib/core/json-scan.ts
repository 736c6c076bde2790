/**
 * Validating JSON skippers over bytes, for counters that read a document's shape without building
 * its values (lib/core/message-counter.ts). Each takes the index of a value's first byte and
 * returns the index just past it, or {@link FAIL} when the bytes are not strict JSON (RFC 8259) or
 * go past what a counter accepts (nesting deeper than {@link MAX_SCAN_DEPTH}): a caller then reads
 * the input the slow, exact way, whose errors are the ones users see. No I/O, no allocation.
 */
import { NOTICE_NEEDLES } from './notice-needles.js';

export const FAIL = -1;

/** Deeper nesting is left to the full decoder (its own limit, and the header reader's, are 64 and up). */
export const MAX_SCAN_DEPTH = 48;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * What {@link skipString} saw in the string it skipped last: an escape (then its bytes are not its
 * text), and whether its text may hold a notice's words (see lib/core/notice-needles.ts).
 */
export const lastString = { escaped: false, mayBeNotice: false };

export function skipSpace(b: Uint8Array, i: number): number {
  // most calls find no space, or one; past the end, b[i] is undefined: no space
  let c = b[i]!;
  while (c <= 0x20 && (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) c = b[++i]!;
  return i;
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66));
}

/**
 * What every string is scanned with: a DFA over bytes (Aho-Corasick over {@link NOTICE_NEEDLES})
 * whose states say, besides "go on", where a string ends, escapes, or goes wrong (a control
 * character, the end of the input): one table load per byte. Its matches flag a string whose text
 * may be a notice, for the one caller that cares (lib/core/message-counter.ts).
 */
const MATCH = 0x4000;
const END = 0x8000;
const ESCAPE = 0x8001;
const BAD = 0x8002;
const TABLE = buildTable(NOTICE_NEEDLES);

function buildTable(needles: readonly string[]): Uint16Array {
  const go: Map<number, number>[] = [new Map()];
  const out: boolean[] = [false];
  for (const needle of needles) {
    let s = 0;
    for (let k = 0; k < needle.length; ++k) {
      const c = needle.charCodeAt(k);
      let t = go[s]!.get(c);
      if (t === undefined) {
        t = go.length;
        go.push(new Map());
        out.push(false);
        go[s]!.set(c, t);
      }
      s = t;
    }
    out[s] = true;
  }
  const table = new Uint16Array(go.length * 256);
  const fail = new Array<number>(go.length).fill(0);
  // breadth first: a state's failure state, and so its row, is done before its own
  const order = [0];
  for (let q = 0; q < order.length; ++q) {
    const s = order[q]!;
    for (let c = 0; c < 256; ++c) {
      const t = go[s]!.get(c);
      const viaFail = s === 0 ? 0 : table[fail[s]! * 256 + c]! & (MATCH - 1);
      if (t === undefined) {
        table[s * 256 + c] = viaFail;
        continue;
      }
      fail[t] = viaFail;
      out[t] ||= out[viaFail]!;
      table[s * 256 + c] = t;
      order.push(t);
    }
  }
  for (let s = 0; s < go.length; ++s) {
    for (let c = 0; c < 256; ++c) {
      const at = s * 256 + c;
      if (c === QUOTE) table[at] = END;
      else if (c === BACKSLASH) table[at] = ESCAPE;
      else if (c < 0x20) table[at] = BAD;
      else if (out[table[at]!]) table[at] = table[at]! | MATCH;
    }
  }
  return table;
}

/** `i`: the byte after the opening quote. Returns the byte after the closing quote. */
export function skipString(b: Uint8Array, i: number): number {
  let escaped = false;
  for (;;) {
    // letters first; past the end, b[i] is undefined: no comparison holds, FAIL
    const c = b[i++]!;
    if (c > QUOTE && c !== BACKSLASH) continue;
    if (c === QUOTE) break;
    if (c === 0x20 || c === 0x21) continue;
    if (c !== BACKSLASH) return FAIL;
    escaped = true;
    i = skipEscape(b, i);
    if (i === FAIL) return FAIL;
  }
  lastString.escaped = escaped;
  return i;
}

/** `i`: the byte after a backslash. Returns the byte after the escape. */
function skipEscape(b: Uint8Array, i: number): number {
  const e = b[i++];
  if (e === 0x75) {
    if (!isHex(b[i]) || !isHex(b[i + 1]) || !isHex(b[i + 2]) || !isHex(b[i + 3])) return FAIL;
    return i + 4;
  }
  if (e !== QUOTE && e !== BACKSLASH && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) return FAIL;
  return i;
}

/**
 * {@link skipString} for a message's text: sets `lastString.mayBeNotice` too (one table load per
 * byte, where skipString compares).
 */
export function skipText(b: Uint8Array, i: number): number {
  let s = 0;
  let escaped = false;
  let maybe = false;
  for (;;) {
    // past the end, b[i] is undefined: read as 0, a control character, BAD
    const t = TABLE[(s << 8) | (b[i++] as number)]!;
    if (t < MATCH) {
      s = t;
      continue;
    }
    if (t < END) {
      maybe = true;
      s = t & (MATCH - 1);
      continue;
    }
    if (t === END) break;
    if (t === BAD) return FAIL;
    escaped = true;
    s = 0; // what an escape writes is in no needle, unless it writes ASCII text: `\u0020` to `\u007f`
    if (b[i] === 0x75 && b[i + 1] === 0x30 && b[i + 2] === 0x30 && b[i + 3]! >= 0x32 && b[i + 3]! <= 0x37) maybe = true;
    i = skipEscape(b, i);
    if (i === FAIL) return FAIL;
  }
  lastString.escaped = escaped;
  lastString.mayBeNotice = maybe;
  return i;
}

function skipDigits(b: Uint8Array, i: number): number {
  while (b[i]! >= 0x30 && b[i]! <= 0x39) ++i;
  return i;
}

/** `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, from its first byte. */
export function skipNumber(b: Uint8Array, i: number): number {
  if (b[i] === 0x2d) ++i;
  const c = b[i];
  if (c === 0x30) ++i;
  else if (c !== undefined && c >= 0x31 && c <= 0x39) i = skipDigits(b, i + 1);
  else return FAIL;
  if (b[i] === 0x2e) {
    const from = ++i;
    i = skipDigits(b, i);
    if (i === from) return FAIL;
  }
  if ((b[i]! | 0x20) === 0x65) {
    ++i;
    if (b[i] === 0x2b || b[i] === 0x2d) ++i;
    const from = i;
    i = skipDigits(b, i);
    if (i === from) return FAIL;
  }
  return i;
}

/** The number in `b[from, to)` (checked by {@link skipNumber}), as JSON.parse reads it. */
export function numberAt(b: Uint8Array, from: number, to: number): number {
  // up to 15 digits, an integer is exact in a double: no string needed (timestamps are 13)
  let i = from;
  const negative = b[i] === 0x2d;
  if (negative) ++i;
  if (to - i <= 15) {
    let v = 0;
    for (; i < to; ++i) {
      const d = b[i]! - 0x30;
      if (d < 0 || d > 9) return Number(latin1(b, from, to));
      v = v * 10 + d;
    }
    return negative ? -v : v;
  }
  return Number(latin1(b, from, to));
}

export function latin1(b: Uint8Array, from: number, to: number): string {
  return Buffer.from(b.buffer, b.byteOffset + from, to - from).toString('latin1');
}

const TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const NULL = [0x6e, 0x75, 0x6c, 0x6c];

function skipWord(b: Uint8Array, i: number, word: readonly number[]): number {
  for (let k = 0; k < word.length; ++k) if (b[i + k] !== word[k]) return FAIL;
  return i + word.length;
}

/** Any value from its first byte; `depth`: containers open around it. */
export function skipValue(b: Uint8Array, i: number, depth: number): number {
  switch (b[i]) {
    case QUOTE:
      return skipString(b, i + 1);
    case 0x7b:
      return skipObject(b, i, depth + 1);
    case 0x5b:
      return skipArray(b, i, depth + 1);
    case 0x74:
      return skipWord(b, i, TRUE);
    case 0x66:
      return skipWord(b, i, FALSE);
    case 0x6e:
      return skipWord(b, i, NULL);
    default:
      return skipNumber(b, i);
  }
}

function skipObject(b: Uint8Array, i: number, depth: number): number {
  if (depth > MAX_SCAN_DEPTH) return FAIL;
  i = skipSpace(b, i + 1);
  if (b[i] === 0x7d) return i + 1;
  for (;;) {
    if (b[i] !== QUOTE) return FAIL;
    i = skipString(b, i + 1);
    if (i === FAIL) return FAIL;
    i = skipSpace(b, i);
    if (b[i] !== 0x3a) return FAIL;
    i = skipValue(b, skipSpace(b, i + 1), depth);
    if (i === FAIL) return FAIL;
    i = skipSpace(b, i);
    if (b[i] === 0x7d) return i + 1;
    if (b[i] !== 0x2c) return FAIL;
    i = skipSpace(b, i + 1);
  }
}

function skipArray(b: Uint8Array, i: number, depth: number): number {
  if (depth > MAX_SCAN_DEPTH) return FAIL;
  i = skipSpace(b, i + 1);
  if (b[i] === 0x5d) return i + 1;
  for (;;) {
    i = skipValue(b, i, depth);
    if (i === FAIL) return FAIL;
    i = skipSpace(b, i);
    if (b[i] === 0x5d) return i + 1;
    if (b[i] !== 0x2c) return FAIL;
    i = skipSpace(b, i + 1);
  }
}

/**
 * Whether the string whose bytes (quotes excluded) are `b[from, to)` is exactly `word` (ASCII).
 * The string's text when it held no escape: a counter compares keys and a few values this way.
 */
export function bytesAre(b: Uint8Array, from: number, to: number, word: Uint8Array): boolean {
  if (to - from !== word.length) return false;
  for (let k = 0; k < word.length; ++k) if (b[from + k] !== word[k]) return false;
  return true;
}
