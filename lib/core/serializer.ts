/**
 * Serializer: examples -> NDJSON text, one example per line, `\n` terminated, in the chosen output
 * format (lib/formats/output/index.ts). A batch's lines are joined into strings of about
 * BATCH_CHARS (fewer, larger writes). JSON.stringify escapes lone surrogates, so every line is
 * valid UTF-8.
 */
import type { Example } from '../types.js';
import type { Stage } from './stage.js';
import { outputFormat, type FormatCounts, type OutputFormat } from '../formats/output/index.js';

export type { OutputFormat };
export { toOpenAiLine } from '../formats/output/openai.js';

export interface SerializerOptions {
  /** Output shape: `openai` (default), `hf`, `sharegpt`, `gemini` or `text` (lib/formats/output/index.ts). */
  format?: OutputFormat;
  /** Counts the examples written, and what the format left out. */
  stats?: SerializerStats;
  /** Count examples without an assistant message into `stats.withoutReply` (the langchain preset writes some). */
  countWithoutReply?: boolean;
}

export interface SerializerStats {
  examples: number;
  /** Examples the format could not write (added when there are any). */
  examplesSkipped?: number;
  /** Messages the format left out of written examples (added when there are any). */
  turnsDropped?: number;
  /** With `countWithoutReply`: examples that hold no assistant message (OpenAI refuses them). */
  withoutReply?: number;
}

/**
 * A joined string is cut once it reaches this many characters. Writing it flattens it, as UTF-16
 * when it holds an emoji; past 64 Ki characters that copy lands in V8's large-object space, a fresh
 * mmap faulted in page by page (docs/performance.md#serializer-and-large-strings).
 */
const BATCH_CHARS = 16 * 1024;

export function createSerializer(options: SerializerOptions = {}): Stage<Example[], string> {
  return new Serializer(options, outputFormat(options.format ?? 'openai').line);
}

/** A class, not closures: see "one optimization for every job" in lib/core/stage.ts. */
class Serializer implements Stage<Example[], string> {
  readonly #counts: FormatCounts = { examplesSkipped: 0, turnsDropped: 0 };
  readonly #line: (example: Example, counts: FormatCounts) => string;
  constructor(
    readonly options: SerializerOptions,
    line: (example: Example, counts: FormatCounts) => string,
  ) {
    this.#line = line;
  }

  push(batch: Example[]): string[] {
    if (batch.length === 0) return [];
    const out: string[] = [];
    let text = '';
    const counts = this.#counts;
    for (const e of batch) {
      text += this.#line(e, counts);
      if (text.length >= BATCH_CHARS) {
        out.push(text);
        text = '';
      }
    }
    if (text) out.push(text);
    const { stats } = this.options;
    if (stats) {
      addCounts(stats, batch.length, counts);
      if (this.options.countWithoutReply) for (const e of batch) if (!e.messages.some((m) => m.role === 'assistant')) stats.withoutReply = (stats.withoutReply ?? 0) + 1;
    }
    counts.examplesSkipped = counts.turnsDropped = 0;
    return out;
  }

  flush(): string[] {
    return [];
  }
}

function addCounts(stats: SerializerStats, examples: number, counts: FormatCounts): void {
  stats.examples += examples - counts.examplesSkipped;
  if (counts.examplesSkipped) stats.examplesSkipped = (stats.examplesSkipped ?? 0) + counts.examplesSkipped;
  if (counts.turnsDropped) stats.turnsDropped = (stats.turnsDropped ?? 0) + counts.turnsDropped;
}
