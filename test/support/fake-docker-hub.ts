/**
 * A fake Docker Hub: a real HTTP server on 127.0.0.1 (port 0) for tests and benchmarks.
 *
 * It serves the current endpoints with the shapes and behaviours of the real API (see the
 * shared fixtures' SOURCES.md):
 *
 * - `GET /v2/namespaces/{ns}/repositories/{name}` → repository info; unknown →
 *   404 `{"errinfo":{},"message":"object not found"}`.
 * - `GET /v2/namespaces/{ns}/repositories/{name}/tags?page_size=&page=&ordering=` →
 *   `{count, next, previous, results}`, newest first (`ordering=last_updated` or none;
 *   `-last_updated` oldest first), `page_size` default 10 and capped at `maxPageSize`,
 *   absolute `next`/`previous` URLs that keep the query parameters, 404 past the end,
 *   403 `pagination offset too large…` past `anonymousOffsetLimit` without a valid bearer.
 * - The deprecated `/v2/repositories/{ns}/{name}[/tags]` answer the same.
 * - `POST /v2/auth/token` `{identifier, secret}` → `{access_token}` (a JWT-shaped token
 *   with `exp`, valid `tokenTtlMs`); a request with an invalid or expired bearer → 401.
 *
 * Data is set with {@link FakeDockerHub.setRepository} & co (build it with
 * test/support/hub-data.ts). Faults are injected per path with {@link FakeDockerHub.inject}
 * and the {@link faults} factories; every request is logged in {@link FakeDockerHub.requests}.
 *
 * ```ts
 * const hub = await FakeDockerHub.start({ maxPageSize: 5 });
 * hub.setRepository('library', 'nginx', { tags: syntheticTags(12) });
 * hub.inject(hubPaths.tags('library', 'nginx'), faults.serviceUnavailable(), { times: 2 });
 * // … DOCKER_HUB_URL = hub.url …
 * assert.equal(hub.countRequests(hubPaths.tags('library', 'nginx')), 5);
 * await hub.close();
 * ```
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { RawRepository, RawTag, syntheticDigest, syntheticRepository, syntheticTag, TagOptions } from './hub-data';

// ------------------------------------------------------------------ types

export interface FakeDockerHubOptions {
  /** Delay before every response (settable later through `hub.latencyMs`). Default 0. */
  latencyMs?: number;
  /** `page_size` cap. Default 5, so that paging is exercised (the real Hub caps at 100). */
  maxPageSize?: number;
  /** Offset from which tag pages answer 403 without a valid bearer token. Default 1000. */
  anonymousOffsetLimit?: number;
  /** Accepted by `POST /v2/auth/token`. Without them every sign-in answers 401. */
  credentials?: { username: string; token: string };
  /** Lifetime of issued access tokens. Default 10 minutes (as Docker Hub). */
  tokenTtlMs?: number;
  /** Base URL written into `next`/`previous` links. Default: the fake's own URL. */
  linkBaseUrl?: string;
  /** Enforce a request budget (see {@link RateBudget}); settable later through `hub.rateBudget`. */
  rateBudget?: RateBudget;
}

/**
 * A request budget as Docker Hub enforces it: `limit` requests per fixed window of
 * `windowMs` (aligned to multiples of it on the wall clock, so a whole number of seconds
 * gives whole-second resets). Every response carries `X-RateLimit-Limit`,
 * `X-RateLimit-Remaining` and `X-RateLimit-Reset` (unix seconds); a request past the budget
 * answers 429 with `Retry-After` (seconds to the reset) and is not served.
 */
export interface RateBudget {
  limit: number;
  windowMs: number;
}

/** One request as the fake saw it. */
export interface FakeRequest {
  /** Sequence number, from 1. */
  seq: number;
  method: string;
  /** Path without the query string. */
  path: string;
  /** Query parameters (last value wins). */
  query: Record<string, string>;
  /** Path and query string as requested. */
  url: string;
  /** Whether an `Authorization` header was sent. */
  authorization: boolean;
  /** Whether it carried a bearer token this fake issued and that is still valid. */
  bearerValid: boolean;
  userAgent: string | undefined;
  accept: string | undefined;
  /** `Date.now()` when the request arrived. */
  timestamp: number;
  /** `Date.now()` when the response was sent (headers for slow bodies); null if never. */
  respondedAt: number | null;
  /** Status sent; null when the response never started (hang, reset). */
  status: number | null;
  /** The fault applied, if any (its `type`). */
  fault: FakeFault['type'] | null;
}

/**
 * Which requests a fault or a count applies to:
 * - string: a prefix of the path (no query string) — beware that `/…/nginx` also matches
 *   `/…/nginx/tags` and `/…/nginx2`; prefer {@link hubPaths};
 * - RegExp: tested against the path;
 * - function: anything else (method, query, headers seen).
 */
export type RequestMatcher = string | RegExp | ((r: FakeRequest) => boolean);

export type HeaderSpec = Record<string, string> | ((r: FakeRequest) => Record<string, string>);

export type FakeFault =
  /** Answer with this status, body and headers instead of the normal response. */
  | { type: 'respond'; status: number; body?: unknown; contentType?: string; headers?: HeaderSpec }
  /** The normal response, with extra headers (e.g. X-RateLimit-Remaining: 0). */
  | { type: 'headers'; headers: HeaderSpec }
  /** The normal response, `ms` later. */
  | { type: 'delay'; ms: number }
  /** Never send anything (until the client gives up or the fake closes). */
  | { type: 'hang' }
  /** Headers (with the full Content-Length) and the first `sendBytes` of the body, then stall. */
  | { type: 'slowBody'; sendBytes: number }
  /** The normal JSON cut after `keepBytes` (default: half), sent completely (Content-Length of the cut). */
  | { type: 'truncated'; keepBytes?: number }
  /** A valid JSON body of `bytes` bytes; with or without Content-Length (chunked). */
  | { type: 'oversized'; bytes: number; contentLength: boolean }
  /** Destroy the connection without answering. */
  | { type: 'reset' }
  /** Headers (full Content-Length) and the first `sendBytes` of the body, then destroy the connection. */
  | { type: 'resetMidBody'; sendBytes: number }
  /** The normal response, its body one `chunkBytes` chunk every `everyMs` (a slow drip). */
  | { type: 'drip'; everyMs: number; chunkBytes: number }
  /** The normal JSON body, changed by `fn` (its return value is sent). */
  | { type: 'transform'; fn: (json: any, r: FakeRequest) => unknown }
  /** Run `fn` first (e.g. push a tag between two pages), then answer normally. */
  | { type: 'before'; fn: (r: FakeRequest, hub: FakeDockerHub) => void | Promise<void> };

export interface InjectOptions {
  /** How many matching requests it applies to. Default 1; `Infinity` allowed. */
  times?: number;
}

/** A fault in place: how often it fired, how often it still will; `remove()` takes it away. */
export interface InjectedFault {
  readonly matcher: RequestMatcher;
  readonly fault: FakeFault;
  readonly hits: number;
  readonly remaining: number;
  remove(): void;
}

interface FaultEntry {
  matcher: RequestMatcher;
  fault: FakeFault;
  remaining: number;
  hits: number;
}

interface RepoEntry {
  info: RawRepository;
  tags: RawTag[];
}

interface OutResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Content-Length to announce (default body length); null → chunked. */
  contentLength?: number | null;
}

// ------------------------------------------------------------------ helpers for tests

const enc = encodeURIComponent;
function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Matchers for the fake's endpoints (exact paths, unlike a string prefix). */
export const hubPaths = {
  /** `GET /v2/namespaces/{ns}/repositories/{name}` only. */
  repository(namespace: string, name: string): RegExp {
    return new RegExp(`^/v2/namespaces/${escapeRegExp(enc(namespace))}/repositories/${escapeRegExp(enc(name))}/?$`);
  },
  /** Every page of `…/{name}/tags`. */
  tags(namespace: string, name: string): RegExp {
    return new RegExp(`^/v2/namespaces/${escapeRegExp(enc(namespace))}/repositories/${escapeRegExp(enc(name))}/tags/?$`);
  },
  /** One page (`page` query parameter, 1 when absent) of `…/{name}/tags`. */
  tagsPage(namespace: string, name: string, page: number): (r: FakeRequest) => boolean {
    const re = hubPaths.tags(namespace, name);
    return (r) => re.test(r.path) && Number(r.query.page ?? '1') === page;
  },
  /** Repository info and tags of one image. */
  image(namespace: string, name: string): RegExp {
    return new RegExp(`^/v2/namespaces/${escapeRegExp(enc(namespace))}/repositories/${escapeRegExp(enc(name))}(/tags)?/?$`);
  },
  /** `POST /v2/auth/token`. */
  auth: /^\/v2\/auth\/token\/?$/ as RegExp,
  /** Every API request except sign-in. */
  api: /^\/v2\/(namespaces|repositories)\// as RegExp,
};

function jsonError(message: string): Buffer {
  return Buffer.from(JSON.stringify({ errinfo: {}, message }));
}

const CLOUDFLARE_CHALLENGE_HTML = `<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8"><meta name="robots" content="noindex,nofollow">
</head><body><div class="main-wrapper" role="main"><div class="main-content">
<h1 class="zone-name-title h1">hub.docker.com</h1><h2 class="h2" id="challenge-running">Checking if the site connection is secure</h2>
<noscript><div class="h2"><span id="challenge-error-text">Enable JavaScript and cookies to continue</span></div></noscript>
</div></div><script src="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1?ray=8c0ffee"></script></body></html>`;

/** Factories for {@link FakeFault}s. */
export const faults = {
  /** Any status; the body defaults to Docker Hub's error shape. */
  status(status: number, opts: { body?: unknown; headers?: HeaderSpec; contentType?: string } = {}): FakeFault {
    return {
      type: 'respond',
      status,
      body: opts.body ?? { errinfo: {}, message: http.STATUS_CODES[status] ?? 'error' },
      headers: opts.headers,
      contentType: opts.contentType,
    };
  },
  /** 503 (use `times` for a burst). */
  serviceUnavailable(opts: { headers?: HeaderSpec } = {}): FakeFault {
    return faults.status(503, { body: { detail: 'Service Unavailable', message: 'upstream connect error' }, headers: opts.headers });
  },
  /**
   * 429 `{"detail":"Rate limit exceeded","error":false}` with `Retry-After` (seconds or an
   * HTTP date) and/or `X-Retry-After` (unix seconds); neither gives a bare 429 (abuse limit).
   */
  rateLimited(opts: { retryAfter?: number | string; xRetryAfter?: number | (() => number); headers?: Record<string, string> } = {}): FakeFault {
    return {
      type: 'respond',
      status: 429,
      body: { detail: 'Rate limit exceeded', error: false },
      headers: () => {
        const h: Record<string, string> = { ...opts.headers };
        if (opts.retryAfter !== undefined) h['Retry-After'] = String(opts.retryAfter);
        if (opts.xRetryAfter !== undefined) {
          h['X-Retry-After'] = String(typeof opts.xRetryAfter === 'function' ? opts.xRetryAfter() : opts.xRetryAfter);
        }
        return h;
      },
    };
  },
  /** The normal response with `X-RateLimit-Limit/Remaining/Reset` (reset in unix seconds). */
  rateLimitHeaders(opts: { reset: number | (() => number); remaining?: number; limit?: number }): FakeFault {
    return {
      type: 'headers',
      headers: () => ({
        'X-RateLimit-Limit': String(opts.limit ?? 180),
        'X-RateLimit-Remaining': String(opts.remaining ?? 0),
        'X-RateLimit-Reset': String(typeof opts.reset === 'function' ? opts.reset() : opts.reset),
      }),
    };
  },
  /** The normal response with extra headers. */
  headers(headers: HeaderSpec): FakeFault {
    return { type: 'headers', headers };
  },
  /** 401 as Docker Hub sends it for a bad or expired token. */
  unauthorized(): FakeFault {
    return faults.status(401, { body: { detail: 'Authentication credentials were not provided or are invalid', errinfo: {}, message: 'unauthorized' } });
  },
  /** 403 of the anonymous paging limit. */
  offsetLimit(): FakeFault {
    return faults.status(403, { body: { message: 'pagination offset too large for anonymous requests; sign in to page further', errinfo: {} } });
  },
  /** The normal response after `ms`. */
  delay(ms: number): FakeFault {
    return { type: 'delay', ms };
  },
  /** No headers, ever. */
  hang(): FakeFault {
    return { type: 'hang' };
  },
  /** Headers and the first `sendBytes` (default 10) of the body, then nothing. */
  slowBody(sendBytes = 10): FakeFault {
    return { type: 'slowBody', sendBytes };
  },
  /** A Cloudflare challenge page (text/html), status 403 by default (Cloudflare's), or 200. */
  html(status = 403, html = CLOUDFLARE_CHALLENGE_HTML): FakeFault {
    return { type: 'respond', status, body: html, contentType: 'text/html; charset=UTF-8' };
  },
  /** Cloudflare's `error code: 1010` (browser signature banned): text/plain, 403 by default. */
  cloudflare1010(status = 403): FakeFault {
    return { type: 'respond', status, body: 'error code: 1010', contentType: 'text/plain; charset=UTF-8' };
  },
  /** The normal JSON cut short (`keepBytes`, default half), sent as a complete response. */
  truncatedJson(keepBytes?: number): FakeFault {
    return { type: 'truncated', keepBytes };
  },
  /** A valid JSON body of `bytes` bytes; `contentLength: false` streams it chunked. */
  oversized(bytes: number, opts: { contentLength?: boolean } = {}): FakeFault {
    return { type: 'oversized', bytes, contentLength: opts.contentLength ?? true };
  },
  /** Close the connection without answering. */
  reset(): FakeFault {
    return { type: 'reset' };
  },
  /** Send the headers and `sendBytes` (default 20) of the body, then close the connection. */
  resetMidBody(sendBytes = 20): FakeFault {
    return { type: 'resetMidBody', sendBytes };
  },
  /** The normal response, dripped: `chunkBytes` (default 1) every `everyMs` (default 100 ms). */
  drip(everyMs = 100, chunkBytes = 1): FakeFault {
    return { type: 'drip', everyMs, chunkBytes };
  },
  /** Change the normal JSON body (return the new one). */
  transform(fn: (json: any, r: FakeRequest) => unknown): FakeFault {
    return { type: 'transform', fn };
  },
  /** Run `fn` before answering normally (e.g. change the data between two pages). */
  before(fn: (r: FakeRequest, hub: FakeDockerHub) => void | Promise<void>): FakeFault {
    return { type: 'before', fn };
  },
};

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function matches(matcher: RequestMatcher, r: FakeRequest): boolean {
  if (typeof matcher === 'string') return r.path.startsWith(matcher);
  if (matcher instanceof RegExp) {
    matcher.lastIndex = 0;
    return matcher.test(r.path);
  }
  return matcher(r);
}

function timeOf(tag: RawTag): number | null {
  if (tag.last_updated === null || tag.last_updated === undefined) return null;
  const t = Date.parse(tag.last_updated);
  return Number.isNaN(t) ? null : t;
}

/** Newest first by `last_updated`, null dates last; stable otherwise. */
export function sortTagsNewestFirst(tags: RawTag[]): RawTag[] {
  return tags
    .map((tag, i) => ({ tag, i, t: timeOf(tag) }))
    .sort((a, b) => {
      if (a.t === null && b.t === null) return a.i - b.i;
      if (a.t === null) return 1;
      if (b.t === null) return -1;
      return b.t - a.t || a.i - b.i;
    })
    .map((x) => x.tag);
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

// ------------------------------------------------------------------ the fake

export class FakeDockerHub {
  /** `http://127.0.0.1:<port>` — use as DOCKER_HUB_URL. */
  readonly url: string;
  /** Delay before every response, in ms; change it at any time. */
  latencyMs: number;
  maxPageSize: number;
  anonymousOffsetLimit: number;
  tokenTtlMs: number;
  credentials: { username: string; token: string } | undefined;
  /** Base URL of `next`/`previous` links (set it to another host to test that they are not followed). */
  linkBaseUrl: string;
  /** Every request, in arrival order. */
  readonly requests: FakeRequest[] = [];
  /** The enforced request budget, if any (see {@link RateBudget}). */
  rateBudget: RateBudget | undefined;
  private budgetWindow = { start: 0, used: 0 };

  private readonly repos = new Map<string, RepoEntry>();
  private faultList: FaultEntry[] = [];
  private readonly tokens = new Map<string, { expiresAt: number }>();
  private readonly issued: string[] = [];
  private readonly sockets = new Set<Socket>();
  private seq = 0;
  private closed = false;
  private moveCounter = 0;

  private constructor(
    private readonly server: http.Server,
    private readonly initial: Required<Omit<FakeDockerHubOptions, 'credentials' | 'linkBaseUrl' | 'rateBudget'>> & FakeDockerHubOptions,
  ) {
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    this.latencyMs = initial.latencyMs;
    this.maxPageSize = initial.maxPageSize;
    this.anonymousOffsetLimit = initial.anonymousOffsetLimit;
    this.tokenTtlMs = initial.tokenTtlMs;
    this.credentials = initial.credentials;
    this.linkBaseUrl = initial.linkBaseUrl ?? this.url;
    this.rateBudget = initial.rateBudget;
    server.on('request', (req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: `fake docker hub failed: ${e instanceof Error ? e.message : String(e)}` }));
        } else res.destroy();
      });
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Starts a fake on 127.0.0.1, on a free port. */
  static async start(opts: FakeDockerHubOptions = {}): Promise<FakeDockerHub> {
    const server = http.createServer({ keepAliveTimeout: 5_000 });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new FakeDockerHub(server, {
      latencyMs: opts.latencyMs ?? 0,
      maxPageSize: opts.maxPageSize ?? 5,
      anonymousOffsetLimit: opts.anonymousOffsetLimit ?? 1000,
      tokenTtlMs: opts.tokenTtlMs ?? 600_000,
      credentials: opts.credentials,
      linkBaseUrl: opts.linkBaseUrl,
      rateBudget: opts.rateBudget,
    });
  }

  /** Stops the server and drops every connection (hanging responses included). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    await done;
  }

  /**
   * Forgets everything: repositories, faults, the request log, issued tokens; restores the
   * options given to `start`.
   */
  reset(): void {
    this.repos.clear();
    this.faultList = [];
    this.requests.length = 0;
    this.tokens.clear();
    this.issued.length = 0;
    this.latencyMs = this.initial.latencyMs;
    this.maxPageSize = this.initial.maxPageSize;
    this.anonymousOffsetLimit = this.initial.anonymousOffsetLimit;
    this.tokenTtlMs = this.initial.tokenTtlMs;
    this.credentials = this.initial.credentials;
    this.linkBaseUrl = this.initial.linkBaseUrl ?? this.url;
    this.rateBudget = this.initial.rateBudget;
    this.budgetWindow = { start: 0, used: 0 };
  }

  // -------------------------------------------------------------- data

  /**
   * Creates or updates a repository. `info` is merged over the current info (or over
   * {@link syntheticRepository} for a new one), unless `replaceInfo` — then it is served
   * exactly as given (e.g. a recorded fixture without `full_description`). `tags` replace
   * the current tags (kept in newest-first order); omitted, the current ones stay
   * (none for a new repository).
   */
  setRepository(namespace: string, name: string, data: { info?: Partial<RawRepository>; tags?: RawTag[]; replaceInfo?: boolean } = {}): void {
    const key = `${namespace}/${name}`;
    const current = this.repos.get(key);
    const info = data.replaceInfo
      ? (clone(data.info ?? {}) as RawRepository)
      : { ...(current?.info ?? syntheticRepository(namespace, name)), ...clone(data.info ?? {}) };
    const tags = data.tags !== undefined ? sortTagsNewestFirst(clone(data.tags)) : (current?.tags ?? []);
    this.repos.set(key, { info, tags });
  }

  /** Adds many images at once (e.g. `syntheticCatalog(2000)`). */
  seed(images: Iterable<{ namespace: string; name: string; info?: Partial<RawRepository>; tags?: RawTag[] }>): void {
    for (const img of images) this.setRepository(img.namespace, img.name, { info: img.info, tags: img.tags });
  }

  /** Removes a repository (it answers 404 from now on). Returns whether it existed. */
  removeRepository(namespace: string, name: string): boolean {
    return this.repos.delete(`${namespace}/${name}`);
  }

  hasRepository(namespace: string, name: string): boolean {
    return this.repos.has(`${namespace}/${name}`);
  }

  /** A copy of a repository's info and tags (newest first). */
  getRepository(namespace: string, name: string): { info: RawRepository; tags: RawTag[] } | undefined {
    const r = this.repos.get(`${namespace}/${name}`);
    return r && clone(r);
  }

  /** A copy of the tags (newest first). */
  getTags(namespace: string, name: string): RawTag[] {
    return clone(this.repo(namespace, name).tags);
  }

  /** Replaces every tag of an existing repository. */
  setTags(namespace: string, name: string, tags: RawTag[]): void {
    this.repo(namespace, name).tags = sortTagsNewestFirst(clone(tags));
  }

  /**
   * Pushes a tag: a raw tag as given, or (a name) a synthetic single-arch tag dated after
   * every other tag, so that it comes first. Replaces a tag of the same name.
   */
  pushTag(namespace: string, name: string, tag: RawTag | string, opts: TagOptions = {}): RawTag {
    const repo = this.repo(namespace, name);
    const raw = typeof tag === 'string' ? syntheticTag(tag, { lastUpdated: this.newerThanAll(repo), ...opts }) : clone(tag);
    repo.tags = sortTagsNewestFirst([raw, ...repo.tags.filter((t) => t.name !== raw.name)]);
    return clone(raw);
  }

  /**
   * Re-pushes an existing tag with new content: a new digest (given, or synthetic) for the
   * tag and each of its images, and `last_updated` after every other tag (it moves first).
   */
  moveTag(namespace: string, name: string, tagName: string, opts: { digest?: string } = {}): RawTag {
    const repo = this.repo(namespace, name);
    const tag = repo.tags.find((t) => t.name === tagName);
    if (!tag) throw new Error(`fake docker hub: ${namespace}/${name} has no tag ${tagName}`);
    const n = ++this.moveCounter;
    const when = this.newerThanAll(repo);
    tag.digest = opts.digest ?? syntheticDigest('moved', namespace, name, tagName, n);
    tag.images = tag.images.map((img, i) => ({
      ...img,
      digest: i === 0 && tag.images.length === 1 ? tag.digest : syntheticDigest('moved-image', namespace, name, tagName, n, i),
      last_pushed: when,
    }));
    tag.last_updated = when;
    tag.tag_last_pushed = when;
    repo.tags = sortTagsNewestFirst(repo.tags);
    return clone(tag);
  }

  /** Deletes a tag. Returns whether it existed. */
  removeTag(namespace: string, name: string, tagName: string): boolean {
    const repo = this.repo(namespace, name);
    const before = repo.tags.length;
    repo.tags = repo.tags.filter((t) => t.name !== tagName);
    return repo.tags.length !== before;
  }

  private repo(namespace: string, name: string): RepoEntry {
    const r = this.repos.get(`${namespace}/${name}`);
    if (!r) throw new Error(`fake docker hub: no repository ${namespace}/${name} (setRepository first)`);
    return r;
  }

  private newerThanAll(repo: RepoEntry): string {
    let newest = Date.now();
    for (const t of repo.tags) {
      const time = timeOf(t);
      if (time !== null && time >= newest) newest = time + 1000;
    }
    return new Date(newest).toISOString();
  }

  // -------------------------------------------------------------- faults

  /** Applies `fault` to the next `times` (default 1) requests that match. First injected, first used. */
  inject(matcher: RequestMatcher, fault: FakeFault, opts: InjectOptions = {}): InjectedFault {
    const entry: FaultEntry = { matcher, fault, remaining: opts.times ?? 1, hits: 0 };
    this.faultList.push(entry);
    const list = () => this.faultList;
    return {
      matcher,
      fault,
      get hits() {
        return entry.hits;
      },
      get remaining() {
        return entry.remaining;
      },
      remove: () => {
        const l = list();
        const i = l.indexOf(entry);
        if (i >= 0) l.splice(i, 1);
      },
    };
  }

  /** Removes every injected fault. */
  clearFaults(): void {
    this.faultList = [];
  }

  // -------------------------------------------------------------- auth

  /** Every access token issued so far, oldest first. */
  get issuedTokens(): readonly string[] {
    return this.issued;
  }

  /** Makes every token issued so far invalid (requests with them answer 401). */
  expireTokens(): void {
    for (const t of this.tokens.values()) t.expiresAt = 0;
  }

  private bearerValid(header: string | undefined): boolean {
    const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    if (!m) return false;
    const t = this.tokens.get(m[1]);
    return t !== undefined && t.expiresAt > Date.now();
  }

  private issueToken(username: string): string {
    const now = Date.now();
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const token = [
      b64({ alg: 'HS256', typ: 'JWT' }),
      b64({ sub: username, iat: Math.floor(now / 1000), exp: Math.floor((now + this.tokenTtlMs) / 1000), jti: this.issued.length + 1 }),
      randomBytes(24).toString('base64url'),
    ].join('.');
    this.tokens.set(token, { expiresAt: now + this.tokenTtlMs });
    this.issued.push(token);
    return token;
  }

  // -------------------------------------------------------------- request log

  /** Requests that match (all without a matcher). */
  requestsTo(matcher?: RequestMatcher): FakeRequest[] {
    return matcher === undefined ? [...this.requests] : this.requests.filter((r) => matches(matcher, r));
  }

  countRequests(matcher?: RequestMatcher): number {
    return this.requestsTo(matcher).length;
  }

  /** Empties the request log. */
  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Resolves once `count` matching requests have arrived (rejects after `timeoutMs`, default 5 s). */
  async waitForRequests(count: number, matcher?: RequestMatcher, timeoutMs = 5_000): Promise<FakeRequest[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.requestsTo(matcher);
      if (found.length >= count) return found;
      if (Date.now() > deadline) throw new Error(`fake docker hub: ${found.length} of ${count} requests arrived within ${timeoutMs} ms`);
      await delay(2);
    }
  }

  // -------------------------------------------------------------- serving

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://fake.invalid');
    const body = await readBody(req);
    const entry: FakeRequest = {
      seq: ++this.seq,
      method: req.method ?? 'GET',
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      url: `${u.pathname}${u.search}`,
      authorization: req.headers.authorization !== undefined,
      bearerValid: this.bearerValid(req.headers.authorization),
      userAgent: req.headers['user-agent'],
      accept: req.headers.accept,
      timestamp: Date.now(),
      respondedAt: null,
      status: null,
      fault: null,
    };
    this.requests.push(entry);
    req.on('error', () => undefined);
    res.on('error', () => undefined);

    const budget = this.spendBudget();
    if (budget && budget.over) {
      const headers = { ...budget.headers, 'retry-after': String(Math.max(1, Math.ceil((budget.resetAt - Date.now()) / 1000))) };
      res.writeHead(429, { 'content-type': 'application/json', ...headers });
      entry.status = 429;
      entry.respondedAt = Date.now();
      res.end(JSON.stringify({ detail: 'Rate limit exceeded', error: false }));
      return;
    }
    if (this.latencyMs > 0) await delay(this.latencyMs);
    const fault = this.takeFault(entry);
    if (fault) entry.fault = fault.type;

    if (fault?.type === 'before') await fault.fn(entry, this);
    if (fault?.type === 'delay') await delay(fault.ms);
    if (fault?.type === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.type === 'hang') return; // the socket stays open until the client leaves or close()

    let out: OutResponse;
    if (fault?.type === 'respond') {
      const isText = typeof fault.body === 'string' || Buffer.isBuffer(fault.body);
      out = {
        status: fault.status,
        headers: {
          'content-type': fault.contentType ?? (isText ? 'text/plain; charset=utf-8' : 'application/json'),
          ...evalHeaders(fault.headers, entry),
        },
        body:
          fault.body === undefined
            ? Buffer.alloc(0)
            : Buffer.isBuffer(fault.body)
              ? fault.body
              : Buffer.from(typeof fault.body === 'string' ? fault.body : JSON.stringify(fault.body)),
      };
    } else {
      out = this.route(entry, body);
    }

    if (budget) out.headers = { ...out.headers, ...budget.headers };
    if (fault?.type === 'headers') out.headers = { ...out.headers, ...evalHeaders(fault.headers, entry) };
    if (fault?.type === 'transform') {
      out.body = Buffer.from(JSON.stringify(fault.fn(JSON.parse(out.body.toString('utf8')), entry)));
    }
    if (fault?.type === 'truncated') {
      out.body = out.body.subarray(0, fault.keepBytes ?? Math.floor(out.body.length / 2));
    }
    if (fault?.type === 'oversized' && !fault.contentLength) {
      // Streamed in 64 KiB chunks (with backpressure) until `bytes` or the client leaves: a
      // 50 MB body never sits in memory nor blocks the event loop.
      res.writeHead(200, { 'content-type': 'application/json' });
      entry.status = 200;
      entry.respondedAt = Date.now();
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pad = Math.max(0, fault.bytes - '{"results":[],"padding":""}'.length);
      res.write('{"results":[],"padding":"');
      for (let sent = 0; sent < pad && !res.destroyed && !this.closed; sent += chunk.length) {
        const part = pad - sent >= chunk.length ? chunk : chunk.subarray(0, pad - sent);
        if (!res.write(part)) await new Promise<void>((r) => { res.once('drain', r); res.once('close', r); });
      }
      if (!res.destroyed) res.end('"}');
      return;
    }
    if (fault?.type === 'oversized') {
      const pad = Math.max(0, fault.bytes - '{"results":[],"padding":""}'.length);
      out = {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: Buffer.from(`{"results":[],"padding":"${'x'.repeat(pad)}"}`),
        contentLength: fault.contentLength ? undefined : null,
      };
    }
    if (res.destroyed) return;
    if (fault?.type === 'slowBody') {
      res.writeHead(out.status, { ...out.headers, 'content-length': String(out.body.length) });
      entry.status = out.status;
      entry.respondedAt = Date.now();
      res.write(out.body.subarray(0, Math.min(fault.sendBytes, Math.max(0, out.body.length - 1))));
      return; // never finished
    }
    if (fault?.type === 'resetMidBody') {
      res.writeHead(out.status, { ...out.headers, 'content-length': String(out.body.length) });
      entry.status = out.status;
      entry.respondedAt = Date.now();
      res.write(out.body.subarray(0, Math.min(fault.sendBytes, Math.max(0, out.body.length - 1))), () => {
        setTimeout(() => req.socket.destroy(), 10);
      });
      return;
    }
    if (fault?.type === 'drip') {
      res.writeHead(out.status, { ...out.headers, 'content-length': String(out.body.length) });
      entry.status = out.status;
      entry.respondedAt = Date.now();
      for (let at = 0; at < out.body.length && !res.destroyed && !this.closed; at += fault.chunkBytes) {
        res.write(out.body.subarray(at, at + fault.chunkBytes));
        await delay(fault.everyMs);
      }
      if (!res.destroyed) res.end();
      return;
    }
    const headers: Record<string, string> = { ...out.headers };
    if (out.contentLength !== null) headers['content-length'] = String(out.contentLength ?? out.body.length);
    res.writeHead(out.status, headers);
    entry.status = out.status;
    entry.respondedAt = Date.now();
    res.end(out.body);
  }

  /** Counts a request against {@link rateBudget}: the headers to send, and whether it is over the budget. */
  private spendBudget(): { over: boolean; headers: Record<string, string>; resetAt: number } | undefined {
    const b = this.rateBudget;
    if (!b) return undefined;
    const now = Date.now();
    const start = Math.floor(now / b.windowMs) * b.windowMs;
    if (start !== this.budgetWindow.start) this.budgetWindow = { start, used: 0 };
    this.budgetWindow.used++;
    const resetAt = start + b.windowMs;
    const over = this.budgetWindow.used > b.limit;
    return {
      over,
      resetAt,
      headers: {
        'x-ratelimit-limit': String(b.limit),
        'x-ratelimit-remaining': String(Math.max(0, b.limit - this.budgetWindow.used)),
        'x-ratelimit-reset': String(Math.ceil(resetAt / 1000)),
      },
    };
  }

  private takeFault(r: FakeRequest): FakeFault | undefined {
    for (const f of this.faultList) {
      if (f.remaining > 0 && matches(f.matcher, r)) {
        f.remaining--;
        f.hits++;
        return f.fault;
      }
    }
    return undefined;
  }

  private route(r: FakeRequest, body: string): OutResponse {
    const json = (status: number, value: unknown, headers: Record<string, string> = {}): OutResponse => ({
      status,
      headers: { 'content-type': 'application/json', ...headers },
      body: Buffer.from(JSON.stringify(value)),
    });
    const notFound = (): OutResponse => ({ status: 404, headers: { 'content-type': 'application/json' }, body: jsonError('object not found') });

    if (r.method === 'POST' && hubPaths.auth.test(r.path)) return this.signIn(body, json);

    const m =
      /^\/v2\/namespaces\/([^/]+)\/repositories\/([^/]+)(\/tags)?\/?$/.exec(r.path) ??
      /^\/v2\/repositories\/([^/]+)\/([^/]+)(\/tags)?\/?$/.exec(r.path);
    if (!m || (r.method !== 'GET' && r.method !== 'HEAD')) return notFound();
    if (r.authorization && !r.bearerValid) {
      return json(401, { detail: 'Invalid or expired access token', errinfo: {}, message: 'unauthorized' });
    }
    const repo = this.repos.get(`${decodeURIComponent(m[1])}/${decodeURIComponent(m[2])}`);
    if (!m[3]) return repo ? json(200, repo.info) : notFound();

    const pageSize = Math.min(Math.max(1, parseInt(r.query.page_size ?? '10', 10) || 10), this.maxPageSize);
    const page = Math.max(1, parseInt(r.query.page ?? '1', 10) || 1);
    const offset = (page - 1) * pageSize;
    if (offset >= this.anonymousOffsetLimit && !r.bearerValid) {
      return json(403, { message: 'pagination offset too large for anonymous requests; sign in to page further', errinfo: {} });
    }
    if (!repo) return notFound();
    const ordered = r.query.ordering === '-last_updated' ? [...repo.tags].reverse() : repo.tags;
    if (page > 1 && offset >= ordered.length) return notFound();
    const link = (p: number) => {
      const params = new URLSearchParams(r.query);
      params.set('page', String(p));
      return `${this.linkBaseUrl}${r.path}?${params.toString()}`;
    };
    return json(200, {
      count: ordered.length,
      next: offset + pageSize < ordered.length ? link(page + 1) : null,
      previous: page > 1 ? link(page - 1) : null,
      results: ordered.slice(offset, offset + pageSize),
    });
  }

  private signIn(body: string, json: (status: number, value: unknown) => OutResponse): OutResponse {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return json(400, { detail: 'JSON parse error', errinfo: {}, message: 'bad request' });
    }
    const { identifier, secret } = (parsed ?? {}) as { identifier?: unknown; secret?: unknown };
    if (!this.credentials || identifier !== this.credentials.username || secret !== this.credentials.token) {
      return json(401, { detail: 'Incorrect authentication credentials', errinfo: {}, message: 'unauthorized' });
    }
    return json(200, { access_token: this.issueToken(this.credentials.username) });
  }
}

function evalHeaders(spec: HeaderSpec | undefined, r: FakeRequest): Record<string, string> {
  if (!spec) return {};
  return typeof spec === 'function' ? spec(r) : spec;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 1024 * 1024) chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(''));
    req.on('aborted', () => resolve(''));
  });
}
