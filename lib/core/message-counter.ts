/**
 * Message counter: one thread file's bytes -> how many messages of each kind, their first and last
 * timestamps, and the participants, without building the messages (what `fbstream inspect` shows).
 *
 * A byte scanner walks the document and, of each message, reads only what decides its kind (the
 * same rules as lib/formats/classic.ts and lib/formats/e2ee.ts, applied to the same values, which
 * are found without decoding them); a message's text is decoded only when it may be a notice.
 * The counts equal the decoder's (lib/core/decoder.ts) for every document the counter accepts; it
 * returns null for anything else — not strict JSON, a second document, escaped keys, deep
 * nesting, long values — and the caller then reads the file with the decoder, which says why.
 * test/core/message-counter.test.ts holds the two to the same figures.
 */
import { classifyNotice } from '../formats/notices.js';
import { participantNames } from '../formats/raw.js';
import { repairMojibake } from '../text/mojibake.js';
import type { MessageKind } from '../types.js';
import { FAIL, bytesAre, lastString, latin1, skipSpace, skipString, skipValue } from './json-scan.js';
import { createMessageFields, readMessageFields, type MessageFields } from './message-fields.js';

export interface PartCount {
  /** Messages the decoder would deliver (objects with a sender and a timestamp). */
  messages: number;
  /** Per kind, in the order each kind first occurs (as the decoder's output meets them). */
  kinds: Partial<Record<MessageKind, number>>;
  firstMs: number | null;
  lastMs: number | null;
  /**
   * What lib/export/thread-header.ts reads of this file: participants (repaired) and the format;
   * null when that reader could see something else here (participants after the messages, a
   * `threadName` after them), so that the caller asks it.
   */
  header: { participants: string[]; format: 'classic' | 'e2ee' } | null;
}

/** A value longer than this (bytes) is left to the decoder, whose limits are in characters. */
export const MAX_COUNTED_VALUE = 1 << 20;

const enc = (s: string) => new TextEncoder().encode(s);
const K_PARTICIPANTS = enc('participants');
const K_MESSAGES = enc('messages');
const K_THREAD_NAME = enc('threadName');
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** Counts of one file (one document), or null when only the decoder can tell. */
export function countThreadPart(b: Uint8Array): PartCount | null {
  const out: PartCount = { messages: 0, kinds: {}, firstMs: null, lastMs: null, header: null };
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let i = skipSpace(b, v, 0);
  if (b[i] !== 0x7b) return null;
  i = skipSpace(b, v, i + 1);
  let participants: [number, number] | null = null;
  let threadNameString = false;
  let sawMessages = false;
  let headerKnown = true;
  if (b[i] === 0x7d) return null; // no messages: not a thread
  const fields = createMessageFields();
  for (;;) {
    if (b[i] !== 0x22) return null;
    const keyFrom = i + 1;
    i = skipString(b, v, keyFrom);
    if (i === FAIL || lastString.escaped) return null;
    const keyTo = i - 1;
    i = skipSpace(b, v, i);
    if (b[i] !== 0x3a) return null;
    i = skipSpace(b, v, i + 1);
    const valueFrom = i;
    if (bytesAre(b, keyFrom, keyTo, K_MESSAGES)) {
      // a second array would be counted too by the decoder, but the header reader stops at the first
      if (sawMessages || b[i] !== 0x5b) return null;
      sawMessages = true;
      if (participants === null) headerKnown = false;
      i = countMessages(b, v, i, out, fields);
    } else {
      i = skipValue(b, v, i, 1);
      if (i === FAIL || i - valueFrom > MAX_COUNTED_VALUE) return null;
      if (bytesAre(b, keyFrom, keyTo, K_PARTICIPANTS)) {
        if (!sawMessages) participants = [valueFrom, i];
      } else if (bytesAre(b, keyFrom, keyTo, K_THREAD_NAME)) {
        // after the messages, the header reader may or may not reach it (a file's tail, not a zip entry's)
        if (sawMessages) headerKnown = false;
        else threadNameString = b[valueFrom] === 0x22;
      }
    }
    if (i === FAIL) return null;
    i = skipSpace(b, v, i);
    if (b[i] === 0x7d) break;
    if (b[i] !== 0x2c) return null;
    i = skipSpace(b, v, i + 1);
  }
  if (!sawMessages || skipSpace(b, v, i + 1) !== b.length) return null;
  if (headerKnown && participants) out.header = readHeader(b, participants[0], participants[1], threadNameString);
  return out;
}

/** Kinds by code, the order of `const enum Kind`. */
const KIND_NAMES: readonly MessageKind[] = ['text', 'media', 'sticker', 'share', 'call', 'unsent', 'notice', 'reaction', 'empty'];
const enum Kind { Text, Media, Sticker, Share, Call, Unsent, Notice, Reaction, Empty, None }

/** `i`: the `[` of the messages array. Returns the byte after its `]`. */
function countMessages(b: Uint8Array, v: DataView, i: number, out: PartCount, f: MessageFields): number {
  // tallied in locals and numbered kinds, written to `out` once
  const perKind = new Array<number>(KIND_NAMES.length).fill(0);
  const order: Kind[] = [];
  let messages = 0;
  let firstMs = Infinity;
  let lastMs = -Infinity;
  i = skipSpace(b, v, i + 1);
  if (b[i] !== 0x5d) {
    for (;;) {
      const from = i;
      if (b[i] === 0x7b) {
        i = readMessageFields(b, v, i, f);
        if (i === FAIL) return FAIL;
        const kind = kindOf(b, f);
        if (kind !== Kind.None) {
          const ts = f.senderName === 1 && f.sender_name === 0 ? f.timestamp : f.timestamp_ms;
          ++messages;
          if (perKind[kind]++ === 0) order.push(kind);
          if (ts < firstMs) firstMs = ts;
          if (ts > lastMs) lastMs = ts;
        }
      } else {
        i = skipValue(b, v, i, 2); // not an object: skipped by the decoder, uncounted
        if (i === FAIL) return FAIL;
      }
      if (i - from > MAX_COUNTED_VALUE) return FAIL;
      if (b[i] !== 0x2c) {
        i = skipSpace(b, v, i);
        if (b[i] === 0x5d) break;
        if (b[i] !== 0x2c) return FAIL;
      }
      i = skipSpace(b, v, i + 1);
    }
  }
  out.messages = messages;
  for (const kind of order) out.kinds[KIND_NAMES[kind]!] = perKind[kind];
  if (messages > 0) {
    out.firstMs = firstMs;
    out.lastMs = lastMs;
  }
  return i + 1;
}

/**
 * The kind lib/formats/classic.ts or e2ee.ts gives a message with these fields; None for a message
 * they skip. Field codes: 0 absent, 1 a string, 2 another value.
 */
function kindOf(b: Uint8Array, f: MessageFields): Kind {
  if (f.senderName === 1 && f.sender_name === 0) {
    if (!Number.isFinite(f.timestamp) || f.text === 2) return Kind.None;
    if (f.isUnsent) return Kind.Unsent;
    if (f.media && (f.text === 0 || f.textTo === f.textFrom)) return Kind.Media;
    if (f.type === 'link') return Kind.Share;
    return textKind(b, f.text, f.textFrom, f.textTo, f.textEscaped, f.textMaybe);
  }
  if (f.sender_name !== 1 || !Number.isFinite(f.timestamp_ms) || f.content === 2) return Kind.None;
  if (f.is_unsent) return Kind.Unsent;
  if (f.type === 'Call' || f.callDuration) return Kind.Call;
  if (f.type === 'Subscribe' || f.type === 'Unsubscribe' || f.users) return Kind.Notice;
  if (f.sticker) return Kind.Sticker;
  if (f.classicMedia !== 0 && !f.link) return Kind.Media;
  if (f.type === 'Share' || f.share) {
    const empty = f.content === 0 || f.contentTo === f.contentFrom;
    const kind = !empty && f.contentMaybe ? notice(b, f.contentFrom, f.contentTo, f.contentEscaped) : Kind.None;
    return kind === Kind.None ? Kind.Share : kind;
  }
  return textKind(b, f.content, f.contentFrom, f.contentTo, f.contentEscaped, f.contentMaybe);
}

function textKind(b: Uint8Array, code: number, from: number, to: number, escaped: boolean, maybe: boolean): Kind {
  if (code === 0 || to === from) return Kind.Empty;
  const kind = maybe ? notice(b, from, to, escaped) : Kind.None;
  return kind === Kind.None ? Kind.Text : kind;
}

/** lib/formats/notices.ts on the text of the string `b[from, to)`, decoded as the decoder would. */
function notice(b: Uint8Array, from: number, to: number, escaped: boolean): Kind {
  // ASCII bytes are their own latin1 text (the cheap decoding); others go through UTF-8
  const raw = isAsciiText(b, from, to) ? latin1(b, from, to) : utf8.decode(b.subarray(from, to));
  const kind = classifyNotice(escaped ? (JSON.parse('"' + raw + '"') as string) : raw);
  return kind === 'reaction' ? Kind.Reaction : kind === 'notice' ? Kind.Notice : Kind.None;
}

function isAsciiText(b: Uint8Array, from: number, to: number): boolean {
  for (let k = from; k < to; ++k) if (b[k]! >= 0x80) return false;
  return true;
}

/** As lib/export/thread-header.ts: names of objects' `name` or plain strings (the E2EE download's), repaired. */
function readHeader(b: Uint8Array, from: number, to: number, threadNameString: boolean): PartCount['header'] {
  const list = JSON.parse(utf8.decode(b.subarray(from, to))) as unknown;
  const { names: participants, plainStrings } = participantNames(list, repairMojibake);
  return { participants, format: threadNameString || plainStrings ? 'e2ee' : 'classic' };
}

