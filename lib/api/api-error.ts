/**
 * A provider's failure said plainly: what was asked, of whom, what came back (status, the
 * provider's own message and code, its request id), and what to do when we know. Every API error
 * leaves the library as an {@link ApiError} (exit 3); an aborted request stays an abort.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { ApiError } from '../errors.js';
import type { Provider } from '../options.js';

export const PROVIDER_NAMES: Record<Provider, string> = { openai: 'OpenAI', azure: 'Azure OpenAI', together: 'Together AI' };

/** OpenAI's self-serve fine-tuning winding down (README "OpenAI's fine-tuning is closing"). */
export const FINE_TUNING_UNAVAILABLE_HELP = [
  "OpenAI's self-serve fine-tuning is closing: since 2026-05-07 organisations that never fine-tuned cannot start jobs,",
  'since 2026-07-02 neither can those without fine-tuned inference in the last 60 days, and no one can after 2027-01-06',
  '(gpt-4o, gpt-4o-mini, gpt-4.1 and gpt-4.1-mini, with their fine-tunes, shut down on 2027-01-14).',
  'The same dataset trains elsewhere: --provider azure (Azure OpenAI), --provider together (Together AI),',
  'or a local trainer (TRL, Axolotl, Unsloth: convert with --format hf or sharegpt) served to `fbstream chat`.',
].join('\n');

/** Whether OpenAI answered that fine-tuning is not open to this organisation. */
export function isFineTuningRefusal(status: number | undefined, message: string, code?: string | null): boolean {
  if (status !== 400 && status !== 403 && status !== 404) return false;
  if (code != null && /fine_?tun\w*_(not_available|unavailable|disabled|not_allowed)/i.test(code)) return true;
  return /fine-?tun/i.test(message) && /(not|no longer|isn't) (available|enabled|allowed|permitted|supported|accessible)|not eligible|does not have access|do not have access/i.test(message);
}

/**
 * `what`: the request in a person's words ("upload part 3 of train.jsonl", "create the job").
 * Returns the error to throw; an abort is returned as it is.
 */
export function apiErrorOf(provider: Provider, what: string, err: unknown): Error {
  if (err instanceof ApiError) return err;
  if (err instanceof APIUserAbortError || (err as Error)?.name === 'AbortError') return err as Error;
  const who = PROVIDER_NAMES[provider];
  if (err instanceof APIConnectionTimeoutError) return new ApiError(provider, `${who} did not answer in time to ${what} (after the retries; --timeout to wait longer)`, undefined, { cause: err });
  if (err instanceof APIConnectionError) return new ApiError(provider, `could not reach ${who} to ${what}: ${causeText(err)} (after the retries)`, undefined, { cause: err });
  if (err instanceof APIError) return httpError(provider, what, err.status, messageOf(err), err.code ?? null, err.requestID ?? null, err);
  return new ApiError(provider, `${who}: ${what} failed: ${(err as Error)?.message ?? String(err)}`, undefined, { cause: err });
}

/** The same for an HTTP answer read by hand (Together's calls through undici). */
export function httpError(provider: Provider, what: string, status: number | undefined, message: string, code: string | null, requestId: string | null, cause?: unknown): ApiError {
  const who = PROVIDER_NAMES[provider];
  const detail = `${message || 'no message'}${code ? ` (${code})` : ''}${requestId ? ` [request ${requestId}]` : ''}`;
  if (provider !== 'together' && isFineTuningRefusal(status, message, code)) {
    return new ApiError(provider, `${who} refused to ${what}: ${detail}\n${FINE_TUNING_UNAVAILABLE_HELP}`, status, { cause, code: 'FBS_FINE_TUNING_UNAVAILABLE' });
  }
  const hint =
    status === 401 ? (provider === 'together' ? ': the key is wrong, or the account has no credits left' : ': check the API key') :
    status === 403 ? ': the key may not do this (its project, role or region)' :
    status === 429 ? ' (still rate limited after the retries; --max-retries to try longer)' :
    status !== undefined && status >= 500 ? ' (still failing after the retries)' : '';
  return new ApiError(provider, `${who} answered ${status ?? 'nothing'} to ${what}: ${detail}${hint}`, status, { cause });
}

function messageOf(err: APIError): string {
  const body = err.error as { message?: unknown } | undefined;
  return typeof body?.message === 'string' ? body.message : err.message;
}

function causeText(err: Error): string {
  // undici's "fetch failed" says nothing: the socket's or TLS's own error is at the end of the chain
  type Cause = { code?: string; message?: string; cause?: unknown };
  let cause = err.cause as Cause | undefined;
  while (cause?.cause instanceof Error) cause = cause.cause as Cause;
  return cause?.code ?? cause?.message ?? err.message;
}
