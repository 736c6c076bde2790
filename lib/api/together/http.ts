/**
 * Together AI's REST calls through undici's `request` (the shared proxy-aware dispatcher), with our
 * own retries, since there is no SDK under them. A request says how it may be retried:
 * `idempotent` (GETs, the PUT to a signed URL, cancel, the file record: 429, 5xx, resets and
 * timeouts) or `only-429` (the job create: a 429 means nothing was made; anything else could have
 * made a job, so the caller looks before acting). 401, 403 and 400 are never retried.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { request } from 'undici';
import { ApiError } from '../../errors.js';
import { httpError } from '../api-error.js';
import { dispatcher } from '../http.js';
import type { TogetherConfig } from '../provider.js';

export type RetryPolicy = 'idempotent' | 'only-429';

export interface TogetherRequest {
  method: 'GET' | 'POST' | 'PUT';
  /** A path under the base URL (`/files`), or an absolute URL (a signed upload URL). */
  url: string;
  /** The request in a person's words, for errors: "upload train.jsonl", "create the job". */
  what: string;
  retry: RetryPolicy;
  headers?: Record<string, string>;
  /** Made again for every attempt: a stream is read once. */
  body?: () => Buffer | string | Readable;
  /** Send the key (false for the signed URL, which carries its own signature). Default true. */
  auth?: boolean;
  /** Statuses handed back instead of thrown (a 302, a 409 the caller reads). */
  accept?: readonly number[];
  signal?: AbortSignal | undefined;
  /** Called before each retry (the upload restarts its progress). */
  onRetry?: () => void;
}

export interface TogetherAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpTuning {
  /** Waits between attempts; tests pass one that records the delay and returns at once. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export type TogetherCall = (req: TogetherRequest) => Promise<TogetherAnswer>;

/** Transport failures after which resending an idempotent request is safe and worth it. */
const TRANSIENT = new Set([
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED',
  'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH',
]);
const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
/** The openai SDK's backoff, so both providers feel the same: 0.5 s doubling up to 8 s. */
const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 8000;
/** A longer retry-after than this is not waited for silently (the SDK's bound too). */
const MAX_RETRY_AFTER_MS = 60_000;

export function togetherHttp(config: TogetherConfig, tuning: HttpTuning = {}): TogetherCall {
  const sleep = tuning.sleep ?? defaultSleep;
  return async function call(req) {
    const url = /^https?:\/\//.test(req.url) ? req.url : `${config.baseURL}${req.url}`;
    for (let attempt = 0; ; attempt++) {
      const retriesLeft = attempt < config.maxRetries;
      let answer: TogetherAnswer;
      try {
        answer = await once(config, url, req);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (isAbort(err, req.signal)) throw err;
        if (req.retry === 'idempotent' && retriesLeft && code !== undefined && TRANSIENT.has(code)) {
          await sleep(backoff(attempt), req.signal);
          req.onRetry?.();
          continue;
        }
        throw transportError(req.what, err, code, attempt);
      }
      const { status } = answer;
      if ((status >= 200 && status < 300) || req.accept?.includes(status)) return answer;
      const retryable = status === 429 || (req.retry === 'idempotent' && (status === 408 || status >= 500));
      if (retryable && retriesLeft) {
        await sleep(retryAfterMs(answer.headers) ?? backoff(attempt), req.signal);
        req.onRetry?.();
        continue;
      }
      throw answerError(req.what, answer);
    }
  };
}

async function once(config: TogetherConfig, url: string, req: TogetherRequest): Promise<TogetherAnswer> {
  const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
  if (req.auth !== false) headers.authorization = `Bearer ${config.apiKey}`;
  const res = await request(url, {
    method: req.method,
    headers,
    body: req.body?.() ?? null,
    dispatcher: dispatcher(),
    headersTimeout: config.timeoutMs,
    bodyTimeout: config.timeoutMs,
    signal: req.signal,
  });
  // redirects are not followed: undici's `request` hands a 302 back as it is
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body };
}

/** The parsed JSON body of an answer, or a clear error when it is not JSON. */
export function jsonOf<T>(answer: TogetherAnswer, what: string): T {
  try {
    return JSON.parse(answer.body.toString('utf8')) as T;
  } catch (err) {
    throw new ApiError('together', `Together AI answered ${answer.status} to ${what} with something that is not JSON: ${preview(answer.body)}`, answer.status, { cause: err });
  }
}

/** Together's `{"error":{message,type,param,code}}`, or a bare `{message}`, said plainly. */
export function answerError(what: string, answer: TogetherAnswer): ApiError {
  let message = preview(answer.body);
  let code: string | null = null;
  try {
    const parsed = JSON.parse(answer.body.toString('utf8')) as { error?: unknown; message?: unknown; code?: unknown };
    const e = (typeof parsed.error === 'object' && parsed.error !== null ? parsed.error : parsed) as { message?: unknown; code?: unknown; type?: unknown };
    if (typeof e.message === 'string') message = e.message;
    else if (typeof parsed.error === 'string') message = parsed.error;
    if (typeof e.code === 'string') code = e.code;
    else if (typeof e.type === 'string') code = e.type;
  } catch {
    // not JSON: the text itself is the message
  }
  const requestId = header(answer.headers, 'x-request-id') ?? null;
  return httpError('together', what, answer.status, message, code, requestId);
}

function transportError(what: string, err: unknown, code: string | undefined, attempt: number): ApiError {
  const after = attempt > 0 ? ` (after ${attempt} ${attempt === 1 ? 'retry' : 'retries'})` : '';
  const text = code ?? (err as Error)?.message ?? String(err);
  const message =
    code !== undefined && TIMEOUTS.has(code) ? `Together AI did not answer in time to ${what}${after}; --timeout to wait longer` :
    code !== undefined && TRANSIENT.has(code) ? `could not reach Together AI to ${what}: ${text}${after}` :
    `Together AI: ${what} failed: ${(err as Error)?.message ?? text}`;
  return new ApiError('together', message, undefined, { cause: err });
}

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** `retry-after-ms`, then `retry-after` in seconds or as a date; undefined when absent or too long. */
export function retryAfterMs(headers: IncomingHttpHeaders, now = Date.now()): number | undefined {
  const ms = Number(header(headers, 'retry-after-ms'));
  if (header(headers, 'retry-after-ms') !== undefined && Number.isFinite(ms) && ms >= 0) return ms <= MAX_RETRY_AFTER_MS ? ms : undefined;
  const raw = header(headers, 'retry-after');
  if (raw === undefined || raw.trim() === '') return undefined;
  const seconds = Number(raw);
  const wait = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(raw) - now;
  if (!Number.isFinite(wait)) return undefined;
  return wait <= MAX_RETRY_AFTER_MS ? Math.max(0, wait) : undefined;
}

function backoff(attempt: number): number {
  const delay = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
  return delay * (1 - Math.random() * 0.25);
}

function isAbort(err: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (err as Error)?.name === 'AbortError';
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function preview(body: Buffer): string {
  const text = body.toString('utf8').trim();
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
