import type { TransformOptions } from 'node:stream';
import { createPrivacyStage, type PrivacyOptions } from '../privacy/stage.js';
import { toTransform } from './to-transform.js';

/** The privacy stage as a Transform (see lib/privacy/stage.ts). */
export function createPrivacyStream(options?: PrivacyOptions, streamOptions?: TransformOptions) {
  return toTransform(createPrivacyStage(options), streamOptions);
}
