import type http from 'node:http';
import {
  DocumentNode,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  GraphQLSchema,
  OperationDefinitionNode,
  parse,
  specifiedRules,
  validate,
} from 'graphql';
import type pg from 'pg';
import type { GraphQLLimits } from '../../config/config';
import type { Logger } from '../../shared/logger';
import { CompiledRead, compileRead, NotCompilable } from '../../catalog/read-compiler';
import { DomainError, ErrorCode, RETRY_AFTER_SECONDS } from '../errors';
import { isDatabaseUnavailable } from '../../database/db-errors';
import { limitRules, operationCost } from '../limits';
import { invalidStrings, nullArguments } from '../input-guard';
import { rootSelection } from './selection';

/**
 * The compiled read path: a catalog query (root fields `resources`, `resource`, `instance`
 * with the fields src/graphql/compiled/selection.ts knows) is answered by ONE named prepared
 * statement that builds the whole `data` object in PostgreSQL; its text goes to the socket
 * as it is, with no row parsing, resolvers or JSON serialisation in Node.
 *
 * Everything else — mutations, other root fields, introspection, batches, unknown fields
 * or arguments, GET requests, an `Accept` other than JSON, persisted-query extensions,
 * documents or variables with errors, arguments the resolvers would refuse, an operation
 * over the cost limit, a failing statement — is left to Apollo (`answer` resolves false),
 * which answers exactly as before. Answers are identical to Apollo's (test/graphql/compiled-reads.test.ts).
 *
 * Parse and validation (graphql-js's rules and the document limits of src/graphql/limits.ts)
 * run once per document text (a bounded LRU); the cost limit, which depends on the
 * variables, runs per request with the same function Apollo's cost plugin calls.
 */
export interface CompiledReadsOptions {
  schema: GraphQLSchema;
  limits: GraphQLLimits;
  pool: pg.Pool;
  logger: Logger;
  /** Records each answered operation as Apollo's metrics plugin does. */
  observe?: (e: { operationName: string | null | undefined; operationType: string; outcome: string; seconds: number }) => void;
  /** Documents kept parsed and validated (default 500). */
  documentCacheSize?: number;
  /** Plans kept per (document, operation name, variables) (default 1,000). */
  planCacheSize?: number;
  /** Distinct statements prepared by name (default 1,000); later ones run unnamed. */
  maxPreparedStatements?: number;
}

interface Plan {
  sql: CompiledRead;
  name: string | undefined;
  operation: OperationDefinitionNode;
}

interface CachedDocument {
  document: DocumentNode;
  /** Operation name ('' for the only operation) → operation; filled as asked. */
  operations: Map<string, OperationDefinitionNode | null>;
}

const CONTENT_TYPE = 'application/json; charset=utf-8';
const MAX_KEY_CHARS = 32 * 1024;
/** Answers up to maxCost × this many bytes are sent as built; larger ones are left to the resolvers' exact charging. */
const BYTES_PER_COST_UNIT = 100;

export class CompiledReads {
  /** Query text → parsed valid document, or null when parsing or validation failed. */
  private readonly documents = new Map<string, CachedDocument | null>();
  /**
   * (query, operation name, variables) → the statement, or null when Apollo answers: the
   * plan is a function of these alone (schema and limits are fixed), so a repeated request
   * skips the walk, the argument checks, the cost and the SQL building.
   */
  private readonly plans = new Map<string, Plan | null>();
  private readonly statementNames = new Map<string, string>();
  private readonly rules;
  /** How many requests this path answered / left to Apollo (for tests and diagnostics). */
  readonly stats = { answered: 0, fallbacks: 0 };

  constructor(private readonly opts: CompiledReadsOptions) {
    this.rules = [...specifiedRules, ...limitRules(opts.limits)];
  }

  /**
   * Answers a parsed JSON POST body on `res` when the compiled path covers it; resolves false
   * (having written nothing) when Apollo must answer.
   */
  async answer(body: unknown, headers: http.IncomingHttpHeaders, res: http.ServerResponse): Promise<boolean> {
    const started = process.hrtime.bigint();
    const plan = this.cachedPlan(body, headers);
    if (!plan) {
      this.stats.fallbacks++;
      return false;
    }
    let text: string;
    try {
      const result = await this.opts.pool.query<[string]>({ text: plan.sql.text, values: plan.sql.values, name: plan.name, rowMode: 'array' });
      text = result.rows[0][0];
    } catch (err) {
      if (isDatabaseUnavailable(err)) {
        // An outage or a stalled database: asking the resolvers would wait out the deadline a
        // second time. Answer as they would, 503 SERVICE_UNAVAILABLE with Retry-After.
        this.opts.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'database unavailable while answering a GraphQL request');
        const requestId = res.getHeader('x-request-id');
        res.statusCode = 503;
        res.setHeader('content-type', CONTENT_TYPE);
        res.setHeader('retry-after', String(RETRY_AFTER_SECONDS));
        res.end(
          `${JSON.stringify({
            errors: [
              {
                message: `The database is unavailable right now; retry in ${RETRY_AFTER_SECONDS} s.`,
                extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, retryAfterSeconds: RETRY_AFTER_SECONDS, ...(requestId ? { requestId } : {}) },
              },
            ],
            data: null,
          })}\n`,
        );
        this.opts.observe?.({
          operationName: plan.operation.name?.value ?? (body as { operationName?: string }).operationName,
          operationType: 'query',
          outcome: ErrorCode.SERVICE_UNAVAILABLE,
          seconds: Number(process.hrtime.bigint() - started) / 1e9,
        });
        return true;
      }
      // The resolvers answer instead, with their own error handling (masked internal errors).
      this.opts.logger.warn({ err }, 'compiled read failed; the resolvers answer this request');
      this.stats.fallbacks++;
      return false;
    }
    // The cost is an estimate before execution; the resolvers charge lists and text for their
    // actual size. An answer far larger than the budget allows (a tag with 10,000 platforms)
    // goes to them, so that the same limit refuses it.
    if (text.length > this.opts.limits.maxCost * BYTES_PER_COST_UNIT) {
      this.stats.fallbacks++;
      return false;
    }
    res.statusCode = 200;
    res.setHeader('content-type', CONTENT_TYPE);
    res.end(`{"data":${text}}\n`);
    this.stats.answered++;
    this.opts.observe?.({
      operationName: plan.operation.name?.value ?? (body as { operationName?: string }).operationName,
      operationType: 'query',
      outcome: 'ok',
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    });
    return true;
  }

  private cachedPlan(body: unknown, headers: http.IncomingHttpHeaders): Plan | undefined {
    if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
    const { query, variables, operationName, extensions, ...rest } = body as Record<string, unknown>;
    if (typeof query !== 'string' || extensions !== undefined || Object.keys(rest).length > 0) return undefined;
    if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) return undefined;
    if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return undefined;
    if (!acceptsJson(headers.accept)) return undefined;
    const key = `${operationName ?? ''}\u0000${variables ? JSON.stringify(variables) : ''}\u0000${query}`;
    // The caches hold keys of bounded size (a body may be 1 MiB): larger requests go to Apollo.
    if (key.length > MAX_KEY_CHARS) return undefined;
    let plan = this.plans.get(key);
    if (plan !== undefined) {
      this.plans.delete(key);
      this.plans.set(key, plan);
    } else {
      plan = this.plan(query, variables as Record<string, unknown> | null | undefined, operationName) ?? null;
      this.plans.set(key, plan);
      if (this.plans.size > (this.opts.planCacheSize ?? 1000)) this.plans.delete(this.plans.keys().next().value!);
    }
    return plan ?? undefined;
  }

  /** The statement for a request, or undefined when Apollo must answer it. */
  private plan(query: string, variables: Record<string, unknown> | null | undefined, operationName: string | null | undefined): Plan | undefined {
    const cached = this.document(query);
    if (!cached) return undefined;
    const opKey = operationName ?? '';
    let operation = cached.operations.get(opKey);
    if (operation === undefined) {
      operation = getOperationAST(cached.document, operationName ?? undefined) ?? null;
      cached.operations.set(opKey, operation);
    }
    if (!operation || operation.operation !== 'query') return undefined;

    const raw = (variables ?? {}) as Record<string, unknown>;
    const coerced = getVariableValues(this.opts.schema, operation.variableDefinitions ?? [], raw);
    if (coerced.errors) return undefined;
    // NUL bytes, lone surrogates and explicit nulls: Apollo's input guard names the field.
    if (invalidStrings(cached.document, operation, raw).length > 0) return undefined;
    if (nullArguments(this.opts.schema, cached.document, raw).length > 0) return undefined;
    if (operationCost(this.opts.schema, cached.document, operation, raw) > this.opts.limits.maxCost) return undefined;
    try {
      const sql = compileRead(rootSelection(this.opts.schema, cached.document, operation, coerced.coerced));
      return { sql, operation, name: this.nameOf(sql.text) };
    } catch (e) {
      // NotCompilable: not covered; a DomainError: an argument the resolvers refuse (they say why).
      if (e instanceof NotCompilable || e instanceof DomainError || e instanceof GraphQLError) return undefined;
      throw e;
    }
  }

  private document(query: string): CachedDocument | null {
    const hit = this.documents.get(query);
    if (hit !== undefined) {
      // Most recently used last: the Map's order is the LRU order.
      this.documents.delete(query);
      this.documents.set(query, hit);
      return hit;
    }
    let entry: CachedDocument | null;
    try {
      const document = parse(query, { maxTokens: this.opts.limits.maxTokens });
      entry = validate(this.opts.schema, document, this.rules).length === 0 ? { document, operations: new Map() } : null;
    } catch {
      entry = null;
    }
    this.documents.set(query, entry);
    if (this.documents.size > (this.opts.documentCacheSize ?? 500)) this.documents.delete(this.documents.keys().next().value!);
    return entry;
  }

  /** A statement name per distinct text: PostgreSQL parses and plans it once per connection. */
  private nameOf(text: string): string | undefined {
    let name = this.statementNames.get(text);
    if (name === undefined && this.statementNames.size < (this.opts.maxPreparedStatements ?? 1000)) {
      name = `catalog_read_${this.statementNames.size + 1}`;
      this.statementNames.set(text, name);
    }
    return name;
  }
}

/** Apollo answers `application/json` for these; anything else (graphql-response+json, multipart) goes to Apollo. */
function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept === '') return true;
  const a = accept.trim().toLowerCase();
  return a === '*/*' || a === 'application/json' || a === 'application/json, */*' || a === 'application/json,*/*';
}
