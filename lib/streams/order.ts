import type { TransformOptions } from 'node:stream';
import { createOrder, type OrderOptions } from '../core/order/order.js';
import { createFileSpill, type FileSpillOptions } from './spill-files.js';
import { toTransform } from './to-transform.js';

/**
 * The order stage as a Transform (see lib/core/order/order.ts), spilling to temporary files past its
 * budget unless `spill` is given. The files go with the stream: removed on end, error and destroy.
 */
export function createOrderStream(options: OrderOptions & FileSpillOptions = {}, streamOptions?: TransformOptions) {
  const spill = options.spill ?? createFileSpill(options.dir === undefined ? {} : { dir: options.dir });
  const stream = toTransform(createOrder({ ...options, spill }), streamOptions);
  stream.once('end', () => spill.close());
  return stream;
}
