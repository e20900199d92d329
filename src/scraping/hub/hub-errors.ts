/**
 * Errors of the Docker Hub client. Every message names the image and the URL (without
 * credentials) and says what happened in words an operator understands; no token, JWT or
 * password ever appears in one.
 */

export type HubErrorKind = 'not_found' | 'http' | 'response' | 'timeout' | 'network' | 'rate_limit' | 'auth' | 'unreachable';

export interface HubErrorInit {
  /** `namespace/repository`. */
  image: string;
  method: string;
  /** The URL asked for, without credentials. */
  url: string;
  /** What happened, in words (the part of the message after the image). */
  reason: string;
  /** HTTP status of the last response, when there was one. */
  status?: number;
  /** HTTP attempts made (1 when not retried). */
  attempts?: number;
  cause?: unknown;
  /** Who answered, for the message: `Docker Hub` (default) or `registry ghcr.io`. */
  service?: string;
}

export abstract class HubError extends Error {
  abstract readonly kind: HubErrorKind;
  readonly image: string;
  readonly method: string;
  readonly url: string;
  readonly reason: string;
  readonly status?: number;
  readonly attempts: number;

  constructor(protected readonly init: HubErrorInit) {
    super(formatHubMessage(init), init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.image = init.image;
    this.method = init.method;
    this.url = init.url;
    this.reason = init.reason;
    this.status = init.status;
    this.attempts = init.attempts ?? 1;
  }

  /** The same error about another image (a shared token request failed for several). */
  withImage(image: string): HubError {
    const Ctor = this.constructor as new (init: HubErrorInit) => HubError;
    return new Ctor({ ...this.init, image });
  }
}

function formatHubMessage(init: HubErrorInit): string {
  const attempts = init.attempts !== undefined && init.attempts > 1 ? `; gave up after ${init.attempts} attempts` : '';
  return `${init.service ?? 'Docker Hub'}, image ${init.image}: ${init.reason} (${init.method} ${init.url}${attempts})`;
}

/** 404: the repository does not exist, or it is private (Docker Hub answers 404 to strangers). */
export class HubNotFoundError extends HubError {
  readonly kind = 'not_found' as const;
}

/** Any other non-2xx status, after the retries it deserved. */
export class HubHttpError extends HubError {
  readonly kind = 'http' as const;
  declare readonly status: number;
}

/**
 * A response that is not what the API answers: not JSON (HTML challenge page,
 * `error code: 1010`), malformed or truncated JSON, the wrong shape, or over the size cap.
 */
export class HubResponseError extends HubError {
  readonly kind = 'response' as const;
}

/** No answer (connection, headers or next body chunk) within the timeout, on every attempt. */
export class HubTimeoutError extends HubError {
  readonly kind = 'timeout' as const;
}

/** The connection failed (refused, reset, DNS, TLS) on every attempt. */
export class HubNetworkError extends HubError {
  readonly kind = 'network' as const;
}

/** Docker Hub's rate limit asks to wait longer than `maxRateLimitWaitMs`. */
export class HubRateLimitError extends HubError {
  readonly kind = 'rate_limit' as const;
}

/** Signing in with DOCKER_HUB_USERNAME/DOCKER_HUB_TOKEN failed, or Docker Hub refused the access token. */
export class HubAuthError extends HubError {
  readonly kind = 'auth' as const;
}

/**
 * Not sent: the host's circuit breaker is open (the host failed at the connection level
 * too many times in a row). Its message starts "Docker Hub unreachable since <time>, skipped".
 */
export class HubUnreachableError extends HubError {
  readonly kind = 'unreachable' as const;

  constructor(init: HubErrorInit & { since: number; host: string; lastFailure?: string | null; retryAt?: number | null }) {
    super(init);
    const last = init.lastFailure ? `; last failure: ${init.lastFailure}` : '';
    const retry = init.retryAt ? `; the next attempt to reach ${init.host} goes after ${new Date(init.retryAt).toISOString()}` : '';
    this.message = `${init.service ?? 'Docker Hub'} unreachable since ${new Date(init.since).toISOString()}, skipped (${init.host}${last}${retry})`;
  }

  override withImage(image: string): HubError {
    return this;
  }
}

export function isHubError(e: unknown): e is HubError {
  return e instanceof HubError;
}

/** The error an aborted call rejects with: the signal's reason, or an `AbortError` DOMException. */
export function abortError(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  return new DOMException(typeof reason === 'string' ? reason : 'The operation was aborted', 'AbortError');
}
