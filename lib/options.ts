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
import { bool, finite, flag, integerIn, oneOf, optionalString, positiveAtLeast, string, stringList } from './option-rules.js';
import { OUTPUT_FORMAT_NAMES, type OutputFormat } from './formats/output/index.js';
import { PII_KINDS, type PiiKind } from './privacy/spans.js';
import { modelInfo, type EncodingName } from './tokens.js';
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
  /** Name the other speakers of group chats (OpenAI's `name`, in ASCII). Default true. */
  names?: boolean;
  /** System message to start every example with. */
  system?: string;
  /** Message kinds kept. Default text, share, media. */
  kinds?: readonly MessageKind[];
  /** Folder for temporary files. Default: the system's. */
  tmpDir?: string;
  /** Output shape: `openai`, `hf`, `sharegpt`, `gemini` or `text`. Default `openai`. */
  format?: OutputFormat;
  /** Pack turns into an example up to this many tokens instead of `window` turns. Default: by turns. */
  windowTokens?: number;
  /** Replace these in text: `emails`, `phones`, `urls`, `cards`. Default: none. */
  redact?: readonly PiiKind[];
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
  /** The model to train: its tokenizer and per-example token limit (lib/tokens.ts). Default `gpt-4.1`. */
  model?: string;
  /** Tokens per example at most; overrides the model's limit (needed for a model not in the table). */
  maxTokens?: number;
  /** Participants' names, as senders and in text, become stable pseudonyms keyed by `salt`. Default false. */
  pseudonymize?: boolean;
  /** The secret that keys the pseudonyms (the same salt gives the same pseudonyms). */
  salt?: string;
  /** The share of threads written to `out`; the rest go to `validationOut`. Default: no split. */
  split?: number;
  /** Where the validation share goes, with `split`. */
  validationOut?: string;
  /** Seeds the split (the same seed puts each thread on the same side). Default 0. */
  seed?: number;
  /** Print the run's statistics (the CLI, on stderr); with `statsJson`, tokens are counted too. Default false. */
  stats?: boolean;
  /** Write the run's statistics as JSON to this file. */
  statsJson?: string;
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
  /** Tokens per example at most (the model's limit, or `maxTokens`); 0: no limit. */
  maxTokens?: number;
  /** The tokenizer counting them. Default `o200k_base`. */
  encoding?: EncodingName;
  /** Pseudonyms keyed by this secret; undefined: names kept. */
  salt?: string;
  /** Count every example's tokens for the statistics. Default false. */
  statsTokens?: boolean;
}

type Filled = 'me' | 'preset' | 'window' | 'overlap' | 'merge' | 'names' | 'kinds' | 'memoryBytes' | 'mergeGapMs' | 'sessionGapMs' | 'format' | 'maxTokens' | 'encoding' | 'redact';
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
  readonly split: number | null;
  readonly validationOut: string | null;
  readonly seed: number;
  readonly statsJson: string | null;
  /** The pipeline's settings but `me` (see {@link stageSettings}). */
  readonly stages: Omit<StageSettings, 'me'>;
}

export type Flag = { describe: string; type: 'string' | 'number' | 'boolean' | 'array'; default?: unknown; defaultDescription?: string; alias?: string; choices?: readonly string[] };

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
  names: { type: 'boolean', default: true, describe: "Name the other speakers of group chats (OpenAI's `name`, in ASCII)" },
  system: { type: 'string', describe: 'System message to start every example with' },
  sessionGap: { type: 'number', default: 6, describe: 'Hours of silence that end a conversation (0: a thread is one conversation)' },
  mergeGap: { type: 'number', default: 10, describe: "Minutes within which a sender's messages are one turn (0: no limit)" },
  format: { type: 'string', default: 'openai', choices: OUTPUT_FORMAT_NAMES, describe: 'Output: openai (chat JSONL with weights), hf (TRL messages), sharegpt, gemini (Vertex AI), text (transcripts for base models)' },
  model: { type: 'string', default: 'gpt-4.1', describe: "The model to train: its tokenizer and tokens per example (gpt-4o, gpt-4o-mini, gpt-4.1, gpt-4.1-mini: 65,536; gpt-4.1-nano: 32,768; gpt-3.5-turbo: 16,385)" },
  maxTokens: { type: 'number', defaultDescription: "the model's limit", describe: 'Tokens per example at most (needed for a model not in the table)' },
  windowTokens: { type: 'number', describe: 'Pack turns into an example up to this many tokens instead of --window turns' },
  redact: { type: 'array', describe: `Replace these in text, comma-separated: ${PII_KINDS.join(', ')} (or all)` },
  pseudonymize: { type: 'boolean', default: false, describe: "Replace other people's names, as speakers and in text, by stable pseudonyms (needs --salt)" },
  salt: { type: 'string', describe: 'The secret that keys the pseudonyms: the same salt gives the same pseudonyms' },
  split: { type: 'number', describe: 'Write this share of the threads (0 to 1, e.g. 0.9) to the output, the rest to --validation-out' },
  validationOut: { type: 'string', describe: 'Where the validation threads go, with --split' },
  seed: { type: 'number', default: 0, describe: 'Seeds --split: the same seed puts each thread on the same side' },
  stats: { type: 'boolean', default: false, describe: "Print the run's statistics on stderr: messages, conversations, turns, examples, tokens, replies trained, what was left out" },
  statsJson: { type: 'string', describe: "Write the run's statistics as JSON to FILE" },
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
    ...(o.mergeGap !== undefined && { mergeGapMs: positiveAtLeast('merge-gap', o.mergeGap, 0, 'a number of minutes >= 0 (0: no limit)') * 60_000 }),
    ...(o.sessionGap !== undefined && { sessionGapMs: positiveAtLeast('session-gap', o.sessionGap, 0, 'a number of hours >= 0 (0: off)') * 3_600_000 }),
    ...(o.names !== undefined && { names: o.names }),
    ...(o.system !== undefined && { system: o.system }),
    ...(o.kinds !== undefined && { kinds: o.kinds }),
    ...(since !== undefined && { sinceMs: since }),
    ...(until !== undefined && { untilMs: until }),
    ...(o.sortMemory !== undefined && { memoryBytes: Math.round(positiveAtLeast('sort-memory', o.sortMemory, 1, 'a number of MB >= 1') * 1024 * 1024) }),
    ...(o.tmpDir !== undefined && { tmpDir: o.tmpDir }),
    ...(o.format !== undefined && { format: o.format }),
    ...(o.windowTokens !== undefined && { windowTokens: o.windowTokens }),
    ...(o.redact !== undefined && { redact: redactOf(o.redact) }),
    ...tokenLimit(o),
    ...(o.pseudonymize === true && { salt: saltOf(o.salt) }),
    ...((o.stats === true || o.statsJson !== undefined) && { statsTokens: true }),
  });
  if (o.stats !== undefined) bool('stats', o.stats);
  if (o.pseudonymize !== undefined) bool('pseudonymize', o.pseudonymize);
  const split = o.split === undefined ? null : shareOf(o.split);
  const validationOut = optionalString('validation-out', o.validationOut);
  if ((split === null) !== (validationOut === null)) throw new OptionError(split === null ? '--validation-out' : '--split', '--split and --validation-out go together', split ?? validationOut);
  return Object.freeze({
    inputs: Object.freeze(stringList('inputs', o.inputs ?? [])),
    me: o.me === undefined ? null : meOf(o.me),
    out: optionalString('out', o.out),
    sections: Object.freeze(sectionsOf(o.sections)),
    groups: bool('groups', o.groups ?? D.groups.default),
    thread: Object.freeze(stringList('thread', o.thread ?? [])),
    jobs: o.jobs === undefined ? availableParallelism() : integerAtLeast('jobs', o.jobs, 1),
    split,
    validationOut,
    seed: integerAtLeast('seed', o.seed ?? D.seed.default, 0),
    statsJson: optionalString('stats-json', o.statsJson),
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
    mergeGapMs: positiveAtLeast('merge-gap', o.mergeGapMs ?? D.mergeGap.default * 60_000, 0, 'a number of ms >= 0 (0: no limit)'),
    sessionGapMs: positiveAtLeast('session-gap', o.sessionGapMs ?? D.sessionGap.default * 3_600_000, 0, 'a number of ms >= 0 (0: off)'),
    format: oneOf('format', o.format ?? D.format.default, OUTPUT_FORMAT_NAMES),
    maxTokens: o.maxTokens === undefined ? (modelInfo(D.model.default).limit ?? 0) : integerAtLeast('maxTokens', o.maxTokens, 0),
    encoding: oneOf('encoding', o.encoding ?? 'o200k_base', ['o200k_base', 'cl100k_base'] as const),
    redact: Object.freeze(redactOf(o.redact ?? [])),
    ...(o.windowTokens !== undefined && { windowTokens: integerAtLeast('windowTokens', o.windowTokens, 64) }),
    ...(o.salt !== undefined && { salt: saltOf(o.salt) }),
    ...(o.statsTokens !== undefined && { statsTokens: bool('statsTokens', o.statsTokens) }),
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

export * from './api-options.js';

/** The model's tokenizer and limit, `maxTokens` over it; a model not in the table needs `maxTokens`. */
function tokenLimit(o: ConvertOptions): Pick<StageOptions, 'maxTokens' | 'encoding'> {
  const model = string('model', o.model ?? D.model.default);
  const info = modelInfo(model);
  const maxTokens = o.maxTokens === undefined ? info.limit : integerAtLeast('maxTokens', o.maxTokens, 64);
  if (maxTokens === null) throw new OptionError('--max-tokens', `is needed for ${model}: its tokens per example are not known (models known: gpt-4o, gpt-4o-mini, gpt-4.1, gpt-4.1-mini, gpt-4.1-nano, gpt-3.5-turbo)`, undefined);
  return { maxTokens, encoding: info.encoding };
}

function redactOf(value: unknown): PiiKind[] {
  const list = stringList('redact', value).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  if (list.includes('all')) return [...PII_KINDS];
  for (const k of list) if (!PII_KINDS.includes(k as PiiKind)) throw new OptionError('--redact', `each must be one of ${PII_KINDS.join(', ')} or all`, k);
  return [...new Set(list)] as PiiKind[];
}

function saltOf(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new OptionError('--salt', 'must be given with --pseudonymize: a secret that keys the pseudonyms', value);
  return value;
}

function shareOf(value: unknown): number {
  if (typeof value !== 'number' || !(value > 0 && value < 1)) throw new OptionError('--split', 'must be a number between 0 and 1 (the share written to --out)', value);
  return value;
}

/** `name`: a CLI flag's camelCase name (shown as the flag), or a library-only option (shown as it is). */
export function integerAtLeast(name: string, value: unknown, min: number): number {
  const shown = name in CONVERT_OPTIONS ? flag(name) : name;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw new OptionError(shown, `must be an integer >= ${min}`, value);
  return value;
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
