/**
 * OCI Distribution client (registry-types.ts's {@link RegistryClient}) over undici 7, for
 * every registry (Docker Hub's `registry-1.docker.io` included). Per registry host: its own
 * rate-limit gate, circuit breaker and concurrency limit. Per request: the Docker Hub
 * client's retries with full-jitter backoff, timeouts, request deadline and body caps
 * (../http/http-common.ts); the bearer-token flow and Basic auth (auth.ts) with credentials
 * from a Docker config.json (credentials.ts). `https` unless the host is in
 * REGISTRY_INSECURE_HOSTS. Digests verified; blob redirects followed without Authorization.
 */
import { STATUS_CODES } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import type { RegistryConfig } from '../../config/config';
import type { Logger } from '../../shared/logger';
import { CircuitBreaker } from '../hub/circuit-breaker';
import { SOURCE_HEADER } from '../hub/docker-hub-client';
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
} from '../hub/hub-errors';
import { HeaderBag, RateLimitGate, rateLimitPauseFrom, sleep } from '../hub/rate-limit-gate';
import { backoffDelay, BodyTooLargeError, classifyTransportError, formatMs, headerValue, readCappedBody, safeUrl, withRequestDeadline } from '../http/http-common';
import { basicAuthorization, Challenge, parseTokenResponse, parseWwwAuthenticate, pullScope, TokenCache, tokenRequest } from './auth';
import type { RegistryCredentials } from './credentials';
import { HostLimiter } from './host-limiter';
import {
  digestOf,
  IndexEntry,
  isArtifactTag,
  isDigest,
  isImageManifest,
  isIndex,
  MANIFEST_ACCEPT,
  ManifestShapeError,
  manifestMediaType,
  nextLink,
  parseImageConfig,
  parseImageManifest,
  parseIndex,
} from './manifest-parse';
import type {
  ManifestHead,
  PlatformDetails,
  RegistryClient,
  RegistryEndpoint,
  RegistryObserver,
  RegistryRepository,
  RegistryTagList,
  TagDetails,
} from './registry-types';

/** The host Docker Hub images are addressed with (DOCKER_HUB_REGISTRY_URL serves it). */
export const DOCKER_HUB_REGISTRY_HOST = 'registry-1.docker.io';
const MAX_REDIRECTS = 5;

export interface OciRegistryClientOptions {
  config: RegistryConfig;
  logger: Logger;
  observer?: RegistryObserver;
  /** Default: `config.credentials`. */
  credentials?: RegistryCredentials;
  random?: () => number;
  now?: () => number;
}

interface HostState {
  host: string;
  gate: RateLimitGate;
  breaker: CircuitBreaker;
  limiter: HostLimiter;
  inFlight: number;
  /** The last challenge the host sent (so that a new scope needs no 401 first). */
  challenge?: Challenge;
}

interface Exchange {
  status: number;
  headers: HeaderBag;
  body: Buffer;
  attempts: number;
  url: string;
}

interface Req {
  method: 'GET' | 'HEAD' | 'POST';
  url: string;
  endpoint: RegistryEndpoint;
  image: string;
  headers: Record<string, string>;
  body?: string;
  maxBytes: number;
  capVariable: string;
  signal?: AbortSignal;
}

export class OciRegistryClient implements RegistryClient {
  private readonly config: RegistryConfig;
  private readonly log: Logger;
  private readonly observer: RegistryObserver;
  private readonly credentials: RegistryCredentials;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly agent: Agent;
  private readonly hosts = new Map<string, HostState>();
  private readonly tokens: TokenCache;
  private readonly hubBase: URL;
  private closed = false;

  constructor(opts: OciRegistryClientOptions) {
    this.config = opts.config;
    this.log = opts.logger.bindings().component === undefined ? opts.logger.child({ component: 'registry' }) : opts.logger;
    this.observer = opts.observer ?? {};
    this.credentials = opts.credentials ?? opts.config.credentials;
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
    this.tokens = new TokenCache(this.now);
    this.hubBase = new URL(opts.config.dockerHubRegistryUrl);
    const t = opts.config.timeoutMs;
    this.agent = new Agent({ connect: { timeout: t }, headersTimeout: t, bodyTimeout: t, keepAliveTimeout: 10_000 });
    for (const w of this.credentials.warnings) this.log.warn(w);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.agent.close();
  }

  /** The base URL of a registry host: DOCKER_HUB_REGISTRY_URL for Docker Hub, http for insecure hosts, else https. */
  baseUrl(host: string): string {
    const h = host.toLowerCase();
    if (h === DOCKER_HUB_REGISTRY_HOST || h === 'docker.io') return this.hubBase.href.replace(/\/+$/, '');
    return `${this.config.insecureHosts.includes(h) ? 'http' : 'https'}://${h}`;
  }

  /** Circuit state and rate-limit pause of one host (for status pages and tests). */
  hostStatus(host: string): { circuit: string; pauseMs: number } {
    const s = this.state(new URL(this.baseUrl(host)).host);
    return { circuit: s.breaker.snapshot().state, pauseMs: s.gate.remainingMs() };
  }

  // ---------------------------------------------------------------- API

  async listTags(repo: RegistryRepository, signal?: AbortSignal): Promise<RegistryTagList> {
    const image = this.imageOf(repo);
    const base = new URL(this.baseUrl(repo.host));
    let url: string | undefined = `${base.href.replace(/\/+$/, '')}/v2/${repo.path}/tags/list?n=${this.config.tagPageSize}`;
    const tags = new Set<string>();
    const visited = new Set<string>();
    let pagesRead = 0;
    let warning: string | undefined;
    let complete = false;
    while (url !== undefined) {
      if (pagesRead >= this.config.maxTagPages) {
        warning = `${image}: stopped after ${pagesRead} tag pages (REGISTRY_MAX_TAG_PAGES); the list is partial`;
        break;
      }
      visited.add(url);
      let res: Exchange;
      try {
        res = await this.authed(repo, { method: 'GET', url, endpoint: 'tags', image, headers: { accept: 'application/json' }, maxBytes: this.config.maxManifestBytes, capVariable: 'REGISTRY_MAX_MANIFEST_BYTES', signal });
        if (res.status !== 200) throw this.failure(res, 'GET', 'tags', image, repo);
      } catch (e) {
        if (pagesRead === 0 || !(e instanceof HubError) || e instanceof HubUnreachableError) throw e;
        warning = `${image}: stopped after ${pagesRead} tag pages: a later page failed (${e.reason}); the list is partial`;
        break;
      }
      let page: unknown;
      try {
        page = JSON.parse(res.body.toString('utf8'));
      } catch {
        throw this.responseError(res, 'GET', image, repo, 'the tag list is not valid JSON');
      }
      const list = (page as { tags?: unknown } | null)?.tags;
      if (list !== null && list !== undefined && !Array.isArray(list)) throw this.responseError(res, 'GET', image, repo, 'the tag list has no "tags" array');
      pagesRead++;
      for (const t of (list as unknown[] | null) ?? []) if (typeof t === 'string' && !isArtifactTag(t)) tags.add(t);
      const next = nextLink(res.headers.link);
      if (next === undefined) {
        complete = true;
        break;
      }
      let nextUrl: URL;
      try {
        nextUrl = new URL(next, url);
      } catch {
        warning = `${image}: stopped after ${pagesRead} tag pages: the Link "next" is not a valid URL; the list is partial`;
        break;
      }
      if (nextUrl.origin !== base.origin) {
        warning = `${image}: stopped after ${pagesRead} tag pages: the Link "next" points to ${nextUrl.origin}, not ${base.origin}; it was not followed and the list is partial`;
        break;
      }
      if (visited.has(nextUrl.href)) {
        warning = `${image}: stopped after ${pagesRead} tag pages: the Link "next" points back to a page already read (a loop); the list is partial`;
        break;
      }
      url = nextUrl.href;
    }
    if (warning) this.log.warn({ image, pagesRead, tags: tags.size }, warning);
    const out: RegistryTagList = { tags: [...tags], complete, pagesRead };
    if (warning) out.warning = warning;
    return out;
  }

  async headManifest(repo: RegistryRepository, tag: string, signal?: AbortSignal): Promise<ManifestHead> {
    const image = this.imageOf(repo);
    const res = await this.authed(repo, { method: 'HEAD', url: this.manifestUrl(repo, tag), endpoint: 'manifest', image, headers: { accept: MANIFEST_ACCEPT }, maxBytes: this.config.maxManifestBytes, capVariable: 'REGISTRY_MAX_MANIFEST_BYTES', signal });
    if (res.status === 404) return { found: false };
    if (res.status !== 200) throw this.failure(res, 'HEAD', 'manifest', image, repo);
    const digest = headerValue(res.headers, 'docker-content-digest');
    const ct = headerValue(res.headers, 'content-type');
    return { found: true, digest: digest && isDigest(digest) ? digest : null, mediaType: ct ? ct.split(';')[0].trim() : null };
  }

  async getTag(repo: RegistryRepository, tag: string, signal?: AbortSignal): Promise<TagDetails> {
    const image = this.imageOf(repo);
    const top = await this.getManifest(repo, tag, signal);
    const warnings: string[] = [];
    const platforms: PlatformDetails[] = [];
    let annotations: Record<string, string>;
    if (isIndex(top.mediaType)) {
      const index = parseIndexOr(top, this, image, repo);
      annotations = index.annotations;
      const real = index.entries.filter((e) => !e.attestation);
      const results = await Promise.all(real.map((e) => this.platformFromEntry(repo, e, signal)));
      for (const r of results) {
        platforms.push(r.platform);
        if (r.warning) warnings.push(r.warning);
      }
    } else {
      let m: ReturnType<typeof parseImageManifest>;
      try {
        m = parseImageManifest(top.json);
      } catch (e) {
        throw this.responseError(top.res, 'GET', image, repo, (e as Error).message);
      }
      annotations = m.annotations;
      const r = await this.configFor(repo, m.configDigest, signal);
      if (r.warning) warnings.push(r.warning);
      platforms.push({
        architecture: r.parsed?.architecture ?? 'unknown',
        os: r.parsed?.os ?? 'unknown',
        variant: r.parsed?.variant ?? null,
        digest: top.digest,
        size: m.size,
        annotations: m.annotations,
        config: r.parsed?.details ?? null,
      });
    }
    const out: TagDetails = { tag, digest: top.digest, mediaType: top.mediaType, annotations, platforms };
    if (warnings.length > 0) out.warning = warnings.join('; ');
    return out;
  }

  // ---------------------------------------------------------------- manifests and blobs

  private manifestUrl(repo: RegistryRepository, ref: string): string {
    return `${this.baseUrl(repo.host)}/v2/${repo.path}/manifests/${isDigest(ref) ? ref : encodeURIComponent(ref)}`;
  }

  private async getManifest(repo: RegistryRepository, ref: string, signal?: AbortSignal) {
    const image = this.imageOf(repo);
    const res = await this.authed(repo, { method: 'GET', url: this.manifestUrl(repo, ref), endpoint: 'manifest', image, headers: { accept: MANIFEST_ACCEPT }, maxBytes: this.config.maxManifestBytes, capVariable: 'REGISTRY_MAX_MANIFEST_BYTES', signal });
    if (res.status !== 200) throw this.failure(res, 'GET', 'manifest', image, repo);
    const header = headerValue(res.headers, 'docker-content-digest');
    const computed = digestOf(res.body, isDigest(ref) ? ref : header && isDigest(header) ? header : 'sha256:');
    if (isDigest(ref) && computed !== ref) {
      throw this.responseError(res, 'GET', image, repo, `the manifest's content does not match its digest ${ref} (it hashes to ${computed}); refused`);
    }
    if (header && isDigest(header) && computed !== header) {
      throw this.responseError(res, 'GET', image, repo, `the manifest's content does not match Docker-Content-Digest ${header} (it hashes to ${computed}); refused`);
    }
    let json: Record<string, unknown>;
    let mediaType: string;
    try {
      const parsed: unknown = JSON.parse(res.body.toString('utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ManifestShapeError('the manifest is not a JSON object');
      json = parsed as Record<string, unknown>;
      mediaType = manifestMediaType(json, headerValue(res.headers, 'content-type') ?? '');
    } catch (e) {
      throw this.responseError(res, 'GET', image, repo, e instanceof ManifestShapeError ? e.message : 'the manifest is not valid JSON');
    }
    return { res, json, mediaType, digest: header && isDigest(header) ? header : computed };
  }

  private async platformFromEntry(repo: RegistryRepository, e: IndexEntry, signal?: AbortSignal): Promise<{ platform: PlatformDetails; warning?: string }> {
    const platform: PlatformDetails = { architecture: e.architecture, os: e.os, variant: e.variant, digest: e.digest, size: null, annotations: e.annotations, config: null };
    const name = `${e.os}/${e.architecture}${e.variant ? `/${e.variant}` : ''}`;
    try {
      const m = await this.getManifest(repo, e.digest, signal);
      if (!isImageManifest(m.mediaType)) return { platform, warning: `${name}: the index entry is a ${m.mediaType}, not an image manifest; skipped` };
      const parsed = parseImageManifest(m.json);
      platform.size = parsed.size;
      platform.annotations = { ...e.annotations, ...parsed.annotations };
      const r = await this.configFor(repo, parsed.configDigest, signal);
      platform.config = r.parsed?.details ?? null;
      return r.warning ? { platform, warning: `${name}: ${r.warning}` } : { platform };
    } catch (err) {
      if (!isPlatformLocal(err, signal)) throw err;
      return { platform, warning: `${name}: ${(err as Error).message}` };
    }
  }

  private async configFor(repo: RegistryRepository, digest: string, signal?: AbortSignal): Promise<{ parsed?: ReturnType<typeof parseImageConfig>; warning?: string }> {
    try {
      const body = await this.getBlob(repo, digest, signal);
      return { parsed: parseImageConfig(JSON.parse(body.toString('utf8'))) };
    } catch (err) {
      if (!isPlatformLocal(err, signal)) throw err;
      const why = err instanceof SyntaxError ? 'the image config is not valid JSON' : (err as Error).message;
      return { warning: `image config ${digest} unreadable: ${why}` };
    }
  }

  /** `GET /v2/<path>/blobs/<digest>`, redirects followed (another host gets no Authorization), verified. */
  private async getBlob(repo: RegistryRepository, digest: string, signal?: AbortSignal): Promise<Buffer> {
    const image = this.imageOf(repo);
    const url = `${this.baseUrl(repo.host)}/v2/${repo.path}/blobs/${digest}`;
    const cap = { maxBytes: this.config.maxConfigBytes, capVariable: 'REGISTRY_MAX_CONFIG_BYTES' };
    let res = await this.authed(repo, { method: 'GET', url, endpoint: 'blob', image, headers: {}, ...cap, signal });
    const origin = new URL(url).origin;
    for (let hops = 0; res.status >= 300 && res.status < 400; hops++) {
      const location = headerValue(res.headers, 'location');
      if (!location || hops >= MAX_REDIRECTS) throw this.responseError(res, 'GET', image, repo, location ? `more than ${MAX_REDIRECTS} redirects` : `redirect (HTTP ${res.status}) without a Location`);
      const target = new URL(location, res.url);
      this.checkScheme(target, image);
      if (target.origin === origin) res = await this.authed(repo, { method: 'GET', url: target.href, endpoint: 'blob', image, headers: {}, ...cap, signal });
      else res = await this.send(this.state(target.host), { method: 'GET', url: target.href, endpoint: 'blob', image, headers: {}, ...cap, signal });
    }
    if (res.status !== 200) throw this.failure(res, 'GET', 'blob', image, repo);
    const computed = digestOf(res.body, digest);
    if (computed !== digest) throw this.responseError(res, 'GET', image, repo, `the blob's content does not match its digest ${digest} (it hashes to ${computed}); refused`);
    return res.body;
  }

  // ---------------------------------------------------------------- auth

  private scopeOf(repo: RegistryRepository, challenge?: Challenge): string {
    return challenge?.scheme === 'bearer' && challenge.scope ? challenge.scope : pullScope(repo.path);
  }

  /** Sends `req` to the repository's host with the right Authorization, refreshing it once on 401. */
  private async authed(repo: RegistryRepository, req: Req): Promise<Exchange> {
    const host = new URL(req.url).host;
    const state = this.state(host);
    const credential = this.credentials.lookup(repo.host);
    let authorization = await this.authorizationFor(state, repo, req, false);
    let res = await this.send(state, { ...req, headers: authorization ? { ...req.headers, authorization } : req.headers });
    if (res.status !== 401) return res;
    const challenge = parseWwwAuthenticate(headerValue(res.headers, 'www-authenticate'));
    if (!challenge) return res;
    state.challenge = challenge;
    if (challenge.scheme === 'basic' && !credential) return res;
    if (authorization?.startsWith('Bearer ')) this.tokens.invalidate(host, this.scopeOf(repo, challenge), authorization.slice(7));
    authorization = await this.authorizationFor(state, repo, req, true);
    if (authorization === undefined) return res;
    this.log.debug({ image: req.image, url: safeUrl(req.url), scheme: challenge.scheme }, 'registry asked for authentication; retrying once with it');
    res = await this.send(state, { ...req, headers: { ...req.headers, authorization } });
    return res;
  }

  private async authorizationFor(state: HostState, repo: RegistryRepository, req: Req, fresh: boolean): Promise<string | undefined> {
    const c = state.challenge;
    if (!c) return undefined;
    const credential = this.credentials.lookup(repo.host);
    if (c.scheme === 'basic') return credential?.kind === 'basic' ? basicAuthorization(credential.username, credential.password) : undefined;
    const scope = this.scopeOf(repo, c);
    if (!fresh) {
      const cached = this.tokens.get(state.host, scope);
      if (cached) return `Bearer ${cached}`;
    }
    const tr = tokenRequest(c, scope, credential);
    const target = new URL(tr.url);
    this.checkScheme(target, req.image);
    const res = await this.send(this.state(target.host), {
      method: tr.method,
      url: tr.url,
      endpoint: 'token',
      image: req.image,
      headers: { accept: 'application/json', ...tr.headers },
      body: tr.body,
      maxBytes: this.config.maxManifestBytes,
      capVariable: 'REGISTRY_MAX_MANIFEST_BYTES',
      signal: req.signal,
    });
    const who = credential ? `as "${credential.username ?? 'identity token'}"` : 'anonymously';
    if (res.status !== 200) {
      throw new HubAuthError({
        ...this.init(req.image, tr.method, tr.url, repo),
        status: res.status,
        attempts: res.attempts,
        reason:
          `the token service refused a pull token ${who} (HTTP ${res.status}${STATUS_CODES[res.status] ? ` ${STATUS_CODES[res.status]}` : ''})` +
          (credential ? `: check the credentials for ${repo.host} in ${this.credentials.file ?? 'the auth file'}` : `; add credentials for ${repo.host} to REGISTRY_AUTH_FILE`),
      });
    }
    try {
      const t = parseTokenResponse(JSON.parse(res.body.toString('utf8')), this.now());
      this.tokens.set(state.host, scope, t);
      return `Bearer ${t.token}`;
    } catch (e) {
      // JSON.parse messages quote the body, which holds the token.
      throw new HubAuthError({ ...this.init(req.image, tr.method, tr.url, repo), status: 200, reason: `the token answer is unusable: ${e instanceof SyntaxError ? 'not valid JSON' : (e as Error).message}` });
    }
  }

  /** Plain http only to an insecure host or DOCKER_HUB_REGISTRY_URL's own host. */
  private checkScheme(target: URL, image: string): void {
    if (target.protocol === 'https:') return;
    const ok = target.protocol === 'http:' && (this.config.insecureHosts.includes(target.host.toLowerCase()) || (this.hubBase.protocol === 'http:' && target.host === this.hubBase.host));
    if (!ok) {
      throw new HubResponseError({
        image,
        method: 'GET',
        url: safeUrl(target.href),
        service: `registry ${target.host}`,
        reason: `refused to follow a plain ${target.protocol} URL to ${target.host}: only hosts in REGISTRY_INSECURE_HOSTS are read without TLS`,
      });
    }
  }

  // ---------------------------------------------------------------- transport

  private state(host: string): HostState {
    let s = this.hosts.get(host);
    if (!s) {
      s = {
        host,
        gate: new RateLimitGate(this.now),
        breaker: new CircuitBreaker({
          host,
          threshold: this.config.circuitThreshold,
          cooldownMs: this.config.circuitCooldownMs,
          now: this.now,
          onStateChange: (snap) => this.log.warn({ host, state: snap.state, lastFailure: snap.lastFailure }, `registry ${host}: circuit breaker ${snap.state}`),
        }),
        limiter: new HostLimiter(this.config.hostConcurrency),
        inFlight: 0,
      };
      this.hosts.set(host, s);
    }
    return s;
  }

  /** One request with the host's gate, breaker, concurrency and retries; any final status is returned. */
  private async send(state: HostState, req: Req): Promise<Exchange> {
    if (this.closed) throw new Error('OciRegistryClient is closed');
    const url = safeUrl(req.url);
    const base = this.init(req.image, req.method, url, undefined, state.host);
    let sent = 0;
    for (let attempt = 1; ; attempt++) {
      if (req.signal?.aborted) throw abortError(req.signal);
      await state.gate.wait({
        maxWaitMs: this.config.maxRateLimitWaitMs,
        signal: req.signal,
        tooLong: (ms, until, source) =>
          new HubRateLimitError({
            ...base,
            attempts: sent,
            reason: `the rate limit pauses every request to ${state.host} for another ${formatMs(ms)} (until ${new Date(until).toISOString()}${source ? `, set by ${SOURCE_HEADER[source]}` : ''}), longer than the ${formatMs(this.config.maxRateLimitWaitMs)} this service may wait (DOCKER_HUB_MAX_RATE_LIMIT_WAIT)`,
          }),
      });
      const permit = state.breaker.permit();
      if (!permit.go) {
        const snap = permit.snapshot;
        throw new HubUnreachableError({ ...base, reason: 'skipped: the circuit breaker is open', attempts: sent, host: state.host, since: snap.unreachableSince ?? snap.changedAt, lastFailure: snap.lastFailure, retryAt: snap.retryAt });
      }
      sent++;
      const started = performance.now();
      let res: Omit<Exchange, 'attempts' | 'url'>;
      try {
        res = await state.limiter.run(async () => {
          state.inFlight++;
          try {
            return await withRequestDeadline(this.config.requestDeadlineMs, req.signal, (signal, progress) => this.exchange(req, signal, progress));
          } finally {
            state.inFlight--;
          }
        });
        state.breaker.success(permit.probe);
      } catch (e) {
        const ms = Math.round(performance.now() - started);
        if (req.signal?.aborted) {
          state.breaker.release(permit.probe);
          throw abortError(req.signal);
        }
        if (e instanceof BodyTooLargeError) {
          state.breaker.success(permit.probe);
          this.notify(state.host, req, e.status, ms);
          throw new HubResponseError({ ...base, reason: e.detail, status: e.status, attempts: sent });
        }
        const failure = classifyTransportError(e, this.config.timeoutMs, state.host, { deadlineVariable: 'DOCKER_HUB_REQUEST_DEADLINE', urlVariable: 'the registry host (and REGISTRY_INSECURE_HOSTS for plain http)' });
        if (!failure) {
          state.breaker.release(permit.probe);
          throw e;
        }
        state.breaker.failure(failure.reason, permit.probe);
        this.notify(state.host, req, failure.kind === 'timeout' ? 'timeout' : 'network_error', ms);
        if (attempt >= this.config.maxAttempts || state.breaker.isOpen) {
          const init: HubErrorInit = { ...base, reason: failure.reason, attempts: sent, cause: e };
          throw failure.kind === 'timeout' ? new HubTimeoutError(init) : new HubNetworkError(init);
        }
        await this.backoff(req, attempt, failure.reason);
        continue;
      }
      const ms = Math.round(performance.now() - started);
      this.notify(state.host, req, res.status, ms);
      state.gate.noteBudget(res.headers, state.inFlight);
      const pause = rateLimitPauseFrom(res.status, res.headers, this.now());
      if (pause && state.gate.pause(pause)) {
        this.log.warn({ host: state.host, url, status: res.status, pauseMs: pause.ms, source: pause.source }, `registry ${state.host} rate limit (${SOURCE_HEADER[pause.source]}): every request to it waits ${formatMs(pause.ms)}`);
      }
      if ((res.status === 429 || res.status >= 500) && attempt < this.config.maxAttempts) {
        if (!pause) await this.backoff(req, attempt, `HTTP ${res.status}`);
        continue;
      }
      return { ...res, attempts: sent, url: req.url };
    }
  }

  private async exchange(req: Req, signal: AbortSignal, progress: (n: number) => void): Promise<Omit<Exchange, 'attempts' | 'url'>> {
    const res = await request(req.url, {
      method: req.method,
      headers: { 'user-agent': this.config.userAgent, ...req.headers },
      body: req.body,
      dispatcher: this.agent,
      signal,
    });
    if (req.method === 'HEAD') {
      res.body.on('error', () => undefined);
      await res.body.dump();
      return { status: res.statusCode, headers: res.headers, body: Buffer.alloc(0) };
    }
    const body = await readCappedBody(res, req.maxBytes, req.capVariable, signal, progress);
    return { status: res.statusCode, headers: res.headers, body };
  }

  private async backoff(req: Req, attempt: number, reason: string): Promise<void> {
    const delayMs = backoffDelay(attempt, this.config.retryBaseMs, this.config.retryMaxMs, this.random);
    this.log.warn({ image: req.image, url: safeUrl(req.url), attempt, maxAttempts: this.config.maxAttempts, delayMs, reason }, 'retrying registry request');
    await sleep(delayMs, req.signal);
  }

  private notify(host: string, req: Req, status: number | 'network_error' | 'timeout', durationMs: number): void {
    try {
      this.observer.request?.({ host, endpoint: req.endpoint, method: req.method as 'GET' | 'HEAD', status, durationMs });
    } catch {
      /* observers must not break requests */
    }
  }

  // ---------------------------------------------------------------- errors

  private imageOf(repo: RegistryRepository): string {
    return `${repo.host}/${repo.path}`;
  }

  private init(image: string, method: string, url: string, repo?: RegistryRepository, host?: string): HubErrorInit & { service: string } {
    return { image, method, url: safeUrl(url), service: `registry ${host ?? repo?.host ?? new URL(url).host}`, reason: '' };
  }

  /** Removes every secret this client knows from a text. */
  private redact(text: string): string {
    let out = text;
    for (const s of [...this.credentials.secrets(), ...this.tokens.all()]) if (s.length >= 4) out = out.split(s).join('[redacted]');
    return out;
  }

  responseError(res: Exchange, method: string, image: string, repo: RegistryRepository, reason: string): HubResponseError {
    return new HubResponseError({ ...this.init(image, method, res.url, repo), status: res.status, attempts: res.attempts, reason: this.redact(reason) });
  }

  private failure(res: Exchange, method: string, endpoint: RegistryEndpoint, image: string, repo: RegistryRepository): HubError {
    const init = { ...this.init(image, method, res.url, repo), status: res.status, attempts: res.attempts };
    let detail = '';
    try {
      const errs = (JSON.parse(res.body.toString('utf8')) as { errors?: Array<{ code?: string; message?: string }> }).errors;
      if (Array.isArray(errs) && errs[0]) detail = `: ${errs[0].code ?? ''} ${errs[0].message ?? ''}`.trimEnd();
    } catch {
      /* no OCI error body */
    }
    const statusText = `HTTP ${res.status}${STATUS_CODES[res.status] ? ` ${STATUS_CODES[res.status]}` : ''}${this.redact(detail.slice(0, 300))}`;
    if (res.status === 401 || res.status === 403) {
      const cred = this.credentials.lookup(repo.host);
      return new HubAuthError({ ...init, reason: cred ? `refused the credentials for ${repo.host} (${statusText})` : `asks for authentication (${statusText}); add credentials for ${repo.host} to REGISTRY_AUTH_FILE` });
    }
    if (res.status === 404) return new HubNotFoundError({ ...init, reason: endpoint === 'tags' ? `no such repository, or it is private (${statusText})` : `not found (${statusText})` });
    return new HubHttpError({ ...init, reason: `answered ${statusText}${res.status === 429 ? ' (rate limited, and the retries ran out)' : res.status >= 500 ? ' (the registry is failing)' : ''}` });
  }
}

function parseIndexOr(top: { res: Exchange; json: Record<string, unknown> }, client: OciRegistryClient, image: string, repo: RegistryRepository) {
  try {
    return parseIndex(top.json);
  } catch (e) {
    throw client.responseError(top.res, 'GET', image, repo, (e as Error).message);
  }
}

/** Errors that spoil one platform only (bad digest, bad body, 404); the rest fail the tag. */
function isPlatformLocal(e: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return false;
  if (e instanceof SyntaxError || e instanceof ManifestShapeError) return true;
  return e instanceof HubResponseError || e instanceof HubNotFoundError || e instanceof HubHttpError;
}
