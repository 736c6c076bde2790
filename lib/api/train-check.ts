/**
 * The dataset check before `train` sends anything: each file through `fbstream validate`'s validator
 * (lib/validate/), its format errors a refusal (exit 1, no request made), its warnings notices.
 * A model outside the token table is checked for format only (its tokenizer and limit unknown).
 */
import { basename } from 'node:path';
import { JobFailedError } from '../errors.js';
import type { Provider } from '../options.js';
import { modelInfo } from '../tokens.js';
import type { IssueSummary } from '../validate/issues.js';
import type { FileValidation } from '../validate/validate-file.js';
import { MIN_EXAMPLES } from '../validate/validator.js';
import { checkTurnOrder } from './turn-order.js';

export type DatasetRole = 'training' | 'validation';

export interface DatasetCheckOptions {
  role: DatasetRole;
  provider: Provider;
  /** The base model: its token limit is checked when the table knows it. */
  model: string;
  /** Tokens per example, over the model's (lets a model outside the table be checked for length). */
  maxTokens?: number;
  /** How messages name the file (a temporary file is named by what it was made from). Default: its path. */
  label?: string;
  signal?: AbortSignal;
}

/** What the check says of a file: lines for the person, and the refusal when it cannot be used. */
export interface DatasetVerdict {
  notices: string[];
  refusal: JobFailedError | null;
}

/** Validate `path` and judge it; throws the refusal, returns the notices. */
export async function checkDataset(path: string, options: DatasetCheckOptions): Promise<string[]> {
  // loaded on use: the tokenizer is not needed to start every command
  const { validateFile } = await import('../validate/validate-file.js');
  const known = modelInfo(options.model).limit !== null;
  const validation = await validateFile(path, {
    ...(known || options.maxTokens !== undefined ? { model: options.model } : {}),
    ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const verdict = judgeDataset(options.label === undefined ? validation : { ...validation, file: options.label }, options.role, options.provider, options.label === undefined);
  if (verdict.refusal) throw verdict.refusal;
  if (options.provider !== 'together') return verdict.notices;
  const order = await checkTurnOrder(path, options.signal);
  if (order.count === 0) return verdict.notices;
  const name = options.label ?? basename(path);
  const which = linesOf({ kind: '', description: '', count: order.count, lines: order.lines });
  return [...verdict.notices, `${name}: warning: turns_not_alternating: ${order.count} example${order.count === 1 ? '' : 's'} not starting with system or user and alternating user and assistant, as Together wants (it may refuse the file), ${which}; converting with --no-groups --merge-gap 0 gives alternating turns`];
}

/**
 * The verdict on a validated file. Format errors refuse it. Too few examples is a warning to
 * `validate` (any JSONL), but OpenAI and Azure refuse such a training file after it is uploaded and
 * the job has started: refused here, before anything is sent.
 */
export function judgeDataset(v: FileValidation, role: DatasetRole, provider: Provider, isPath = true): DatasetVerdict {
  const name = v.file;
  const again = isPath ? `(fbstream validate ${quoteArg(v.file)} shows the whole report)` : '(fbstream validate shows the whole report)';
  if (!v.valid) {
    const lines = v.errors.reduce((n, e) => n + e.count, 0);
    const kinds = v.errors.map((e) => `${e.kind}: ${e.description}, ${linesOf(e)}`).join('; ');
    const message = `${name} cannot be used as the ${role} file: ${lines} line${lines === 1 ? ' has' : 's have'} format errors — ${kinds} ${again}`;
    return { notices: [], refusal: new JobFailedError(message, 'FBS_INVALID_DATASET') };
  }
  const tooFew = v.warnings.some((w) => w.kind === 'too_few_examples');
  if (role === 'training' && tooFew && provider !== 'together') {
    const message = `${name} has ${v.examples} example${v.examples === 1 ? '' : 's'}: ${provider === 'azure' ? 'Azure OpenAI' : 'OpenAI'} needs at least ${MIN_EXAMPLES} to fine-tune and refuses a smaller training file; add conversations (more threads or dates), or train elsewhere`;
    return { notices: [], refusal: new JobFailedError(message, 'FBS_INVALID_DATASET') };
  }
  const notices = v.warnings
    .filter((w) => !(w.kind === 'too_few_examples' && role === 'validation'))
    .map((w) => `${isPath ? basename(name) : name}: warning: ${w.kind}: ${w.description}${w.lines.length ? `, ${linesOf(w)}` : ''}`);
  return { notices, refusal: null };
}

function linesOf(issue: IssueSummary): string {
  const more = issue.count > issue.lines.length ? `, … (${issue.count} in all)` : '';
  return `line${issue.lines.length === 1 ? '' : 's'} ${issue.lines.join(', ')}${more}`;
}

/** A path as a shell would need it. */
function quoteArg(path: string): string {
  return /^[\w./@%+=:,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}
