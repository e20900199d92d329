import type { ApolloServerPlugin, PersistedQueryOptions } from '@apollo/server';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';

/**
 * Automatic persisted queries: a client sends the sha256 of a query; the first time the
 * server answers PERSISTED_QUERY_NOT_FOUND and the client sends the text once with its hash,
 * after which the hash alone is enough (also as a GET, which HTTP caches can keep). The query
 * texts live in an LRU bounded to `maxBytes` (per process; a replica that evicted or never saw
 * a hash just asks for the text again). `0` turns APQ off.
 */
export function persistedQueries(maxBytes: number): PersistedQueryOptions | false {
  if (maxBytes === 0) return false;
  return { cache: new InMemoryLRUCache<string>({ maxSize: maxBytes, sizeCalculation: InMemoryLRUCache.sizeCalculation }), ttl: null };
}

/**
 * `Cache-Control: public, max-age=N` on the answer of a GET query that succeeded without an
 * error and carried no `Authorization` header: every query is public and the same for every
 * caller, so browsers and CDNs may keep it for a few seconds. Mutations are never run over
 * GET (Apollo refuses them), POST answers and answers with errors (PERSISTED_QUERY_NOT_FOUND
 * included) get no such header.
 */
export function getCacheControlPlugin<T extends object>(maxAgeSeconds: number): ApolloServerPlugin<T> {
  return {
    async requestDidStart({ request }) {
      if (maxAgeSeconds === 0 || request.http?.method !== 'GET' || request.http.headers.get('authorization')) return {};
      return {
        async willSendResponse({ response, operation, errors }) {
          if (operation?.operation !== 'query' || errors?.length || response.body.kind !== 'single' || response.body.singleResult.errors?.length) {
            return;
          }
          response.http.headers.set('cache-control', `public, max-age=${maxAgeSeconds}`);
          response.http.headers.set('vary', 'accept, origin');
        },
      };
    },
  };
}
