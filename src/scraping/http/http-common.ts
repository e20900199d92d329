/**
 * HTTP machinery shared by the Docker Hub web API client (../hub) and the OCI registry
 * client (../registry): transport-error classification, the per-exchange deadline, the
 * capped body reader, URL redaction and small formatting helpers.
 */
import type { Dispatcher } from 'undici';
import { abortError } from '../hub/hub-errors';
import type { HeaderBag } from '../hub/rate-limit-gate';

/** One exchange outlived its request deadline (a slow drip that the chunk timeout never catches). */
export class RequestDeadlineError extends Error {
  constructor(
    readonly deadlineMs: number,
    readonly bytes: number,
  ) {
    super(`request deadline of ${deadlineMs} ms exceeded`);
  }
}

/** The body would exceed the cap (not retried: it will not shrink). */
export class BodyTooLargeError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
  }
}

export function ok(status: number): boolean {
  return status >= 200 && status < 300;
}

export function headerValue(headers: HeaderBag, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function isJsonContentType(ct: string): boolean {
  const mime = ct.split(';')[0].trim().toLowerCase();
  return mime === 'application/json' || mime.endsWith('+json');
}

/** The URL without user info: safe for messages and logs. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '';
      u.password = '';
    }
    return u.href;
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//');
  }
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Math.round(ms / 100) / 10} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 360_000) / 10} h`;
}

export interface TransportFailure {
  kind: 'timeout' | 'network';
  reason: string;
}

/** Names of the settings an operator would check, for the messages. */
export interface TransportHints {
  /** e.g. `DOCKER_HUB_REQUEST_DEADLINE`. */
  deadlineVariable: string;
  /** e.g. `DOCKER_HUB_URL`, or `the image name`. */
  urlVariable: string;
}

/** Timeouts and connection errors from undici / node:net, in words; undefined for anything else. */
export function classifyTransportError(e: unknown, timeoutMs: number, host: string, hints: TransportHints): TransportFailure | undefined {
  if (e instanceof RequestDeadlineError) {
    return {
      kind: 'timeout',
      reason:
        `the response took longer than the ${formatMs(e.deadlineMs)} request deadline (${hints.deadlineVariable}); ` +
        `${e.bytes} body bytes had arrived: ${host} sends too slowly`,
    };
  }
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  const message = e instanceof Error ? e.message : String(e);
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return { kind: 'timeout', reason: `could not connect to ${host} within ${formatMs(timeoutMs)}` };
    case 'UND_ERR_HEADERS_TIMEOUT':
      return { kind: 'timeout', reason: `no response within ${formatMs(timeoutMs)} (the server accepted the request but sent no headers)` };
    case 'UND_ERR_BODY_TIMEOUT':
      return { kind: 'timeout', reason: `the response body stalled for more than ${formatMs(timeoutMs)}` };
    case 'ETIMEDOUT':
      return { kind: 'timeout', reason: `the connection to ${host} timed out (ETIMEDOUT)` };
    case 'ECONNREFUSED':
      return { kind: 'network', reason: `connection refused by ${host} (ECONNREFUSED): nothing listens there; is ${hints.urlVariable} right?` };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { kind: 'network', reason: `the host name ${host} could not be resolved (${code}): check DNS and ${hints.urlVariable}` };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return { kind: 'network', reason: `the connection to ${host} was closed or reset before the response was complete (${code}: ${message})` };
    default:
      if (typeof code === 'string' && code !== 'UND_ERR_INVALID_ARG' && code !== 'UND_ERR_NOT_SUPPORTED') {
        return { kind: 'network', reason: `network error talking to ${host} (${code}: ${message})` };
      }
      return undefined;
  }
}

/** Resolves like `promise`, but rejects as soon as `signal` aborts. */
export function raceAbort<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * Runs `fn` with a signal that also aborts after `deadlineMs`; a deadline hit becomes a
 * {@link RequestDeadlineError} carrying the bytes `fn` reported through `progress`.
 */
export async function withRequestDeadline<T>(
  deadlineMs: number,
  outer: AbortSignal | undefined,
  fn: (signal: AbortSignal, progress: (bytes: number) => void) => Promise<T>,
): Promise<T> {
  const expired = new AbortController();
  let bytes = 0;
  const timer = setTimeout(() => expired.abort(new RequestDeadlineError(deadlineMs, bytes)), deadlineMs);
  const signal = outer ? AbortSignal.any([outer, expired.signal]) : expired.signal;
  try {
    return await fn(signal, (n) => (bytes = n));
  } catch (e) {
    if (expired.signal.aborted && !outer?.aborted) throw new RequestDeadlineError(deadlineMs, bytes);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads a response body up to `max` bytes (a declared Content-Length over the cap is
 * refused before reading), destroying it on abort. `capVariable` names the setting in the
 * {@link BodyTooLargeError} message.
 */
export async function readCappedBody(
  res: Dispatcher.ResponseData,
  max: number,
  capVariable: string,
  signal: AbortSignal,
  progress: (bytes: number) => void,
): Promise<Buffer> {
  // Destroying the body below makes undici emit an error; the caller already reports it.
  res.body.on('error', () => undefined);
  try {
    const declared = headerValue(res.headers, 'content-length');
    if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > max) {
      throw new BodyTooLargeError(
        res.statusCode,
        `the response body is ${declared} bytes (Content-Length), more than the ${max}-byte cap (${capVariable}); it was not read`,
      );
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    const onAbort = () => res.body.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        progress(bytes);
        if (bytes > max) {
          throw new BodyTooLargeError(res.statusCode, `the response body grew past the ${max}-byte cap (${capVariable}); reading was stopped`);
        }
        chunks.push(chunk);
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    return Buffer.concat(chunks);
  } catch (e) {
    res.body.destroy();
    throw e;
  }
}

/** Full-jitter exponential backoff delay: random() · min(maxMs, baseMs · 2^(attempt−1)). */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** (attempt - 1)));
}
