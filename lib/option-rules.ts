/** The rules option values are checked by, each naming the flag as the CLI and README spell it. */
import { OptionError } from './errors.js';

export function flag(name: string): string {
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

export function positiveAtLeast(name: string, value: unknown, min: number, rule: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value >= min)) throw new OptionError(`--${name}`, `must be ${rule}`, value);
  return value;
}

export function finite(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new OptionError(`--${name}`, 'must be a time in ms since the epoch', value);
  return value;
}

export function bool(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new OptionError(flag(name), 'must be true or false', value);
  return value;
}

export function oneOf<T extends string>(name: string, value: unknown, choices: readonly T[]): T {
  if (!choices.includes(value as T)) throw new OptionError(flag(name), `must be ${choices.map((c) => `"${c}"`).join(' or ')}`, value);
  return value as T;
}

export function optionalString(name: string, value: unknown): string | null {
  return value === undefined ? null : string(name, value);
}

export function string(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new OptionError(`--${name}`, 'must be a string', value);
  return value;
}

export function stringList(name: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new OptionError(flag(name), 'must be a list of strings', value);
  return [...(value as string[])];
}

export function integerIn(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) throw new OptionError(flag(name), `must be an integer from ${min} to ${max}`, value);
  return value;
}
