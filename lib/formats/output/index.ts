/**
 * The output formats (`--format`): each turns one example into one JSON line, `\n` terminated,
 * or into '' when the example cannot be written in that format (counted). JSON.stringify escapes
 * lone surrogates, so every line is valid UTF-8 whatever the input text holds.
 *
 * Weights: only `openai` writes `weight` (0: context, not trained). The other formats train every
 * assistant turn they write, so for them the chunker must give windows whose trained turns do not
 * overlap and must leave out assistant turns that are not to be trained (one with no user turn
 * before it in its conversation); a `weight` it sets is ignored there.
 */
import type { Example } from '../../types.js';
import { OptionError } from '../../errors.js';
import { toOpenAiLine } from './openai.js';
import { toHfLine } from './hf.js';
import { toShareGptLine } from './sharegpt.js';
import { toGeminiLine } from './gemini.js';
import { toTextLine } from './text.js';

export type OutputFormat = 'openai' | 'hf' | 'sharegpt' | 'gemini' | 'text';

/** What a format left out; the serializer adds these up. */
export interface FormatCounts {
  /** Examples with nothing the format can write (e.g. no user turn before an assistant turn). */
  examplesSkipped: number;
  /** Messages left out of examples that were written (e.g. user turns after the last reply). */
  turnsDropped: number;
}

export interface OutputFormatSpec {
  readonly name: OutputFormat;
  /** One line, or '' when the example is skipped (then counted in `counts`). */
  readonly line: (example: Example, counts: FormatCounts) => string;
  /** Writes per-message `weight`; when false the chunker must not overlap trained turns (see above). */
  readonly weights: boolean;
  /** Reads `sender` and `timestampMs` of messages: the chunker fills them for this format only. */
  readonly stamps: boolean;
  /** Keeps consecutive turns of one role apart (false: joined with a blank line, see alternate.ts). */
  readonly keepsRuns: boolean;
}

export const OUTPUT_FORMATS: Readonly<Record<OutputFormat, OutputFormatSpec>> = Object.freeze({
  openai: { name: 'openai', line: toOpenAiLine, weights: true, stamps: false, keepsRuns: true },
  hf: { name: 'hf', line: toHfLine, weights: false, stamps: false, keepsRuns: true },
  sharegpt: { name: 'sharegpt', line: toShareGptLine, weights: false, stamps: false, keepsRuns: false },
  gemini: { name: 'gemini', line: toGeminiLine, weights: false, stamps: false, keepsRuns: false },
  text: { name: 'text', line: toTextLine, weights: false, stamps: true, keepsRuns: true },
});

export const OUTPUT_FORMAT_NAMES = Object.freeze(Object.keys(OUTPUT_FORMATS) as OutputFormat[]);

/** The format named `name`; a clear FBS_INVALID_OPTION error for any other value. */
export function outputFormat(name: unknown): OutputFormatSpec {
  if (typeof name === 'string' && Object.hasOwn(OUTPUT_FORMATS, name)) return OUTPUT_FORMATS[name as OutputFormat];
  throw new OptionError('format', `must be one of ${OUTPUT_FORMAT_NAMES.join(', ')}`, name);
}

export { toOpenAiLine, toHfLine, toShareGptLine, toGeminiLine, toTextLine };
export { transcriptLine, isoSeconds } from './text.js';
export { alternatingTurns, type AlternatingTurns } from './alternate.js';
export { contentWithName } from './speaker.js';
