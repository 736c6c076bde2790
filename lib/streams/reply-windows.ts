import type { TransformOptions } from 'node:stream';
import { createReplyWindows, type ReplyWindowsOptions } from '../core/reply-windows.js';
import { toTransform } from './to-transform.js';

/** The reply-windows stage as a Transform (see lib/core/reply-windows.ts). */
export function createReplyWindowsStream(options?: ReplyWindowsOptions, streamOptions?: TransformOptions) {
  return toTransform(createReplyWindows(options), streamOptions);
}
