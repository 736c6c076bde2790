/**
 * One SDK request under a long-lived signal. The openai SDK adds an abort listener to the signal
 * of every request and never removes it: over an upload's parts and a processing wait's polls, a
 * run's signal would gather hundreds (and Node warns past ten). Each request gets a signal of its
 * own that follows the run's; the link is undone when the request ends.
 */
export async function withRequestSignal<T>(signal: AbortSignal | undefined, call: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
  if (signal === undefined) return call(undefined);
  signal.throwIfAborted();
  const request = new AbortController();
  const follow = () => request.abort(signal.reason);
  signal.addEventListener('abort', follow, { once: true });
  try {
    return await call(request.signal);
  } finally {
    signal.removeEventListener('abort', follow);
  }
}
