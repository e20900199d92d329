import { splitImageList, TagFilter } from '../tracking/tag-filter';
import path from 'node:path';
import { DEFAULT_IMAGES } from './default-images';
import { parseDuration, formatDuration } from './duration';
import { ImageName, ImageNameError, parseImageName } from '../shared/image-name';
import { CredentialsFileError, loadRegistryCredentials, RegistryCredentials } from '../scraping/registry/credentials';

export type StartupScrape = 'due' | 'always';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** One bad environment variable: its name, the value given and what is accepted. */
export interface ConfigProblem {
  variable: string;
  value: string;
  expected: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(problems.map(describeProblem).join('\n'));
    this.name = 'ConfigError';
  }
}

export function describeProblem(p: ConfigProblem): string {
  return `invalid configuration: ${p.variable}=${JSON.stringify(p.value)}: expected ${p.expected}`;
}

export interface ScraperConfig {
  /** Whether this process schedules scrapes (`DOCKER_SCRAPER_ENABLED`). */
  enabled: boolean;
  /** The configured image list: `DOCKER_SCRAPER_IMAGES`, or the default list. */
  images: ImageName[];
  /** Where {@link images} came from. */
  imagesSource: 'DEFAULT' | 'CONFIG';
  maxTags: number;
  intervalMs: number;
  concurrency: number;
  onStartup: StartupScrape;
  /** How long a claim on an image (and a run) lives without a heartbeat. */
  leaseMs: number;
  /** How often this process renews its claims. */
  heartbeatMs: number;
  /** How often an idle process looks for due or joinable runs. */
  pollMs: number;
  /** On SIGTERM, how long in-flight images may take to finish before they are abandoned. */
  shutdownGraceMs: number;
  /** Longest one image may take (every request, retry and rate-limit wait) before it ends FAILED. */
  imageDeadlineMs: number;
  /** Wait before the next full run after a failed one; doubles per consecutive failed run, capped at the interval. */
  failureBackoffMs: number;
  /** Read each new or changed tag's image config (labels, ports, …) from the registry, Docker Hub's too (`DOCKER_SCRAPER_IMAGE_CONFIG`). */
  imageConfig: boolean;
  /** Tag filters written in DOCKER_SCRAPER_IMAGES (`name{include=…;exclude=…}`), by canonical name. */
  imageTagFilters: Map<string, TagFilter>;
}

export interface DockerHubConfig {
  url: string;
  username?: string;
  token?: string;
  /** Timeout for connecting, for the response headers, and between body chunks. */
  timeoutMs: number;
  /** Attempts per request, the first included. */
  maxAttempts: number;
  /** Backoff base; attempt n waits a random time in [0, base·2ⁿ⁻¹] (full jitter), capped. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Longest a rate-limit pause may last before the request fails instead. */
  maxRateLimitWaitMs: number;
  maxBodyBytes: number;
  userAgent: string;
  /** Longest one HTTP exchange (connect, headers and the whole body) may take, however it trickles in. */
  requestDeadlineMs: number;
  /** Consecutive connection-level failures to the host that open the circuit breaker. */
  circuitThreshold: number;
  /** How long the open breaker fails requests at once before one probe may go. */
  circuitCooldownMs: number;
}

/**
 * Any OCI registry (src/scraping/registry): transport, credentials, limits. The timeouts,
 * retries, rate-limit wait, request deadline and circuit breaker are the Docker Hub
 * client's (`DOCKER_HUB_TIMEOUT` & co), applied per registry host.
 */
export interface RegistryConfig {
  /** `REGISTRY_INSECURE_HOSTS`: hosts (`host` or `host:port`, lowercase) read over plain http. */
  insecureHosts: string[];
  /** `DOCKER_HUB_REGISTRY_URL`: where Docker Hub images' manifests and configs are read. */
  dockerHubRegistryUrl: string;
  /** From `REGISTRY_AUTH_FILE` / `$DOCKER_CONFIG/config.json` / `~/.docker/config.json` (secrets hidden). */
  credentials: RegistryCredentials;
  /** `REGISTRY_HOST_CONCURRENCY`: requests in flight at once per registry host. */
  hostConcurrency: number;
  /** `REGISTRY_TAG_PAGE_SIZE`: `n` of `tags/list`. */
  tagPageSize: number;
  /** `REGISTRY_MAX_TAG_PAGES`: pages read at most; past it the list is partial. */
  maxTagPages: number;
  /** `REGISTRY_MAX_MANIFEST_BYTES`: cap of a manifest or index body (and of token / tag-list answers). */
  maxManifestBytes: number;
  /** `REGISTRY_MAX_CONFIG_BYTES`: cap of an image config blob. */
  maxConfigBytes: number;
  timeoutMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  maxRateLimitWaitMs: number;
  requestDeadlineMs: number;
  circuitThreshold: number;
  circuitCooldownMs: number;
  userAgent: string;
}

export interface DatabaseConfig {
  /** With DATABASE_URL: how long start-up waits for the database to accept connections. */
  connectTimeoutMs: number;
  /** `statement_timeout` of the pool's sessions (the client waits 2 s more for an answer). */
  statementTimeoutMs: number;
  /** Longest wait for a connection from the pool (or for a new one to be made). */
  acquireTimeoutMs: number;
  /** Restarts of an embedded PostgreSQL that exited before the process gives up and exits. */
  embeddedRestarts: number;
}

export interface GraphQLLimits {
  maxDepth: number;
  maxCost: number;
  maxAliases: number;
  maxRootFields: number;
  maxBatch: number;
  maxBodyBytes: number;
  /** Lexical tokens a document may hold; parsing stops past it. */
  maxTokens: number;
  /** Nesting of `{`, `[` and `(` a document may reach; refused before parsing. */
  maxParseDepth: number;
  /** GraphQL requests executed at once; more are answered 503 with Retry-After. */
  maxConcurrent: number;
  introspection: boolean;
  landingPage: boolean;
  /** Whether the Sandbox page (in the browser) may send usage telemetry to Apollo. */
  sandboxTelemetry: boolean;
  /** GRAPHQL_COMPILED_READS: catalog queries answered by one compiled statement (false: always through the resolvers). */
  compiledReads: boolean;
  /** Automatic persisted queries: bytes of query text kept (LRU); 0 turns APQ off. */
  apqCacheBytes: number;
  /** `Cache-Control: public, max-age=N` on successful GET queries; 0 sends none. */
  getMaxAgeSeconds: number;
}

/** Live changes: change feed, subscriptions, webhooks (src/events, src/subscriptions, src/webhooks). */
export interface LiveConfig {
  /** CATALOG_EVENTS_RETENTION: events older than this are pruned. */
  eventsRetentionMs: number;
  /** CATALOG_EVENTS_POLL: safety-net read of the feed when no notification arrives. */
  eventsPollMs: number;
  subscriptionsPerConnection: number;
  subscriptionsTotal: number;
  webhookAllowPrivate: boolean;
  webhookTimeoutMs: number;
  /** How long a delivery is retried, and how long a webhook may fail before it is disabled. */
  webhookRetryWindowMs: number;
  webhookRetryBaseMs: number;
  webhookRetryMaxMs: number;
  webhookConcurrency: number;
  webhookPollMs: number;
}

export interface Config {
  port: number;
  host: string;
  production: boolean;
  /** PostgreSQL URL, or undefined for the embedded server. */
  databaseUrl?: string;
  databasePoolSize: number;
  /** Deadlines and supervision of the database connection. */
  database: DatabaseConfig;
  dataDir: string;
  /** `CATALOG_ADMIN_TOKEN`; undefined → generated once and stored in {@link dataDir}. */
  adminToken?: string;
  logLevel: LogLevel;
  dockerHub: DockerHubConfig;
  registry: RegistryConfig;
  scraper: ScraperConfig;
  graphql: GraphQLLimits;
  live: LiveConfig;
}

export const VERSION = '0.1.0';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

type Env = Record<string, string | undefined>;

/**
 * Reads every setting from the environment once, validates all of them and returns a
 * frozen {@link Config}; every bad value is reported together in one {@link ConfigError}.
 * An empty variable counts as unset.
 */
export function loadConfig(env: Env = process.env): Config {
  const problems: ConfigProblem[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const bad = (variable: string, value: string, expected: string): undefined => {
    problems.push({ variable, value, expected });
    return undefined;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      bad(name, raw, `a whole number from ${min} to ${max}`);
      return fallback;
    }
    return Number(raw);
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const v = raw.toLowerCase();
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    bad(name, raw, '"true" or "false"');
    return fallback;
  };
  const duration = (name: string, fallback: number, minMs: number): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const ms = parseDuration(raw);
    if (ms === undefined || ms < minMs) {
      bad(name, raw, `a duration of at least ${formatDuration(minMs)}, such as 90s, 15m, 2h or 1h30m`);
      return fallback;
    }
    return ms;
  };
  const oneOf = <T extends string>(name: string, fallback: T, allowed: readonly T[]): T => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      bad(name, raw, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
      return fallback;
    }
    return raw as T;
  };
  const httpUrl = (name: string, fallback: string): string => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    try {
      const u = new URL(raw);
      if ((u.protocol === 'http:' || u.protocol === 'https:') && u.host !== '' && !u.search && !u.hash) {
        return raw.replace(/\/+$/, '');
      }
    } catch {
      /* reported below */
    }
    bad(name, raw, 'an http:// or https:// base URL such as https://hub.docker.com');
    return fallback;
  };

  const production = get('NODE_ENV') === 'production';

  // --- database
  let databaseUrl = get('DATABASE_URL');
  if (databaseUrl !== undefined) {
    let ok = false;
    try {
      const u = new URL(databaseUrl);
      ok = (u.protocol === 'postgres:' || u.protocol === 'postgresql:') && u.hostname !== '';
    } catch {
      ok = false;
    }
    if (!ok) {
      // The value may hold a password: show its shape, not its secret.
      databaseUrl = bad('DATABASE_URL', redactUrl(databaseUrl), 'a PostgreSQL URL such as postgres://user:password@host:5432/dbname');
    }
  }

  // --- images
  let images: ImageName[] = DEFAULT_IMAGES.map((n) => parseImageName(n));
  let imagesSource: 'DEFAULT' | 'CONFIG' = 'DEFAULT';
  const rawImages = get('DOCKER_SCRAPER_IMAGES');
  const imageTagFilters = new Map<string, TagFilter>();
  if (rawImages !== undefined) {
    const parsed = new Map<string, ImageName>();
    for (const entry of splitImageList(rawImages)) {
      if (entry.problem) {
        bad('DOCKER_SCRAPER_IMAGES', rawImages, `tag filters as name{include=REGEX;exclude=REGEX}; ${entry.problem}`);
        continue;
      }
      try {
        const image = parseImageName(entry.name);
        if (!parsed.has(image.name)) parsed.set(image.name, image);
        if (entry.filter && !imageTagFilters.has(image.name)) imageTagFilters.set(image.name, entry.filter);
      } catch (e) {
        const reason = e instanceof ImageNameError ? `${JSON.stringify(e.input.trim())}: ${e.reason}` : String(e);
        bad('DOCKER_SCRAPER_IMAGES', rawImages, `a comma-separated list of image names ("name" or "org/name" on Docker Hub, "host/path" on another registry); ${reason}`);
      }
    }
    if (parsed.size === 0 && !problems.some((p) => p.variable === 'DOCKER_SCRAPER_IMAGES')) {
      bad('DOCKER_SCRAPER_IMAGES', rawImages, 'at least one image name');
    }
    images = [...parsed.values()];
    imagesSource = 'CONFIG';
  }

  // --- interval: the duration form wins over hours
  const intervalHours = int('DOCKER_SCRAPER_INTERVAL_H', 24, 1, 8760);
  const intervalMs = duration('DOCKER_SCRAPER_INTERVAL', intervalHours * 3_600_000, 1_000);

  const leaseMs = duration('DOCKER_SCRAPER_LEASE', 30_000, 2_000);
  const heartbeatMs = duration('DOCKER_SCRAPER_HEARTBEAT', Math.max(500, Math.floor(leaseMs / 3)), 100);
  if (heartbeatMs >= leaseMs) {
    bad('DOCKER_SCRAPER_HEARTBEAT', formatDuration(heartbeatMs), `a duration shorter than the lease (${formatDuration(leaseMs)})`);
  }

  // The engine writes up to two images per slot at once (reads trail into writes), besides
  // claims, heartbeats and the queries of the API: the pool must leave room for all of them.
  const concurrency = int('DOCKER_SCRAPER_CONCURRENCY', 4, 1, 64);
  const minPool = 2 * concurrency + 2;
  const poolSize = int('DATABASE_POOL_SIZE', Math.max(10, 2 * concurrency + 4), 2, 400);
  if (poolSize < minPool) {
    bad('DATABASE_POOL_SIZE', String(poolSize), `at least ${minPool} with DOCKER_SCRAPER_CONCURRENCY=${concurrency} (twice the concurrency, plus 2)`);
  }

  // --- Docker Hub deadlines, circuit breaker, failed-run backoff (the scraping engine's)
  const hubLimits = {
    requestDeadlineMs: duration('DOCKER_HUB_REQUEST_DEADLINE', 2 * 60_000, 100),
    circuitThreshold: int('DOCKER_HUB_CIRCUIT_THRESHOLD', 5, 1, 1_000),
    circuitCooldownMs: duration('DOCKER_HUB_CIRCUIT_COOLDOWN', 30_000, 10),
  };
  const scrapeLimits = {
    imageDeadlineMs: duration('DOCKER_SCRAPER_IMAGE_DEADLINE', 10 * 60_000, 100),
    failureBackoffMs: duration('DOCKER_SCRAPER_FAILURE_BACKOFF', 60_000, 1_000),
  };

  // --- other registries
  const insecureHosts: string[] = [];
  const rawInsecure = get('REGISTRY_INSECURE_HOSTS');
  for (const entry of rawInsecure?.split(',') ?? []) {
    const host = entry.trim().toLowerCase();
    if (host === '') continue;
    let parsed: string | undefined;
    try {
      parsed = host.includes('/') ? undefined : parseImageName(`${host}/x`).registry;
    } catch {
      parsed = undefined;
    }
    if (parsed !== host) {
      bad('REGISTRY_INSECURE_HOSTS', rawInsecure!, `a comma-separated list of registry hosts (host or host:port, such as 127.0.0.1:5000 or registry.local; no scheme or path); "${entry.trim()}" is not one`);
      break;
    }
    if (!insecureHosts.includes(host)) insecureHosts.push(host);
  }
  let credentials = RegistryCredentials.none();
  try {
    credentials = loadRegistryCredentials(env);
  } catch (e) {
    if (!(e instanceof CredentialsFileError)) throw e;
    bad(
      env.REGISTRY_AUTH_FILE?.trim() ? 'REGISTRY_AUTH_FILE' : 'DOCKER_CONFIG',
      e.file,
      `a readable Docker config.json ({"auths": {"ghcr.io": {"auth": "<base64 user:password>"}}}); the file ${e.reason}`,
    );
  }

  const config: Config = {
    port: int('PORT', 4000, 0, 65535),
    host: get('HOST') ?? '0.0.0.0',
    production,
    databaseUrl,
    databasePoolSize: poolSize,
    database: {
      connectTimeoutMs: duration('DATABASE_CONNECT_TIMEOUT', 60_000, 1_000),
      statementTimeoutMs: duration('DATABASE_STATEMENT_TIMEOUT', 30_000, 100),
      acquireTimeoutMs: duration('DATABASE_ACQUIRE_TIMEOUT', 10_000, 100),
      embeddedRestarts: int('DATABASE_EMBEDDED_RESTARTS', 5, 0, 100),
    },
    dataDir: path.resolve(get('CATALOG_DATA_DIR') ?? './.data'),
    adminToken: adminToken(get('CATALOG_ADMIN_TOKEN'), bad),
    logLevel: oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
    dockerHub: {
      url: httpUrl('DOCKER_HUB_URL', 'https://hub.docker.com'),
      username: get('DOCKER_HUB_USERNAME'),
      token: get('DOCKER_HUB_TOKEN'),
      timeoutMs: duration('DOCKER_HUB_TIMEOUT', 30_000, 100),
      maxAttempts: int('DOCKER_HUB_MAX_ATTEMPTS', 5, 1, 20),
      retryBaseMs: duration('DOCKER_HUB_RETRY_BASE', 500, 1),
      retryMaxMs: duration('DOCKER_HUB_RETRY_MAX', 30_000, 1),
      maxRateLimitWaitMs: duration('DOCKER_HUB_MAX_RATE_LIMIT_WAIT', 15 * 60_000, 1_000),
      maxBodyBytes: int('DOCKER_HUB_MAX_BODY_BYTES', 10 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
      userAgent: `catalog-sync/${VERSION} (+https://github.com/catalog-sync; Docker Hub catalog mirror) node/${process.versions.node}`,
      ...hubLimits,
    },
    registry: {
      insecureHosts,
      dockerHubRegistryUrl: httpUrl('DOCKER_HUB_REGISTRY_URL', 'https://registry-1.docker.io'),
      credentials,
      hostConcurrency: int('REGISTRY_HOST_CONCURRENCY', 4, 1, 64),
      tagPageSize: int('REGISTRY_TAG_PAGE_SIZE', 100, 1, 10_000),
      maxTagPages: int('REGISTRY_MAX_TAG_PAGES', 100, 1, 10_000),
      maxManifestBytes: int('REGISTRY_MAX_MANIFEST_BYTES', 4 * 1024 * 1024, 1024, 256 * 1024 * 1024),
      maxConfigBytes: int('REGISTRY_MAX_CONFIG_BYTES', 8 * 1024 * 1024, 1024, 256 * 1024 * 1024),
      timeoutMs: 0,
      maxAttempts: 0,
      retryBaseMs: 0,
      retryMaxMs: 0,
      maxRateLimitWaitMs: 0,
      requestDeadlineMs: 0,
      circuitThreshold: 0,
      circuitCooldownMs: 0,
      userAgent: '',
    },
    scraper: {
      enabled: bool('DOCKER_SCRAPER_ENABLED', true),
      images,
      imagesSource,
      maxTags: int('DOCKER_SCRAPER_MAX_TAGS', 10, 1, 10_000),
      intervalMs,
      concurrency,
      onStartup: oneOf<StartupScrape>('DOCKER_SCRAPER_ON_STARTUP', 'due', ['due', 'always']),
      leaseMs,
      heartbeatMs,
      pollMs: duration('DOCKER_SCRAPER_POLL', 5_000, 50),
      shutdownGraceMs: duration("SHUTDOWN_GRACE", 10_000, 1),
      ...scrapeLimits,
      imageConfig: bool('DOCKER_SCRAPER_IMAGE_CONFIG', true),
      imageTagFilters,
    },
    graphql: {
      maxDepth: int('GRAPHQL_MAX_DEPTH', 10, 2, 100),
      maxCost: int('GRAPHQL_MAX_COST', 10_000, 10, 10_000_000),
      maxAliases: int('GRAPHQL_MAX_ALIASES', 50, 1, 1_000),
      maxRootFields: int('GRAPHQL_MAX_ROOT_FIELDS', 50, 1, 1_000),
      maxBatch: int('GRAPHQL_MAX_BATCH', 10, 1, 100),
      maxBodyBytes: int('GRAPHQL_MAX_BODY_BYTES', 1024 * 1024, 1024, 100 * 1024 * 1024),
      maxTokens: int('GRAPHQL_MAX_TOKENS', 2_000, 100, 1_000_000),
      maxParseDepth: int('GRAPHQL_MAX_PARSE_DEPTH', 40, 8, 1_000),
      maxConcurrent: int('GRAPHQL_MAX_CONCURRENT', 64, 1, 10_000),
      introspection: bool('GRAPHQL_INTROSPECTION', !production),
      landingPage: bool('GRAPHQL_SANDBOX', !production),
      sandboxTelemetry: bool('GRAPHQL_SANDBOX_TELEMETRY', false),
      compiledReads: bool('GRAPHQL_COMPILED_READS', true),
      apqCacheBytes: int('GRAPHQL_APQ_CACHE_BYTES', 8 * 1024 * 1024, 0, 1024 * 1024 * 1024),
      getMaxAgeSeconds: int('GRAPHQL_GET_MAX_AGE', 5, 0, 3600),
    },
    live: {
      eventsRetentionMs: duration('CATALOG_EVENTS_RETENTION', 30 * 86_400_000, 60_000),
      eventsPollMs: duration('CATALOG_EVENTS_POLL', 5_000, 50),
      subscriptionsPerConnection: int('SUBSCRIPTIONS_MAX_PER_CONNECTION', 20, 1, 10_000),
      subscriptionsTotal: int('SUBSCRIPTIONS_MAX_TOTAL', 10_000, 1, 1_000_000),
      webhookAllowPrivate: bool('WEBHOOK_ALLOW_PRIVATE', false),
      webhookTimeoutMs: duration('WEBHOOK_TIMEOUT', 10_000, 100),
      webhookRetryWindowMs: duration('WEBHOOK_RETRY_WINDOW', 86_400_000, 1_000),
      webhookRetryBaseMs: duration('WEBHOOK_RETRY_BASE', 10_000, 1),
      webhookRetryMaxMs: duration('WEBHOOK_RETRY_MAX', 3_600_000, 1),
      webhookConcurrency: int('WEBHOOK_CONCURRENCY', 4, 1, 64),
      webhookPollMs: duration('WEBHOOK_POLL', 1_000, 10),
    },
  };

  // The registry client shares the Docker Hub client's transport settings.
  const { timeoutMs, maxAttempts, retryBaseMs, retryMaxMs, maxRateLimitWaitMs, requestDeadlineMs, circuitThreshold, circuitCooldownMs, userAgent } = config.dockerHub;
  Object.assign(config.registry, { timeoutMs, maxAttempts, retryBaseMs, retryMaxMs, maxRateLimitWaitMs, requestDeadlineMs, circuitThreshold, circuitCooldownMs, userAgent });

  const user = config.dockerHub.username;
  const token = config.dockerHub.token;
  if ((user === undefined) !== (token === undefined)) {
    const [given, missing] = user === undefined ? ['DOCKER_HUB_TOKEN', 'DOCKER_HUB_USERNAME'] : ['DOCKER_HUB_USERNAME', 'DOCKER_HUB_TOKEN'];
    bad(missing, '', `to be set together with ${given} (both, or neither)`);
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}

function adminToken(raw: string | undefined, bad: (v: string, value: string, expected: string) => undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (raw.length < 16 || /\s/.test(raw)) {
    return bad('CATALOG_ADMIN_TOKEN', '<hidden>', 'a secret of at least 16 characters without white space (or unset, to generate one)');
  }
  return raw;
}

/**
 * Hides the password of a URL that may be malformed: whatever lies between the first `:` of
 * the user info and the last `@` (a password may hold `/` or `@`; the scheme may be missing),
 * and any `password=` parameter.
 */
export function redactUrl(raw: string): string {
  let out = raw;
  const at = out.lastIndexOf('@');
  if (at >= 0) {
    const slashes = out.indexOf('//');
    const start = slashes >= 0 && slashes < at ? slashes + 2 : 0;
    const colon = out.indexOf(':', start);
    if (colon >= 0 && colon < at) out = `${out.slice(0, colon)}:***${out.slice(at)}`;
  }
  return out.replace(/([?&]password=)[^&#]*/gi, '$1***');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
