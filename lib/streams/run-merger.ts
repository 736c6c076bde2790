import type { TransformOptions } from 'node:stream';
import { createRunMerger, type RunMergerOptions } from '../core/run-merger.js';
import { toTransform } from './to-transform.js';

/** The run-merger stage as a Transform (see lib/core/run-merger.ts). */
export function createRunMergerStream(options?: RunMergerOptions, streamOptions?: TransformOptions) {
  return toTransform(createRunMerger(options), streamOptions);
}
