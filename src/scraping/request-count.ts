import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Requests per host, per image: the engine runs each image's reads inside
 * {@link countRequests}, and the HTTP clients' observers call {@link countRequest} for every
 * attempt they make (retries and token requests included). The count follows the async
 * context of the call, so images read in parallel keep their own counts.
 */
const store = new AsyncLocalStorage<Map<string, number>>();

export function countRequest(host: string): void {
  const counts = store.getStore();
  if (counts) counts.set(host, (counts.get(host) ?? 0) + 1);
}

/** Runs `fn` with a fresh counter; `counts` is filled as requests are made (also if `fn` throws). */
export function countRequests<T>(counts: Map<string, number>, fn: () => Promise<T>): Promise<T> {
  return store.run(counts, fn);
}
