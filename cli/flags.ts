/**
 * The options module's flag tables (lib/options.ts: `CONVERT_OPTIONS`, `API_OPTIONS`, …) as yargs
 * flags, and back: the kebab-case flag from each camelCase key, its default and help line; and the
 * parsed values of a table's flags, only those given or defaulted (yargs adds aliases and both
 * spellings, which the option normalisers must not see).
 */
import type { Argv, Options } from 'yargs';

/** One entry of a flag table (the shape of lib/options.ts's tables). */
export interface FlagSpec {
  readonly describe: string;
  readonly type: 'string' | 'number' | 'boolean' | 'array';
  readonly default?: unknown;
  readonly defaultDescription?: string;
  readonly alias?: string;
  readonly choices?: readonly string[];
}

export type FlagTable = Readonly<Record<string, FlagSpec>>;

/** `lrMultiplier` → `lr-multiplier`. */
export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Every flag of `table` on `y`, in the table's order. */
export function addFlags<T>(y: Argv<T>, table: FlagTable): Argv<T> {
  let out = y;
  for (const [name, o] of Object.entries(table)) {
    const spec: Options = { describe: o.describe, type: o.type === 'array' ? 'string' : o.type };
    if (o.type === 'array') spec.array = true;
    if (o.type !== 'boolean') spec.requiresArg = true;
    if (o.default !== undefined) spec.default = o.default;
    if (o.defaultDescription !== undefined) spec.defaultDescription = o.defaultDescription;
    if (o.alias !== undefined) spec.alias = o.alias;
    if (o.choices !== undefined) spec.choices = [...o.choices];
    out = out.option(kebab(name), spec);
  }
  return out;
}

/** The values of `table`'s flags in parsed `args`, by camelCase name; flags without a value are left out. */
export function flagValues(args: object, table: FlagTable): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const name of Object.keys(table)) {
    const value = (args as Record<string, unknown>)[name];
    if (value !== undefined) values[name] = value;
  }
  return values;
}
