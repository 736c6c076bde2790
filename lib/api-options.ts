/**
 * The options of the API commands (upload, train, jobs, chat, and a conversion's `--train`),
 * declared the way lib/options.ts declares a conversion's and exported through it: the flag
 * tables, the option types, and the normalisers with every default and rule.
 */
import { OptionError } from './errors.js';
import { bool, flag, integerIn, oneOf, optionalString, positiveAtLeast } from './option-rules.js';
import type { Flag } from './options.js';

/** Where datasets are uploaded and jobs run (README "From a dataset to a model"). */
export const PROVIDERS = ['openai', 'azure', 'together'] as const;
export type Provider = (typeof PROVIDERS)[number];

/** What every API command takes: upload, train, jobs, chat, and a conversion with `--train`. */
export interface ApiOptions {
  /** Default `openai`. */
  provider?: Provider;
  /** Seconds a request may take (an upload part included). Default 600. */
  timeout?: number;
  /** Retries of a request that failed with 408, 409, 429, 5xx or a dropped connection, where resending cannot duplicate anything. Default 3. */
  maxRetries?: number;
}

/** `fbstream upload`, and the upload step of `train`. */
export interface UploadOptions extends ApiOptions {
  /** Send through the Uploads API (in parts) even under 512 MB. Default false. */
  uploads?: boolean;
  /** MB per part, 5 to 64. Default 64. */
  partSize?: number;
  /** Parts in flight at once. Default 3. */
  concurrency?: number;
}

/** `fbstream train`: the job asked for. `model` is the base model (the provider's name for it). */
export interface TrainOptions extends UploadOptions {
  model: string;
  /** A validation JSONL, uploaded beside the training file. */
  validation?: string;
  /** Added to the fine-tuned model's name (at most 64 characters; Together: 40). */
  suffix?: string;
  epochs?: number;
  batchSize?: number;
  lrMultiplier?: number;
  /** The trainer's seed (OpenAI). */
  seed?: number;
  /** Follow the job until it ends. Default false. */
  wait?: boolean;
  /** Seconds between status checks while waiting. Default 10. */
  poll?: number;
}

/** The CLI flags of the API commands, grouped by the commands that take them. */
export const API_OPTIONS = {
  provider: { type: 'string', default: 'openai', choices: PROVIDERS, describe: 'openai (OPENAI_API_KEY), azure (AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY) or together (TOGETHER_API_KEY)' },
  timeout: { type: 'number', default: 600, describe: 'Seconds a request may take' },
  maxRetries: { type: 'number', default: 3, describe: 'Retries of a request that failed with 429, 5xx or a dropped connection (never of one that could be done twice)' },
} as const satisfies Record<keyof ApiOptions, Flag>;

export const UPLOAD_OPTIONS = {
  uploads: { type: 'boolean', default: false, describe: 'Send in parts through the Uploads API even under 512 MB (it always is above)' },
  partSize: { type: 'number', default: 64, describe: 'MB per part (5 to 64)' },
  concurrency: { type: 'number', default: 3, describe: 'Parts sent at once' },
} as const satisfies Record<Exclude<keyof UploadOptions, keyof ApiOptions>, Flag>;

export const TRAIN_OPTIONS = {
  model: { type: 'string', describe: 'The base model to fine-tune (required), e.g. gpt-4.1-mini-2025-04-14, or a Together model name' },
  validation: { type: 'string', describe: 'A validation JSONL, checked and uploaded too' },
  suffix: { type: 'string', describe: "Added to the fine-tuned model's name" },
  epochs: { type: 'number', describe: "Epochs (default: the trainer's choice)" },
  batchSize: { type: 'number', describe: "Batch size (default: the trainer's choice)" },
  lrMultiplier: { type: 'number', describe: "Learning rate multiplier (Together: times its default learning rate 1e-5; default: the trainer's choice)" },
  seed: { type: 'number', describe: "The trainer's seed, for a job that can be repeated" },
  wait: { type: 'boolean', default: false, describe: 'Follow the job, its status and events, until it ends; print the fine-tuned model' },
  poll: { type: 'number', default: 10, describe: 'Seconds between status checks while following' },
} as const satisfies Record<Exclude<keyof TrainOptions, keyof UploadOptions>, Flag>;

/**
 * A conversion's `--train` and the job's flags it takes (its `--model` is the base model, its
 * `--split` share the validation file; `--seed` stays the split's). Without defaults here, so a flag
 * given without `--train` can be told; {@link normalizeTrainOptions} applies them.
 */
export const CONVERT_TRAIN_OPTIONS = {
  train: { type: 'boolean', describe: 'Then check, upload and start a fine-tuning job on the result, --model being the base model (through a temporary file unless -o; with --split the validation share is the validation file)' },
  ...withoutDefaults({ wait: TRAIN_OPTIONS.wait, poll: TRAIN_OPTIONS.poll, suffix: TRAIN_OPTIONS.suffix, epochs: TRAIN_OPTIONS.epochs, batchSize: TRAIN_OPTIONS.batchSize, lrMultiplier: TRAIN_OPTIONS.lrMultiplier }),
  ...withoutDefaults(API_OPTIONS),
  ...withoutDefaults(UPLOAD_OPTIONS),
} as const satisfies Record<string, Flag>;

function withoutDefaults<T extends Record<string, Flag>>(table: T): { [K in keyof T]: Omit<T[K], 'default'> } {
  return Object.fromEntries(Object.entries(table).map(([k, { default: d, ...f }]) => [k, d === undefined ? f : { ...f, defaultDescription: String(d) }])) as { [K in keyof T]: Omit<T[K], 'default'> };
}

export interface NormalizedApiOptions {
  readonly provider: Provider;
  readonly timeoutMs: number;
  readonly maxRetries: number;
}
export interface NormalizedUploadOptions extends NormalizedApiOptions {
  readonly uploads: boolean;
  readonly partSizeBytes: number;
  readonly concurrency: number;
}
export interface NormalizedTrainOptions extends NormalizedUploadOptions {
  readonly model: string;
  readonly validation: string | null;
  readonly suffix: string | null;
  readonly epochs: number | null;
  readonly batchSize: number | null;
  readonly lrMultiplier: number | null;
  readonly seed: number | null;
  readonly wait: boolean;
  readonly pollMs: number;
}

const MB = 1024 * 1024;

export function normalizeApiOptions(o: ApiOptions = {}): NormalizedApiOptions {
  return Object.freeze({
    provider: oneOf('provider', o.provider ?? API_OPTIONS.provider.default, PROVIDERS),
    timeoutMs: positiveAtLeast('timeout', o.timeout ?? API_OPTIONS.timeout.default, 1, 'a number of seconds >= 1') * 1000,
    maxRetries: integerIn('maxRetries', o.maxRetries ?? API_OPTIONS.maxRetries.default, 0, 10),
  });
}

export function normalizeUploadOptions(o: UploadOptions = {}): NormalizedUploadOptions {
  return Object.freeze({
    ...normalizeApiOptions(o),
    uploads: bool('uploads', o.uploads ?? UPLOAD_OPTIONS.uploads.default),
    partSizeBytes: integerIn('partSize', o.partSize ?? UPLOAD_OPTIONS.partSize.default, 5, 64) * MB,
    concurrency: integerIn('concurrency', o.concurrency ?? UPLOAD_OPTIONS.concurrency.default, 1, 16),
  });
}

export function normalizeTrainOptions(o: TrainOptions): NormalizedTrainOptions {
  const upload = normalizeUploadOptions(o);
  if (typeof o.model !== 'string' || o.model.trim() === '') throw new OptionError('--model', 'is required: the base model to fine-tune', o.model);
  const maxSuffix = upload.provider === 'together' ? 40 : 64;
  const suffix = optionalString('suffix', o.suffix);
  if (suffix !== null && (suffix.length === 0 || suffix.length > maxSuffix)) throw new OptionError('--suffix', `must be 1 to ${maxSuffix} characters for ${upload.provider}`, suffix);
  const positive = (name: string, v: number | undefined) => (v === undefined ? null : positiveAtLeast(name, v, Number.MIN_VALUE, 'a number > 0'));
  return Object.freeze({
    ...upload,
    model: o.model,
    validation: optionalString('validation', o.validation),
    suffix,
    epochs: o.epochs === undefined ? null : integerIn('epochs', o.epochs, 1, 50),
    batchSize: o.batchSize === undefined ? null : integerIn('batchSize', o.batchSize, 1, 256),
    lrMultiplier: positive('lr-multiplier', o.lrMultiplier),
    seed: o.seed === undefined ? null : integerIn('seed', o.seed, 0, 2_147_483_647),
    wait: bool('wait', o.wait ?? TRAIN_OPTIONS.wait.default),
    pollMs: positiveAtLeast('poll', o.poll ?? TRAIN_OPTIONS.poll.default, 1, 'a number of seconds >= 1') * 1000,
  });
}

/** `fbstream chat`: talk to a model through an OpenAI-compatible chat endpoint. */
export interface ChatOptions extends ApiOptions {
  /** The model (Azure: the deployment's name), e.g. an `ft:` model or a local server's name. */
  model: string;
  /** A system message that opens the conversation. */
  system?: string;
  /** Send this one message, print the reply and end (`-`: all of standard input). */
  once?: string;
  /** Sampling temperature, 0 to 2. Default: the server's. */
  temperature?: number;
}

export const CHAT_OPTIONS = {
  model: { type: 'string', describe: 'The model to talk to (required): an ft: model, an Azure deployment, a Together or local model name' },
  system: { type: 'string', describe: 'A system message that opens the conversation' },
  once: { type: 'string', describe: 'Send this one message, print the reply on stdout and exit (-: read the message from stdin)' },
  temperature: { type: 'number', describe: "Sampling temperature, 0 to 2 (default: the server's)" },
} as const satisfies Record<Exclude<keyof ChatOptions, keyof ApiOptions>, Flag>;

export interface NormalizedChatOptions extends NormalizedApiOptions {
  readonly model: string;
  readonly system: string | null;
  readonly once: string | null;
  readonly temperature: number | null;
}

export function normalizeChatOptions(o: ChatOptions): NormalizedChatOptions {
  const api = normalizeApiOptions(o);
  if (typeof o.model !== 'string' || o.model.trim() === '') throw new OptionError('--model', 'is required: the model to talk to', o.model);
  const temperature = o.temperature === undefined ? null : positiveAtLeast('temperature', o.temperature, 0, 'a number from 0 to 2');
  if (temperature !== null && temperature > 2) throw new OptionError('--temperature', 'must be a number from 0 to 2', temperature);
  return Object.freeze({
    ...api,
    model: o.model.trim(),
    system: optionalString('system', o.system),
    once: optionalString('once', o.once),
    temperature,
  });
}
