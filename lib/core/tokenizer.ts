/**
 * Tokenizer: bytes -> one array of stream-json tokens per input chunk.
 *
 * stream-json's core parser is driven directly over whole chunks, with packed values and no
 * streamed values (half the tokens, docs/performance.md#tokenizer); no stream object per token.
 * It adds what the parser lacks (docs/reliability.md): positions in errors, a cap on the
 * size of one value and on nesting, a clear error on empty input, a counted policy for invalid
 * UTF-8, and a BOM policy: a byte-order mark at the start of a source, or between two documents
 * (`cat a.json b.json`, b.json saved with one), is dropped; anywhere else it is a syntax error, or
 * data inside a string.
 *
 * Error offsets (`DataError.offset`) are the byte of the fault: the character the parser refused,
 * the bracket one level too deep, the opening quote of a value too long. Where that cannot be
 * found (the text since the document began is over {@link REPLAY_CHARS}, or a long value is not a
 * string), it is the end of the slice of at most {@link SLICE} characters the fault was found in.
 */
import { isAscii } from 'node:buffer';
import { jsonParser } from 'stream-json/core/parser.js';
import { OptionError, DataError, LimitError } from '../errors.js';
import type { Token, TokenChunk, TokenOrValues } from '../types.js';
import { createMessageScanner } from './message-scanner.js';
import type { Stage } from './stage.js';

export interface TokenizerOptions {
  /** Name used in errors: a file path, a zip entry, `<stdin>`. */
  source?: string;
  /** The longest string or number accepted, in characters. Default 64 MiB. */
  maxValueLength?: number;
  /** Called once per chunk that held invalid UTF-8, with the number of replaced sequences. */
  onInvalidUtf8?: (count: number, source: string) => void;
  /**
   * Parse the elements of each top-level `messages` array with JSON.parse instead of stream-json
   * (lib/core/message-scanner.ts): same records, about twice as fast. Default true.
   */
  fastMessages?: boolean;
  /** Deepest nesting accepted, counted from the document (1). Default 256, as the decoder's. */
  maxDepth?: number;
}

export interface NormalizedTokenizerOptions {
  readonly source: string;
  readonly maxValueLength: number;
  readonly onInvalidUtf8: ((count: number, source: string) => void) | undefined;
  readonly fastMessages: boolean;
  readonly maxDepth: number;
}

export const DEFAULT_MAX_VALUE_LENGTH = 64 * 1024 * 1024;

/**
 * The parser is fed slices of at most this many characters: a syntax error is detected within the
 * slice it lies in, so this bounds how far the reported offset can be past the fault. 16 KiB keeps
 * the per-call cost of the parser out of the profile.
 */
export const SLICE = 16 * 1024;

/**
 * The text given to the parser since the current document began is kept up to this many
 * characters: on a syntax error it is replayed into a fresh parser, a character at a time over the
 * failing slice, to find the character refused. On the fast path that text is the document's
 * top-level keys (the messages go to JSON.parse, which gives its own positions).
 */
export const REPLAY_CHARS = 1 << 20;

const NONE = Symbol.for('object-stream.none');
const BOM = 0xfeff;
const PARSER_OPTIONS = { packValues: true, streamValues: false, jsonStreaming: true };

type ParserFn = (input: string | symbol) => { values: Token[] } | symbol;

/**
 * The last parser made, kept alive. V8 keeps a function's optimized code only while some closure
 * runs it, and every source gets a parser of its own: without this, a new parser after a full
 * collection was optimized afresh (docs/performance.md#tokenizer). It holds a few KiB at most.
 */
const keptAlive: { parser?: ParserFn } = {};

export function normalizeTokenizerOptions(options: TokenizerOptions = {}): NormalizedTokenizerOptions {
  const maxValueLength = options.maxValueLength ?? DEFAULT_MAX_VALUE_LENGTH;
  if (!Number.isInteger(maxValueLength) || maxValueLength < 1) {
    throw new OptionError('maxValueLength', `must be an integer >= 1`, maxValueLength);
  }
  return Object.freeze({
    source: options.source ?? '<input>',
    maxValueLength,
    onInvalidUtf8: options.onInvalidUtf8,
    fastMessages: options.fastMessages ?? true,
    maxDepth: options.maxDepth ?? 256,
  });
}

/** The tokenizer never returns a lazy output: one batch (of zero or one token chunk) per call. */
export interface Tokenizer extends Stage<Uint8Array | string, TokenChunk> {
  push(input: Uint8Array | string): TokenChunk[];
  flush(): TokenChunk[];
}

export function createTokenizer(options?: TokenizerOptions): Tokenizer {
  const { source, maxValueLength, onInvalidUtf8, fastMessages, maxDepth } = normalizeTokenizerOptions(options);
  const scanner = fastMessages ? createMessageScanner({ source, maxValueLength, maxDepth }) : null;
  const parse = jsonParser(PARSER_OPTIONS) as unknown as ParserFn;
  keptAlive.parser = parse;
  const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  let bytesIn = 0;
  let tokensOut = 0;
  let charsSinceToken = 0;
  let atStart = true;
  let depth = 0; // containers open, from the tokens: 0 between documents
  // what was given to the parser since the current document began (null once over REPLAY_CHARS)
  let replay: Piece[] | null = [];
  let replayChars = 0;
  // the last slice that gave tokens: a value still open after it began there
  let lastTokens: Piece = { text: '', offset: 0 };
  // true while the TextDecoder may hold the first bytes of a character split across chunks
  let decoderHolds = false;
  let failed = false;

  function decode(bytes: Uint8Array): string {
    // Meta's files are pure ASCII: latin1 is the cheapest exact decoding for them.
    if (!decoderHolds && isAscii(bytes)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
    const text = utf8.decode(bytes, { stream: true });
    decoderHolds = endsMidCharacter(bytes);
    if (onInvalidUtf8 && text.includes('\ufffd')) {
      const replaced = countReplacements(text) - countEncodedReplacements(bytes);
      if (replaced > 0) onInvalidUtf8(replaced, source);
    }
    return text;
  }

  function fail(err: unknown, offset: number, reason = err instanceof Error ? err.message.replace(/^Parser /, 'parser ') : String(err)): never {
    failed = true;
    throw new DataError('FBS_JSON_SYNTAX', `invalid JSON: ${reason}`, { source, offset }, { cause: err });
  }

  function tooLong(offset: number): never {
    failed = true;
    throw new LimitError(`a single JSON value is longer than ${maxValueLength} characters`, { source, offset });
  }

  function tooDeep(offset: number): never {
    failed = true;
    throw new LimitError(`nesting deeper than ${maxDepth}`, { source, offset });
  }

  /** Feed stream-json `text`, whose first char is at byte `chunkStart`. */
  function feed(text: string, chunkStart: number, tokens: TokenOrValues[]): void {
    for (let from = 0; from < text.length; from += SLICE) {
      const slice = from === 0 && text.length <= SLICE ? text : text.slice(from, from + SLICE);
      const piece = { text: slice, offset: from === 0 ? chunkStart : chunkStart + Buffer.byteLength(text.slice(0, from)) };
      if (replay) {
        replay.push(piece);
        replayChars += slice.length;
        if (replayChars > REPLAY_CHARS) replay = null;
      }
      let out;
      try {
        out = parse(slice);
      } catch (err) {
        fail(err, replay ? refusedAt(replay) : piece.offset + Buffer.byteLength(slice));
      }
      if (out === NONE) {
        charsSinceToken += slice.length;
        if (charsSinceToken > maxValueLength) tooLong(openingQuote(lastTokens) ?? piece.offset + Buffer.byteLength(slice));
        continue;
      }
      const values = (out as { values: Token[] }).values;
      for (let i = 0; i < values.length; ++i) {
        const t = values[i]!;
        switch (t.name) {
          case 'startObject':
          case 'startArray':
            if (++depth > maxDepth) tooDeep(bracketAt(piece, values, i));
            break;
          case 'endObject':
          case 'endArray':
            --depth;
            break;
          default:
            if ('value' in t && typeof t.value === 'string' && t.value.length > maxValueLength) {
              // begun before the quiet slices, or in this slice or the one before
              const value = t.value;
              const at = charsSinceToken > 0 ? openingQuote(lastTokens) : (valueAt(piece, value) ?? valueAt(lastTokens, value));
              tooLong(at ?? piece.offset + Buffer.byteLength(slice));
            }
        }
        tokens.push(t);
      }
      charsSinceToken = 0;
      lastTokens = piece;
      if (depth === 0) {
        replay = []; // a document ended: a fault after it is replayed from here
        replayChars = 0;
      }
    }
  }

  /** Tokenize decoded `text`, whose first char is at byte `chunkStart`: messages through the scanner when it is on. */
  function tokenizeText(text: string, chunkStart: number, tokens: TokenOrValues[]): void {
    if (text.length === 0) return;
    if (!scanner) return feed(text, chunkStart, tokens);
    for (const segment of scanner.scan(text, chunkStart)) {
      if ('text' in segment) feed(segment.text, segment.offset, tokens);
      else tokens.push({ name: 'messageValues', value: segment.values, offset: segment.offset });
    }
  }

  return {
    push(input) {
      const chunk = typeof input === 'string' ? Buffer.from(input) : input;
      if (failed || chunk.byteLength === 0) return [];
      const chunkStart = bytesIn;
      bytesIn += chunk.byteLength;
      let text = decode(chunk);
      if (atStart && text.length > 0) {
        atStart = false;
        if (text.charCodeAt(0) === BOM) text = text.slice(1);
      }
      const tokens: TokenOrValues[] = [];
      // a BOM between two documents (the second file of `cat a.json b.json`) is dropped like the first
      let from = 0;
      let at = chunkStart;
      for (let bom = text.indexOf('\ufeff'); bom !== -1; bom = text.indexOf('\ufeff', bom + 1)) {
        const before = text.slice(from, bom);
        tokenizeText(before, at, tokens);
        at += Buffer.byteLength(before);
        from = bom;
        if (depth === 0) {
          from = bom + 1;
          at += 3;
        }
      }
      tokenizeText(from === 0 ? text : text.slice(from), at, tokens);
      if (tokens.length === 0) return [];
      tokensOut += tokens.length;
      return [{ source, offset: chunkStart, tokens }];
    },
    flush() {
      if (failed) return [];
      const tokens: TokenOrValues[] = [];
      const tail = decoderHolds ? utf8.decode() : '';
      if (tail) feed(tail, bytesIn, tokens);
      let out;
      try {
        out = parse(NONE);
      } catch (err) {
        // the parser's own words ("expected a value") do not say that the input stopped
        fail(err, bytesIn, 'the input ends inside a document (truncated?)');
      }
      if (out !== NONE) for (const t of (out as { values: Token[] }).values) tokens.push(t);
      tokensOut += tokens.length;
      if (tokensOut === 0) {
        failed = true;
        throw new DataError('FBS_EMPTY_INPUT', 'empty input: no JSON document found', { source, offset: bytesIn });
      }
      return tokens.length ? [{ source, offset: bytesIn, tokens }] : [];
    },
  };
}

/** Text given to the parser, and the byte offset of its first character in the source. */
interface Piece {
  text: string;
  offset: number;
}

/**
 * The byte offset of the character the parser refuses in the last of `pieces` (the text given to
 * it since the document began): replayed into a fresh parser, the last piece a character at a time.
 */
function refusedAt(pieces: readonly Piece[]): number {
  const parse = jsonParser(PARSER_OPTIONS) as unknown as ParserFn;
  const last = pieces[pieces.length - 1]!;
  try {
    for (let i = 0; i < pieces.length - 1; ++i) parse(pieces[i]!.text);
  } catch {
    return last.offset; // cannot happen: these pieces were parsed once already
  }
  const { text } = last;
  for (let i = 0; i < text.length; ) {
    const step = text.codePointAt(i)! > 0xffff ? 2 : 1;
    try {
      parse(text.slice(i, i + step));
    } catch {
      return last.offset + Buffer.byteLength(text.slice(0, i));
    }
    i += step;
  }
  return last.offset + Buffer.byteLength(text); // refused only with what came before: its end
}

/**
 * The byte offset of the bracket that `tokens[index]` (a start token of `piece`) stands for: the
 * brackets of the piece's text are counted outside strings, assuming it starts outside one, else
 * inside one (a long string cut by the slice): the count that matches the tokens tells which.
 */
function bracketAt(piece: Piece, tokens: readonly Token[], index: number): number {
  let wanted = 0;
  let total = 0;
  for (let i = 0; i < tokens.length; ++i) {
    const n = tokens[i]!.name;
    if (n === 'startObject' || n === 'startArray' || n === 'endObject' || n === 'endArray') {
      ++total;
      if (i <= index) ++wanted;
    }
  }
  for (const inString of [false, true]) {
    const found = nthBracket(piece.text, wanted, inString);
    if (found.total === total && found.at >= 0) return piece.offset + Buffer.byteLength(piece.text.slice(0, found.at));
  }
  return piece.offset + Buffer.byteLength(piece.text);
}

/** Where the `n`-th bracket outside strings is in `text` (-1: none), and how many there are. */
function nthBracket(text: string, n: number, inString: boolean): { at: number; total: number } {
  let at = -1;
  let total = 0;
  let escaped = false;
  for (let i = 0; i < text.length; ++i) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c) escaped = true;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d) {
      if (++total === n) at = i;
    }
  }
  return { at, total };
}

/** The byte offset of the quote that opens the string still open at the end of `piece`, if one does. */
function openingQuote(piece: Piece): number | undefined {
  const { text } = piece;
  // inside a string, every quote is escaped: the last one that is not opens it
  for (let q = text.lastIndexOf('"'); q !== -1; q = q === 0 ? -1 : text.lastIndexOf('"', q - 1)) {
    let backslashes = 0;
    while (q - backslashes > 0 && text.charCodeAt(q - backslashes - 1) === 0x5c) ++backslashes;
    if (backslashes % 2 === 0) return piece.offset + Buffer.byteLength(text.slice(0, q));
  }
  return undefined;
}

/** The byte offset of the quote before the first characters of `value` in `piece`, when they are written there as they are. */
function valueAt(piece: Piece, value: string): number | undefined {
  const start = value.slice(0, 64);
  if (/["\\\u0000-\u001f]/.test(start)) return undefined;
  const at = piece.text.indexOf(`"${start}`);
  return at === -1 ? undefined : piece.offset + Buffer.byteLength(piece.text.slice(0, at));
}

/** Whether the last bytes start a UTF-8 sequence that the next chunk completes. */
function endsMidCharacter(bytes: Uint8Array): boolean {
  const n = bytes.length;
  for (let back = 1; back <= 3 && back <= n; ++back) {
    const b = bytes[n - back]!;
    if (b < 0x80) return false;
    if (b >= 0xc0) {
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return back < need;
    }
  }
  return false;
}

function countReplacements(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\ufffd'); i !== -1; i = text.indexOf('\ufffd', i + 1)) ++n;
  return n;
}

/** U+FFFD written literally in the input is data, not a decoding fault. */
function countEncodedReplacements(bytes: Uint8Array): number {
  let n = 0;
  for (let i = bytes.indexOf(0xef); i !== -1 && i + 2 < bytes.length; i = bytes.indexOf(0xef, i + 1)) {
    if (bytes[i + 1] === 0xbf && bytes[i + 2] === 0xbd) ++n;
  }
  return n;
}
