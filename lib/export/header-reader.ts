/**
 * The pure part of a thread header's read (lib/export/thread-header.ts does the I/O): the keys
 * before `messages` from the bytes pushed, by JSON.parse where the text is well-formed
 * (lib/export/header-prefix.ts), else by stream-json's tokens; the keys after the messages from a
 * file's last bytes (`membersAtEnd`).
 */
import { TextDecoder } from 'node:util';
import { jsonParser } from 'stream-json/core/parser.js';
import { DEFAULT_MAX_VALUE_LENGTH } from '../core/tokenizer.js';
import { DataError, LimitError } from '../errors.js';
import { participantNames } from '../formats/raw.js';
import { repairMojibake } from '../text/mojibake.js';
import type { Token } from '../types.js';
import { headerFromPrefix, keysOfObject } from './header-prefix.js';
import type { ReadThreadHeaderOptions, ThreadHeader } from './thread-header.js';

const NONE = Symbol.for('object-stream.none');
const HEADER_KEYS = new Set(['participants', 'title', 'thread_path', 'threadName', 'thread_type']);
const MAX_HEADER_DEPTH = 64;
/**
 * Text tokenized at a time. The parser tokenizes all it is given, and a header (~30 bytes per
 * participant) is usually over within the first few slices (docs/performance.md#export-index-headers-start-up).
 */
const HEADER_SLICE = 512;
/** Text held for a header read without the tokenizer, at most (a group chat of a few hundred). */
const MAX_HELD_CHARS = 16 * 1024;
type ParserFn = (input: string | symbol) => { values: Token[] } | symbol;
const enum Mode { Start, Key, Value, Skip, Build, Done }

/**
 * The pure part of {@link readThreadHeader}: feed bytes until `push` returns true or the input
 * ends; then, while `titleAfter`, the file's last bytes to `tail`; then `end()`. `whole`: read the
 * whole document, which need not have messages (the keys at the end of a file, made a document).
 * `tokenizeAll`: no header read without the tokenizer (lib/export/header-prefix.ts), which gives
 * the same header and the same faults: for tests that compare the two.
 */
export function createHeaderReader(source: string, options: ReadThreadHeaderOptions & { whole?: boolean; tokenizeAll?: boolean } = {}) {
  const repair = options.repair ?? true ? repairMojibake : (s: string) => s;
  const whole = options.whole ?? false;
  // made when first needed: most headers are read without it (lib/export/header-prefix.ts)
  let parser: ParserFn | null = null;
  const parse: ParserFn = (input) => (parser ??= jsonParser({ packValues: true, streamValues: false }) as unknown as ParserFn)(input);
  let utf8: TextDecoder | null = null;
  const meta: Record<string, unknown> = {};
  let bytes = 0;
  let parsedBytes = 0; // the end of the text given to the parser: where a fault it finds is at most
  let quietChars = 0;
  let sawText = false;
  let atStart = true;
  let mode = Mode.Start;
  let key = '';
  let hasMessages = false;
  let open = 0; // brackets open in the value being skipped
  const stack: (unknown[] | Record<string, unknown>)[] = [];
  const keys: string[] = [];
  const done = () => mode === Mode.Done;

  /** `text` fed {@link HEADER_SLICE} characters at a time. */
  function feedSlices(text: string): void {
    for (let from = 0; from < text.length && !done(); from += HEADER_SLICE) {
      feed(from === 0 && text.length <= HEADER_SLICE ? text : text.slice(from, from + HEADER_SLICE));
    }
  }

  /**
   * The slices given while the header may still be read without the tokenizer
   * (lib/export/header-prefix.ts), untokenized; null once it cannot. They are well-formed so far:
   * when the tokenizer takes over, it has them as it would have, and finds no fault in them.
   */
  let held: string[] | null = whole || options.tokenizeAll ? null : [];
  let heldText = '';

  function feed(text: string): void {
    if (held === null) return tokenize(text);
    const all = heldText.length === 0 ? text : heldText + text;
    const known = headerFromPrefix(all, HEADER_KEYS, MAX_HEADER_DEPTH);
    if (known === 'more' && all.length <= MAX_HELD_CHARS) {
      held.push(text);
      heldText = all;
      return;
    }
    if (known === null || known === 'more') return release(text);
    held = null;
    heldText = '';
    for (const [k, v] of known) meta[k] = v;
    sawText = hasMessages = true;
    mode = Mode.Done;
  }

  /** The tokenizer takes over: the slices held, then `text`. */
  function release(text?: string): void {
    const slices = held ?? [];
    held = null;
    heldText = '';
    if (text !== undefined) slices.push(text);
    for (const slice of slices) {
      tokenize(slice);
      if (done()) return;
    }
  }

  function tokenize(text: string): void {
    parsedBytes += Buffer.byteLength(text);
    if (atStart && text.length) {
      atStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (!sawText && /\S/.test(text)) sawText = true;
    let out;
    try {
      out = parse(text);
    } catch (err) {
      throw new DataError('FBS_JSON_SYNTAX', `invalid JSON: ${(err as Error).message}`, { source, offset: parsedBytes }, { cause: err });
    }
    if (out === NONE) {
      quietChars += text.length;
      if (quietChars > DEFAULT_MAX_VALUE_LENGTH) {
        throw new LimitError(`a single JSON value is longer than ${DEFAULT_MAX_VALUE_LENGTH} characters`, { source, offset: parsedBytes });
      }
      return;
    }
    quietChars = 0;
    for (const t of (out as { values: Token[] }).values) {
      step(t);
      if (done()) return;
    }
  }

  function step(t: Token): void {
    switch (mode) {
      case Mode.Start:
        if (t.name !== 'startObject') throw new DataError('FBS_NOT_A_THREAD', 'not a Messenger thread: the document is not an object', { source, offset: parsedBytes });
        mode = Mode.Key;
        return;
      case Mode.Key:
        if (t.name === 'keyValue') {
          key = t.value;
          mode = Mode.Value;
          if (key === 'messages') hasMessages = true;
          if (key === 'messages' && meta['participants'] !== undefined && !whole) mode = Mode.Done;
          return;
        }
        mode = Mode.Done; // endObject: the whole document was read
        return;
      case Mode.Value:
        if (HEADER_KEYS.has(key)) {
          mode = Mode.Build;
          return build(t);
        }
        mode = Mode.Skip;
        open = 0;
        return skip(t);
      case Mode.Skip:
        return skip(t);
      case Mode.Build:
        return build(t);
    }
  }

  function skip(t: Token): void {
    if (t.name === 'startObject' || t.name === 'startArray') ++open;
    else if (t.name === 'endObject' || t.name === 'endArray') --open;
    else if (t.name === 'keyValue') return;
    if (open === 0) mode = Mode.Key;
  }

  function build(t: Token): void {
    let value: unknown;
    switch (t.name) {
      case 'keyValue':
        keys[keys.length - 1] = t.value;
        return;
      case 'startObject':
      case 'startArray':
        if (stack.length >= MAX_HEADER_DEPTH) throw new LimitError(`nesting deeper than ${MAX_HEADER_DEPTH} in "${key}"`, { source, offset: parsedBytes });
        stack.push(t.name === 'startObject' ? Object.create(null) : []);
        keys.push('');
        return;
      case 'endObject':
      case 'endArray':
        keys.pop();
        value = stack.pop();
        break;
      case 'numberValue':
        value = Number(t.value);
        break;
      case 'stringValue':
      case 'trueValue':
      case 'falseValue':
      case 'nullValue':
        value = t.value;
        break;
      default:
        return;
    }
    const top = stack[stack.length - 1];
    if (top === undefined) {
      meta[key] = value;
      mode = Mode.Key;
    } else if (Array.isArray(top)) top.push(value);
    else top[keys[keys.length - 1]!] = value;
  }

  function header(): ThreadHeader {
    // the parser's strings are slices of the text fed: what is kept is copied, or the index would
    // hold the text read from every thread's start for the whole run
    const fix = (s: string) => ownCopy(repair(s));
    const { names, plainStrings } = participantNames(meta['participants'], fix);
    const e2ee = plainStrings || typeof meta['threadName'] === 'string';
    const h: ThreadHeader = { participants: names, isGroup: names.length > 2 || meta['thread_type'] === 'RegularGroup', format: e2ee ? 'e2ee' : 'classic' };
    const title = typeof meta['title'] === 'string' ? meta['title'] : meta['threadName'];
    if (typeof title === 'string') h.title = fix(title);
    if (typeof meta['thread_path'] === 'string') h.threadPath = fix(meta['thread_path']);
    return h;
  }

  return {
    /** Feed the next bytes; true once the header is known (stop reading then). */
    push(chunk: Uint8Array | string): boolean {
      if (done()) return true;
      if (typeof chunk === 'string') {
        bytes += Buffer.byteLength(chunk);
        feedSlices(chunk);
        return done();
      }
      bytes += chunk.byteLength;
      // the header is in the first few hundred bytes: decode and tokenize a slice at a time, not
      // the whole chunk; the slices are the chunk's text cut every HEADER_SLICE characters, as
      // where a fault is found (its offset) depends on them
      utf8 ??= takeDecoder();
      let text = '';
      for (let at = 0; at < chunk.length && !done(); at += HEADER_SLICE) {
        text += utf8.decode(chunk.subarray(at, at + HEADER_SLICE), { stream: true });
        while (text.length >= HEADER_SLICE && !done()) {
          feed(text.length === HEADER_SLICE ? text : text.slice(0, HEADER_SLICE));
          text = text.slice(HEADER_SLICE);
        }
      }
      if (text.length > 0 && !done()) feed(text);
      if (done()) utf8 = giveDecoder(utf8);
      return done();
    },
    /** Reading is over (`push` returned true, or the input ended): the header, or the error that explains why there is none. */
    end(): ThreadHeader {
      if (!done()) {
        const tail = utf8 ? utf8.decode() : '';
        utf8 = utf8 && giveDecoder(utf8);
        if (tail) feed(tail);
        if (!done()) release();
        if (!sawText) throw new DataError('FBS_EMPTY_INPUT', 'empty input: no JSON document found', { source, offset: bytes });
        if (!done()) {
          try {
            const out = parse(NONE);
            if (out !== NONE) for (const t of (out as { values: Token[] }).values) step(t);
          } catch (err) {
            throw new DataError('FBS_JSON_SYNTAX', `invalid JSON: ${(err as Error).message}`, { source, offset: bytes }, { cause: err });
          }
        }
      }
      if (!done()) throw new DataError('FBS_JSON_SYNTAX', 'invalid JSON: the input ends inside a document (truncated?)', { source, offset: bytes });
      if (!hasMessages && !whole) throw new DataError('FBS_NOT_A_THREAD', 'not a Messenger thread: the document has no "messages" array', { source, offset: bytes });
      return header();
    },
    /** Bytes fed so far. */
    get bytesRead() {
      return bytes;
    },
    /** Reading stopped at the messages with no title yet: a classic file has it after them (give `tail` the file's end). */
    get titleAfter(): boolean {
      return done() && hasMessages && !whole && meta['title'] === undefined && meta['threadName'] === undefined;
    },
    /** A group chat, as far as read: more than two participants, or `thread_type` says so. */
    get isGroup(): boolean {
      return (Array.isArray(meta['participants']) && meta['participants'].length > 2) || meta['thread_type'] === 'RegularGroup';
    },
    /**
     * The last bytes of the file: its top-level keys after the messages fill what is not known yet.
     * A fault there is left to the thread's conversion (the header read so far stands).
     */
    tail(end: Uint8Array): void {
      const members = membersAtEnd(end);
      if (members === null) return;
      const known = headerKeysOf(members);
      if (known !== undefined) {
        for (const [k, v] of known) if (meta[k] === undefined) meta[k] = v;
        return;
      }
      try {
        const rest = createHeaderReader(source, { whole: true });
        rest.push(members);
        rest.end();
        for (const [k, v] of Object.entries(rest.meta)) if (meta[k] === undefined) meta[k] = v;
      } catch (err) {
        if (!(err instanceof DataError)) throw err;
      }
    },
    /** The header keys read, as in the file (for `tail`). */
    get meta(): Readonly<Record<string, unknown>> {
      return meta;
    },
  };
}

/**
 * Decoders of readers that finished with theirs (a decoder is reset when given back): a reader
 * per header, thousands in an export, and making a TextDecoder costs more than the few hundred
 * bytes it decodes.
 */
const spareDecoders: TextDecoder[] = [];
const MAX_SPARE_DECODERS = 8;
function takeDecoder(): TextDecoder {
  return spareDecoders.pop() ?? new TextDecoder('utf-8', { ignoreBOM: true });
}
function giveDecoder(decoder: TextDecoder): null {
  decoder.decode(); // ends a sequence left open, and the decoder starts afresh
  if (spareDecoders.length < MAX_SPARE_DECODERS) spareDecoders.push(decoder);
  return null;
}

/**
 * The header keys of `members` (a whole document, from {@link membersAtEnd}) in the order they
 * are first seen, as the tokenizing reader takes them, by JSON.parse: many times faster on the end
 * of every thread of an export. Undefined when that reader is needed to decide: JSON.parse refuses
 * the text (that reader refuses it too: the keys at the end are then left out), or a value nests
 * deeper than that reader allows.
 */
function headerKeysOf(members: string): [string, unknown][] | undefined {
  return keysOfObject(members, HEADER_KEYS, MAX_HEADER_DEPTH) ?? undefined;
}

const SPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * The top-level keys at the end of a document, from its last bytes `end`, as a document of their
 * own: `{"":[],"title":"…",…}`, the value that begins before `end` (the messages) made empty. The
 * whole document when it begins in `end`; null when `end` is no object's end, or holds no value
 * that begins before it. Scanned backwards, where a quote after an even number of backslashes is
 * always a string's edge, so the structure is known from the last byte on.
 */
export function membersAtEnd(end: Uint8Array): string | null {
  let i = end.length - 1;
  while (i >= 0 && SPACE.has(end[i]!)) --i;
  if (i < 0 || end[i] !== 0x7d) return null;
  let depth = 1;
  let inString = false;
  let closer = -1; // the bracket that closes the last top-level value seen
  for (--i; i >= 0; --i) {
    const c = end[i]!;
    if (c === 0x22) {
      let backslashes = 0;
      while (i - backslashes > 0 && end[i - backslashes - 1] === 0x5c) ++backslashes;
      if (i - backslashes === 0) break; // the run may go on before `end`: unknown
      if (backslashes % 2 === 0) inString = !inString;
    } else if (inString) {
      continue;
    } else if (c === 0x7d || c === 0x5d) {
      if (depth++ === 1) closer = i;
    } else if (c === 0x7b || c === 0x5b) {
      if (--depth === 0) return Buffer.from(end.buffer, end.byteOffset + i, end.length - i).toString();
    }
  }
  // a string open where `end` begins is inside the value open there, unless that is at the top
  if (depth < 2 || closer < 0) return null;
  return `{"":${end[closer] === 0x5d ? '[' : '{'}${Buffer.from(end.buffer, end.byteOffset + closer, end.length - closer).toString()}`;
}

/** A string that shares no memory with a larger one (V8 keeps a slice's whole parent alive). */
function ownCopy(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}
