/**
 * Serializer: examples -> NDJSON text, one example per line, `\n` terminated. One string per batch
 * (fewer, larger writes). JSON.stringify escapes lone surrogates, so every line is valid UTF-8.
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

export function toOpenAiLine(example: Example): string {
  return JSON.stringify({ messages: example.messages }) + '\n';
}

export function createSerializer(options: SerializerOptions = {}): Stage<Example[], string> {
  const format = options.format ?? 'openai';
  if (format !== 'openai') throw new OptionError('format', `must be "openai"`, format);
  return {
    push(batch) {
      if (batch.length === 0) return [];
      let text = '';
      for (const e of batch) text += toOpenAiLine(e);
      if (options.stats) options.stats.examples += batch.length;
      return [text];
    },
    flush: () => [],
  };
}
