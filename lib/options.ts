/**
 * Every option of a conversion, declared once: its type, default, rule and the line `--help`
 * shows. The CLI builds its flags from {@link CONVERT_OPTIONS}; the library takes the same names
 * (camelCase) in {@link ConvertOptions}; {@link normalizeConvertOptions} applies every default and
 * rule in one place and returns plain, frozen data that can be posted to a worker thread.
 *
 * Adding an option: declare it here (table, type, normalisation), use it in its stage, document it
 * in the README. Nothing else.
 */
import { availableParallelism } from 'node:os';
import { OptionError } from './errors.js';
import type { MessageKind } from './types.js';

export type Preset = 'default' | 'langchain';

export const ALL_KINDS: readonly MessageKind[] = ['text', 'media', 'sticker', 'share', 'call', 'unsent', 'notice', 'reaction', 'empty'];
export const DEFAULT_KINDS: readonly MessageKind[] = ['text', 'share', 'media'];

/** Where an export keeps threads (`e2ee`: the separate E2EE chat download). */
export type ThreadSection = 'inbox' | 'archived_threads' | 'filtered_threads' | 'message_requests' | 'e2ee_cutover' | 'e2ee';
export const ALL_SECTIONS: readonly ThreadSection[] = ['inbox', 'archived_threads', 'filtered_threads', 'message_requests', 'e2ee_cutover', 'e2ee'];
/** The conversations a person had: not what Messenger judged spam, not unanswered requests. */
export const DEFAULT_SECTIONS: readonly ThreadSection[] = ['inbox', 'archived_threads', 'e2ee_cutover', 'e2ee'];

/** Options the CLI, a conversion and a thread pipeline take in the same units. */
export interface CommonOptions {
  /** `langchain`: LangChain's Facebook Messenger walkthrough, exactly. Default `default`. */
  preset?: Preset;
  /** Turns per example. Default 8. */
  window?: number;
  /** Turns shared by consecutive examples (less than `window`). Default 2. */
  overlap?: number;
  /** Merge consecutive messages of one sender into one turn. Default true. */
  merge?: boolean;
  /** Add each speaker's name to user turns in group chats. Default false. */
  names?: boolean;
  /** System message to start every example with. */
  system?: string;
  /** Message kinds kept. Default text, share, media. */
  kinds?: readonly MessageKind[];
  /** Folder for temporary files. Default: the system's. */
  tmpDir?: string;
}

/** What a conversion is asked to do. Every field is optional; the CLI flag is the kebab-case name. */
export interface ConvertOptions extends CommonOptions {
  /** Export folders, `.zip` parts, thread files; none or `-`: standard input. */
  inputs?: readonly string[];
  /** Your name as the export writes it: your messages become assistant turns. Default for an export: its owner. */
  me?: string;
  /** Write to this file (complete or not at all), a device or FIFO in place; `-` or none: standard output. */
  out?: string;
  /** Merge a sender's messages only within this many minutes. Default: no limit. */
  mergeGap?: number;
  /** Start a new conversation after this many hours of silence. Default: none. */
  sessionGap?: number;
  /** Only messages from this date on (`YYYY-MM-DD`, midnight UTC, or ISO 8601). */
  since?: string;
  /** Only messages before this date. */
  until?: string;
  /** Export sections read. Default inbox, archived_threads, e2ee_cutover, e2ee. */
  sections?: readonly ThreadSection[];
  /** Include group chats. Default true. */
  groups?: boolean;
  /** Only threads whose name, title or a participant matches one of these (substring, or `*` `?` wildcards). */
  thread?: readonly string[];
  /** Threads converted at once (this thread and `jobs - 1` workers). Default: the number of cores. */
  jobs?: number;
  /** MB of messages held per thread before sorting spills to temporary files. Default 4. */
  sortMemory?: number;
}

/**
 * A thread pipeline's options, in the units the stages use (ms, bytes): what {@link createPipeline}
 * takes. `normalizeStageOptions` fills in the defaults; its result is plain data, posted to worker
 * threads as it is, and normalising it again gives the same.
 */
export interface StageOptions extends CommonOptions {
  /** The sender whose turns become `assistant` (a repaired, real name). */
  me: string;
  /** `mergeGap` in ms. */
  mergeGapMs?: number;
  /** `sessionGap` in ms. */
  sessionGapMs?: number;
  /** `since` in ms since the epoch. */
  sinceMs?: number;
  /** `until` in ms since the epoch. */
  untilMs?: number;
  /** `sortMemory` in bytes. Default 4 MiB. */
  memoryBytes?: number;
}

type Filled = 'me' | 'preset' | 'window' | 'overlap' | 'merge' | 'names' | 'kinds' | 'memoryBytes';
export type StageSettings = Readonly<Required<Pick<StageOptions, Filled>> & Omit<StageOptions, Filled>>;

/** A whole run, resolved. `me` is null until an export's owner is found. */
export interface NormalizedConvertOptions {
  readonly inputs: readonly string[];
  readonly me: string | null;
  readonly out: string | null;
  readonly sections: readonly ThreadSection[];
  readonly groups: boolean;
  readonly thread: readonly string[];
  readonly jobs: number;
  /** The pipeline's settings but `me` (see {@link stageSettings}). */
  readonly stages: Omit<StageSettings, 'me'>;
}

type Flag = { describe: string; type: 'string' | 'number' | 'boolean' | 'array'; default?: unknown; defaultDescription?: string; alias?: string; choices?: readonly string[] };

/** The CLI's view of each option (kebab-case names come from these keys); the defaults are the ones applied below. */
export const CONVERT_OPTIONS = {
  me: { type: 'string', describe: 'Your name as the export writes it: your messages become assistant turns (default for an export: its owner)' },
  out: { type: 'string', alias: 'o', describe: 'Write to FILE (atomically: complete or not at all; a device or FIFO is written in place; - is stdout) instead of stdout' },
  window: { type: 'number', default: 8, describe: 'Turns per example' },
  overlap: { type: 'number', default: 2, describe: 'Turns shared by consecutive examples' },
  merge: { type: 'boolean', default: true, describe: 'Merge consecutive messages of one sender into one turn (--no-merge: one turn per message)' },
  preset: { type: 'string', default: 'default', choices: ['default', 'langchain'], describe: "langchain: reproduce LangChain's Facebook Messenger walkthrough exactly" },
  sections: { type: 'array', defaultDescription: DEFAULT_SECTIONS.join(','), describe: `Export sections to read, comma-separated (${ALL_SECTIONS.join(', ')})` },
  groups: { type: 'boolean', default: true, describe: 'Include group chats (--no-groups: 1:1 only)' },
  thread: { type: 'array', describe: 'Only threads whose name, title or a participant matches (substring, or * ? wildcards); repeatable' },
  since: { type: 'string', describe: 'Only messages from this date on (YYYY-MM-DD or ISO 8601)' },
  until: { type: 'string', describe: 'Only messages before this date' },
  jobs: { type: 'number', alias: 'j', defaultDescription: 'the number of cores', describe: 'Threads converted at once (this one and N - 1 worker threads)' },
  names: { type: 'boolean', default: false, describe: "Add each speaker's name to user turns in group chats" },
  system: { type: 'string', describe: 'System message to start every example with' },
  sessionGap: { type: 'number', describe: 'Start a new conversation after this many hours of silence' },
  mergeGap: { type: 'number', describe: "Merge a sender's messages only within this many minutes" },
  sortMemory: { type: 'number', default: 4, describe: 'MB of messages held per thread before sorting spills to temporary files' },
  tmpDir: { type: 'string', describe: 'Folder for temporary files (default: the system temp folder)' },
} as const satisfies Partial<Record<keyof ConvertOptions, Flag>>;

const D = CONVERT_OPTIONS;

/**
 * Every default and rule of a conversion, in one place. Throws an {@link OptionError} naming the
 * option (`--window`, as the CLI and the README spell it) and its rule.
 */
export function normalizeConvertOptions(options: ConvertOptions = {}): NormalizedConvertOptions {
  const o = options;
  const since = dateOf('since', o.since);
  const until = dateOf('until', o.until);
  if (since !== undefined && until !== undefined && since >= until) {
    throw new OptionError('--until', `must be after --since (${o.since}): messages are kept from --since up to, not including, --until`, o.until);
  }
  const { me: _, ...stages } = normalizeStageOptions({
    me: 'nobody',
    ...(o.preset !== undefined && { preset: o.preset }),
    ...(o.window !== undefined && { window: o.window }),
    ...(o.overlap !== undefined && { overlap: o.overlap }),
    ...(o.merge !== undefined && { merge: o.merge }),
    ...(o.mergeGap !== undefined && { mergeGapMs: positive('merge-gap', o.mergeGap, 'a number of minutes > 0') * 60_000 }),
    ...(o.sessionGap !== undefined && { sessionGapMs: positive('session-gap', o.sessionGap, 'a number of hours > 0') * 3_600_000 }),
    ...(o.names !== undefined && { names: o.names }),
    ...(o.system !== undefined && { system: o.system }),
    ...(o.kinds !== undefined && { kinds: o.kinds }),
    ...(since !== undefined && { sinceMs: since }),
    ...(until !== undefined && { untilMs: until }),
    ...(o.sortMemory !== undefined && { memoryBytes: Math.round(positiveAtLeast('sort-memory', o.sortMemory, 1, 'a number of MB >= 1') * 1024 * 1024) }),
    ...(o.tmpDir !== undefined && { tmpDir: o.tmpDir }),
  });
  return Object.freeze({
    inputs: Object.freeze(stringList('inputs', o.inputs ?? [])),
    me: o.me === undefined ? null : meOf(o.me),
    out: optionalString('out', o.out),
    sections: Object.freeze(sectionsOf(o.sections)),
    groups: bool('groups', o.groups ?? D.groups.default),
    thread: Object.freeze(stringList('thread', o.thread ?? [])),
    jobs: o.jobs === undefined ? availableParallelism() : integerAtLeast('jobs', o.jobs, 1),
    stages: Object.freeze(stages),
  });
}

/** Every default and rule of a thread pipeline. Idempotent. */
export function normalizeStageOptions(o: StageOptions): StageSettings {
  const window = integerAtLeast('window', o.window ?? D.window.default, 1);
  const overlap = integerAtLeast('overlap', o.overlap ?? D.overlap.default, 0);
  if (overlap >= window) throw new OptionError('--overlap', `must be less than --window (${window})`, overlap);
  if (o.sinceMs !== undefined && o.untilMs !== undefined && o.sinceMs >= o.untilMs) {
    throw new OptionError('--until', `must be after --since (${new Date(o.sinceMs).toISOString()}): messages are kept from --since up to, not including, --until`, new Date(o.untilMs).toISOString());
  }
  const kinds = o.kinds ?? DEFAULT_KINDS;
  if (!Array.isArray(kinds)) throw new OptionError('--kinds', 'must be a list of message kinds', kinds);
  for (const k of kinds) if (!ALL_KINDS.includes(k)) throw new OptionError('--kinds', `each must be one of ${ALL_KINDS.join(', ')}`, k);
  const settings: StageSettings = {
    me: meOf(o.me),
    preset: oneOf('preset', o.preset ?? D.preset.default, D.preset.choices),
    window,
    overlap,
    merge: bool('merge', o.merge ?? D.merge.default),
    names: bool('names', o.names ?? D.names.default),
    kinds: Object.freeze([...kinds]),
    memoryBytes: integerAtLeast('memoryBytes', o.memoryBytes ?? D.sortMemory.default * 1024 * 1024, 1024),
    ...(o.mergeGapMs !== undefined && { mergeGapMs: positive('merge-gap', o.mergeGapMs, 'a number of ms > 0') }),
    ...(o.sessionGapMs !== undefined && { sessionGapMs: positive('session-gap', o.sessionGapMs, 'a number of ms > 0') }),
    ...(o.system !== undefined && { system: string('system', o.system) }),
    ...(o.sinceMs !== undefined && { sinceMs: finite('since', o.sinceMs) }),
    ...(o.untilMs !== undefined && { untilMs: finite('until', o.untilMs) }),
    ...(o.tmpDir !== undefined && { tmpDir: string('tmp-dir', o.tmpDir) }),
  };
  return Object.freeze(settings);
}

/** The settings a thread's pipeline runs with, once `me` is known. */
export function stageSettings(options: NormalizedConvertOptions, me: string): StageSettings {
  return Object.freeze({ ...options.stages, me });
}

function flag(name: string): string {
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** `name`: a CLI flag's camelCase name (shown as the flag), or a library-only option (shown as it is). */
export function integerAtLeast(name: string, value: unknown, min: number): number {
  const shown = name in CONVERT_OPTIONS ? flag(name) : name;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw new OptionError(shown, `must be an integer >= ${min}`, value);
  return value;
}

function positive(name: string, value: unknown, rule: string): number {
  return positiveAtLeast(name, value, Number.MIN_VALUE, rule);
}

function positiveAtLeast(name: string, value: unknown, min: number, rule: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value >= min)) throw new OptionError(`--${name}`, `must be ${rule}`, value);
  return value;
}

function finite(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new OptionError(`--${name}`, 'must be a time in ms since the epoch', value);
  return value;
}

function bool(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new OptionError(flag(name), 'must be true or false', value);
  return value;
}

function oneOf<T extends string>(name: string, value: unknown, choices: readonly T[]): T {
  if (!choices.includes(value as T)) throw new OptionError(flag(name), `must be ${choices.map((c) => `"${c}"`).join(' or ')}`, value);
  return value as T;
}

function optionalString(name: string, value: unknown): string | null {
  return value === undefined ? null : string(name, value);
}

function string(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new OptionError(`--${name}`, 'must be a string', value);
  return value;
}

function stringList(name: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new OptionError(flag(name), 'must be a list of strings', value);
  return [...(value as string[])];
}

function meOf(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new OptionError('--me', 'must be a name', value);
  return value;
}

/** `inbox,archived_threads` or a list; each must be a known section. */
function sectionsOf(value: readonly string[] | undefined): ThreadSection[] {
  if (value === undefined) return [...DEFAULT_SECTIONS];
  const list = stringList('sections', value).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  for (const s of list) {
    if (!ALL_SECTIONS.includes(s as ThreadSection)) throw new OptionError('--sections', `each must be one of ${ALL_SECTIONS.join(', ')}`, s);
  }
  return list as ThreadSection[];
}

/** `YYYY-MM-DD` is midnight UTC; anything else Date.parse reads. */
function dateOf(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value !== 'string' ? NaN : /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : Date.parse(value);
  if (Number.isNaN(ms)) throw new OptionError(`--${name}`, 'must be a date (YYYY-MM-DD or ISO 8601)', value);
  return ms;
}
