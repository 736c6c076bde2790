/**
 * Validating JSON skippers over bytes, for counters that read a document's shape without building
 * its values (lib/core/message-counter.ts). Each takes the index of a value's first byte and
 * returns the index just past it, or {@link FAIL} when the bytes are not strict JSON (RFC 8259) or
 * go past what a counter accepts (nesting deeper than {@link MAX_SCAN_DEPTH}): a caller then reads
 * the input the slow, exact way, whose errors are the ones users see. No I/O, no allocation.
 * Most take `v`, a DataView of the same bytes: plain runs (spaces, a string's letters) are read
 * four bytes a step.
 */
import { NOTICE_NEEDLES } from './notice-needles.js';

export const FAIL = -1;

/** Deeper nesting is left to the full decoder (its own limit, and the header reader's, are 64 and up). */
export const MAX_SCAN_DEPTH = 48;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SPACES = 0x20202020;

/**
 * What {@link skipString} saw in the string it skipped last: an escape (then its bytes are not its
 * text), and whether its text may hold a notice's words (see lib/core/notice-needles.ts).
 */
export const lastString = { escaped: false, mayBeNotice: false };

export function skipSpace(b: Uint8Array, v: DataView, i: number): number {
  // most calls find no space, or one, or a line break and an indentation (Meta's pretty-printing),
  // whose spaces go four a step; past the end, b[i] is undefined: no space
  let c = b[i]!;
  if (c > 0x20) return i;
  if (c === 0x20) {
    c = b[++i]!;
    if (c > 0x20) return i;
  } else if (c === 0x0a) {
    const last = b.length - 4;
    ++i;
    while (i <= last) {
      // the first byte that is not a space: the lowest non-zero byte of the word
      const other = v.getInt32(i, true) ^ SPACES;
      if (other !== 0) {
        i += (31 - Math.clz32(other & -other)) >> 3;
        break;
      }
      i += 4;
    }
    c = b[i]!;
    if (c > 0x20) return i;
  }
  while (c <= 0x20 && (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) c = b[++i]!;
  return i;
}

/**
 * `i`: the byte after a key's closing quote. Returns the first byte of its value (`": "` as Meta
 * writes it, first), or FAIL.
 */
export function skipColon(b: Uint8Array, v: DataView, i: number): number {
  if (b[i] === 0x3a && b[i + 1] === 0x20 && b[i + 2]! > 0x20) return i + 2;
  i = skipSpace(b, v, i);
  if (b[i] !== 0x3a) return FAIL;
  return skipSpace(b, v, i + 1);
}

/** 1 for the bytes of hexadecimal digits. */
const HEX = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;

/**
 * What message texts are scanned with: a DFA (Aho-Corasick over {@link NOTICE_NEEDLES}) whose
 * states say, besides "go on", where a string ends, escapes, or goes wrong (a control character):
 * one table load per byte. Its matches flag a string whose text may be a notice, for the one
 * caller that cares (lib/core/message-counter.ts). It reads bytes by class ({@link CLASS}), so that
 * its table (states by 32 classes) stays in the first-level cache: each step's load waits for the last.
 */
const MATCH = 0x4000;
const END = 0x8000;
const ESCAPE = 0x8001;
const BAD = 0x8002;
/** Classes per state, a power of two above their count. */
const WIDTH = 32;
/** A byte's class: 0 for bytes in no needle, one per byte of the needles, then quote, backslash, control. */
const CLASS = new Uint8Array(256);
/** Next state by state and class; a state is its row's first index, flagged MATCH where a needle ends. */
const TABLE = buildTable(NOTICE_NEEDLES);

function buildTable(needles: readonly string[]): Uint16Array {
  let classes = 1;
  for (const needle of needles) {
    for (let k = 0; k < needle.length; ++k) if (CLASS[needle.charCodeAt(k)] === 0) CLASS[needle.charCodeAt(k)] = classes++;
  }
  const [quote, backslash, control] = [classes, classes + 1, classes + 2];
  CLASS.fill(control, 0, 0x20);
  CLASS[QUOTE] = quote;
  CLASS[BACKSLASH] = backslash;
  const go: Map<number, number>[] = [new Map()];
  const out: boolean[] = [false];
  for (const needle of needles) {
    let s = 0;
    for (let k = 0; k < needle.length; ++k) {
      const c = CLASS[needle.charCodeAt(k)]!;
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
  if (control >= WIDTH || go.length * WIDTH > MATCH) throw new Error('notice needles: too many for the scanner table');
  const table = new Uint16Array(go.length * WIDTH);
  const fail = new Array<number>(go.length).fill(0);
  // breadth first: a state's failure state, and so its row, is done before its own
  const order = [0];
  for (let q = 0; q < order.length; ++q) {
    const s = order[q]!;
    for (let c = 0; c < WIDTH; ++c) {
      const t = go[s]!.get(c);
      const viaFail = s === 0 ? 0 : table[fail[s]! * WIDTH + c]!;
      if (t === undefined) {
        table[s * WIDTH + c] = viaFail;
        continue;
      }
      fail[t] = viaFail;
      out[t] ||= out[viaFail]!;
      table[s * WIDTH + c] = t;
      order.push(t);
    }
  }
  for (let s = 0; s < go.length; ++s) {
    for (let c = 0; c < WIDTH; ++c) {
      const at = s * WIDTH + c;
      const t = table[at]!;
      table[at] = c === quote ? END : c === backslash ? ESCAPE : c === control ? BAD : (t * WIDTH) | (out[t] ? MATCH : 0);
    }
  }
  return table;
}

/**
 * Bits 0x80 of the bytes of the 4-byte word `x` that may end a plain run in a string: a quote, a
 * backslash or a control character. Its lowest bit is exact (the byte first in memory when `x` was
 * read little-endian); bits above it may be false alarms, borrows of the subtractions.
 */
function stopBits(x: number): number {
  const q = x ^ 0x22222222;
  const s = x ^ 0x5c5c5c5c;
  return (((x - 0x20202020) & ~x) | ((q - 0x01010101) & ~q) | ((s - 0x01010101) & ~s)) & 0x80808080;
}

/**
 * `i`: the byte after the opening quote; `v`: a view of `b`'s bytes. Returns the byte after the
 * closing quote. Four bytes a step where none is special (see {@link stopBits}).
 */
export function skipString(b: Uint8Array, v: DataView, i: number): number {
  let escaped = false;
  const last = b.length - 4;
  for (;;) {
    let stop = 0;
    while (i <= last) {
      stop = stopBits(v.getInt32(i, true));
      if (stop !== 0) break;
      i += 4;
    }
    if (stop !== 0) i += (31 - Math.clz32(stop & -stop)) >> 3;
    else i = nextStop(b, i);
    // past the end, b[i] is undefined: FAIL
    const c = b[i++];
    if (c === QUOTE) break;
    if (c !== BACKSLASH) return FAIL;
    escaped = true;
    i = skipEscape(b, i);
    if (i === FAIL) return FAIL;
  }
  lastString.escaped = escaped;
  return i;
}

/** The last bytes of `b` from `i`, one at a time: the first quote, backslash or control character, or b.length. */
function nextStop(b: Uint8Array, i: number): number {
  for (; i < b.length; ++i) {
    const c = b[i]!;
    if (c < 0x20 || c === QUOTE || c === BACKSLASH) return i;
  }
  return i;
}

/** `i`: the byte after a backslash. Returns the byte after the escape. */
function skipEscape(b: Uint8Array, i: number): number {
  const e = b[i++];
  if (e === 0x75) {
    if (i + 4 > b.length || (HEX[b[i]!]! & HEX[b[i + 1]!]! & HEX[b[i + 2]!]! & HEX[b[i + 3]!]!) === 0) return FAIL;
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
  while (i < b.length) {
    const t = TABLE[s + CLASS[b[i++]!]!]!;
    if (t < MATCH) {
      s = t;
      continue;
    }
    if (t < END) {
      maybe = true;
      s = t & (MATCH - 1);
      continue;
    }
    if (t === END) {
      lastString.escaped = escaped;
      lastString.mayBeNotice = maybe;
      return i;
    }
    if (t === BAD) return FAIL;
    escaped = true;
    s = 0; // what an escape writes is in no needle, unless it writes ASCII text: `\u0020` to `\u007f`
    if (b[i] === 0x75 && b[i + 1] === 0x30 && b[i + 2] === 0x30 && b[i + 3]! >= 0x32 && b[i + 3]! <= 0x37) maybe = true;
    i = skipEscape(b, i);
    if (i === FAIL) return FAIL;
  }
  return FAIL;
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

/** `true`, `null` and the first four bytes of `false`, as 4-byte words read little-endian. */
const TRUE = 0x65757274;
const NULL = 0x6c6c756e;
const FALS = 0x736c6166;

/** `i`: a literal's first byte; `word`: its first four bytes. Returns the byte after it. */
function skipLiteral(b: Uint8Array, v: DataView, i: number, word: number): number {
  if (i + 4 > b.length || v.getInt32(i, true) !== word) return FAIL;
  if (word !== FALS) return i + 4;
  return b[i + 4] === 0x65 ? i + 5 : FAIL;
}

/** Any value from its first byte; `depth`: containers open around it. */
export function skipValue(b: Uint8Array, v: DataView, i: number, depth: number): number {
  switch (b[i]) {
    case QUOTE:
      return skipString(b, v, i + 1);
    case 0x7b:
      return skipObject(b, v, i, depth + 1);
    case 0x5b:
      return skipArray(b, v, i, depth + 1);
    case 0x74:
      return skipLiteral(b, v, i, TRUE);
    case 0x66:
      return skipLiteral(b, v, i, FALS);
    case 0x6e:
      return skipLiteral(b, v, i, NULL);
    default:
      return skipNumber(b, i);
  }
}

function skipObject(b: Uint8Array, v: DataView, i: number, depth: number): number {
  if (depth > MAX_SCAN_DEPTH) return FAIL;
  i = skipSpace(b, v, i + 1);
  if (b[i] === 0x7d) return i + 1;
  for (;;) {
    if (b[i] !== QUOTE) return FAIL;
    i = skipString(b, v, i + 1);
    if (i === FAIL) return FAIL;
    i = skipColon(b, v, i);
    if (i === FAIL) return FAIL;
    i = skipValue(b, v, i, depth);
    if (i === FAIL) return FAIL;
    // `,` straight after a value, as Meta writes it, first
    if (b[i] !== 0x2c) {
      i = skipSpace(b, v, i);
      if (b[i] === 0x7d) return i + 1;
      if (b[i] !== 0x2c) return FAIL;
    }
    i = skipSpace(b, v, i + 1);
  }
}

function skipArray(b: Uint8Array, v: DataView, i: number, depth: number): number {
  if (depth > MAX_SCAN_DEPTH) return FAIL;
  i = skipSpace(b, v, i + 1);
  if (b[i] === 0x5d) return i + 1;
  for (;;) {
    i = skipValue(b, v, i, depth);
    if (i === FAIL) return FAIL;
    if (b[i] !== 0x2c) {
      i = skipSpace(b, v, i);
      if (b[i] === 0x5d) return i + 1;
      if (b[i] !== 0x2c) return FAIL;
    }
    i = skipSpace(b, v, i + 1);
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
