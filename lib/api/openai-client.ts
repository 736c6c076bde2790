/**
 * An openai SDK client for the OpenAI or Azure provider, on the shared undici stack
 * (lib/api/http.ts), with the run's timeout and retries. The SDK retries 408, 409, 429, 5xx and
 * dropped connections itself, honouring `retry-after`; calls that must not be repeated pass
 * `{ maxRetries: 0 }` (see lib/api/openai/jobs.ts).
 */
import OpenAI, { AzureOpenAI, type ClientOptions } from 'openai';
import { fetch as undiciFetch, FormData as UndiciFormData } from 'undici';
import { dispatcher } from './http.js';
import type { AzureConfig, OpenAIConfig } from './provider.js';

export function openaiClient(config: OpenAIConfig | AzureConfig): OpenAI {
  const common = {
    apiKey: config.apiKey,
    timeout: config.timeoutMs,
    maxRetries: config.maxRetries,
    fetch: fetchWithForms,
    fetchOptions: { dispatcher: dispatcher() } as unknown as ClientOptions['fetchOptions'],
  };
  // baseURL null: the SDK would otherwise read OPENAI_BASE_URL itself (Azure then refuses the
  // endpoint beside it; OpenAI would take the process's over the environment the config came from)
  if (config.provider === 'azure') {
    return new AzureOpenAI({ ...common, baseURL: null, endpoint: config.endpoint, apiVersion: config.apiVersion });
  }
  return new OpenAI({
    ...common,
    baseURL: config.baseURL ?? null,
    organization: config.organization ?? null,
    project: config.project ?? null,
  });
}

/**
 * undici's fetch, taking the SDK's forms. The SDK builds uploads with the global `FormData`, which
 * is Node's own copy of undici and not a form to this one: its entries (Blobs, shared by both) are
 * moved into an undici `FormData`. `Response` is the global one, which the SDK probes forms with.
 */
const fetchWithForms = Object.assign(
  (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    let body: unknown = init?.body;
    if (body instanceof globalThis.FormData) {
      const form = new UndiciFormData();
      for (const [key, value] of body) form.append(key, value);
      body = form;
    }
    return undiciFetch(input as Parameters<typeof undiciFetch>[0], { ...(init as object), body } as Parameters<typeof undiciFetch>[1]) as unknown as Promise<Response>;
  },
  { Response: globalThis.Response },
) as unknown as typeof globalThis.fetch;
