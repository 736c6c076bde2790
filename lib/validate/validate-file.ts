/**
 * Validate a JSONL file of OpenAI chat examples: the options checked once, the encoding loaded, the
 * file streamed line by line into {@link createValidator}. A missing file is a usage error (exit 2),
 * a file that cannot be read an I/O error (exit 3); what is wrong inside it is the report.
 */
import { stat } from 'node:fs/promises';
import { IoError, OptionError, UsageError } from '../errors.js';
import { loadEncoding, modelInfo, MODELS, type EncodingName } from '../tokens.js';
import { DEFAULT_MAX_LINE_BYTES } from './line-splitter.js';
import { readLines } from './read-lines.js';
import { createValidator, type ValidationResult } from './validator.js';

export interface ValidateOptions {
  /** Picks the encoding and the per-example limit (lib/tokens.ts `MODELS`). Default: none (o200k_base, no limit). */
  model?: string;
  /** Tokens per example; overrides the model's. Required with a model not in the table. */
  maxTokens?: number;
  /** Longest line read, in bytes. Default 64 MiB. */
  maxLineBytes?: number;
  signal?: AbortSignal;
}

export interface FileValidation extends ValidationResult {
  file: string;
  model: string | null;
}

export interface ValidateSettings {
  model: string | null;
  encoding: EncodingName;
  limit: number | null;
  maxLineBytes: number;
}

/** Every default and rule of {@link ValidateOptions}, once. */
export function normalizeValidateOptions(options: ValidateOptions = {}): ValidateSettings {
  const { model, maxTokens, maxLineBytes = DEFAULT_MAX_LINE_BYTES } = options;
  if (maxTokens !== undefined && !(Number.isSafeInteger(maxTokens) && maxTokens >= 1)) {
    throw new OptionError('--max-tokens', 'must be an integer >= 1', maxTokens);
  }
  if (!(Number.isSafeInteger(maxLineBytes) && maxLineBytes >= 1)) throw new OptionError('maxLineBytes', 'must be an integer >= 1', maxLineBytes);
  if (model !== undefined && (typeof model !== 'string' || model.trim() === '')) throw new OptionError('--model', 'must be a model name', model);
  const info = modelInfo(model ?? '');
  if (model !== undefined && info.limit === null && maxTokens === undefined) {
    throw new OptionError('--model', `is not one whose limit is known (${Object.keys(MODELS).join(', ')}): give its tokens per example with --max-tokens`, model);
  }
  return { model: model ?? null, encoding: info.encoding, limit: maxTokens ?? info.limit, maxLineBytes };
}

export async function validateFile(path: string, options: ValidateOptions = {}): Promise<FileValidation> {
  const settings = normalizeValidateOptions(options);
  await checkReadable(path);
  const encoding = await loadEncoding(settings.encoding);
  const validator = createValidator({ encoding, limit: settings.limit });
  try {
    const reading = readLines(path, { maxLineBytes: settings.maxLineBytes, ...(options.signal ? { signal: options.signal } : {}) });
    for await (const batch of reading) {
      for (const line of batch) {
        if (line.kind === 'line') validator.push(line.text, line.lineNumber);
        else validator.pushTooLong(line.lineNumber, line.bytes);
      }
    }
  } catch (err) {
    if ((err as Error)?.name === 'AbortError') throw err;
    throw new IoError(`cannot read ${path}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
  return { file: path, model: settings.model, ...validator.result() };
}

/** A path that is not there, or is a folder, is the caller's mistake; other failures are I/O (pipes are fine). */
async function checkReadable(path: string): Promise<void> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(path)).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UsageError(`cannot read ${path}: no such file`);
    throw new IoError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (isFolder) throw new UsageError(`cannot read ${path}: it is a folder, not a JSONL file`);
}
