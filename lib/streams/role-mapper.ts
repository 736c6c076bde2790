import type { TransformOptions } from 'node:stream';
import { createRoleMapper, type RoleMapperOptions, type RoleMapperStats } from '../core/role-mapper.js';
import { toTransform } from './to-transform.js';

/** The role-mapper stage as a Transform (see lib/core/role-mapper.ts). */
export function createRoleMapperStream(options: RoleMapperOptions, stats?: RoleMapperStats, streamOptions?: TransformOptions) {
  return toTransform(createRoleMapper(options, stats), streamOptions);
}
