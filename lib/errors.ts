/**
 * One error base class and a stable `code` per failure, after undici's `lib/core/errors.js`.
 * Users and tests match on `code`; the CLI maps the class to an exit code.
 */

export type ErrorCode =
  | 'FBS_USAGE'
  | 'FBS_INVALID_OPTION'
  | 'FBS_UNKNOWN_SENDER'
  | 'FBS_NO_INPUT'
  | 'FBS_NOTHING_TO_TRAIN'
  | 'FBS_OUTPUT_IS_INPUT'
  | 'FBS_JSON_SYNTAX'
  | 'FBS_EMPTY_INPUT'
  | 'FBS_NOT_A_THREAD'
  | 'FBS_LIMIT'
  | 'FBS_ZIP_INVALID'
  | 'FBS_ZIP_UNSAFE'
  | 'FBS_ZIP_UNSUPPORTED'
  | 'FBS_ZIP_CORRUPT'
  | 'FBS_IO'
  | 'FBS_NO_API_KEY'
  | 'FBS_API'
  | 'FBS_FINE_TUNING_UNAVAILABLE'
  | 'FBS_JOB_FAILED'
  | 'FBS_INVALID_DATASET';

/** Where in the input a data error happened. */
export interface Position {
  /** File path, zip entry or `<stdin>`. */
  source: string;
  /** Byte offset in that source: of the fault itself from the tokenizer (lib/core/tokenizer.ts says when not), else of the chunk or slice it showed in. */
  offset?: number;
  /** JSON path of the record, e.g. `messages[41]`. */
  path?: string;
}

export class FbstreamError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The command line or an option is wrong: exit 2. */
export class UsageError extends FbstreamError {
  constructor(message: string, code: ErrorCode = 'FBS_USAGE') {
    super(code, message);
  }
}

/** An option value breaks its rule; the message names the option and the rule. */
export class OptionError extends UsageError {
  readonly option: string;
  constructor(option: string, rule: string, got: unknown) {
    super(`Invalid option ${option}: ${rule}, got ${formatValue(got)}`, 'FBS_INVALID_OPTION');
    this.option = option;
  }
}

/** `--me` names nobody in the data; lists who was found. */
export class UnknownSenderError extends UsageError {
  readonly me: string;
  readonly participants: string[];
  constructor(me: string, participants: string[], suggestion?: string) {
    const found = participants.length ? listSome(participants) : '(nobody: the input held no messages)';
    const hint = suggestion ? ` Did you mean "${suggestion}"?` : '';
    super(`--me "${me}" matches no sender or participant.${hint} Found: ${found}`, 'FBS_UNKNOWN_SENDER');
    this.me = me;
    this.participants = participants;
  }
}

/**
 * `me` is someone in the data, but wrote nothing the stages keep (only photos, calls, stickers):
 * no example can teach their voice. Bad data for training, not a usage error: exit 1.
 */
export class NothingToTrainError extends FbstreamError {
  readonly me: string;
  constructor(me: string) {
    super('FBS_NOTHING_TO_TRAIN', `nothing to train on: "${me}" is in the data but wrote no message that is kept (with text, in the selected dates and threads): no example can be made`);
    this.me = me;
  }
}

/** A whole export has hundreds of people: the message names the first few, `.participants` all. */
const NAMES_SHOWN = 12;
function listSome(names: readonly string[]): string {
  if (names.length <= NAMES_SHOWN) return names.join(', ');
  return `${names.slice(0, NAMES_SHOWN).join(', ')} and ${names.length - NAMES_SHOWN} more`;
}

/** The input is not what we can read: exit 1. Carries the position. */
export class DataError extends FbstreamError {
  readonly source: string;
  readonly offset?: number;
  readonly path?: string;
  constructor(code: ErrorCode, what: string, position: Position, options?: { cause?: unknown }) {
    super(code, `${describePosition(position)}: ${what}`, options);
    this.source = position.source;
    if (position.offset !== undefined) this.offset = position.offset;
    if (position.path !== undefined) this.path = position.path;
  }
}

/** A size or depth cap was hit; the input may be valid but is beyond what we buffer. */
export class LimitError extends DataError {
  constructor(what: string, position: Position) {
    super('FBS_LIMIT', `limit exceeded: ${what}`, position);
  }
}

/** Reading or writing failed (disk full, permissions, closed pipe): exit 3. */
export class IoError extends FbstreamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FBS_IO', message, options);
  }
}

// --- zip archives (lib/sources/zip.ts) ---

/** Where a zip fault is: the archive as given, the entry name as stored, a byte offset in the entry. */
export interface ZipPlace {
  archive: string;
  entry?: string;
  offset?: number;
}

/**
 * `FBS_ZIP_INVALID` (the archive cannot be listed), `FBS_ZIP_UNSAFE` (entry name, link or duplicate
 * refused), `FBS_ZIP_UNSUPPORTED` (encrypted, unknown compression), `FBS_ZIP_CORRUPT` (entry data
 * fails its checks), `FBS_EMPTY_INPUT` (an empty file given as a zip).
 */
export type ZipErrorCode = Extract<ErrorCode, 'FBS_ZIP_INVALID' | 'FBS_ZIP_UNSAFE' | 'FBS_ZIP_UNSUPPORTED' | 'FBS_ZIP_CORRUPT' | 'FBS_EMPTY_INPUT'>;

/** A zip archive or entry we cannot (or will not) read: exit 1. Names the archive and the entry. */
export class ZipError extends DataError {
  readonly archive: string;
  readonly entry?: string;
  constructor(code: ZipErrorCode, what: string, place: ZipPlace, options?: { cause?: unknown }) {
    super(code, what, zipPosition(place), options);
    this.archive = place.archive;
    if (place.entry !== undefined) this.entry = place.entry;
  }
}

/** A zip-bomb guard fired (`FBS_LIMIT`): a declared ratio, or the budget of inflated bytes. */
export class ZipLimitError extends LimitError {
  readonly archive: string;
  readonly entry?: string;
  constructor(what: string, place: ZipPlace) {
    super(what, zipPosition(place));
    this.archive = place.archive;
    if (place.entry !== undefined) this.entry = place.entry;
  }
}

/** `archive.zip:entry/name.json`, the entry name escaped where it could rewrite a terminal line. */
export function zipPosition(place: ZipPlace): Position {
  const source = place.entry === undefined ? place.archive : `${place.archive}:${showEntryName(place.entry)}`;
  return place.offset === undefined ? { source } : { source, offset: place.offset };
}

/** Entry names are shown, never used: escape control and bidirectional characters. */
export function showEntryName(name: string): string {
  return name.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function describePosition(p: Position): string {
  let s = p.source;
  if (p.offset !== undefined) s += ` at byte ${p.offset}`;
  if (p.path !== undefined) s += ` (${p.path})`;
  return s;
}

/** A provider's key (or endpoint) is not set: exit 2, naming the variable. */
export class MissingKeyError extends UsageError {
  readonly variable: string;
  constructor(variable: string, provider: string, what = 'API key') {
    super(`no ${what} for the ${provider} provider: set ${variable}`, 'FBS_NO_API_KEY');
    this.variable = variable;
  }
}

/** A trainer's API refused or failed a request, after the retries that were safe: exit 3. */
export class ApiError extends FbstreamError {
  /** HTTP status, when there was an answer. */
  readonly status: number | undefined;
  readonly provider: string;
  constructor(provider: string, message: string, status?: number, options?: { cause?: unknown; code?: ErrorCode }) {
    super(options?.code ?? 'FBS_API', message, options);
    this.provider = provider;
    this.status = status;
  }
}

/** A fine-tuning job ended failed or cancelled, or a dataset was refused before any request: exit 1. */
export class JobFailedError extends FbstreamError {
  constructor(message: string, code: ErrorCode = 'FBS_JOB_FAILED') {
    super(code, message);
  }
}

/** Exit code the CLI uses for an error (1 data, 2 usage, 3 I/O or API; README "Errors and exit codes"). */
export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError) return 2;
  if (err instanceof DataError || err instanceof NothingToTrainError || err instanceof JobFailedError) return 1;
  return 3;
}

function formatValue(v: unknown): string {
  if (typeof v === 'string' || (typeof v === 'object' && v !== null)) return JSON.stringify(v);
  // what yargs makes of `--jobs abc` (the text itself is gone by then)
  if (Number.isNaN(v)) return 'something that is not a number';
  return String(v);
}
