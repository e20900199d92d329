/**
 * Whether an error means "the database cannot answer right now" (it is down, restarting,
 * stalled, refusing connections, or the pool could not hand out a connection in time),
 * as opposed to a bug or a bad statement. Such errors are retryable: the API answers them
 * as `SERVICE_UNAVAILABLE` (HTTP 503 with Retry-After) instead of an internal error.
 * Looks through TypeORM's `driverError` and `cause` chains.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || SQLSTATES.has(code) || code.startsWith('08'))) return true;
    if (typeof message === 'string' && MESSAGES.some((m) => m.test(message))) return true;
    e = (e as { driverError?: unknown }).driverError ?? (e as { cause?: unknown }).cause;
  }
  return false;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

/** SQLSTATEs of a server that is going away, starting, overloaded, or ran out of time. */
const SQLSTATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down, recovering)
  '57014', // query_canceled: statement_timeout
  '53300', // too_many_connections
  '53400', // configuration_limit_exceeded
]);

/** What `pg` and `pg-pool` say when a connection is lost or never came. */
const MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect$/,
  /^Query read timeout$/,
  /not queryable/,
  /^Client was closed and is not queryable$/,
  /^the database system is (starting up|shutting down|in recovery mode)/,
  /^terminating connection due to administrator command$/,
];

/** Whether a database error is the server refusing who we are or what we asked for: no retry helps. */
export function isPermanentConnectError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  // invalid_password, invalid_authorization_specification, invalid_catalog_name (no such database)
  return code === '28P01' || code === '28000' || code === '3D000';
}
