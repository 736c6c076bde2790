/**
 * The one HTTP stack of the API commands: undici's own `fetch` and an `EnvHttpProxyAgent`, so that
 * `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` are honoured by the openai SDK (given both as
 * `fetch` and `fetchOptions.dispatcher`) and by the Together calls (undici `request`) alike.
 */
import { EnvHttpProxyAgent, type Dispatcher } from 'undici';

let shared: Dispatcher | undefined;

/** One agent per process: its connection pools are reused by every request. */
export function dispatcher(): Dispatcher {
  shared ??= new EnvHttpProxyAgent();
  return shared;
}

/** Closes the shared agent's sockets (tests, and a CLI run that must not linger). */
export async function closeDispatcher(): Promise<void> {
  const d = shared;
  shared = undefined;
  await d?.close();
}
