/**
 * Docker Hub HTTP client: repository information and tag lists from the current
 * `/v2/namespaces/{ns}/repositories/{repo}` endpoints. It knows HTTP and nothing of the
 * database or GraphQL.
 *
 * Every call: one pooled keep-alive undici Agent with connect/headers/body timeouts; a
 * descriptive User-Agent; retries with exponential backoff and full jitter on network
 * errors, timeouts, 5xx and 429; rate-limit headers pause every request to the host; a
 * body size cap; a content-type check before parsing; optional sign-in with a personal
 * access token. Facts about the API: fixtures/dockerhub/SOURCES.md of the shared design.
 */
import { STATUS_CODES } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import type { DockerHubConfig } from '../../config/config';
import type { Logger } from '../../shared/logger';
import {
  abortError,
  HubAuthError,
  HubError,
  HubErrorInit,
  HubHttpError,
  HubNetworkError,
  HubNotFoundError,
  HubRateLimitError,
  HubResponseError,
  HubTimeoutError,
  HubUnreachableError,
} from './hub-errors';
import { CircuitBreaker, CircuitSnapshot } from './circuit-breaker';
import { errorBodyMessage, HubShapeError, jwtExpiry, parseAccessToken, parseRepository, parseTagPage } from './hub-parse';
import type { HubClientObserver, HubEndpoint, HubRepository, HubTag, RateLimitSource, TagList } from './hub-types';
import { HeaderBag, RateLimitGate, rateLimitPauseFrom, sleep } from './rate-limit-gate';
import {
  BodyTooLargeError,
  backoffDelay,
  classifyTransportError,
  formatMs,
  headerValue,
  isJsonContentType,
  ok,
  raceAbort,
  readCappedBody,
  safeUrl,
  withRequestDeadline,
} from '../http/http-common';

/** Docker Hub silently caps `page_size` at 100. */
export const HUB_MAX_PAGE_SIZE = 100;
/** Refresh an access token this long after it was issued (they live ~10 minutes). */
export const TOKEN_REFRESH_MS = 8 * 60_000;
const OFFSET_LIMIT_MESSAGE = /pagination offset too large/i;
/** Consecutive tag pages that bring no new tag before paging gives up (guards against loops). */
const MAX_BARREN_PAGES = 3;

export interface DockerHubClientOptions {
  config: DockerHubConfig;
  logger: Logger;
  observer?: HubClientObserver;
  /** Jitter source in [0, 1); tests make it deterministic. Default `Math.random`. */
  random?: () => number;
  /** Wall clock in epoch ms, used for rate-limit headers and token lifetimes. Default `Date.now`. */
  now?: () => number;
  /** Share one rate-limit pause between several clients of the same host (default: one per client). */
  gate?: RateLimitGate;
}

interface HubRequest {
  method: 'GET' | 'POST';
  url: string;
  endpoint: HubEndpoint;
  /** `namespace/repository` the request is for (error messages, logs). */
  image: string;
  body?: string;
  /** Send the bearer token when credentials are configured. */
  useAuth: boolean;
  signal?: AbortSignal;
}

interface HubResponse {
  status: number;
  headers: HeaderBag;
  contentType: string;
  text: string;
  bytes: number;
  attempts: number;
}

export const SOURCE_HEADER: Record<RateLimitSource, string> = {
  'retry-after': 'Retry-After',
  'x-retry-after': 'X-Retry-After',
  'x-ratelimit-reset': 'X-RateLimit-Remaining: 0 / X-RateLimit-Reset',
  'ratelimit-remaining': 'RateLimit-Remaining: 0;w=…',
};

const HUB_HINTS = { deadlineVariable: 'DOCKER_HUB_REQUEST_DEADLINE', urlVariable: 'DOCKER_HUB_URL' };

export class DockerHubClient {
  private readonly config: DockerHubConfig;
  private readonly base: string;
  private readonly baseOrigin: string;
  private readonly host: string;
  private readonly agent: Agent;
  private readonly gate: RateLimitGate;
  private readonly breaker: CircuitBreaker;
  /** Requests sent and not answered yet (the rate-limit budget counts them as spent). */
  private inFlight = 0;
  private readonly log: Logger;
  private readonly observer: HubClientObserver;
  private readonly random: () => number;
  private readonly now: () => number;
  private accessToken: { token: string; refreshAt: number } | undefined;
  private previousAccessToken: string | undefined;
  private signInRequest: Promise<string> | undefined;
  private closed = false;

  constructor(opts: DockerHubClientOptions) {
    this.config = opts.config;
    this.base = opts.config.url.replace(/\/+$/, '');
    const baseUrl = new URL(this.base);
    this.baseOrigin = baseUrl.origin;
    this.host = baseUrl.host;
    // The caller may already have bound a component (pino would repeat the key).
    this.log = opts.logger.bindings().component === undefined ? opts.logger.child({ component: 'docker-hub' }) : opts.logger;
    this.observer = opts.observer ?? {};
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
    this.gate = opts.gate ?? new RateLimitGate(this.now);
    this.breaker = new CircuitBreaker({
      host: this.host,
      threshold: opts.config.circuitThreshold,
      cooldownMs: opts.config.circuitCooldownMs,
      now: this.now,
      onStateChange: (snap, previous) => this.circuitChanged(snap, previous),
    });
    const t = opts.config.timeoutMs;
    this.agent = new Agent({
      connect: { timeout: t },
      headersTimeout: t,
      bodyTimeout: t,
      keepAliveTimeout: 10_000,
    });
  }

  /** Whether DOCKER_HUB_USERNAME and DOCKER_HUB_TOKEN are both configured. */
  get authenticated(): boolean {
    return Boolean(this.config.username && this.config.token);
  }

  /** The host's circuit breaker: CLOSED (requests go), OPEN (they fail at once) or HALF_OPEN (one probe goes). */
  circuit(): CircuitSnapshot {
    return this.breaker.snapshot();
  }

  /** Milliseconds left in the host-wide rate-limit pause (0 when requests may go). */
  rateLimitPauseMs(): number {
    return this.gate.remainingMs();
  }

  /** `GET /v2/namespaces/{ns}/repositories/{repo}`. 404 → {@link HubNotFoundError}. */
  async getRepository(namespace: string, repository: string, signal?: AbortSignal): Promise<HubRepository> {
    const req: HubRequest = {
      method: 'GET',
      url: `${this.base}/v2/namespaces/${encodeURIComponent(namespace)}/repositories/${encodeURIComponent(repository)}`,
      endpoint: 'repository',
      image: `${namespace}/${repository}`,
      useAuth: true,
      signal,
    };
    const res = await this.execute(req);
    if (!ok(res.status)) throw this.failure(res, req);
    const json = this.parseJson(res, req);
    try {
      return parseRepository(json, namespace, repository);
    } catch (e) {
      throw this.shapeError(e, res, req);
    }
  }

  /**
   * The newest `maxTags` tags (`ordering=last_updated`), following `next` as given.
   * 404 on the first page → {@link HubNotFoundError}; 404 on a later page ends the list;
   * the anonymous paging limit or a `next` link to another host stops paging with a
   * `warning` and keeps what was read.
   */
  async listTags(namespace: string, repository: string, maxTags: number, signal?: AbortSignal): Promise<TagList> {
    if (!Number.isInteger(maxTags) || maxTags < 1) {
      throw new RangeError(`maxTags must be a whole number of at least 1, got ${maxTags}`);
    }
    const image = `${namespace}/${repository}`;
    const pageSize = Math.min(maxTags, HUB_MAX_PAGE_SIZE);
    let url: string | null =
      `${this.base}/v2/namespaces/${encodeURIComponent(namespace)}/repositories/${encodeURIComponent(repository)}` +
      `/tags?page_size=${pageSize}&ordering=last_updated`;
    const tags = new Map<string, HubTag>();
    const visited = new Set<string>();
    let pagesRead = 0;
    let barrenPages = 0;
    let warning: string | undefined;
    let complete = false;

    while (url !== null && tags.size < maxTags) {
      visited.add(url);
      const req: HubRequest = { method: 'GET', url, endpoint: 'tags', image, useAuth: true, signal };
      const res = await this.execute(req);
      if (res.status === 404 && pagesRead > 0) {
        this.log.debug({ image, url: safeUrl(url), tags: tags.size }, 'tag list ended with 404 past the last page');
        break;
      }
      if (res.status === 403 && OFFSET_LIMIT_MESSAGE.test(this.bodyMessage(res) ?? '')) {
        warning = this.authenticated
          ? `${image}: stopped after ${tags.size} tags: Docker Hub refused to page further (HTTP 403 "pagination offset too large") ` +
            `even though signed in as ${this.config.username}`
          : `${image}: stopped after ${tags.size} tags: Docker Hub does not let anonymous clients page this far ` +
            `(HTTP 403 "${this.bodyMessage(res)}"); set DOCKER_HUB_USERNAME and DOCKER_HUB_TOKEN to read further`;
        this.log.warn({ image, url: safeUrl(url), tags: tags.size }, warning);
        break;
      }
      if (!ok(res.status)) throw this.failure(res, req);
      const json = this.parseJson(res, req);
      let page: ReturnType<typeof parseTagPage>;
      try {
        page = parseTagPage(json);
      } catch (e) {
        throw this.shapeError(e, res, req);
      }
      pagesRead++;
      if (page.skipped > 0) {
        this.log.warn({ image, url: safeUrl(url), skipped: page.skipped }, 'tag page entries without a name were skipped');
      }
      const before = tags.size;
      for (const tag of page.tags) {
        if (tags.size >= maxTags) break;
        if (!tags.has(tag.name)) tags.set(tag.name, tag);
      }
      if (page.next === null && tags.size < maxTags) complete = true;
      if (tags.size >= maxTags || page.next === null) break;

      let next: URL;
      try {
        next = new URL(page.next, url);
      } catch {
        warning = `${image}: stopped after ${tags.size} tags: Docker Hub's "next" link is not a valid URL`;
        this.log.warn({ image, url: safeUrl(url) }, warning);
        break;
      }
      if (next.origin !== this.baseOrigin) {
        // An opaque origin (file:, data:, …) reads "null": name the link itself instead.
        const where = next.origin === 'null' ? `${next.protocol} URL ${JSON.stringify(safeUrl(next.href).slice(0, 200))}` : next.origin;
        warning =
          `${image}: stopped after ${tags.size} tags: Docker Hub's "next" link points to ${where}, ` +
          `not ${this.baseOrigin} (DOCKER_HUB_URL); it was not followed`;
        this.log.warn({ image, url: safeUrl(url), next: safeUrl(next.href) }, warning);
        break;
      }
      // Follow `next` exactly as given (resolved only when it is relative).
      const nextUrl = /^https?:\/\//i.test(page.next) ? page.next : next.href;
      if (visited.has(nextUrl)) {
        warning = `${image}: stopped after ${tags.size} tags: Docker Hub's "next" link points back to a page already read`;
        this.log.warn({ image, url: safeUrl(url) }, warning);
        break;
      }
      barrenPages = tags.size === before ? barrenPages + 1 : 0;
      if (barrenPages >= MAX_BARREN_PAGES) {
        warning = `${image}: stopped after ${tags.size} tags: ${MAX_BARREN_PAGES} pages in a row brought no new tag`;
        this.log.warn({ image, url: safeUrl(url) }, warning);
        break;
      }
      url = nextUrl;
    }
    const list: TagList = { tags: [...tags.values()], pagesRead, complete };
    if (warning !== undefined) list.warning = warning;
    return list;
  }

  /** Closes the connection pool (waits for requests in flight). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.agent.close();
  }

  // ---------------------------------------------------------------- requests

  /**
   * Sends `req` with the gate, auth and retries. Returns the final response for any status
   * (callers decide what 404/403 mean); throws for transport failures, oversized bodies,
   * rate-limit waits that are too long and aborts.
   */
  private async execute(req: HubRequest): Promise<HubResponse> {
    if (this.closed) throw new Error('DockerHubClient is closed');
    const { maxAttempts } = this.config;
    const url = safeUrl(req.url);
    let attempt = 0;
    let sent = 0;
    let signedInAgain = false;
    for (;;) {
      attempt++;
      if (req.signal?.aborted) throw abortError(req.signal);
      await this.gate.wait({
        maxWaitMs: this.config.maxRateLimitWaitMs,
        signal: req.signal,
        tooLong: (ms, until, source) =>
          new HubRateLimitError({
            image: req.image,
            method: req.method,
            url,
            reason:
              `the rate limit pauses every request to ${this.host} for another ${formatMs(ms)} (until ${new Date(until).toISOString()}` +
              `${source ? `, set by ${SOURCE_HEADER[source]}` : ''}), longer than the ${formatMs(this.config.maxRateLimitWaitMs)} ` +
              `this service may wait (DOCKER_HUB_MAX_RATE_LIMIT_WAIT)${this.authenticated ? '' : '; signing in (DOCKER_HUB_USERNAME/DOCKER_HUB_TOKEN) raises the limit'}`,
            attempts: sent,
          }),
      });
      const bearer = req.useAuth && this.authenticated ? await this.getAccessToken(req.image, req.signal) : undefined;
      const permit = this.breaker.permit();
      if (!permit.go) {
        const snap = permit.snapshot;
        throw new HubUnreachableError({
          image: req.image,
          method: req.method,
          url,
          reason: 'skipped: the circuit breaker is open',
          attempts: sent,
          host: this.host,
          since: snap.unreachableSince ?? snap.changedAt,
          lastFailure: snap.lastFailure,
          retryAt: snap.retryAt,
        });
      }
      sent++;
      const started = performance.now();
      let res: Omit<HubResponse, 'attempts'>;
      try {
        res = await this.sendCounted(req, bearer);
        this.breaker.success(permit.probe);
      } catch (e) {
        const ms = Math.round(performance.now() - started);
        if (req.signal?.aborted) {
          this.breaker.release(permit.probe);
          this.log.debug({ image: req.image, method: req.method, url, ms, attempt: sent }, 'docker hub request aborted');
          throw abortError(req.signal);
        }
        if (e instanceof BodyTooLargeError) {
          this.breaker.success(permit.probe);
          this.notifyRequest(e.status, ms, req.endpoint);
          this.log.debug({ image: req.image, method: req.method, url, status: e.status, ms, attempt: sent }, 'docker hub request');
          throw new HubResponseError({ image: req.image, method: req.method, url, reason: e.detail, status: e.status, attempts: sent });
        }
        const failure = classifyTransportError(e, this.config.timeoutMs, this.host, HUB_HINTS);
        if (!failure) {
          this.breaker.release(permit.probe);
          throw e;
        }
        this.breaker.failure(failure.reason, permit.probe);
        this.notifyRequest(failure.kind === 'timeout' ? 'timeout' : 'network_error', ms, req.endpoint);
        this.log.debug({ image: req.image, method: req.method, url, status: failure.kind, ms, attempt: sent }, 'docker hub request');
        // Once the breaker is open, retrying is pointless: give up now (it fails the rest at once).
        if (attempt >= maxAttempts || this.breaker.isOpen) {
          const init: HubErrorInit = { image: req.image, method: req.method, url, reason: failure.reason, attempts: sent, cause: e };
          throw failure.kind === 'timeout' ? new HubTimeoutError(init) : new HubNetworkError(init);
        }
        await this.backoff(req, attempt, failure.kind === 'timeout' ? 'timeout' : 'network error', failure.reason);
        continue;
      }
      const ms = Math.round(performance.now() - started);
      this.notifyRequest(res.status, ms, req.endpoint);
      this.log.debug({ image: req.image, method: req.method, url, status: res.status, ms, attempt: sent }, 'docker hub request');

      this.gate.noteBudget(res.headers, this.inFlight);
      const pause = rateLimitPauseFrom(res.status, res.headers, this.now());
      if (pause && this.gate.pause(pause)) {
        this.safeNotify(() => this.observer.rateLimitPause?.({ ms: pause.ms, source: pause.source }));
        this.log.warn(
          { image: req.image, url, status: res.status, pauseMs: pause.ms, source: pause.source, until: new Date(pause.until).toISOString() },
          `Docker Hub rate limit (${SOURCE_HEADER[pause.source]}): every request to ${this.host} waits ${formatMs(pause.ms)}`,
        );
      }
      if (res.status === 401 && bearer !== undefined && !signedInAgain) {
        signedInAgain = true;
        this.invalidateAccessToken(bearer);
        this.log.info({ image: req.image, url }, 'Docker Hub refused the access token; signing in again and retrying once');
        attempt--;
        continue;
      }
      if ((res.status === 429 || res.status >= 500) && attempt < maxAttempts) {
        const reason = `HTTP ${res.status}`;
        if (pause) {
          // The gate makes this request (and every other one) wait for the pause instead of the backoff.
          this.safeNotify(() => this.observer.retry?.({ reason, attempt, delayMs: pause.ms }));
          this.log.warn({ image: req.image, url, attempt, delayMs: pause.ms, reason }, 'retrying Docker Hub request after the rate-limit pause');
          continue;
        }
        await this.backoff(req, attempt, reason, `answered ${reason}`);
        continue;
      }
      return { ...res, attempts: sent };
    }
  }

  private async sendCounted(req: HubRequest, bearer: string | undefined): Promise<Omit<HubResponse, 'attempts'>> {
    this.inFlight++;
    try {
      return await this.sendOnce(req, bearer);
    } finally {
      this.inFlight--;
    }
  }

  /**
   * One HTTP exchange: headers, then the body up to the size cap, all of it within
   * DOCKER_HUB_REQUEST_DEADLINE (the timeouts only bound each wait, not a slow drip).
   */
  private async sendOnce(req: HubRequest, bearer: string | undefined): Promise<Omit<HubResponse, 'attempts'>> {
    return withRequestDeadline(this.config.requestDeadlineMs, req.signal, (signal, progress) => this.exchange(req, bearer, signal, progress));
  }

  private async exchange(
    req: HubRequest,
    bearer: string | undefined,
    signal: AbortSignal,
    progress: (bytes: number) => void,
  ): Promise<Omit<HubResponse, 'attempts'>> {
    const headers: Record<string, string> = { 'user-agent': this.config.userAgent, accept: 'application/json' };
    if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    const res = await request(req.url, {
      method: req.method,
      headers,
      body: req.body,
      dispatcher: this.agent,
      signal,
    });
    const body = await readCappedBody(res, this.config.maxBodyBytes, 'DOCKER_HUB_MAX_BODY_BYTES', signal, progress);
    return {
      status: res.statusCode,
      headers: res.headers,
      contentType: headerValue(res.headers, 'content-type') ?? '',
      text: body.toString('utf8'),
      bytes: body.length,
    };
  }

  /** Full-jitter exponential backoff: random() · min(retryMaxMs, retryBaseMs · 2^(attempt−1)). */
  private async backoff(req: HubRequest, attempt: number, reason: string, detail: string): Promise<void> {
    const delayMs = backoffDelay(attempt, this.config.retryBaseMs, this.config.retryMaxMs, this.random);
    this.safeNotify(() => this.observer.retry?.({ reason, attempt, delayMs }));
    this.log.warn(
      { image: req.image, url: safeUrl(req.url), attempt, maxAttempts: this.config.maxAttempts, delayMs, reason },
      `retrying Docker Hub request: ${detail}`,
    );
    await sleep(delayMs, req.signal);
  }

  // ---------------------------------------------------------------- auth

  private async getAccessToken(image: string, signal?: AbortSignal): Promise<string> {
    const current = this.accessToken;
    if (current && this.now() < current.refreshAt) return current.token;
    if (!this.signInRequest) {
      // Shared by every concurrent caller; not tied to one caller's signal.
      const p = this.signIn(image);
      this.signInRequest = p;
      const clear = () => {
        if (this.signInRequest === p) this.signInRequest = undefined;
      };
      p.then(clear, clear);
    }
    try {
      return await raceAbort(this.signInRequest, signal);
    } catch (e) {
      if (e instanceof HubError && e.image !== image) throw e.withImage(image);
      throw e;
    }
  }

  private invalidateAccessToken(token: string): void {
    if (this.accessToken?.token === token) this.accessToken = undefined;
  }

  /** `POST /v2/auth/token` with the personal access token → a bearer JWT (~10 minutes). */
  private async signIn(image: string): Promise<string> {
    const username = this.config.username ?? '';
    const req: HubRequest = {
      method: 'POST',
      url: `${this.base}/v2/auth/token`,
      endpoint: 'auth',
      image,
      body: JSON.stringify({ identifier: username, secret: this.config.token }),
      useAuth: false,
    };
    const url = safeUrl(req.url);
    const authError = (reason: string, status?: number, attempts?: number) =>
      new HubAuthError({ image, method: req.method, url, reason: this.redact(reason), status, attempts });
    let res: HubResponse;
    try {
      res = await this.execute(req);
    } catch (e) {
      if (e instanceof HubRateLimitError || e instanceof HubUnreachableError || !(e instanceof HubError)) throw e;
      throw authError(`could not sign in to Docker Hub as "${username}": ${e.reason}`, e.status, e.attempts);
    }
    if (!ok(res.status)) {
      const msg = this.bodyMessage(res);
      const detail = `HTTP ${res.status}${msg ? `: "${msg}"` : ''}`;
      throw authError(
        res.status === 401 || res.status === 403
          ? `refused the sign-in as "${username}" (${detail}): check DOCKER_HUB_USERNAME and DOCKER_HUB_TOKEN (a personal access token)`
          : `signing in to Docker Hub as "${username}" failed (${detail})`,
        res.status,
        res.attempts,
      );
    }
    let token: string;
    try {
      if (!isJsonContentType(res.contentType)) throw new HubShapeError(`content type "${res.contentType}" is not JSON`);
      token = parseAccessToken(JSON.parse(res.text));
    } catch (e) {
      // JSON.parse messages quote the body, which holds the token: never pass them on.
      const why = e instanceof HubShapeError ? e.message : 'the body is not valid JSON';
      throw authError(`the answer to the sign-in as "${username}" is unusable: ${why}`, res.status, res.attempts);
    }
    const now = this.now();
    const expiresAt = jwtExpiry(token);
    const lifetime = expiresAt === undefined ? 0 : expiresAt - now;
    const refreshIn = lifetime > 0 ? Math.min(TOKEN_REFRESH_MS, Math.floor(lifetime * 0.8)) : TOKEN_REFRESH_MS;
    this.previousAccessToken = this.accessToken?.token;
    this.accessToken = { token, refreshAt: now + refreshIn };
    this.log.info({ username, refreshInMs: refreshIn }, 'signed in to Docker Hub');
    return token;
  }

  /** Removes the configured secret and the access tokens from a text. */
  private redact(text: string): string {
    let out = text;
    for (const secret of [this.config.token, this.accessToken?.token, this.previousAccessToken]) {
      if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
    }
    return out;
  }

  // ---------------------------------------------------------------- bodies

  /** The 2xx body as JSON, or a {@link HubResponseError} saying why it is not. */
  private parseJson(res: HubResponse, req: HubRequest): unknown {
    const base = { image: req.image, method: req.method, url: safeUrl(req.url), status: res.status, attempts: res.attempts };
    if (!isJsonContentType(res.contentType)) {
      throw new HubResponseError({
        ...base,
        reason: this.nonJsonReason(res) ?? `answered HTTP ${res.status} with content type "${res.contentType || 'none'}" instead of JSON`,
      });
    }
    try {
      return JSON.parse(res.text);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new HubResponseError({
        ...base,
        reason: this.redact(`the JSON body is malformed or truncated (${res.bytes} bytes received; ${why})`),
      });
    }
  }

  private shapeError(e: unknown, res: HubResponse, req: HubRequest): unknown {
    if (!(e instanceof HubShapeError)) return e;
    return new HubResponseError({
      image: req.image,
      method: req.method,
      url: safeUrl(req.url),
      status: res.status,
      attempts: res.attempts,
      reason: `unexpected response: ${e.message}`,
    });
  }

  /** Why a body is not the API's JSON (HTML page, Cloudflare `error code`), or undefined. */
  private nonJsonReason(res: HubResponse): string | undefined {
    const text = res.text.trim();
    const ct = res.contentType || 'no content type';
    const cloudflare = /^error code:\s*(\d+)/i.exec(text);
    if (cloudflare) {
      return (
        `Cloudflare in front of Docker Hub refused the request with "error code: ${cloudflare[1]}" (HTTP ${res.status}, ${ct}) instead of answering with JSON` +
        (cloudflare[1] === '1010' ? ': it blocks this client by its signature (User-Agent or network); try again later or from another network' : '')
      );
    }
    if (/html/i.test(res.contentType) || /^<(!doctype|html|head|body)/i.test(text)) {
      const title = /<title[^>]*>([^<]{0,120})/i.exec(text)?.[1]?.trim();
      const challenge = /just a moment|cf-chl|cf_chl|challenge-platform|attention required|cloudflare/i.test(text);
      return (
        `answered with an HTML page${title ? ` ("${title}")` : ''} instead of JSON (HTTP ${res.status}, ${ct})` +
        (challenge ? ': a Cloudflare challenge page, which this client cannot solve; try again later or from another network' : '')
      );
    }
    return undefined;
  }

  /** The `message`/`detail` of an error body, or a short plain-text excerpt. */
  private bodyMessage(res: HubResponse): string | undefined {
    if (isJsonContentType(res.contentType)) {
      try {
        const msg = errorBodyMessage(JSON.parse(res.text));
        if (msg) return this.redact(msg.slice(0, 300));
      } catch {
        /* fall through to plain text */
      }
    }
    if (this.nonJsonReason(res) !== undefined) return undefined;
    const plain = res.text.replace(/\s+/g, ' ').trim();
    return plain ? this.redact(plain.slice(0, 200)) : undefined;
  }

  /** The error for a final non-2xx response. */
  private failure(res: HubResponse, req: HubRequest): HubError {
    const init = { image: req.image, method: req.method, url: safeUrl(req.url), status: res.status, attempts: res.attempts };
    const msg = this.bodyMessage(res);
    const statusText = `HTTP ${res.status}${STATUS_CODES[res.status] ? ` ${STATUS_CODES[res.status]}` : ''}${msg ? `: "${msg}"` : ''}`;
    const nonJson = this.nonJsonReason(res);
    if (res.status === 401) {
      return new HubAuthError({
        ...init,
        reason: this.authenticated
          ? `refused the access token of "${this.config.username}" even after signing in again (${statusText})`
          : `asks for authentication (${statusText}); set DOCKER_HUB_USERNAME and DOCKER_HUB_TOKEN`,
      });
    }
    if (nonJson !== undefined && res.status < 500) return new HubResponseError({ ...init, reason: nonJson });
    if (res.status === 404) {
      return new HubNotFoundError({ ...init, reason: `no such repository on Docker Hub, or it is private (${statusText})` });
    }
    const extra =
      res.status === 429
        ? ' (rate limited, and the retries ran out)'
        : res.status >= 500
          ? ` (Docker Hub is failing${nonJson !== undefined ? '; it answered with an HTML error page' : ''})`
          : '';
    return new HubHttpError({ ...init, reason: `answered ${statusText}${extra}` });
  }

  /** One warning per state change of the breaker (never one per request), and the gauge. */
  private circuitChanged(snap: CircuitSnapshot, previous: string): void {
    this.safeNotify(() => this.observer.circuitState?.({ host: snap.host, state: snap.state }));
    const fields = { host: snap.host, from: previous, to: snap.state, failures: snap.consecutiveFailures, lastFailure: snap.lastFailure };
    if (snap.state === 'OPEN') {
      this.log.warn(
        { ...fields, retryAt: snap.retryAt && new Date(snap.retryAt).toISOString() },
        `Docker Hub unreachable: ${snap.consecutiveFailures} connection failures in a row to ${snap.host}; ` +
          `requests fail at once until ${snap.retryAt && new Date(snap.retryAt).toISOString()} (circuit breaker open)`,
      );
    } else if (snap.state === 'HALF_OPEN') {
      this.log.info(fields, `circuit breaker for ${snap.host} half-open: the next request probes whether Docker Hub is back`);
    } else {
      this.log.warn(fields, `Docker Hub reachable again: circuit breaker for ${snap.host} closed`);
    }
  }

  private notifyRequest(status: number | 'network_error' | 'timeout', durationMs: number, endpoint: HubEndpoint): void {
    this.safeNotify(() => this.observer.request?.({ status, durationMs, endpoint }));
  }

  private safeNotify(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.log.debug({ err: e instanceof Error ? e.message : String(e) }, 'docker hub observer threw; ignored');
    }
  }
}
