import http from 'node:http';
import fs from 'node:fs/promises';
import nodePath from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap } from '@apollo/server';
import type { Logger } from '../shared/logger';
import { ErrorCode, requestScope } from '../graphql/errors';
import { nestingError, sourceNesting } from '../graphql/limits';

export interface HealthCheck {
  /** Resolves with details when ready; rejects with the reason when not. */
  ready(): Promise<Record<string, unknown>>;
  /** Why the process is broken beyond repair (the embedded database is down for good), or undefined. */
  failing?(): string | undefined;
}

export interface MetricsEndpoint {
  contentType: string;
  render(): Promise<string>;
  observeHttp?(route: string, status: number, seconds: number): void;
}

export interface HttpServerOptions {
  apollo: ApolloServer<any>;
  /** Builds the GraphQL context of a request. */
  context: (req: { requestId: string; logger: Logger; authorization: string | undefined; signal: AbortSignal }) => Promise<object>;
  logger: Logger;
  health: HealthCheck;
  metrics?: MetricsEndpoint;
  maxBodyBytes: number;
  maxBatch: number;
  landingPage: boolean;
  /** GraphQL requests handled at once (GRAPHQL_MAX_CONCURRENT); more are answered 503 with Retry-After. */
  maxConcurrent?: number;
  /** Bracket nesting a GraphQL source may reach (GRAPHQL_MAX_PARSE_DEPTH): refused before Apollo parses it. */
  maxParseDepth?: number;
  /** The compiled read path (src/graphql/compiled/): answers the catalog queries it covers before Apollo. */
  compiledReads?: { answer(body: unknown, headers: http.IncomingHttpHeaders, res: http.ServerResponse): Promise<boolean> };
  /** Serve the example catalog browser at /examples/catalog (not in production). */
  examples?: boolean;
}

export interface RunningHttpServer {
  server: http.Server;
  url: string;
  port: number;
  /** Stops accepting requests, lets running ones finish (up to `graceMs`), then closes. */
  close(graceMs?: number): Promise<void>;
}

/** The example frontend (this file runs as dist/src/http/server.js). */
const EXAMPLE_PAGE = nodePath.resolve(__dirname, '../../../examples/catalog-browser/index.html');

/** The request scope (src/graphql/errors.ts `requestScope`): its child logger is built on first use. */
class Scope {
  private child: Logger | undefined;
  constructor(
    private readonly root: Logger,
    readonly requestId: string,
  ) {}
  get logger(): Logger {
    return (this.child ??= this.root.child({ requestId: this.requestId }));
  }
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The HTTP front: GraphQL (Apollo, through its HTTP integration API), the Sandbox landing
 * page, health and readiness probes, and metrics. Plain `node:http`: no framework in between.
 */
export async function startHttpServer(opts: HttpServerOptions, port: number, host: string): Promise<RunningHttpServer> {
  let closing = false;
  const inFlight = new Set<AbortController>();
  // GraphQL requests being read, executed or answered: past maxConcurrent, new ones are shed
  // with 503 at once (never queued, so memory stays bounded and the probes stay fast).
  let graphqlActive = 0;
  const maxConcurrent = opts.maxConcurrent ?? Infinity;
  const server = http.createServer((req, res) => {
    const started = process.hrtime.bigint();
    const requestId = requestIdOf(req);
    // The request's child logger is made when something logs (most requests never do).
    const scope = new Scope(opts.logger, requestId);
    res.setHeader('x-request-id', requestId);
    res.setHeader('x-content-type-options', 'nosniff');
    const path = (req.url ?? '/').split('?')[0];
    const route = routeOf(path);
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      opts.metrics?.observeHttp?.(route, res.statusCode, seconds);
      if (opts.logger.isLevelEnabled('debug')) {
        scope.logger.debug({ method: req.method, url: redactQuery(req.url ?? '/'), status: res.statusCode, ms: Math.round(seconds * 1000) }, 'http request');
      }
    });
    void requestScope
      .run(scope, () => handle(req, res, path, requestId, scope))
      .catch((err) => {
        if (err instanceof HttpError) {
          sendJson(res, err.status, { errors: [{ message: err.message, extensions: { code: err.code } }] });
          return;
        }
        scope.logger.error({ err }, 'request failed');
        if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, requestId } }] });
        else res.destroy();
      });
  });
  server.requestTimeout = 60_000;
  server.headersTimeout = 20_000;
  server.keepAliveTimeout = 5_000;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, path: string, requestId: string, scope: Scope) {
    if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      const failing = opts.health.failing?.();
      if (failing) return sendJson(res, 503, { status: 'failing', reason: failing });
      return sendJson(res, 200, { status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
    }
    if (path === '/readyz' && (req.method === 'GET' || req.method === 'HEAD')) {
      if (closing) return sendJson(res, 503, { status: 'unavailable', reason: 'shutting down' });
      try {
        return sendJson(res, 200, { status: 'ready', ...(await opts.health.ready()) });
      } catch (e) {
        return sendJson(res, 503, { status: 'unavailable', reason: e instanceof Error ? e.message : String(e) });
      }
    }
    if (path === '/metrics' && opts.metrics && req.method === 'GET') {
      const body = await opts.metrics.render();
      res.writeHead(200, { 'content-type': opts.metrics.contentType, 'cache-control': 'no-store' });
      return void res.end(body);
    }
    if (path === '/' && (req.method === 'GET' || req.method === 'HEAD') && !(opts.landingPage && prefersHtml(req))) {
      return sendJson(res, 200, rootIndex(opts.landingPage, opts.metrics !== undefined));
    }
    if (path === '/examples/catalog' && opts.examples && req.method === 'GET') {
      const html = await fs.readFile(EXAMPLE_PAGE);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      return void res.end(html);
    }
    if (path === '/graphql' || path === '/') {
      // `/` too: the Sandbox served there sends its operations to the page's own address.
      const page = req.method === 'GET' && opts.landingPage && prefersHtml(req);
      if (!page && graphqlActive >= maxConcurrent) {
        req.resume();
        res.setHeader('retry-after', '1');
        return sendJson(res, 503, {
          errors: [
            {
              message: `The server is answering ${graphqlActive} GraphQL requests, its limit (GRAPHQL_MAX_CONCURRENT=${maxConcurrent}): retry after 1 second.`,
              extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, retryAfterSeconds: 1 },
            },
          ],
        });
      }
      graphqlActive++;
      try {
        return await graphql(req, res, requestId, scope);
      } finally {
        graphqlActive--;
      }
    }
    return sendJson(res, 404, { error: 'not found', graphql: '/graphql' });
  }

  async function graphql(req: http.IncomingMessage, res: http.ServerResponse, requestId: string, scope: Scope) {
    let body: unknown;
    if (req.method === 'POST') {
      const raw = await readBody(req, opts.maxBodyBytes);
      const type = req.headers['content-type'] ?? '';
      if (/^application\/(.+\+)?json/i.test(type)) {
        try {
          body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
        } catch {
          throw new HttpError(400, ErrorCode.BAD_USER_INPUT, 'The request body is not valid JSON.');
        }
        if (Array.isArray(body) && body.length > opts.maxBatch) {
          throw new HttpError(
            400,
            ErrorCode.QUERY_TOO_COMPLEX,
            `A batch may hold at most ${opts.maxBatch} operations; this one holds ${body.length}.`,
          );
        }
      } else {
        body = raw.toString('utf8');
      }
    }
    refuseDeepSources(req.method, body, req.url ?? '/');
    if (req.method === 'POST' && opts.compiledReads && body !== null && typeof body === 'object' && (await opts.compiledReads.answer(body, req.headers, res))) return;
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    // Aborted when the client disconnects before the answer, or when the server shuts down.
    const aborter = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) aborter.abort(new Error('the client went away'));
    };
    res.once('close', onClose);
    inFlight.add(aborter);
    let result;
    try {
      result = await opts.apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: new URL(req.url ?? '/', 'http://x').search, body },
        context: () => opts.context({ requestId, logger: scope.logger, authorization: req.headers.authorization, signal: aborter.signal }),
      });
    } finally {
      inFlight.delete(aborter);
    }
    for (const [key, value] of result.headers) res.setHeader(key, value);
    res.statusCode = result.status ?? 200;
    if (result.body.kind === 'complete' && /^text\/html/i.test(result.headers.get('content-type') ?? '')) {
      res.setHeader('content-security-policy', sandboxCsp(result.body.string));
      res.setHeader('x-frame-options', 'DENY');
    }
    if (result.body.kind === 'complete') {
      const html = /^text\/html/i.test(result.headers.get('content-type') ?? '');
      res.end(html ? withOfflineHelp(result.body.string) : result.body.string);
    } else {
      for await (const chunk of result.body.asyncIterator) res.write(chunk);
      res.end();
    }
  }

  /**
   * graphql-js parses recursively: thousands of nested selections or list literals overflow
   * its stack. Every source of the request (a batch's too) is scanned first, in one pass.
   */
  function refuseDeepSources(method: string | undefined, body: unknown, url: string) {
    const max = opts.maxParseDepth;
    if (max === undefined) return;
    const sources: unknown[] = [];
    if (method === 'GET') sources.push(new URL(url, 'http://x').searchParams.get('query'));
    for (const item of Array.isArray(body) ? body : [body]) {
      if (item && typeof item === 'object') sources.push((item as { query?: unknown }).query);
    }
    for (const source of sources) {
      if (typeof source === 'string' && sourceNesting(source, max) > max) {
        const error = nestingError(max);
        throw new HttpError(400, String(error.extensions.code), error.message);
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    server,
    port: address.port,
    url: `http://${shownHost}:${address.port}`,
    async close(graceMs = 10_000) {
      closing = true;
      // Long waits (triggerScrape with wait: true) answer now with what they have.
      for (const a of inFlight) a.abort(new Error('the server is shutting down'));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}

/**
 * The request target as logged: the path, and the names of its query parameters with every
 * value redacted (a token sent as `?token=…`, or a query with secrets in it, never reaches
 * the log).
 */
export function redactQuery(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const names = url
    .slice(q + 1)
    .split('&')
    .filter((p) => p !== '')
    .map((p) => `${p.split('=')[0].slice(0, 64)}=[redacted]`);
  return `${url.slice(0, q)}?${names.join('&')}`;
}

/**
 * The Content-Security-Policy of the Sandbox page: exactly what Apollo's embedded Sandbox
 * loads (its script from the Sandbox CDN, the iframe it runs in, Google Fonts), the page's
 * own inline script and style by the nonce Apollo put in it, operations sent to this
 * server only, and the page never framed by another site.
 */
export function sandboxCsp(html: string): string {
  const nonce = /nonce="?([0-9a-f]{16,128})"?/.exec(html)?.[1];
  const own = nonce ? ` 'nonce-${nonce}'` : '';
  return [
    "default-src 'none'",
    `script-src${own} https://embeddable-sandbox.cdn.apollographql.com`,
    `style-src${own} https://fonts.googleapis.com`,
    'font-src https://fonts.gstatic.com',
    'img-src https://apollo-server-landing-page.cdn.apollographql.com',
    'manifest-src https://apollo-server-landing-page.cdn.apollographql.com',
    'frame-src https://sandbox.embed.apollographql.com',
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function routeOf(path: string): string {
  return ['/graphql', '/', '/healthz', '/readyz', '/metrics', '/examples/catalog'].includes(path) ? path : 'other';
}

function requestIdOf(req: http.IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
}

/** `GET /` for anything but a browser (and for browsers when the Sandbox is off): where things are. */
export function rootIndex(sandbox: boolean, metrics: boolean): Record<string, unknown> {
  return {
    service: 'catalog-sync',
    graphql: '/graphql',
    ...(sandbox ? { sandbox: '/' } : {}),
    health: '/healthz',
    ready: '/readyz',
    ...(metrics ? { metrics: '/metrics' } : {}),
    usage:
      'POST a JSON body {"query": "..."} with Content-Type: application/json to /graphql' +
      (sandbox ? '; open / in a browser for Apollo Sandbox' : '') +
      '. The schema is schema/schema.graphql in the source tree.',
  };
}

/** What the start-up output says about where to go (plain words, not a JSON log line). */
export function endpointsBanner(url: string, sandbox: boolean): string {
  return (
    `catalog-sync is ready. GraphQL endpoint: ${url}/graphql\n` +
    (sandbox
      ? `Apollo Sandbox: open ${url}/ in a browser (the page loads Apollo's Sandbox from Apollo's CDN, so the browser needs internet access).\n`
      : `Apollo Sandbox is off (GRAPHQL_SANDBOX=false or NODE_ENV=production); GET ${url}/ lists the endpoints.\n`)
  );
}

const APOLLO_OFFLINE_TEXT = /<p>Apollo (Sandbox|Explorer) cannot be loaded; it appears that you might be offline\.<\/p>/;

/**
 * Apollo's page shows its fallback text until Sandbox, loaded from Apollo's CDN, covers it:
 * when the browser cannot reach the CDN that text stays, so it should say what works offline.
 */
function withOfflineHelp(html: string): string {
  return html.replace(
    APOLLO_OFFLINE_TEXT,
    '<p>Apollo Sandbox could not be loaded: this page loads it from Apollo\'s CDN ' +
      '(embeddable-sandbox.cdn.apollographql.com), which this browser cannot reach.</p>' +
      '<p>The GraphQL endpoint works without it: POST queries as JSON to <code>/graphql</code> ' +
      '(with curl, as the README shows); the schema is in <code>schema/schema.graphql</code> in the source tree.</p>',
  );
}

function prefersHtml(req: http.IncomingMessage): boolean {
  return (req.headers.accept ?? '').includes('text/html');
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      req.resume();
      return reject(new HttpError(413, ErrorCode.QUERY_TOO_COMPLEX, `The request body is larger than ${maxBytes} bytes.`));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        req.resume();
        reject(new HttpError(413, ErrorCode.QUERY_TOO_COMPLEX, `The request body is larger than ${maxBytes} bytes.`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
