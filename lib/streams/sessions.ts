import type { TransformOptions } from 'node:stream';
import { createSessions, type SessionsOptions } from '../core/sessions.js';
import { toTransform } from './to-transform.js';

/** The sessions stage as a Transform (see lib/core/sessions.ts). */
export function createSessionsStream(options: SessionsOptions, streamOptions?: TransformOptions) {
  return toTransform(createSessions(options), streamOptions);
}
