/**
 * The cheap read of a thread file's start (participants, title) that the export index needs to
 * decide the owner and the selection, without reading the messages.
 */
import type { Readable } from 'node:stream';
import { jsonParser } from 'stream-json/core/parser.js';
import { DEFAULT_MAX_VALUE_LENGTH } from '../core/tokenizer.js';
import { DataError, FbstreamError, IoError, LimitError } from '../errors.js';
import { repairMojibake } from '../text/mojibake.js';
import type { Token } from '../types.js';
import type { ExportEntry, InPlaceReader } from '../sources/entry.js';

/** What {@link readThreadHeader} learns from the start of a thread file. */
export interface ThreadHeader {
  /** Repaired names, in file order (`""` and `"Facebook user"` kept as they are). */
  participants: string[];
  /** `title`, or the E2EE `threadName`, when it comes before the messages (classic files put it after). */
  title?: string;
  /** `thread_path`, when it comes before the messages. */
  threadPath?: string;
  /** More than two participants, or `thread_type: "RegularGroup"` when seen. */
  isGroup: boolean;
  /** `e2ee` when participants are plain strings or a `threadName` was seen (the E2EE download). */
  format: 'classic' | 'e2ee';
}

export interface ReadThreadHeaderOptions {
  /** Repair mojibake in names and title (FORMATS.md §2). Default true. */
  repair?: boolean;
}

/**
 * Read only the beginning of `entry`: the top-level keys before `messages` (participants come
 * first in every dialect seen). Reading stops, and the file or stream is closed, as soon as
 * `messages` starts with the participants known; a file that puts them after the messages is read
 * on, skipping the messages, until they come. Read in place when the entry can be (files, zip
 * entries), else as a stream. Errors: `FBS_JSON_SYNTAX`, `FBS_EMPTY_INPUT`, `FBS_NOT_A_THREAD`
 * (DataError, naming the entry), `FBS_IO` (IoError).
 */
export async function readThreadHeader(entry: ExportEntry, options: ReadThreadHeaderOptions = {}): Promise<ThreadHeader> {
  const reader = createHeaderReader(entry.name, options);
  let inPlace: InPlaceReader | null | undefined;
  let stream: Readable | undefined;
  try {
    inPlace = entry.readInPlace?.();
    if (inPlace) return headerInPlace(inPlace, reader);
    stream = await entry.open({ chunkBytes: HEADER_CHUNK });
    for await (const chunk of stream) {
      if (reader.push(chunk as Uint8Array | string)) return reader.end();
    }
    return reader.end();
  } catch (err) {
    if (err instanceof FbstreamError) throw err;
    throw new IoError(`cannot read ${entry.name}: ${(err as Error).message}`, { cause: err });
  } finally {
    inPlace?.close();
    stream?.destroy();
  }
}

/**
 * The header of an entry that can be read in place (a file, a zip entry): synchronously, into one
 * buffer for every header. An export's index reads hundreds of headers, and a stream per header
 * cost ~0.7 ms each (open, read and close through the thread pool, stream set-up): 0.37 s of
 * start-up on a 509-thread folder, 0.65 s from its zips, where only one core works.
 * No await between a read and the push that decodes it, so the buffer cannot be overwritten early.
 */
function headerInPlace(source: InPlaceReader, reader: HeaderReader): ThreadHeader {
  for (;;) {
    const bytes = source.read(headerBuffer);
    if (bytes.length === 0 || reader.push(bytes)) return reader.end();
  }
}

const NONE = Symbol.for('object-stream.none');
const HEADER_KEYS = new Set(['participants', 'title', 'thread_path', 'threadName', 'thread_type']);
const MAX_HEADER_DEPTH = 64;
/**
 * Text tokenized at a time. The parser tokenizes all it is given, and a header (~30 bytes per
 * participant) is over long before 4 KiB: 509 headers read in place took 140 ms with 4 KiB slices,
 * 60 ms with 512 bytes.
 */
const HEADER_SLICE = 512;
/** Read size asked of a file (and the buffer read in place into): headers are small, and hundreds of threads are read for them. */
const HEADER_CHUNK = 16 * 1024;
const headerBuffer = Buffer.allocUnsafe(HEADER_CHUNK);
type ParserFn = (input: string | symbol) => { values: Token[] } | symbol;
const enum Mode { Start, Key, Value, Skip, Build, Done }

type HeaderReader = ReturnType<typeof createHeaderReader>;

/** The pure part of {@link readThreadHeader}: feed bytes until `push` returns true or the input ends, then `end()`. */
export function createHeaderReader(source: string, options: ReadThreadHeaderOptions = {}) {
  const repair = options.repair ?? true ? repairMojibake : (s: string) => s;
  const parse = jsonParser({ packValues: true, streamValues: false }) as unknown as ParserFn;
  const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
  const meta: Record<string, unknown> = {};
  let bytes = 0;
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

  function feed(text: string): void {
    if (atStart && text.length) {
      atStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (!sawText && /\S/.test(text)) sawText = true;
    let out;
    try {
      out = parse(text);
    } catch (err) {
      throw new DataError('FBS_JSON_SYNTAX', `invalid JSON: ${(err as Error).message}`, { source, offset: bytes }, { cause: err });
    }
    if (out === NONE) {
      quietChars += text.length;
      if (quietChars > DEFAULT_MAX_VALUE_LENGTH) {
        throw new LimitError(`a single JSON value is longer than ${DEFAULT_MAX_VALUE_LENGTH} characters`, { source, offset: bytes });
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
        if (t.name !== 'startObject') throw new DataError('FBS_NOT_A_THREAD', 'not a Messenger thread: the document is not an object', { source, offset: bytes });
        mode = Mode.Key;
        return;
      case Mode.Key:
        if (t.name === 'keyValue') {
          key = t.value;
          mode = Mode.Value;
          if (key === 'messages') hasMessages = true;
          if (key === 'messages' && meta['participants'] !== undefined) mode = Mode.Done;
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
        if (stack.length >= MAX_HEADER_DEPTH) throw new LimitError(`nesting deeper than ${MAX_HEADER_DEPTH} in "${key}"`, { source, offset: bytes });
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
    // the parser's strings are slices of the text fed (4 KiB each): what is kept is copied, or the
    // index would hold every thread's first 4 KiB for the whole run
    const fix = (s: string) => ownCopy(repair(s));
    const names: string[] = [];
    let e2ee = typeof meta['threadName'] === 'string';
    const list = meta['participants'];
    if (Array.isArray(list)) {
      for (const p of list) {
        if (typeof p === 'string') {
          e2ee = true;
          names.push(fix(p));
        } else if (p !== null && typeof p === 'object' && typeof (p as { name?: unknown }).name === 'string') {
          names.push(fix((p as { name: string }).name));
        }
      }
    }
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
      const text = typeof chunk === 'string' ? chunk : utf8.decode(chunk, { stream: true });
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
      // the header is in the first few hundred bytes: tokenize a slice at a time, not the whole chunk
      for (let from = 0; from < text.length && !done(); from += HEADER_SLICE) {
        feed(from === 0 && text.length <= HEADER_SLICE ? text : text.slice(from, from + HEADER_SLICE));
      }
      return done();
    },
    /** Reading is over (`push` returned true, or the input ended): the header, or the error that explains why there is none. */
    end(): ThreadHeader {
      if (!done()) {
        const tail = utf8.decode();
        if (tail) feed(tail);
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
      if (!done()) throw new DataError('FBS_JSON_SYNTAX', 'invalid JSON: the input ends inside a document', { source, offset: bytes });
      if (!hasMessages) throw new DataError('FBS_NOT_A_THREAD', 'not a Messenger thread: the document has no "messages" array', { source, offset: bytes });
      return header();
    },
    /** Bytes fed so far. */
    get bytesRead() {
      return bytes;
    },
  };
}

/** A string that shares no memory with a larger one (V8 keeps a slice's whole parent alive). */
function ownCopy(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}
