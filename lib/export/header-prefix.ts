/**
 * A thread file's header from the first text the header reader would tokenize, without its
 * tokenizer (lib/export/thread-header.ts): a scan of character codes, and JSON.parse of the keys
 * before `messages`. Most threads of an export put a few participants before their messages, and
 * tokenizing that first slice was most of the cost of reading every thread's header.
 *
 * It answers only where the tokenizer would give the same header and no error: the whole slice
 * (the header and what follows it, up to the slice's end) is well-formed JSON so far, and
 * `participants` comes before a top-level `messages`. Anything else (a fault anywhere in the slice,
 * a key written with escapes, a number or a literal cut by the slice's end, a header longer than
 * the slice) gives null, and the tokenizer reads the slice, faults and all, as before.
 */
import { nestedDeeper } from '../formats/raw.js';

/**
 * The header keys found before `messages`, as the tokenizing reader would keep them; `more` when
 * the text is well-formed so far but the header goes on past it (a group chat's many participants);
 * null as above.
 */
export function headerFromPrefix(text: string, keys: ReadonlySet<string>, maxDepth: number): [string, unknown][] | 'more' | null {
  const cut = scanPrefix(text);
  if (cut === MORE) return 'more';
  if (cut < 0) return null;
  return keysOfObject(`${text.slice(text.charCodeAt(0) === 0xfeff ? 1 : 0, cut)}}`, keys, maxDepth);
}

/**
 * `keys` of the JSON object `json` (as JSON.parse reads it: the last of a repeated key), in the
 * order first seen; null when it is not an object, or a value nests deeper than `maxDepth`.
 */
export function keysOfObject(json: string, keys: ReadonlySet<string>, maxDepth: number): [string, unknown][] | null {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return null;
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(doc)) {
    if (!keys.has(k)) continue;
    if (nestedDeeper(v, maxDepth)) return null;
    out.push([k, v]);
  }
  return out;
}

const enum Want { Value, KeyOrEnd, Key, Colon, CommaOrEnd, ValueOrEnd, Nothing }

/** {@link scanPrefix}: no fault so far, and no answer yet. */
export const MORE = -2;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y;
/** The start of a number, cut anywhere. */
const NUMBER_START = /-?(?:(?:0|[1-9]\d*)(?:\.\d+(?:[eE][-+]?\d*)?|\.|[eE][-+]?\d*)?)?/y;
const NUMBER_PART = /[\d.eE+-]/;
const LITERALS = ['true', 'false', 'null'];

/**
 * Where the comma before the top-level `messages` key is, when `text` is a well-formed start of a
 * JSON object whose `participants` come before that key; {@link MORE} when `text` is well-formed
 * so far and that key is not in it; -1 otherwise (or when unsure).
 */
export function scanPrefix(text: string): number {
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const stack: number[] = []; // 0x7b or 0x5b, the containers open
  let want = Want.Value;
  let participants = false;
  let lastComma = -1; // the last comma at the top level
  let cut = -1;
  let key = false; // the string read is a key
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      ++i;
      continue;
    }
    switch (want) {
      case Want.Nothing:
        return -1;
      case Want.Key:
      case Want.KeyOrEnd:
        if (c === 0x7d && want === Want.KeyOrEnd) {
          stack.pop();
          ++i;
          want = stack.length === 0 ? Want.Nothing : Want.CommaOrEnd;
          continue;
        }
        if (c !== QUOTE) return -1;
        key = true;
        break; // read below
      case Want.Colon:
        if (c !== 0x3a) return -1;
        ++i;
        want = Want.Value;
        continue;
      case Want.CommaOrEnd:
        if (c === 0x2c) {
          if (stack.length === 1) lastComma = i;
          ++i;
          want = stack[stack.length - 1] === 0x7b ? Want.Key : Want.Value;
          continue;
        }
        if (c !== (stack[stack.length - 1] === 0x7b ? 0x7d : 0x5d)) return -1;
        stack.pop();
        ++i;
        want = stack.length === 0 ? Want.Nothing : Want.CommaOrEnd;
        continue;
      case Want.Value:
      case Want.ValueOrEnd:
        if (c === 0x5d && want === Want.ValueOrEnd) {
          stack.pop();
          ++i;
          want = stack.length === 0 ? Want.Nothing : Want.CommaOrEnd;
          continue;
        }
        if (c === 0x7b || c === 0x5b) {
          // the document itself must be an object (the tokenizer says why otherwise)
          if (stack.length === 0 && c !== 0x7b) return -1;
          stack.push(c);
          ++i;
          want = c === 0x7b ? Want.KeyOrEnd : Want.ValueOrEnd;
          continue;
        }
        if (stack.length === 0) return -1;
        if (c === QUOTE) {
          key = false;
          break; // read below
        }
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
          NUMBER.lastIndex = i;
          const end = NUMBER.test(text) ? NUMBER.lastIndex : -1;
          if (end < 0 || (end < n && NUMBER_PART.test(text[end]!))) {
            // no number, unless the text ends inside one (`-`, `12.`, `1e+`): the tokenizer waits then
            NUMBER_START.lastIndex = i;
            return NUMBER_START.test(text) && NUMBER_START.lastIndex === n ? soFar(cut) : -1;
          }
          i = end;
          want = Want.CommaOrEnd;
          continue;
        }
        {
          const word = LITERALS.find((w) => text.startsWith(w, i));
          if (word === undefined) return LITERALS.some((w) => n - i < w.length && w.startsWith(text.slice(i))) ? soFar(cut) : -1;
          i += word.length;
          want = Want.CommaOrEnd;
          continue;
        }
    }
    // a string at `i` (its opening quote)
    const start = i + 1;
    let escaped = false;
    for (++i; ; ++i) {
      if (i >= n) return soFar(cut); // the text ends inside it: well-formed so far
      const s = text.charCodeAt(i);
      if (s === QUOTE) break;
      if (s < 0x20) return -1;
      if (s === BACKSLASH) {
        escaped = true;
        const e = text.charCodeAt(i + 1);
        if (i + 1 >= n) return soFar(cut);
        if (e === 0x75) {
          for (let h = i + 2; h < i + 6; ++h) {
            if (h >= n) return soFar(cut);
            if (!isHex(text.charCodeAt(h))) return -1;
          }
          // a surrogate written as an escape: left to the tokenizer, which holds halves apart
          const first = text.charCodeAt(i + 2) | 0x20;
          if (first === 0x64 && /[89a-f]/i.test(text[i + 3]!)) return -1;
          i += 5;
        } else if (!isShortEscape(e)) {
          return -1;
        } else {
          ++i;
        }
      }
    }
    ++i; // past the closing quote
    if (!key) {
      want = Want.CommaOrEnd;
      continue;
    }
    want = Want.Colon;
    if (stack.length !== 1) continue;
    // a top-level key: one written with escapes is left to the tokenizer
    if (escaped) return -1;
    const name = text.slice(start, i - 1);
    if (name === 'participants') participants = true;
    else if (name === 'messages' && cut < 0) {
      if (!participants || lastComma < 0) return -1;
      cut = lastComma;
    }
  }
  // the text ends between tokens (a number there may go on: the tokenizer waits for more too)
  if (want === Want.Nothing && cut < 0) return -1; // a whole document without messages: the tokenizer says so
  return soFar(cut);
}

function soFar(cut: number): number {
  return cut < 0 ? MORE : cut;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** `"`, `\`, `/`, `b`, `f`, `n`, `r`, `t` after a backslash. */
function isShortEscape(c: number): boolean {
  return c === QUOTE || c === BACKSLASH || c === 0x2f || c === 0x62 || c === 0x66 || c === 0x6e || c === 0x72 || c === 0x74;
}
