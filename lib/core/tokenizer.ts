/**
 * Tokenizer: bytes -> one array of stream-json tokens per input chunk.
 *
 * stream-json's core parser is driven directly over whole chunks, with packed values and no
 * streamed values (half the tokens, docs/performance.md#tokenizer); no stream object per token.
 * It adds what the parser lacks (docs/reliability.md): positions in errors, a cap on the
 * size of one value, a clear error on empty input, a counted policy for invalid UTF-8, and a BOM
 * policy (a byte-order mark at the start of a source is dropped; anywhere else it is a syntax error).
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
  /** Deepest nesting accepted inside a message on the fast path. Default 256, as the decoder's. */
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

const NONE = Symbol.for('object-stream.none');
const BOM = 0xfeff;

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
  const parse = jsonParser({ packValues: true, streamValues: false, jsonStreaming: true }) as unknown as ParserFn;
  keptAlive.parser = parse;
  const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  let bytesIn = 0;
  let tokensOut = 0;
  let charsSinceToken = 0;
  let atStart = true;
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

  function fail(err: unknown, offset: number): never {
    failed = true;
    const reason = err instanceof Error ? err.message.replace(/^Parser /, 'parser ') : String(err);
    throw new DataError('FBS_JSON_SYNTAX', `invalid JSON: ${reason}`, { source, offset }, { cause: err });
  }

  /** Feed stream-json `text`, whose first char is at byte `chunkStart`. */
  function feed(text: string, chunkStart: number, tokens: TokenOrValues[]): void {
    for (let from = 0; from < text.length; from += SLICE) {
      const slice = from === 0 && text.length <= SLICE ? text : text.slice(from, from + SLICE);
      let out;
      try {
        out = parse(slice);
      } catch (err) {
        fail(err, chunkStart + Buffer.byteLength(text.slice(0, from + slice.length)));
      }
      if (out === NONE) {
        charsSinceToken += slice.length;
        if (charsSinceToken > maxValueLength) {
          failed = true;
          throw new LimitError(`a single JSON value is longer than ${maxValueLength} characters`, {
            source,
            offset: chunkStart + Buffer.byteLength(text.slice(0, from + slice.length)),
          });
        }
        continue;
      }
      charsSinceToken = 0;
      const values = (out as { values: Token[] }).values;
      for (let i = 0; i < values.length; ++i) {
        const t = values[i]!;
        if ('value' in t && typeof t.value === 'string' && t.value.length > maxValueLength) {
          failed = true;
          throw new LimitError(`a single JSON value is longer than ${maxValueLength} characters`, {
            source,
            offset: chunkStart + Buffer.byteLength(text.slice(0, from + slice.length)),
          });
        }
        tokens.push(t);
      }
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
      if (!scanner) feed(text, chunkStart, tokens);
      else {
        for (const segment of scanner.scan(text, chunkStart)) {
          if ('text' in segment) feed(segment.text, segment.offset, tokens);
          else {
            tokens.push({ name: 'messageValues', value: segment.values, offset: segment.offset });
          }
        }
      }
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
        fail(err, bytesIn);
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
