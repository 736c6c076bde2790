/**
 * One message object's bytes -> the facts its kind depends on (lib/core/message-counter.ts), as a
 * parsed object would give them: the last of duplicate keys wins, nested values are looked into
 * only where the format readers look (`sticker.uri`, `share.link`, the `uri` of media items).
 */
import { FAIL, bytesAre, lastString, numberAt, skipColon, skipNumber, skipSpace, skipString, skipText, skipValue } from './json-scan.js';

/** String-or-not codes: 0 absent, 1 a string, 2 another value. */
export interface MessageFields {
  senderName: number;
  sender_name: number;
  /** NaN unless a number. */
  timestamp: number;
  timestamp_ms: number;
  content: number;
  contentFrom: number;
  contentTo: number;
  contentEscaped: boolean;
  /** The text may be a notice (see lib/core/notice-needles.ts). */
  contentMaybe: boolean;
  text: number;
  textFrom: number;
  textTo: number;
  textEscaped: boolean;
  textMaybe: boolean;
  /** `type` when one of the values the readers test, else null. */
  type: string | null;
  isUnsent: boolean;
  is_unsent: boolean;
  callDuration: boolean;
  users: boolean;
  /** `sticker` is an object with a string `uri`. */
  sticker: boolean;
  /** `share` is an object; `link`: with a string `link`. */
  share: boolean;
  link: boolean;
  /** E2EE `media`: an array holding an object with a string `uri`. */
  media: boolean;
  /** Classic photos/videos/audio_files/files/gifs, one bit each: the same. */
  classicMedia: number;
}

const enum Key {
  Other, SenderName, Sender_name, Timestamp, Timestamp_ms, Content, Text, Type, IsUnsent, Is_unsent,
  CallDuration, Users, Sticker, Share, Media, Photos, Videos, AudioFiles, Files, Gifs,
}

const enc = (s: string) => new TextEncoder().encode(s);

/**
 * Keys the counter knows, by a hash of their first 4 bytes, in one table: the keys the readers
 * look at, and others Meta writes in every message. A known key and its closing quote are compared
 * four bytes a step, at 0, 4, … and the last four. An entry, from its index: the first word, the
 * size in bytes (quote included), the key's code, the next entry of its hash or -1, the count of
 * the words between the first and the last, those words, the last.
 */
const KNOWN_FIRST = new Int32Array(64).fill(-1);
const hashWord = (w: number) => Math.imul(w, 0x9e3779b1) >>> 26;
const KNOWN = buildKnown([
  ['senderName', Key.SenderName], ['sender_name', Key.Sender_name], ['timestamp', Key.Timestamp],
  ['timestamp_ms', Key.Timestamp_ms], ['content', Key.Content], ['text', Key.Text], ['type', Key.Type],
  ['isUnsent', Key.IsUnsent], ['is_unsent', Key.Is_unsent], ['call_duration', Key.CallDuration],
  ['users', Key.Users], ['sticker', Key.Sticker], ['share', Key.Share], ['media', Key.Media],
  ['photos', Key.Photos], ['videos', Key.Videos], ['audio_files', Key.AudioFiles], ['files', Key.Files], ['gifs', Key.Gifs],
  ['is_geoblocked_for_viewer', Key.Other], ['is_unsent_image_by_messenger_kid_parent', Key.Other],
  ['reactions', Key.Other], ['ai_stickers', Key.Other],
]);

function buildKnown(keys: readonly (readonly [string, Key])[]): Int32Array {
  const table: number[] = [];
  for (const [name, key] of keys) {
    const bytes = enc(name + '"');
    const view = new DataView(bytes.buffer);
    const first = view.getInt32(0, true);
    const middle: number[] = [];
    for (let k = 4; k < bytes.length - 4; k += 4) middle.push(view.getInt32(k, true));
    const h = hashWord(first);
    const at = table.length;
    table.push(first, bytes.length, key, KNOWN_FIRST[h]!, middle.length, ...middle, view.getInt32(bytes.length - 4, true));
    KNOWN_FIRST[h] = at;
  }
  return Int32Array.from(table);
}

/**
 * The entry (see {@link KNOWN}) of the known key whose bytes and closing quote start at `from`, or
 * -1: then the key is none of those (a key the readers look at is known).
 */
function knownKey(b: Uint8Array, v: DataView, from: number): number {
  if (from + 4 > b.length) return -1;
  const first = v.getInt32(from, true);
  for (let at = KNOWN_FIRST[hashWord(first)]!; at !== -1; at = KNOWN[at + 3]!) {
    const size = KNOWN[at + 1]!;
    if (KNOWN[at] !== first || from + size > b.length) continue;
    // the words between the first and the last, then the last
    const last = at + 5 + KNOWN[at + 4]!;
    let w = at + 5;
    let k = from + 4;
    while (w < last && v.getInt32(k, true) === KNOWN[w]) {
      ++w;
      k += 4;
    }
    if (w >= last && v.getInt32(from + size - 4, true) === KNOWN[last]) return at;
  }
  return -1;
}

const TYPES = ['Call', 'Subscribe', 'Unsubscribe', 'Share', 'link'].map((t) => [t, enc(t)] as const);
const URI = enc('uri');
const LINK = enc('link');
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

export function createMessageFields(): MessageFields {
  const f = {} as MessageFields;
  f.contentFrom = f.contentTo = f.textFrom = f.textTo = 0;
  reset(f);
  return f;
}

function reset(f: MessageFields): void {
  f.senderName = f.sender_name = f.content = f.text = 0;
  f.timestamp = f.timestamp_ms = NaN;
  f.contentEscaped = f.textEscaped = f.contentMaybe = f.textMaybe = false;
  f.type = null;
  f.isUnsent = f.is_unsent = f.callDuration = f.users = f.sticker = f.share = f.link = f.media = false;
  f.classicMedia = 0;
}

/** `i`: the message's `{`. Fills `f`; returns the byte after the `}`, or FAIL. */
export function readMessageFields(b: Uint8Array, v: DataView, i: number, f: MessageFields): number {
  reset(f);
  i = skipSpace(b, v, i + 1);
  if (b[i] === 0x7d) return i + 1;
  for (;;) {
    if (b[i] !== 0x22) return FAIL;
    const keyFrom = i + 1;
    const known = knownKey(b, v, keyFrom);
    let key = Key.Other;
    if (known !== -1) {
      key = KNOWN[known + 2]!;
      i = keyFrom + KNOWN[known + 1]!;
    } else {
      i = skipString(b, v, keyFrom);
      if (i === FAIL || lastString.escaped) return FAIL;
    }
    i = skipColon(b, v, i);
    if (i === FAIL) return FAIL;
    i = readField(b, v, i, key, f);
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

/** The value of `key` from its first byte `i`; returns the byte after it. */
function readField(b: Uint8Array, v: DataView, i: number, key: Key, f: MessageFields): number {
  const c = b[i];
  const isString = c === 0x22;
  switch (key) {
    case Key.Other:
      return skipValue(b, v, i, 2);
    case Key.SenderName:
      f.senderName = isString ? 1 : 2;
      return skipValue(b, v, i, 2);
    case Key.Sender_name:
      f.sender_name = isString ? 1 : 2;
      return skipValue(b, v, i, 2);
    case Key.Timestamp:
    case Key.Timestamp_ms: {
      const isNumber = c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39);
      let end = isNumber ? plainInteger(b, i) : FAIL;
      let ms = integerValue;
      if (end === FAIL) {
        end = isNumber ? skipNumber(b, i) : skipValue(b, v, i, 2);
        if (end === FAIL) return FAIL;
        ms = isNumber ? numberAt(b, i, end) : NaN;
      }
      if (key === Key.Timestamp) f.timestamp = ms;
      else f.timestamp_ms = ms;
      return end;
    }
    case Key.Content:
    case Key.Text: {
      const end = isString ? skipText(b, i + 1) : skipValue(b, v, i, 2);
      if (end === FAIL) return FAIL;
      if (key === Key.Content) {
        f.content = isString ? 1 : 2;
        f.contentFrom = i + 1;
        f.contentTo = end - 1;
        f.contentEscaped = isString && lastString.escaped;
        f.contentMaybe = isString && lastString.mayBeNotice;
      } else {
        f.text = isString ? 1 : 2;
        f.textFrom = i + 1;
        f.textTo = end - 1;
        f.textEscaped = isString && lastString.escaped;
        f.textMaybe = isString && lastString.mayBeNotice;
      }
      return end;
    }
    case Key.Type: {
      const end = skipValue(b, v, i, 2);
      f.type = isString && end !== FAIL ? typeValue(b, i + 1, end - 1, lastString.escaped) : null;
      return end;
    }
    case Key.IsUnsent:
    case Key.Is_unsent: {
      const end = skipValue(b, v, i, 2);
      if (key === Key.IsUnsent) f.isUnsent = c === 0x74;
      else f.is_unsent = c === 0x74;
      return end;
    }
    case Key.CallDuration:
      f.callDuration = true;
      return skipValue(b, v, i, 2);
    case Key.Users:
      f.users = c === 0x5b;
      return skipValue(b, v, i, 2);
    case Key.Sticker:
      if (c !== 0x7b) {
        f.sticker = false;
        return skipValue(b, v, i, 2);
      }
      found.string = false;
      i = readMember(b, v, i, URI);
      f.sticker = found.string;
      return i;
    case Key.Share:
      f.share = c === 0x7b;
      if (c !== 0x7b) {
        f.link = false;
        return skipValue(b, v, i, 2);
      }
      found.string = false;
      i = readMember(b, v, i, LINK);
      f.link = found.string;
      return i;
    case Key.Media: {
      const end = hasUri(b, v, i);
      f.media = found.string;
      return end;
    }
    default: {
      // Photos .. Gifs: one bit each, the last value of each key counting
      const end = hasUri(b, v, i);
      const bit = 1 << (key - Key.Photos);
      f.classicMedia = found.string ? f.classicMedia | bit : f.classicMedia & ~bit;
      return end;
    }
  }
}

/** Set by {@link plainInteger}: the value of the integer it read. */
let integerValue = 0;

/**
 * A timestamp as Meta writes it, in one pass: an integer of 1 to 15 digits without a sign or a
 * leading zero (exact in a double, as JSON.parse reads it). Returns the byte after it, its value
 * in `integerValue`; FAIL for any other number, which the caller reads the general way.
 */
function plainInteger(b: Uint8Array, i: number): number {
  let d = b[i]! - 0x30;
  if (d < 1 || d > 9) return FAIL;
  let n = 0;
  const to = Math.min(i + 15, b.length);
  do {
    n = n * 10 + d;
    d = ++i < to ? b[i]! - 0x30 : -1;
  } while (d >= 0 && d <= 9);
  // a 16th digit, a fraction or an exponent: the general way
  const next = b[i];
  if (next !== undefined && ((next >= 0x30 && next <= 0x39) || next === 0x2e || (next | 0x20) === 0x65)) return FAIL;
  integerValue = n;
  return i;
}

/** Set by readMember / hasUri: the member looked for was a string. */
const found = { string: false };

/** An object from its `{` (depth 3): whether its last member `name` is a string, in `found`. */
function readMember(b: Uint8Array, v: DataView, i: number, name: Uint8Array): number {
  i = skipSpace(b, v, i + 1);
  if (b[i] === 0x7d) return i + 1;
  for (;;) {
    if (b[i] !== 0x22) return FAIL;
    const keyFrom = i + 1;
    i = skipString(b, v, keyFrom);
    if (i === FAIL || lastString.escaped) return FAIL;
    const wanted = bytesAre(b, keyFrom, i - 1, name);
    i = skipColon(b, v, i);
    if (i === FAIL) return FAIL;
    if (wanted) found.string = b[i] === 0x22;
    i = skipValue(b, v, i, 3);
    if (i === FAIL) return FAIL;
    if (b[i] !== 0x2c) {
      i = skipSpace(b, v, i);
      if (b[i] === 0x7d) return i + 1;
      if (b[i] !== 0x2c) return FAIL;
    }
    i = skipSpace(b, v, i + 1);
  }
}

/** A media list from its first byte: whether it is an array holding an object with a string `uri`, in `found`. */
function hasUri(b: Uint8Array, v: DataView, i: number): number {
  if (b[i] !== 0x5b) {
    found.string = false;
    return skipValue(b, v, i, 2);
  }
  let any = false;
  i = skipSpace(b, v, i + 1);
  if (b[i] !== 0x5d) {
    for (;;) {
      if (b[i] === 0x7b) {
        found.string = false;
        i = readMember(b, v, i, URI);
        any ||= found.string;
      } else {
        i = skipValue(b, v, i, 3);
      }
      if (i === FAIL) return FAIL;
      i = skipSpace(b, v, i);
      if (b[i] === 0x5d) break;
      if (b[i] !== 0x2c) return FAIL;
      i = skipSpace(b, v, i + 1);
    }
  }
  found.string = any;
  return i + 1;
}

/** A `type` value the readers compare, or null for any other. */
function typeValue(b: Uint8Array, from: number, to: number, escaped: boolean): string | null {
  if (escaped) {
    const value = JSON.parse('"' + utf8.decode(b.subarray(from, to)) + '"') as string;
    return TYPES.some(([t]) => t === value) ? value : null;
  }
  for (const [t, bytes] of TYPES) if (bytesAre(b, from, to, bytes)) return t;
  return null;
}
