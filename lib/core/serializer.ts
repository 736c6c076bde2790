/**
 * Serializer: examples -> NDJSON text, one example per line, `\n` terminated. A batch's lines are
 * joined into strings of about BATCH_CHARS (fewer, larger writes). JSON.stringify escapes lone
 * surrogates, so every line is valid UTF-8.
 */
import type { Example } from '../types.js';
import type { Stage } from './stage.js';
import { OptionError } from '../errors.js';

export type OutputFormat = 'openai';

export interface SerializerOptions {
  /** Output shape. Only OpenAI chat fine-tuning (`{"messages":[…]}`) so far. */
  format?: OutputFormat;
  /** Counts the examples written. */
  stats?: { examples: number };
}

/**
 * A joined string is cut once it reaches this many characters. Writing it flattens it, as UTF-16
 * when it holds an emoji; past 64 Ki characters that copy lands in V8's large-object space, a fresh
 * mmap faulted in page by page (docs/performance.md#serializer-and-large-strings).
 */
const BATCH_CHARS = 16 * 1024;

export function toOpenAiLine(example: Example): string {
  return JSON.stringify({ messages: example.messages }) + '\n';
}

export function createSerializer(options: SerializerOptions = {}): Stage<Example[], string> {
  const format = options.format ?? 'openai';
  if (format !== 'openai') throw new OptionError('format', `must be "openai"`, format);
  return new Serializer(options);
}

/** A class, not closures: see "one optimization for every job" in lib/core/stage.ts. */
class Serializer implements Stage<Example[], string> {
  constructor(readonly options: SerializerOptions) {}

  push(batch: Example[]): string[] {
    if (batch.length === 0) return [];
    const out: string[] = [];
    let text = '';
    for (const e of batch) {
      text += toOpenAiLine(e);
      if (text.length >= BATCH_CHARS) {
        out.push(text);
        text = '';
      }
    }
    if (text) out.push(text);
    if (this.options.stats) this.options.stats.examples += batch.length;
    return out;
  }

  flush(): string[] {
    return [];
  }
}
