import type { TransformOptions } from 'node:stream';
import { createChunker, type ChunkerOptions } from '../core/chunker.js';
import { toTransform } from './to-transform.js';

/** The chunker stage as a Transform (see lib/core/chunker.ts). */
export function createChunkerStream(options?: ChunkerOptions, streamOptions?: TransformOptions) {
  return toTransform(createChunker(options), streamOptions);
}
