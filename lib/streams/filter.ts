import type { TransformOptions } from 'node:stream';
import { createFilter, type FilterOptions } from '../core/filter.js';
import { toTransform } from './to-transform.js';

/** The filter stage as a Transform (see lib/core/filter.ts). */
export function createFilterStream(options?: FilterOptions, streamOptions?: TransformOptions) {
  return toTransform(createFilter(options), streamOptions);
}
