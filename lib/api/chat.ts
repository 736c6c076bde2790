/**
 * Talking to a model through any OpenAI-compatible chat endpoint: OpenAI (or, through
 * `OPENAI_BASE_URL`, a local Ollama, vLLM or llama.cpp server, which needs no key on this machine),
 * Azure OpenAI (the model is the deployment's name) and Together AI (whose chat API is OpenAI's).
 * The reply is streamed; {@link chat} keeps no state, {@link ChatSession} keeps a conversation.
 */
import type OpenAI from 'openai';
import { APIError } from 'openai';
import { ApiError } from '../errors.js';
import { normalizeApiOptions, type ApiOptions } from '../options.js';
import { apiErrorOf, PROVIDER_NAMES } from './api-error.js';
import { openaiClient } from './openai-client.js';
import { resolveProvider, type Env, type ProviderConfig } from './provider.js';

export type ChatRole = 'system' | 'user' | 'assistant';
export interface ChatMessage {
  readonly role: ChatRole;
  readonly content: string;
}

/** What {@link chat} takes. The provider fields (`provider`, `timeout`, `maxRetries`) are those of every API command. */
export interface ChatRequest extends ApiOptions {
  /** The model: an `ft:` model, an Azure deployment's name, a Together or local server's model name. */
  model: string;
  /** The conversation so far, ending with the user's message. */
  messages: readonly ChatMessage[];
  /** A system message put first (unless `messages` already starts with one). */
  system?: string;
  /** Sampling temperature, 0 to 2. Default: the server's. */
  temperature?: number;
  /** Stops the request and the stream; `chat` then rejects with the abort's error. */
  signal?: AbortSignal;
  /** Each piece of the reply as it arrives. A returned promise is awaited before the next piece (backpressure); its rejection ends the chat with that error. */
  onText?: (piece: string) => void | Promise<void>;
  /** Where the keys and endpoints are read (`OPENAI_API_KEY`, `OPENAI_BASE_URL`, `AZURE_OPENAI_*`, `TOGETHER_*`). Default `process.env`. */
  env?: Env;
}

/**
 * The provider a chat talks to, from the environment. A key is optional when `OPENAI_BASE_URL` is
 * on this machine (a local server). Throws `MissingKeyError` (exit 2) naming the variable to set.
 */
export function chatProvider(options: ApiOptions = {}, env: Env = process.env): ProviderConfig {
  return resolveProvider(normalizeApiOptions(options), env, { keyOptionalOnLoopback: true });
}

/**
 * Send the conversation, stream the reply to `onText`, resolve with the whole reply. The SDK
 * retries what failed before the reply started (429, 5xx, a dropped connection); a stream that
 * breaks, stalls for `timeout` seconds or ends before the model finished rejects with an
 * `ApiError` (exit 3), never with part of a reply as if it were all of it.
 */
export async function chat(request: ChatRequest): Promise<string> {
  const config = chatProvider(request, request.env);
  const who = PROVIDER_NAMES[config.provider];
  const messages = withSystem(request.messages, request.system);
  // the SDK's timeout ends at the answer's headers: a stream that stops sending is caught here
  const stop = new AbortController();
  const stall = new StallWatch(stop, config.timeoutMs);
  const onAbort = () => stop.abort(request.signal!.reason);
  if (request.signal?.aborted) throw request.signal.reason;
  request.signal?.addEventListener('abort', onAbort, { once: true });
  let reply = '';
  let finished = false;
  let streaming = false;
  try {
    const client = chatClient(config);
    const stream = await client.chat.completions.create(
      { model: request.model, messages: messages as OpenAI.Chat.ChatCompletionMessageParam[], stream: true, ...(request.temperature !== undefined && { temperature: request.temperature }) },
      { signal: stop.signal },
    );
    streaming = true;
    stall.arm();
    for await (const chunk of stream) {
      stall.disarm(); // a slow reader of onText is not a stalled server
      const choice = chunk.choices[0];
      const piece = choice?.delta?.content ?? '';
      if (piece !== '') {
        reply += piece;
        try {
          await request.onText?.(piece);
        } catch (err) {
          throw new ConsumerError(err);
        }
      }
      if (choice?.finish_reason) finished = true;
      stall.arm();
    }
    // the SDK ends the iteration quietly when its request is aborted
    if (stop.signal.aborted) throw stop.signal.reason;
  } catch (err) {
    if (err instanceof ConsumerError) throw err.cause; // onText's own error (a closed stdout): as it is
    if (request.signal?.aborted) throw request.signal.reason;
    if (stall.fired) throw new ApiError(config.provider, `${who} sent nothing for ${config.timeoutMs / 1000} s while streaming the reply of ${request.model} (${reply.length} characters in; --timeout to wait longer)`, undefined, { cause: err });
    if (!streaming) throw apiErrorOf(config.provider, `get a reply from ${request.model}`, err);
    const where = `while streaming the reply of ${request.model} (${reply.length} characters in)`;
    // an `error` event in the stream: the SDK's APIError without a status
    if (err instanceof APIError) throw new ApiError(config.provider, `${who} sent an error ${where}: ${err.message}`, err.status, { cause: err });
    if (err instanceof SyntaxError) throw new ApiError(config.provider, `${who} sent something that is not JSON ${where}: ${err.message}`, undefined, { cause: err });
    throw new ApiError(config.provider, `the connection to ${who} broke ${where}: ${causeText(err)}`, undefined, { cause: err });
  } finally {
    stall.disarm();
    request.signal?.removeEventListener('abort', onAbort);
  }
  if (!finished) throw new ApiError(config.provider, `the reply of ${request.model} from ${who} ended before the model finished (${reply.length} characters in): the stream was cut`);
  return reply;
}

/**
 * A conversation: the system message and the turns so far. {@link ChatSession.send} adds the
 * user's message and the reply only when the reply came whole, so a failed or stopped turn can
 * simply be sent again.
 */
export class ChatSession {
  #turns: ChatMessage[] = [];
  /** `system`: the message that opens the conversation (kept across {@link ChatSession.reset}). */
  constructor(readonly system?: string) {}

  /** The system message (when there is one) and every turn, in order. */
  get messages(): readonly ChatMessage[] {
    return withSystem(this.#turns, this.system);
  }

  /** Send `text` as the user's next message with the conversation so far; resolves with the reply. */
  async send(text: string, request: Omit<ChatRequest, 'messages' | 'system'>): Promise<string> {
    const user: ChatMessage = { role: 'user', content: text };
    const reply = await chat({ ...request, messages: [...this.messages, user] });
    this.#turns.push(user, { role: 'assistant', content: reply });
    return reply;
  }

  /** Forget the turns (the system message stays). */
  reset(): void {
    this.#turns = [];
  }
}

/** The SDK client for a provider: Together's chat API is OpenAI's, at its own base URL. */
function chatClient(config: ProviderConfig): OpenAI {
  if (config.provider !== 'together') return openaiClient(config);
  return openaiClient({ ...config, provider: 'openai', organization: undefined, project: undefined });
}

function withSystem(messages: readonly ChatMessage[], system: string | undefined): readonly ChatMessage[] {
  if (system === undefined || messages[0]?.role === 'system') return messages;
  return [{ role: 'system', content: system }, ...messages];
}

/** Aborts `stop` when `arm` is not called again within `ms`. */
class StallWatch {
  #timer: NodeJS.Timeout | undefined;
  fired = false;
  constructor(private readonly stop: AbortController, private readonly ms: number) {}
  arm(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.fired = true;
      this.stop.abort(new Error('stalled'));
    }, this.ms);
    this.#timer.unref();
  }
  disarm(): void {
    clearTimeout(this.#timer);
  }
}

/** An error of `onText`, kept apart from the stream's own. */
class ConsumerError extends Error {
  constructor(override readonly cause: unknown) {
    super('onText failed');
  }
}

/** undici's fetch body failing is `TypeError: terminated`, the socket's error its cause. */
function causeText(err: unknown): string {
  const cause = (err as Error).cause as { code?: string; message?: string } | undefined;
  return cause?.message ?? cause?.code ?? (err as Error).message;
}
