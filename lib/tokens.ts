/**
 * Token counting for OpenAI chat fine-tuning data: which encoding and per-example limit a model has
 * (the one table, {@link MODELS}), the counts OpenAI's cookbook "Data preparation and analysis for
 * chat model fine-tuning" computes, and a cheap upper bound that needs no tokenizer.
 *
 * Encodings come from gpt-tokenizer (bundled, no download) and are loaded only when asked for: each
 * costs tens of MB of heap and a noticeable start-up time.
 */

import { createRequire } from 'node:module';

export type EncodingName = 'o200k_base' | 'cl100k_base';

export interface ModelInfo {
  /** The encoding the model's tokenizer uses. */
  encoding: EncodingName;
  /** Tokens per training example (longer examples are truncated by the trainer); null: unknown, the caller must give one. */
  limit: number | null;
  /** The table entry that matched (`gpt-4o-mini` for `ft:gpt-4o-mini-2024-07-18:org::id`), null for an unknown model. */
  matched: string | null;
}

/**
 * Fine-tunable models: encoding and tokens per training example (OpenAI's fine-tuning guide; the
 * gpt-4.1 figures from Azure OpenAI's table). Dated snapshots and `ft:` names resolve by prefix.
 */
export const MODELS: Readonly<Record<string, { encoding: EncodingName; limit: number }>> = Object.freeze({
  'gpt-4o': { encoding: 'o200k_base', limit: 65_536 },
  'gpt-4o-mini': { encoding: 'o200k_base', limit: 65_536 },
  'gpt-4.1': { encoding: 'o200k_base', limit: 65_536 },
  'gpt-4.1-mini': { encoding: 'o200k_base', limit: 65_536 },
  'gpt-4.1-nano': { encoding: 'o200k_base', limit: 32_768 },
  'gpt-3.5-turbo': { encoding: 'cl100k_base', limit: 16_385 },
});

/** What a model name resolves to; unknown models get o200k_base (every current model's) and no limit. */
export function modelInfo(name: string): ModelInfo {
  let base = name.trim().toLowerCase();
  // a fine-tuned model: `ft:<base model>:<org>:<suffix>:<id>`
  if (base.startsWith('ft:')) base = base.slice(3).split(':')[0] ?? '';
  let best: string | null = null;
  for (const key of Object.keys(MODELS)) {
    const fits = base === key || base.startsWith(`${key}-`);
    if (fits && (best === null || key.length > best.length)) best = key;
  }
  if (best === null) return { encoding: 'o200k_base', limit: null, matched: null };
  const entry = MODELS[best]!;
  return { encoding: entry.encoding, limit: entry.limit, matched: best };
}

/** A loaded encoding: counts the tokens of a text. */
export interface TokenEncoding {
  readonly name: EncodingName;
  count(text: string): number;
}

// special-token text such as `<|endoftext|>` in the data is plain text to the trainer: count it as
// text instead of throwing (gpt-tokenizer's default, like tiktoken's encode())
const AS_TEXT = Object.freeze({ disallowedSpecial: new Set<string>() });

/**
 * Load one encoding (once per process, shared with {@link tokenCounter}); only the module of that
 * encoding is loaded. Its CommonJS build, so that a pipeline stage can load it synchronously too.
 */
export async function loadEncoding(name: EncodingName): Promise<TokenEncoding> {
  let encoding = encodings.get(name);
  if (!encoding) encodings.set(name, (encoding = { name, count: countFor(name) }));
  return encoding;
}

const encodings = new Map<EncodingName, TokenEncoding>();

/** The fixed costs of the cookbook's count: every message, a `name`, and every example's reply primer. */
export const TOKENS_PER_MESSAGE = 3;
export const TOKENS_PER_NAME = 1;
export const TOKENS_PER_EXAMPLE = 3;

/**
 * Tokens of one message as the cookbook counts them: 3, plus every string value encoded (role,
 * content, name, …), plus 1 for a `name`. Values that are not strings (`weight`, a `function_call`
 * object) are not counted (the cookbook's code would fail on them).
 */
export function countMessageTokens(message: Readonly<Record<string, unknown>>, encoding: TokenEncoding): number {
  let tokens = TOKENS_PER_MESSAGE;
  for (const key in message) {
    const value = message[key];
    if (typeof value === 'string') tokens += encoding.count(value);
    if (key === 'name') tokens += TOKENS_PER_NAME;
  }
  return tokens;
}

/** Tokens of one training example (its `messages`), as the cookbook counts them. */
export function countExampleTokens(messages: readonly Readonly<Record<string, unknown>>[], encoding: TokenEncoding): number {
  let tokens = TOKENS_PER_EXAMPLE;
  for (const message of messages) tokens += countMessageTokens(message, encoding);
  return tokens;
}

/**
 * An upper bound on the tokens of `text` in o200k_base and cl100k_base, without tokenizing: its
 * UTF-8 length. Both are byte-level BPE: every token stands for at least one byte of the UTF-8 text
 * (a lone surrogate is encoded as U+FFFD, 3 bytes, counted as 3 here).
 */
export function upperBoundTokens(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4; // a surrogate pair: one code point beyond U+FFFF
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** {@link countExampleTokens} bounded from above the same way: when this fits a limit, counting can be skipped. */
export function upperBoundExampleTokens(messages: readonly Readonly<Record<string, unknown>>[]): number {
  let tokens = TOKENS_PER_EXAMPLE;
  for (const message of messages) {
    tokens += TOKENS_PER_MESSAGE;
    for (const key in message) {
      const value = message[key];
      if (typeof value === 'string') tokens += upperBoundTokens(value);
      if (key === 'name') tokens += TOKENS_PER_NAME;
    }
  }
  return tokens;
}

const counters = new Map<EncodingName, (text: string) => number>();

function countFor(name: EncodingName): (text: string) => number {
  let count = counters.get(name);
  if (!count) {
    const m = createRequire(import.meta.url)(`gpt-tokenizer/cjs/encoding/${name}`) as { countTokens(text: string, options: object): number };
    count = (text: string) => m.countTokens(text, AS_TEXT);
    counters.set(name, count);
  }
  return count;
}

/**
 * A synchronous counter for a pipeline stage, loading the encoding on the first count (a stage
 * cannot wait): most runs never count, since a window's bytes already bound its tokens.
 */
export function tokenCounter(name: EncodingName): (text: string) => number {
  let count: ((text: string) => number) | undefined;
  return (text) => (count ??= countFor(name))(text);
}
