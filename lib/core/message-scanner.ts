/**
 * The fast path for the one big array of every thread file: a boundary scanner that finds the
 * elements of the top-level `"messages": [...]` and hands each chunk's worth to one `JSON.parse`
 * (docs/performance.md#tokenizer: stream-json's per-token work is the hot spot, JSON.parse is not).
 *
 * Everything else — the document's other keys, and any document this scanner does not recognise
 * (a `messages` key written with escapes, say) — still goes through stream-json, and the decoder
 * builds the same records either way; `test/core/message-scanner.test.ts` holds the two paths to it.
 *
 * `scan(text)` splits decoded text into segments, in order:
 *   { text }             for stream-json: up to and including the `[` that opens `messages`,
 *                        and again from the `]` that closes it;
 *   { values, offset }   the parsed elements of the array, with the byte offset of the first.
 * What it takes from stream-json it validates itself: JSON.parse checks the elements, the scanner
 * the commas and brackets between them.
 */
import { DataError, LimitError } from '../errors.js';
import { nestedDeeper } from '../formats/raw.js';

/** `offset`: byte offset, in the source, of the segment's first char (or first element). */
export type Segment = { text: string; offset: number } | { values: unknown[]; offset: number };

/**
 * An element still unfinished after this many chars goes to stream-json with the rest of the
 * array: the scanner re-reads its carry with every chunk, and stream-json streams a huge value.
 */
export const FALLBACK_CHARS = 1 << 20;

export interface MessageScannerOptions {
  source: string;
  /** The longest element (one message) accepted, in characters. */
  maxValueLength: number;
  /** Deepest nesting accepted, counted from the document (1): the array is at 2, its elements at 3. */
  maxDepth: number;
}

/** What may come next outside the array (tracked char by char: that text is small). */
const enum Outside {
  Key, // an object key (after `{` or `,` in an object)
  AfterKey, // `:` after a key
  AfterColon, // the value of a key
  Other,
}

/** What may come next inside the array, between elements. */
const enum Next {
  First, // right after `[`: an element or `]`
  Element, // after `,`: an element
  Separator, // after an element: `,` or `]`
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const STRUCTURE = /["{}[\]]/g;
const SCALAR_END = /[,\]} \t\n\r]/g;

export function createMessageScanner(options: MessageScannerOptions): MessageScanner {
  return new MessageScanner(options);
}

/** A class, not closures: see "one optimization for every job" in lib/core/stage.ts. */
export class MessageScanner {
  readonly #source: string;
  readonly #maxValueLength: number;
  readonly #maxDepth: number;

  // outside the array
  #inArray = false;
  readonly #containers: number[] = []; // char codes of the open `{` / `[`
  #outside = Outside.Other;
  #inString = false;
  #escaped = false;
  #keyChars: string[] | null = null;
  #key = '';

  // inside the array: the text of an element not complete when the last text ended
  #next = Next.First;
  #carry = '';
  #carryOffset = 0;
  /** How an element of this array ends when the document is pretty-printed (see #fastCut). */
  #closeMark: string | null = null;

  constructor({ source, maxValueLength, maxDepth }: MessageScannerOptions) {
    this.#source = source;
    this.#maxValueLength = maxValueLength;
    this.#maxDepth = maxDepth;
  }

  /** Split decoded text, whose first char is at byte `start`, into segments. */
  scan(text: string, start: number): Segment[] {
    const out: Segment[] = [];
    const offsetOf = (i: number) => (i === 0 ? start : start + Buffer.byteLength(text.slice(0, i)));
    let i = 0;
    while (i < text.length) {
      if (!this.#inArray) {
        const opened = this.#scanOutside(text, i);
        if (opened < 0) {
          out.push({ text: i === 0 ? text : text.slice(i), offset: offsetOf(i) });
          break;
        }
        out.push({ text: text.slice(i, opened), offset: offsetOf(i) });
        this.#inArray = true;
        this.#next = Next.First;
        i = opened;
        continue;
      }
      const closed = this.#scanArray(text, start, i, out);
      if (closed < 0) {
        if (this.#carry.length > FALLBACK_CHARS) this.#fallBack(out);
        break;
      }
      // the `]` goes to stream-json with what follows; we are back in the top-level object
      this.#inArray = false;
      this.#outside = Outside.Other;
      i = closed;
    }
    return out;
  }

  #tooLong(offset: number): never {
    throw new LimitError(`a single JSON value is longer than ${this.#maxValueLength} characters`, { source: this.#source, offset });
  }

  #fail(what: string, offset: number): never {
    throw new DataError('FBS_JSON_SYNTAX', `invalid JSON: ${what}`, { source: this.#source, offset });
  }

  /** Index just after the element starting at `i`, or -1 when `buf` ends inside it. */
  #elementEnd(buf: string, i: number, offsetOf: (k: number) => number): number {
    const c = buf.charCodeAt(i);
    if (c === QUOTE) {
      const q = stringEnd(buf, i + 1);
      if (q - i > this.#maxValueLength) this.#tooLong(offsetOf(i));
      return q < 0 ? -1 : q + 1;
    }
    if (c !== 0x7b && c !== 0x5b) {
      // a scalar (a bad message, but JSON): it ends where a separator starts
      SCALAR_END.lastIndex = i;
      const m = SCALAR_END.exec(buf);
      return m ? m.index : -1;
    }
    let depth = 0;
    for (let k = i; ; ) {
      STRUCTURE.lastIndex = k;
      const m = STRUCTURE.exec(buf);
      if (!m) return -1;
      k = m.index;
      const s = buf.charCodeAt(k);
      if (s === QUOTE) {
        const q = stringEnd(buf, k + 1);
        if (q < 0) return -1;
        if (q - k > this.#maxValueLength) this.#tooLong(offsetOf(k));
        k = q + 1;
        continue;
      }
      if (s === 0x7b || s === 0x5b) {
        if (++depth + 2 > this.#maxDepth) throw new LimitError(`nesting deeper than ${this.#maxDepth}`, { source: this.#source, offset: offsetOf(k) });
      } else if (--depth === 0) return k + 1;
      ++k;
    }
  }

  /**
   * The pretty-printed shortcut. Meta writes every element as `\n<indent>{ … \n<indent>}`, and a
   * raw newline cannot occur inside a JSON string, so the last `\n<indent>}` of the text is a
   * closing brace of the document's structure: if everything from the element at `i` to it parses
   * as array content, it is exactly the complete elements from `i` on (a cut anywhere else leaves
   * a bracket open and JSON.parse refuses it). One native search and one JSON.parse per chunk,
   * instead of a walk over every string of every element.
   *
   * Anything the shortcut does not settle goes to the exact scan below, which then reports the
   * error at its place or applies the limits: no mark in the text, text longer than the longest
   * element allowed, a parse failure, or an element nested deeper than allowed (JSON.parse itself
   * has no depth limit; checking the parsed values is cheap and keeps both paths' answers equal).
   */
  #fastCut(buf: string, i: number, mark: string): { values: unknown[]; end: number } | null {
    const k = buf.lastIndexOf(mark);
    if (k <= i) return null;
    const end = k + mark.length;
    if (end - i > this.#maxValueLength) return null;
    let values: unknown[];
    try {
      values = JSON.parse('[' + buf.slice(i, end) + ']') as unknown[];
    } catch {
      return null;
    }
    for (const v of values) if (nestedDeeper(v, this.#maxDepth - 2)) return null;
    return { values, end };
  }

  #parse(body: string, offset: number): unknown[] {
    try {
      return JSON.parse('[' + body + ']') as unknown[];
    } catch (err) {
      const message = (err as Error).message;
      const at = /position (\d+)/.exec(message);
      const pos = at ? Math.max(0, Number(at[1]) - 1) : 0;
      return this.#fail(message.replace(/ in JSON at position \d+.*$/s, ''), offset + Buffer.byteLength(body.slice(0, pos)));
    }
  }

  /**
   * Elements in `text` (byte offset `start`) from char `from`; returns the index of the `]` that
   * closes the array, or -1 when the text ends first (the unfinished element is carried over).
   */
  #scanArray(text: string, start: number, from: number, out: Segment[]): number {
    const buf = this.#carry ? this.#carry + text.slice(from) : from === 0 ? text : text.slice(from);
    const base = this.#carry ? this.#carryOffset : start + Buffer.byteLength(text.slice(0, from));
    const offsetOf = (k: number) => base + Buffer.byteLength(buf.slice(0, k));
    const n = buf.length;
    let bodyStart = -1;
    let bodyEnd = -1;
    let i = 0;
    let closedAt = -1;
    let tryCut = true;
    /** Parse what the exact scan has gathered, before anything found after it. */
    const emitGathered = () => {
      if (bodyStart < 0) return;
      const offset = offsetOf(bodyStart);
      out.push({ values: this.#parse(buf.slice(bodyStart, bodyEnd), offset), offset });
      bodyStart = bodyEnd = -1;
    };
    for (;;) {
      const blank = i;
      while (i < n) {
        const c = buf.charCodeAt(i);
        if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
        ++i;
      }
      if (i >= n) break;
      const c = buf.charCodeAt(i);
      if (this.#next === Next.Separator) {
        if (c === 0x2c) {
          this.#next = Next.Element;
          ++i;
          continue;
        }
        if (c === 0x5d) {
          closedAt = i;
          break;
        }
        this.#fail(`expected ',' or ']' after an element of "messages"`, offsetOf(i));
      }
      if (c === 0x5d) {
        if (this.#next === Next.Element) this.#fail(`unexpected ']' after ',' in "messages"`, offsetOf(i));
        closedAt = i;
        break;
      }
      if (c === 0x2c) this.#fail(`unexpected ',' in "messages"`, offsetOf(i));
      if (c === 0x7b) {
        if (this.#closeMark === null) this.#closeMark = closeMarkBefore(buf, blank, i);
        // one failed cut settles this text: another try would re-parse what the exact scan reads
        const cut = this.#closeMark === null || !tryCut ? null : this.#fastCut(buf, i, this.#closeMark);
        if (!cut) tryCut = false;
        if (cut) {
          emitGathered();
          const offset = offsetOf(i);
          out.push({ values: cut.values, offset });
          this.#next = Next.Separator;
          i = cut.end;
          continue;
        }
      }
      const end = this.#elementEnd(buf, i, offsetOf);
      if (end < 0) break;
      if (bodyStart < 0) bodyStart = i;
      bodyEnd = end;
      this.#next = Next.Separator;
      i = end;
    }
    emitGathered();
    if (closedAt >= 0) {
      this.#carry = '';
      this.#closeMark = null;
      // the index of the `]` in `text`
      return text.length - (n - closedAt);
    }
    // keep the unfinished element (from where scanning stopped, white space skipped)
    this.#carry = i < n ? buf.slice(i) : '';
    if (this.#carry) this.#carryOffset = offsetOf(i);
    return -1;
  }

  /** Give up the fast path for the rest of this array: stream-json takes it from the carry on. */
  #fallBack(out: Segment[]): void {
    out.push({ text: this.#carry, offset: this.#carryOffset });
    this.#inArray = false;
    this.#containers.push(0x5b);
    this.#outside = Outside.Other;
    this.#scanOutside(this.#carry, 0); // follow the structure of what stream-json was given
    this.#carry = '';
  }

  /** Outside the array; returns the index just after a `[` that opens top-level "messages", or -1. */
  #scanOutside(text: string, from: number): number {
    for (let i = from; i < text.length; ++i) {
      const c = text.charCodeAt(i);
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (c === BACKSLASH) {
          this.#escaped = true;
          this.#keyChars = null; // a key written with escapes is left to stream-json
        } else if (c === QUOTE) {
          this.#inString = false;
          if (this.#keyChars) {
            this.#key = this.#keyChars.join('');
            this.#keyChars = null;
            this.#outside = Outside.AfterKey;
          } else this.#outside = Outside.Other;
        } else if (this.#keyChars) {
          this.#keyChars.push(text[i]!);
          if (this.#keyChars.length > 8) this.#keyChars = null; // not "messages": stop collecting
        }
        continue;
      }
      switch (c) {
        case QUOTE:
          this.#inString = true;
          this.#keyChars = this.#outside === Outside.Key && this.#containers.length === 1 ? [] : null;
          this.#key = '';
          break;
        case 0x3a:
          this.#outside = this.#outside === Outside.AfterKey ? Outside.AfterColon : Outside.Other;
          break;
        case 0x7b:
          this.#containers.push(c);
          this.#outside = Outside.Key;
          break;
        case 0x5b:
          if (this.#outside === Outside.AfterColon && this.#containers.length === 1 && this.#key === 'messages') return i + 1;
          this.#containers.push(c);
          this.#outside = Outside.Other;
          break;
        case 0x7d:
        case 0x5d:
          this.#containers.pop();
          this.#outside = Outside.Other;
          break;
        case 0x2c:
          this.#outside = this.#containers[this.#containers.length - 1] === 0x7b ? Outside.Key : Outside.Other;
          break;
        case 0x20:
        case 0x0a:
        case 0x0d:
        case 0x09:
          break;
        default:
          this.#outside = Outside.Other;
      }
    }
    return -1;
  }
}

/** Index of the quote that ends the string whose body starts at `from`, or -1 if `text` ends first. */
function stringEnd(text: string, from: number): number {
  for (let q = text.indexOf('"', from); q >= 0; q = text.indexOf('"', q + 1)) {
    let backslashes = 0;
    for (let k = q - 1; k >= from && text.charCodeAt(k) === BACKSLASH; --k) ++backslashes;
    if ((backslashes & 1) === 0) return q;
  }
  return -1;
}

/**
 * `\n<indent>}` when the blank before the element at `i` (from `blank`) ends with a newline and an
 * indentation of spaces or tabs: the line an element of this array ends with in pretty-printed
 * JSON. Null for compact JSON, or when the blank is cut by the chunk boundary.
 */
function closeMarkBefore(buf: string, blank: number, i: number): string | null {
  // only the blank is searched (lastIndexOf would scan back through the whole text, per element)
  let nl = i - 1;
  while (nl >= blank && buf.charCodeAt(nl) !== 0x0a) --nl;
  if (nl < blank || nl === i - 1) return null;
  const indent = buf.slice(nl + 1, i);
  return /^(?: +|\t+)$/.test(indent) ? `\n${indent}}` : null;
}
