import type { TransformOptions } from 'node:stream';
import { createTokenizer, type TokenizerOptions } from '../core/tokenizer.js';
import { toTransform } from './to-transform.js';

/** The tokenizer stage as a Transform (see lib/core/tokenizer.ts). */
export function createTokenizerStream(options?: TokenizerOptions, streamOptions?: TransformOptions) {
  return toTransform(createTokenizer(options), streamOptions);
}
