import type { TransformOptions } from 'node:stream';
import { createDecoder, type DecoderOptions } from '../core/decoder.js';
import { toTransform } from './to-transform.js';

/** The decoder stage as a Transform (see lib/core/decoder.ts). */
export function createDecoderStream(options?: DecoderOptions, streamOptions?: TransformOptions) {
  return toTransform(createDecoder(options), streamOptions);
}
