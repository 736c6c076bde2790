/**
 * Which trainer's API a command talks to, from the environment the way each provider's own SDK and
 * docs name the variables. A missing key is a usage error naming the variable to set (exit 2), said
 * before any request; the openai SDK itself would only throw "Missing credentials" at construction.
 */
import { MissingKeyError } from '../errors.js';
import type { NormalizedApiOptions, Provider } from '../options.js';

export type Env = Readonly<Record<string, string | undefined>>;

interface Common {
  readonly timeoutMs: number;
  readonly maxRetries: number;
}
export interface OpenAIConfig extends Common {
  readonly provider: 'openai';
  readonly apiKey: string;
  /** `OPENAI_BASE_URL`; undefined: the SDK's (api.openai.com). */
  readonly baseURL: string | undefined;
  readonly organization: string | undefined;
  readonly project: string | undefined;
}
export interface AzureConfig extends Common {
  readonly provider: 'azure';
  readonly apiKey: string;
  /** `https://RESOURCE.openai.azure.com`. */
  readonly endpoint: string;
  readonly apiVersion: string;
}
export interface TogetherConfig extends Common {
  readonly provider: 'together';
  readonly apiKey: string;
  readonly baseURL: string;
}
export type ProviderConfig = OpenAIConfig | AzureConfig | TogetherConfig;

/** Azure's GA data-plane version with fine-tuning, used when `OPENAI_API_VERSION` is not set. */
export const DEFAULT_AZURE_API_VERSION = '2024-10-21';
export const DEFAULT_TOGETHER_BASE_URL = 'https://api.together.ai/v1';

export interface ResolveOptions {
  /** Chat only: a server on this machine (Ollama, vLLM, llama.cpp) needs no key. */
  keyOptionalOnLoopback?: boolean;
}

export function resolveProvider(options: NormalizedApiOptions, env: Env = process.env, resolve: ResolveOptions = {}): ProviderConfig {
  const common = { timeoutMs: options.timeoutMs, maxRetries: options.maxRetries };
  const provider: Provider = options.provider;
  switch (provider) {
    case 'openai': {
      const baseURL = nonEmpty(env.OPENAI_BASE_URL);
      const keyless = resolve.keyOptionalOnLoopback === true && baseURL !== undefined && isLoopback(baseURL);
      return {
        provider,
        ...common,
        apiKey: nonEmpty(env.OPENAI_API_KEY) ?? (keyless ? 'none' : missing('OPENAI_API_KEY', provider)),
        baseURL,
        organization: nonEmpty(env.OPENAI_ORG_ID),
        project: nonEmpty(env.OPENAI_PROJECT_ID),
      };
    }
    case 'azure':
      return {
        provider,
        ...common,
        endpoint: nonEmpty(env.AZURE_OPENAI_ENDPOINT) ?? missing('AZURE_OPENAI_ENDPOINT', provider, 'endpoint'),
        apiKey: nonEmpty(env.AZURE_OPENAI_API_KEY) ?? missing('AZURE_OPENAI_API_KEY', provider),
        apiVersion: nonEmpty(env.OPENAI_API_VERSION) ?? DEFAULT_AZURE_API_VERSION,
      };
    case 'together':
      return {
        provider,
        ...common,
        apiKey: nonEmpty(env.TOGETHER_API_KEY) ?? missing('TOGETHER_API_KEY', provider),
        baseURL: (nonEmpty(env.TOGETHER_BASE_URL) ?? DEFAULT_TOGETHER_BASE_URL).replace(/\/+$/, ''),
      };
  }
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function missing(variable: string, provider: Provider, what?: string): never {
  throw new MissingKeyError(variable, provider, what);
}

function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
  } catch {
    return false;
  }
}
