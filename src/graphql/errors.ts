import { AsyncLocalStorage } from 'node:async_hooks';
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { GraphQLError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import type { ValidationError } from 'class-validator';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from '../shared/logger';
import { isDatabaseUnavailable } from '../database/db-errors';

/** Every `extensions.code` a client can meet. The one place codes are defined. */
export enum ErrorCode {
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  NOT_FOUND = 'NOT_FOUND',
  CONFLICT = 'CONFLICT',
  /** An abuse limit (depth, cost, aliases, batch size, body size) refused the request. */
  QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX',
  /** The server is overloaded, or the database cannot answer right now (down, restarting, stalled): retry after `Retry-After`. HTTP 503. */
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
}

/** A field of an input that was refused, and why. */
export interface InvalidField {
  field: string;
  reason: string;
}

/** An error that is meant for the client: its message and details are shown as they are. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export class BadUserInputError extends DomainError {
  constructor(message: string, invalidFields?: InvalidField[]) {
    super(ErrorCode.BAD_USER_INPUT, message, invalidFields ? { invalidFields } : {});
  }
  /** One bad field: the message names it. */
  static field(field: string, reason: string): BadUserInputError {
    return new BadUserInputError(`${field}: ${reason}`, [{ field, reason }]);
  }
}

export class NotFoundError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(ErrorCode.NOT_FOUND, message, details);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string) {
    super(ErrorCode.CONFLICT, message);
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message = 'This operation needs the admin token: send "Authorization: Bearer <token>".') {
    super(ErrorCode.UNAUTHENTICATED, message);
  }
}

/** Per-request data that error formatting and logging need, without threading it through. */
export interface RequestScope {
  requestId: string;
  logger: Logger;
}
export const requestScope = new AsyncLocalStorage<RequestScope>();

/** Flattens class-validator's nested errors into `input.images[2]: must be …` lines. */
/** At most this many invalid fields are named in one answer (10,000 bad list items must not make a 1.5 MB error). */
export const MAX_REPORTED_INVALID_FIELDS = 20;

/** The message and extensions of a BAD_USER_INPUT naming `fields`: the first 20, and how many more there were. */
export function invalidArguments(fields: readonly InvalidField[]): { message: string; invalidFields: InvalidField[]; invalidFieldsOmitted?: number } {
  const shown = fields.slice(0, MAX_REPORTED_INVALID_FIELDS);
  const omitted = fields.length - shown.length;
  const list = shown.map((f) => `${f.field}: ${f.reason}`).join('; ');
  return omitted > 0
    ? { message: `Invalid arguments: ${list}; and ${omitted} more invalid field${omitted === 1 ? '' : 's'}`, invalidFields: shown, invalidFieldsOmitted: omitted }
    : { message: `Invalid arguments: ${list}`, invalidFields: shown };
}

export function invalidFieldsOf(errors: readonly ValidationError[], prefix = ''): InvalidField[] {
  const out: InvalidField[] = [];
  for (const e of errors) {
    const field = prefix === '' ? e.property : /^\d+$/.test(e.property) ? `${prefix}[${e.property}]` : `${prefix}.${e.property}`;
    for (const reason of Object.values(e.constraints ?? {})) out.push({ field, reason });
    if (e.children?.length) out.push(...invalidFieldsOf(e.children, field));
  }
  return out;
}

/**
 * An error about the request itself (GraphQL's own, or Apollo's wrapper around one: parse,
 * validation, variable coercion, abuse limits), never one thrown by our code at run time.
 */
function isRequestError(error: GraphQLError): boolean {
  if (error.originalError === undefined) return true;
  return error.path === undefined && error.originalError instanceof GraphQLError && error.originalError.originalError === undefined;
}

/**
 * Apollo's `formatError`: domain errors and GraphQL's own request errors pass as they are;
 * anything else is an internal error: logged in full with the request id, answered with
 * `INTERNAL_SERVER_ERROR` and no message, stack or SQL.
 */
export function formatError(fallbackLogger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const base = { locations: formatted.locations, path: formatted.path };

    if (original instanceof DomainError) {
      return { ...base, message: original.message, extensions: { ...original.details, code: original.code } };
    }
    if (original instanceof ArgumentValidationError) {
      const fields = invalidFieldsOf(original.extensions.validationErrors);
      if (fields.length === 0) return { ...base, message: 'Invalid arguments', extensions: { code: ErrorCode.BAD_USER_INPUT, invalidFields: [] } };
      const { message, ...report } = invalidArguments(fields);
      return { ...base, message, extensions: { code: ErrorCode.BAD_USER_INPUT, ...report } };
    }
    if (original instanceof GraphQLError && isRequestError(original)) {
      // Parse, validation, variable coercion and limit errors: about the request, safe to show.
      // Apollo wraps validation errors (code GRAPHQL_VALIDATION_FAILED): an abuse limit's own
      // code (QUERY_TOO_COMPLEX) on the wrapped error wins.
      const inner = original.originalError instanceof GraphQLError ? original.originalError : undefined;
      // Apollo labels a request error without a code INTERNAL_SERVER_ERROR (graphql-js's "Too many
      // errors processing variables"): about the request all the same.
      const given = (inner?.extensions?.code as string | undefined) ?? (formatted.extensions?.code as string | undefined);
      const code = given === undefined || given === ErrorCode.INTERNAL_SERVER_ERROR ? ErrorCode.BAD_USER_INPUT : given;
      return { ...formatted, extensions: { ...formatted.extensions, code } };
    }
    const scope = requestScope.getStore();
    if (isDatabaseUnavailable(original)) {
      // Not a bug: the database is down, restarting or stalled. Retryable, logged without a stack.
      (scope?.logger ?? fallbackLogger).warn(
        { err: original instanceof Error ? original.message : String(original), requestId: scope?.requestId, path: formatted.path },
        'database unavailable while answering a GraphQL request',
      );
      return {
        ...base,
        message: `The database is unavailable right now; retry in ${RETRY_AFTER_SECONDS} s.`,
        extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, retryAfterSeconds: RETRY_AFTER_SECONDS, ...(scope ? { requestId: scope.requestId } : {}) },
      };
    }
    (scope?.logger ?? fallbackLogger).error(
      { err: original, requestId: scope?.requestId, path: formatted.path },
      'internal error while answering a GraphQL request',
    );
    return {
      ...base,
      message: 'Internal server error',
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, ...(scope ? { requestId: scope.requestId } : {}) },
    };
  };
}

/** What `Retry-After` says when the database is unavailable. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * An answer with a `SERVICE_UNAVAILABLE` error is HTTP 503 with `Retry-After`, so that
 * clients, proxies and load balancers treat it as the retryable outage it is.
 */
export function serviceUnavailablePlugin<T extends object>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : response.body.initialResult.errors;
          if (errors?.some((e) => e.extensions?.code === ErrorCode.SERVICE_UNAVAILABLE)) {
            response.http.status = 503;
            response.http.headers.set('retry-after', String(RETRY_AFTER_SECONDS));
          }
        },
      };
    },
  };
}
