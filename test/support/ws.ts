import WebSocket from 'ws';
import { Client, createClient } from 'graphql-ws';

/** A graphql-ws client of a test app's /graphql, the way Apollo Client or Sandbox connect. */
export function wsClient(graphqlUrl: string, opts: { onClose?: (code: number, reason: string) => void } = {}): Client {
  return createClient({
    url: graphqlUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    on: { closed: (e) => opts.onClose?.((e as { code: number }).code, String((e as { reason?: string }).reason ?? '')) },
  });
}

export interface Collected<T> {
  values: T[];
  errors: unknown[];
  done: Promise<void>;
  /** Resolves once `pred` holds for the values seen so far. */
  until(pred: (values: T[]) => boolean, timeoutMs?: number): Promise<T[]>;
  stop(): void;
}

/** Subscribes and collects every `data[field]` that arrives. */
export function collect<T = any>(client: Client, query: string, variables: Record<string, unknown> = {}, field?: string): Collected<T> {
  const values: T[] = [];
  const errors: unknown[] = [];
  const waiters = new Set<() => void>();
  let unsubscribe = () => {};
  const done = new Promise<void>((resolve) => {
    unsubscribe = client.subscribe<any>(
      { query, variables },
      {
        next: (r) => {
          if (r.errors) errors.push(...r.errors);
          if (r.data) values.push(field ? r.data[field] : r.data);
          for (const w of waiters) w();
        },
        error: (e) => {
          errors.push(e);
          for (const w of waiters) w();
          resolve();
        },
        complete: () => resolve(),
      },
    );
  });
  return {
    values,
    errors,
    done,
    stop: () => unsubscribe(),
    until(pred, timeoutMs = 20_000) {
      if (pred(values)) return Promise.resolve(values);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out; got ${values.length} value(s): ${JSON.stringify(values).slice(0, 2000)}; errors ${JSON.stringify(errors)}`));
        }, timeoutMs);
        const check = () => {
          if (pred(values)) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(values);
          } else if (errors.length) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`subscription failed: ${JSON.stringify(errors)}`));
          }
        };
        waiters.add(check);
      });
    },
  };
}
