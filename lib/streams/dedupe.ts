import type { TransformOptions } from 'node:stream';
import { createDedupe, type DedupeOptions } from '../core/dedupe.js';
import { toTransform } from './to-transform.js';

/** The dedupe stage as a Transform (see lib/core/dedupe.ts). */
export function createDedupeStream(options?: DedupeOptions, streamOptions?: TransformOptions) {
  return toTransform(createDedupe(options), streamOptions);
}
