import type { TransformOptions } from 'node:stream';
import { createSerializer, type SerializerOptions } from '../core/serializer.js';
import { toTransform } from './to-transform.js';

/** The serializer stage as a Transform (see lib/core/serializer.ts); it emits strings, not arrays, for byte sinks. */
export function createSerializerStream(options?: SerializerOptions, streamOptions?: TransformOptions) {
  return toTransform(createSerializer(options), { ...streamOptions, flatten: true });
}
