/**
 * Decoder: token arrays -> Messages.
 *
 * Walks the tokens in a plain loop and never assembles a whole document: only the small top-level
 * fields it needs (participants, title, thread_path, …) and one message object at a time, and of a
 * message only the keys it reads; everything else is skipped by counting brackets. Dialect is
 * decided per message by its keys (classic/Instagram `sender_name`, E2EE `senderName`). Text is
 * repaired (mojibake) here, once, so later stages see real text.
 */
import { OptionError, DataError, LimitError } from '../errors.js';
import { CLASSIC_KEYS, MISSING_SENDER_NAME, emptyFields, readClassic } from '../formats/classic.js';
import { E2EE_KEYS, readE2ee as readE2eeFields } from '../formats/e2ee.js';
import { isRaw, str, type Raw } from '../formats/raw.js';
import type { Report } from '../report.js';
import { repairMojibake } from '../text/mojibake.js';
import type { Dialect, Message, ThreadInfo, Token, TokenChunk, TokenOrValues } from '../types.js';
import type { Stage } from './stage.js';

export interface DecoderOptions {
  /** Repair mojibake in every string read (docs/formats.md#mojibake). Default true. */
  repair?: boolean;
  /** Deepest nesting accepted. Default 256 (Meta's files nest 4 deep). */
  maxDepth?: number;
  /** Read E2EE-shaped messages (`senderName`, `timestamp`, `text`). Default true; LangChain reads only `sender_name`/`content`. */
  e2ee?: boolean;
  /** Where skipped messages are counted. */
  report?: Report;
}

export interface NormalizedDecoderOptions {
  readonly repair: boolean;
  readonly maxDepth: number;
  readonly e2ee: boolean;
  readonly report: Report | undefined;
}

export function normalizeDecoderOptions(options: DecoderOptions = {}): NormalizedDecoderOptions {
  const maxDepth = options.maxDepth ?? 256;
  if (!Number.isInteger(maxDepth) || maxDepth < 8) {
    throw new OptionError('maxDepth', `must be an integer >= 8`, maxDepth);
  }
  return Object.freeze({ repair: options.repair ?? true, maxDepth, e2ee: options.e2ee ?? true, report: options.report });
}

const MESSAGE_KEYS = new Set<string>([...CLASSIC_KEYS, ...E2EE_KEYS]);
const META_KEYS = new Set(['participants', 'title', 'thread_path', 'threadName', 'thread_type']);
const SECTIONS = new Set(['inbox', 'archived_threads', 'filtered_threads', 'message_requests', 'e2ee_cutover']);
const NAME_CACHE_LIMIT = 10_000;
const SURROGATE = /[\ud800-\udfff]/;
const NON_ASCII = /[^\x00-\x7f]/;

/** What the walker is doing with the next token. */
const enum Mode {
  Between, // depth 0: a document starts here
  TopKey, // in the top-level object, expecting a key or its end
  TopValue, // the value of a top-level key starts here
  Messages, // in the messages array, expecting an element or its end
  Assemble, // building a value (a meta field or one message)
  Skip, // counting brackets past a value nobody reads
}

interface DocState {
  info: ThreadInfo;
  meta: Raw;
  hasMessages: boolean;
  e2ee: boolean;
  count: number;
}

export function createDecoder(options?: DecoderOptions): Stage<TokenChunk[], Message> {
  const { repair, maxDepth, e2ee: readE2ee, report } = normalizeDecoderOptions(options);
  const names = new Map<string, string>();
  const reactions = new Map<string, string>();
  // what the dialect read of the message being delivered, refilled for each
  const fields = emptyFields();

  let mode = Mode.Between;
  let depth = 0;
  let doc: DocState | null = null;
  let source = '<input>';
  let chunkOffset = 0;
  let topKey = '';
  // skipping: brackets still open in the skipped value, and where to go after it
  let skipOpen = 0;
  let afterSkip = Mode.TopKey;
  // assembling: containers under construction, the key awaiting its value at each object level
  let stack: (Raw | unknown[])[] = [];
  let keys: (string | null)[] = [];
  let assemblingMessage = false;
  let out: Message[] = [];

  const fix = repair ? repairMojibake : (s: string) => s;
  // the last two names read: most threads are two people taking turns, and a string compare is
  // cheaper than hashing a fresh string for the map
  let lastRaw = '';
  let lastName = '';
  let otherRaw = '';
  let otherName = '';
  /** `raw` repaired, once for all its repeats: the repair of a name, or of a reaction's emoji. */
  function cached(map: Map<string, string>, raw: string): string {
    let s = map.get(raw);
    if (s === undefined) {
      s = fix(raw);
      if (map.size < NAME_CACHE_LIMIT) map.set(raw, s);
    }
    return s;
  }

  /** Names repeat on every message: repair each once, share one string. */
  function fixName(raw: string): string {
    if (raw === lastRaw) return lastName;
    if (raw === otherRaw) {
      otherRaw = lastRaw;
      lastRaw = raw;
      const s = otherName;
      otherName = lastName;
      return (lastName = s);
    }
    const s = cached(names, raw);
    otherRaw = lastRaw;
    otherName = lastName;
    lastRaw = raw;
    return (lastName = s);
  }

  /**
   * A message's text, repaired. An ASCII text needs neither the repair nor the surrogate check
   * (one scan instead of two), and a repaired one is strict UTF-8 decoded: well-formed.
   */
  function fixText(raw: string, index: number): string {
    if (!NON_ASCII.test(raw)) return raw;
    const s = fix(raw);
    return s !== raw ? s : wellFormed(s, index);
  }

  /** A record is found by its JSON path; a document-level error by the chunk it showed in. */
  function position(path?: string) {
    return path === undefined ? { source, offset: chunkOffset } : { source, path };
  }

  /** Lone surrogates (`\ud83d` without its pair) become U+FFFD, counted: output stays valid UTF-8. */
  function wellFormed(s: string, index: number): string {
    if (!SURROGATE.test(s) || s.isWellFormed()) return s;
    report?.note('lone surrogates replaced', position(`messages[${index}]`));
    return s.toWellFormed();
  }

  function startDocument(): void {
    const info: ThreadInfo = { id: source, source, title: '', participants: [], dialect: 'classic', section: null, isGroup: false };
    doc = { info, meta: {}, hasMessages: false, e2ee: false, count: 0 };
  }

  function endDocument(): void {
    const d = doc!;
    doc = null;
    if (!d.hasMessages) {
      throw new DataError('FBS_NOT_A_THREAD', 'not a Messenger thread: the document has no "messages" array', position());
    }
    finishThreadInfo(d, source, fixName);
  }

  /** A top-level field or a message is complete. */
  function deliver(value: unknown): void {
    const d = doc!;
    if (!assemblingMessage) {
      d.meta[topKey] = value;
      if (topKey === 'participants') readParticipants(d, value, fixName);
      mode = Mode.TopKey;
      return;
    }
    assemblingMessage = false;
    mode = Mode.Messages;
    const index = d.count++;
    if (!isRaw(value)) {
      report?.note('skipped message: not an object', position(`messages[${index}]`));
      return;
    }
    const f = fields;
    let reason = readClassic(value, f);
    // without a `sender_name` string, the message may be E2EE-shaped: no lookup for classic ones
    if (reason === MISSING_SENDER_NAME && readE2ee && value['sender_name'] === undefined && typeof value['senderName'] === 'string') {
      d.e2ee = true;
      reason = readE2eeFields(value, f);
    }
    if (reason !== null) {
      report?.note(`skipped message: ${reason}`, position(`messages[${index}]`));
      return;
    }
    const msg: Message = {
      thread: d.info,
      sender: fixName(f.sender),
      timestampMs: f.timestampMs,
      text: f.text === null ? null : fixText(f.text, index),
      kind: f.kind,
      index,
      session: 0,
    };
    // the dialect made these objects for this message alone: repaired in place
    if (f.attachments) {
      if (repair) for (const a of f.attachments) a.uri = repairMojibake(a.uri);
      msg.attachments = f.attachments;
    }
    if (f.reactions) {
      for (const r of f.reactions) {
        r.reaction = cached(reactions, r.reaction);
        r.actor = fixName(r.actor);
      }
      msg.reactions = f.reactions;
    }
    out.push(msg);
  }

  function addValue(value: unknown): void {
    if (stack.length === 0) return deliver(value);
    const top = stack[stack.length - 1]!;
    if (Array.isArray(top)) {
      top.push(value);
      return;
    }
    const key = keys[keys.length - 1]!;
    // own data property even for "__proto__": no prototype change from input (docs/reliability.md)
    if (key === '__proto__') Object.defineProperty(top, key, { value, enumerable: true, writable: true, configurable: true });
    else top[key!] = value;
  }

  function open(container: Raw | unknown[]): void {
    if (depth + 1 > maxDepth) throw new LimitError(`nesting deeper than ${maxDepth}`, position());
    ++depth;
    stack.push(container);
    keys.push(null);
  }

  function startSkip(first: Token, next: Mode): void {
    afterSkip = next;
    skipOpen = 0;
    mode = Mode.Skip;
    skipToken(first);
  }

  function skipToken(t: Token): void {
    switch (t.name) {
      case 'startObject':
      case 'startArray':
        if (depth + 1 > maxDepth) throw new LimitError(`nesting deeper than ${maxDepth}`, position());
        ++depth;
        ++skipOpen;
        return;
      case 'endObject':
      case 'endArray':
        --depth;
        --skipOpen;
        break;
      case 'keyValue':
        return;
    }
    if (skipOpen === 0) mode = afterSkip;
  }

  function step(t: TokenOrValues): void {
    if (t.name === 'messageValues') return deliverValues(t.value, t.offset);
    switch (mode) {
      case Mode.Assemble:
        switch (t.name) {
          case 'keyValue':
            if (assemblingMessage && stack.length === 1 && !MESSAGE_KEYS.has(t.value)) {
              return startSkipInMessage();
            }
            keys[keys.length - 1] = t.value;
            return;
          case 'stringValue':
            return addValue(ownString(t.value));
          case 'numberValue':
            return addValue(Number(t.value));
          case 'trueValue':
          case 'falseValue':
          case 'nullValue':
            return addValue(t.value);
          case 'startObject':
            return open({});
          case 'startArray':
            return open([]);
          case 'endObject':
          case 'endArray': {
            --depth;
            keys.pop();
            return addValue(stack.pop());
          }
        }
        return;
      case Mode.Messages:
        if (t.name === 'endArray') {
          --depth;
          mode = Mode.TopKey;
          return;
        }
        assemblingMessage = true;
        return beginValue(t);
      case Mode.TopKey:
        if (t.name === 'keyValue') {
          topKey = t.value;
          mode = Mode.TopValue;
          return;
        }
        // endObject: the document is complete
        --depth;
        mode = Mode.Between;
        return endDocument();
      case Mode.TopValue:
        if (topKey === 'messages') {
          if (t.name !== 'startArray') {
            throw new DataError('FBS_NOT_A_THREAD', 'not a Messenger thread: "messages" is not an array', position());
          }
          doc!.hasMessages = true;
          ++depth;
          mode = Mode.Messages;
          return;
        }
        if (META_KEYS.has(topKey)) return beginValue(t);
        return startSkip(t, Mode.TopKey);
      case Mode.Between:
        if (t.name !== 'startObject') {
          throw new DataError('FBS_NOT_A_THREAD', `not a Messenger thread: the document is ${describe(t)}, not an object`, position());
        }
        ++depth;
        startDocument();
        mode = Mode.TopKey;
        return;
      case Mode.Skip:
        return skipToken(t);
    }
  }

  /** The tokenizer's fast path: the elements of the messages array, already parsed. */
  function deliverValues(values: unknown[], offset: number): void {
    if (mode !== Mode.Messages) throw new Error('internal: message values outside a "messages" array');
    chunkOffset = offset;
    for (const value of values) {
      assemblingMessage = true;
      deliver(value);
    }
  }

  /** An unread key inside a message: skip its value, then go on assembling the message. */
  function startSkipInMessage(): void {
    afterSkip = Mode.Assemble;
    skipOpen = 0;
    // the value's first token comes next: one scalar, or brackets counted back to zero
    mode = Mode.Skip;
  }

  function beginValue(t: Token): void {
    mode = Mode.Assemble;
    step(t);
  }

  return {
    push(chunks) {
      out = [];
      for (const chunk of chunks) {
        source = chunk.source;
        chunkOffset = chunk.offset;
        const tokens = chunk.tokens;
        for (let i = 0; i < tokens.length; ++i) step(tokens[i]!);
      }
      return out;
    },
    flush() {
      if (mode !== Mode.Between) {
        // the tokenizer reports truncation first; this guards a caller that feeds tokens directly
        throw new DataError('FBS_JSON_SYNTAX', 'invalid JSON: the input ends inside a document (truncated?)', position());
      }
      return [];
    },
  };
}

/**
 * stream-json's strings are slices of its input buffer: one held message would keep a whole
 * 16 KiB slice alive (docs/performance.md#decoder-and-text). Copy those long enough to be slices.
 */
function ownString(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

function describe(t: Token): string {
  switch (t.name) {
    case 'startArray':
      return 'an array';
    case 'stringValue':
      return 'a string';
    case 'numberValue':
      return 'a number';
    default:
      return `a ${t.name.replace('Value', '')}`;
  }
}

/** Participants arrive before the messages in every dialect seen: take them as soon as they do. */
function readParticipants(d: DocState, value: unknown, fixName: (s: string) => string): void {
  if (!Array.isArray(value)) return;
  const names: string[] = [];
  for (const p of value) {
    if (typeof p === 'string') {
      d.e2ee = true; // the E2EE download lists plain names
      names.push(fixName(p));
    } else if (isRaw(p) && typeof p['name'] === 'string') {
      names.push(fixName(p['name']));
    }
  }
  d.info.participants = names;
  d.info.isGroup = names.length > 2;
}

/** The rest of the metadata (title, thread_path, …) comes after the messages in classic files. */
function finishThreadInfo(d: DocState, source: string, fixName: (s: string) => string): void {
  const info = d.info;
  const path = str(d.meta['thread_path']);
  const title = str(d.meta['title']) ?? str(d.meta['threadName']);
  if (title !== undefined) info.title = fixName(title);
  info.id = path ?? (title !== undefined ? `${title}` : source);
  const section = path?.split('/')[0];
  info.section = section !== undefined && SECTIONS.has(section) ? section : null;
  if (d.meta['thread_type'] === 'RegularGroup') info.isGroup = true;
  info.dialect = detectDialect(d, source);
}

function detectDialect(d: DocState, source: string): Dialect {
  if (d.e2ee || d.meta['threadName'] !== undefined) return 'e2ee';
  if (/(?:^|[\\/])your_instagram_activity[\\/]/.test(source)) return 'instagram';
  return 'classic';
}
