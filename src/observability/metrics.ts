import type { ApolloServerPlugin } from '@apollo/server';
import { getOperationAST, GraphQLFormattedError } from 'graphql';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Queryable } from '../database/db';
import type { MetricsEndpoint } from '../http/server';
import type { Logger } from '../shared/logger';

/**
 * Prometheus metrics of one app instance (`GET /metrics`), in a registry of its own — never
 * prom-client's global one: tests start several apps in one process.
 *
 * Families (all prefixed `catalog_sync_`):
 * - process: prom-client's default metrics (`catalog_sync_process_cpu_seconds_total`, …);
 * - HTTP: `http_requests_total{route,status}`, `http_request_duration_seconds{route,status}`;
 * - GraphQL: `graphql_operations_total{operation_name,operation_type,outcome}`,
 *   `graphql_operation_duration_seconds{operation_type,outcome}`; outcome is `ok` or the first
 *   error's code (`BAD_USER_INPUT`, `UNAUTHENTICATED`, `QUERY_TOO_COMPLEX`, …);
 * - read from the database when scraped (one statement): `catalog_resources`,
 *   `catalog_instances`, `tracked_images{last_status}` (`NONE` before the first scrape),
 *   `scrape_runs_active{status}`;
 * - scraper, recorded by the sync engine and the Docker Hub client through the typed methods
 *   below: `hub_requests_total{endpoint,status}`, `hub_request_duration_seconds{endpoint}`,
 *   `hub_retries_total{reason}`, `hub_rate_limit_pauses_total{source}`,
 *   `hub_rate_limit_pause_seconds_total{source}`, `hub_circuit_state{host}` (0 closed, 1 half-open, 2 open),
 *   `hub_circuit_transitions_total{host,state}`, `scrape_runs_total{trigger,status}`,
 *   `scrape_run_duration_seconds{trigger,status}`, `scrape_images_total{outcome}`,
 *   `scrape_image_duration_seconds{outcome}`.
 */

export const METRICS_PREFIX = 'catalog_sync_';

/** What the Docker Hub client reports (structurally its `HubClientObserver`). */
export interface HubObserver {
  request(e: { status: number | 'network_error' | 'timeout'; durationMs: number; endpoint: 'repository' | 'tags' | 'auth' }): void;
  retry(e: { reason: string; attempt: number; delayMs: number }): void;
  rateLimitPause(e: { ms: number; source: string }): void;
  circuitState(e: { host: string; state: 'CLOSED' | 'OPEN' | 'HALF_OPEN' }): void;
}

/** `hub_circuit_state{host}` values. */
export const CIRCUIT_STATE_VALUE = { CLOSED: 0, HALF_OPEN: 1, OPEN: 2 } as const;

export type ScrapeTrigger = 'STARTUP' | 'SCHEDULE' | 'MANUAL' | 'RECOVERY';
export type FinishedRunStatus = 'SUCCEEDED' | 'PARTIAL' | 'FAILED' | 'INTERRUPTED';
export type ImageOutcomeLabel = 'OK' | 'NO_TAGS' | 'NOT_FOUND' | 'FAILED' | 'INTERRUPTED';

const TRACKED_STATUSES = ['OK', 'NO_TAGS', 'NOT_FOUND', 'FAILED', 'NONE'] as const;
const ACTIVE_RUN_STATUSES = ['QUEUED', 'RUNNING'] as const;
/** Distinct GraphQL operation names kept as label values; later ones are counted as `__other__`. */
const MAX_OPERATION_NAMES = 100;

interface DbSnapshot {
  resources: number;
  instances: number;
  tracked: Record<string, number>;
  runs: Record<string, number>;
}

export interface MetricsOptions {
  /** The database the catalog gauges read at scrape time; without it they stay at 0. */
  db?: Queryable;
  logger?: Logger;
  /** prom-client's default process metrics (on unless false). */
  processMetrics?: boolean;
}

export class Metrics {
  readonly registry = new Registry();

  private readonly httpRequests: Counter<'route' | 'status'>;
  private readonly httpDuration: Histogram<'route' | 'status'>;
  private readonly gqlOperations: Counter<'operation_name' | 'operation_type' | 'outcome'>;
  private readonly gqlDuration: Histogram<'operation_type' | 'outcome'>;
  private readonly hubRequests: Counter<'endpoint' | 'status'>;
  private readonly hubDuration: Histogram<'endpoint'>;
  private readonly hubRetries: Counter<'reason'>;
  private readonly rateLimitPauses: Counter<'source'>;
  private readonly rateLimitPauseSeconds: Counter<'source'>;
  private readonly hubCircuitState: Gauge<'host'>;
  private readonly hubCircuitTransitions: Counter<'host' | 'state'>;
  private readonly scrapeRuns: Counter<'trigger' | 'status'>;
  private readonly scrapeRunDuration: Histogram<'trigger' | 'status'>;
  private readonly scrapeImages: Counter<'outcome'>;
  private readonly scrapeImageDuration: Histogram<'outcome'>;
  private readonly operationNames = new Set<string>();
  private snapshot?: { at: number; value: Promise<DbSnapshot | undefined> };
  /** When the database figures were last read (ms since the epoch); before the first read, when the gauges were made (at 0). */
  private figuresReadAt = Date.now();

  constructor(private readonly opts: MetricsOptions = {}) {
    const registers = [this.registry];
    const p = METRICS_PREFIX;
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: p });

    this.httpRequests = new Counter({ name: `${p}http_requests_total`, help: 'HTTP requests answered, by route and status.', labelNames: ['route', 'status'], registers });
    this.httpDuration = new Histogram({
      name: `${p}http_request_duration_seconds`,
      help: 'Time to answer HTTP requests, by route and status.',
      labelNames: ['route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.gqlOperations = new Counter({
      name: `${p}graphql_operations_total`,
      help: 'GraphQL operations, by operation name, type (query, mutation) and outcome (ok, or the first error code).',
      labelNames: ['operation_name', 'operation_type', 'outcome'],
      registers,
    });
    this.gqlDuration = new Histogram({
      name: `${p}graphql_operation_duration_seconds`,
      help: 'Time to answer GraphQL operations, by type and outcome.',
      labelNames: ['operation_type', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });

    const self = this;
    new Gauge({
      name: `${p}catalog_resources`,
      help: 'Resources in the catalog.',
      registers,
      async collect() {
        const s = await self.dbSnapshot();
        if (s) this.set(s.resources);
      },
    });
    new Gauge({
      name: `${p}catalog_instances`,
      help: 'Instances (tags) in the catalog.',
      registers,
      async collect() {
        const s = await self.dbSnapshot();
        if (s) this.set(s.instances);
      },
    });
    new Gauge({
      name: `${p}tracked_images`,
      help: 'Images on the tracked list, by the status of their last scrape (NONE: not scraped yet).',
      labelNames: ['last_status'],
      registers,
      async collect() {
        const s = await self.dbSnapshot();
        if (s) for (const status of TRACKED_STATUSES) this.set({ last_status: status }, s.tracked[status] ?? 0);
      },
    });
    if (opts.db) {
      new Gauge({
        name: `${p}database_up`,
        help: 'Whether the database answered the last scrape of /metrics (1) or not (0: the database gauges show their last values, see catalog_figures_age_seconds).',
        registers,
        async collect() {
          this.set((await self.dbSnapshot()) ? 1 : 0);
        },
      });
      new Gauge({
        name: `${p}catalog_figures_age_seconds`,
        help: 'Age of the database-derived gauges (catalog_resources, catalog_instances, tracked_images, scrape_runs_active): 0 when read for this scrape, growing while the database is unreachable.',
        registers,
        async collect() {
          await self.dbSnapshot();
          this.set(Math.round((Date.now() - self.figuresReadAt) / 1000));
        },
      });
    }
    new Gauge({
      name: `${p}scrape_runs_active`,
      help: 'Scrape runs queued or running (in the whole database, all replicas).',
      labelNames: ['status'],
      registers,
      async collect() {
        const s = await self.dbSnapshot();
        if (s) for (const status of ACTIVE_RUN_STATUSES) this.set({ status }, s.runs[status] ?? 0);
      },
    });

    this.hubRequests = new Counter({
      name: `${p}hub_requests_total`,
      help: 'HTTP requests to Docker Hub (each attempt), by endpoint and status (an HTTP status, network_error or timeout).',
      labelNames: ['endpoint', 'status'],
      registers,
    });
    this.hubDuration = new Histogram({
      name: `${p}hub_request_duration_seconds`,
      help: 'Duration of HTTP requests to Docker Hub, by endpoint.',
      labelNames: ['endpoint'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.hubRetries = new Counter({ name: `${p}hub_retries_total`, help: 'Docker Hub requests retried, by reason.', labelNames: ['reason'], registers });
    this.rateLimitPauses = new Counter({
      name: `${p}hub_rate_limit_pauses_total`,
      help: 'Pauses of all Docker Hub requests asked for by rate-limit headers, by header.',
      labelNames: ['source'],
      registers,
    });
    this.rateLimitPauseSeconds = new Counter({
      name: `${p}hub_rate_limit_pause_seconds_total`,
      help: 'Total length of the rate-limit pauses, in seconds, by header.',
      labelNames: ['source'],
      registers,
    });
    this.hubCircuitState = new Gauge({
      name: `${p}hub_circuit_state`,
      help: 'Circuit breaker of the Docker Hub host, as this process sees it: 0 closed (requests go), 1 half-open (one probe goes), 2 open (requests fail at once).',
      labelNames: ['host'],
      registers,
    });
    this.hubCircuitTransitions = new Counter({
      name: `${p}hub_circuit_transitions_total`,
      help: 'State changes of the Docker Hub circuit breaker, by host and the state entered.',
      labelNames: ['host', 'state'],
      registers,
    });
    this.scrapeRuns = new Counter({
      name: `${p}scrape_runs_total`,
      help: 'Scrape runs finished by this process, by trigger and final status.',
      labelNames: ['trigger', 'status'],
      registers,
    });
    this.scrapeRunDuration = new Histogram({
      name: `${p}scrape_run_duration_seconds`,
      help: 'Duration of finished scrape runs, by trigger and final status.',
      labelNames: ['trigger', 'status'],
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200],
      registers,
    });
    this.scrapeImages = new Counter({
      name: `${p}scrape_images_total`,
      help: 'Images scraped by this process, by outcome.',
      labelNames: ['outcome'],
      registers,
    });
    this.scrapeImageDuration = new Histogram({
      name: `${p}scrape_image_duration_seconds`,
      help: 'Time to scrape one image, by outcome.',
      labelNames: ['outcome'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
  }

  // ---------------------------------------------------------------- HTTP and GraphQL

  observeHttp(route: string, status: number, seconds: number): void {
    const labels = { route, status: String(status) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, seconds);
  }

  observeGraphql(e: { operationName: string | null | undefined; operationType: string | null | undefined; outcome: string; seconds: number }): void {
    const type = e.operationType ?? 'unknown';
    const outcome = /^[A-Z][A-Z0-9_]{0,49}$/.test(e.outcome) || e.outcome === 'ok' ? e.outcome : 'OTHER';
    this.gqlOperations.inc({ operation_name: this.operationLabel(e.operationName), operation_type: type, outcome });
    this.gqlDuration.observe({ operation_type: type, outcome }, e.seconds);
  }

  /** Names come from clients: bounded in length and in number, so that they cannot exhaust memory. */
  private operationLabel(name: string | null | undefined): string {
    if (!name) return 'anonymous';
    if (!/^[_A-Za-z][_0-9A-Za-z]{0,99}$/.test(name)) return '__invalid__';
    const clean = name;
    if (this.operationNames.has(clean)) return clean;
    if (this.operationNames.size >= MAX_OPERATION_NAMES) return '__other__';
    this.operationNames.add(clean);
    return clean;
  }

  /** Apollo plugin: one sample per operation (each operation of a batch counts). */
  apolloPlugin<T extends object>(): ApolloServerPlugin<T> {
    const metrics = this;
    return {
      async requestDidStart() {
        const started = process.hrtime.bigint();
        return {
          async willSendResponse(rc) {
            // Refused by validation, no operation was resolved: the parsed document still names it.
            const operation = rc.operation ?? (rc.document ? getOperationAST(rc.document, rc.request.operationName) : null);
            const body = rc.response.body;
            const errors: readonly GraphQLFormattedError[] | undefined =
              body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors;
            const code = errors?.length ? String(errors[0].extensions?.code ?? 'INTERNAL_SERVER_ERROR') : 'ok';
            metrics.observeGraphql({
              operationName: operation?.name?.value ?? rc.request.operationName,
              operationType: operation?.operation,
              outcome: code,
              seconds: Number(process.hrtime.bigint() - started) / 1e9,
            });
          },
        };
      },
    };
  }

  // ---------------------------------------------------------------- scraper (called by the sync engine)

  /** An observer for the Docker Hub client (`new DockerHubClient({ observer: metrics.hubObserver() })`). */
  hubObserver(): HubObserver {
    return {
      request: (e) => {
        this.hubRequests.inc({ endpoint: e.endpoint, status: String(e.status) });
        this.hubDuration.observe({ endpoint: e.endpoint }, e.durationMs / 1000);
      },
      retry: (e) => this.hubRetries.inc({ reason: reasonLabel(e.reason) }),
      rateLimitPause: (e) => {
        const source = reasonLabel(e.source);
        this.rateLimitPauses.inc({ source });
        this.rateLimitPauseSeconds.inc({ source }, Math.max(0, e.ms) / 1000);
      },
      circuitState: (e) => {
        this.hubCircuitState.set({ host: e.host }, CIRCUIT_STATE_VALUE[e.state]);
        this.hubCircuitTransitions.inc({ host: e.host, state: e.state });
      },
    };
  }

  /** The breaker's state before any change (so that the gauge exists from the start, at 0). */
  hubCircuitInitial(host: string): void {
    this.hubCircuitState.set({ host }, CIRCUIT_STATE_VALUE.CLOSED);
  }

  /** A run this process finished (or marked interrupted). */
  scrapeRunFinished(e: { trigger: ScrapeTrigger; status: FinishedRunStatus; durationSeconds: number }): void {
    this.scrapeRuns.inc({ trigger: e.trigger, status: e.status });
    this.scrapeRunDuration.observe({ trigger: e.trigger, status: e.status }, Math.max(0, e.durationSeconds));
  }

  /** An image this process finished scraping. */
  imageFinished(e: { outcome: ImageOutcomeLabel; durationSeconds?: number }): void {
    this.scrapeImages.inc({ outcome: e.outcome });
    if (e.durationSeconds !== undefined) this.scrapeImageDuration.observe({ outcome: e.outcome }, Math.max(0, e.durationSeconds));
  }

  // ---------------------------------------------------------------- exposition

  /** What the HTTP server needs for `GET /metrics` and for counting requests. */
  endpoint(): MetricsEndpoint {
    return {
      contentType: this.registry.contentType,
      render: () => {
        this.snapshot = undefined; // fresh database figures for every scrape
        return this.registry.metrics();
      },
      observeHttp: (route, status, seconds) => this.observeHttp(route, status, seconds),
    };
  }

  /**
   * The database figures, read once per scrape of /metrics (the gauges' collect callbacks
   * share it): one statement of counts, given {@link FIGURES_DEADLINE_MS}. A failure or a
   * late answer is logged and leaves the gauges as they were, marked stale by
   * `database_up 0` and a growing `catalog_figures_age_seconds`: /metrics still answers.
   */
  private dbSnapshot(): Promise<DbSnapshot | undefined> {
    const db = this.opts.db;
    if (!db) return Promise.resolve(undefined);
    const now = Date.now();
    if (this.snapshot && now - this.snapshot.at < 1_000) return this.snapshot.value;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the database did not answer within ${FIGURES_DEADLINE_MS} ms`)), FIGURES_DEADLINE_MS);
    });
    const query = db.query<DbSnapshot>(
        `SELECT
           (SELECT count(*) FROM processing_resource)::float8 AS resources,
           (SELECT count(*) FROM processing_instance)::float8 AS instances,
           (SELECT coalesce(jsonb_object_agg(s, n), '{}'::jsonb) FROM (
              SELECT coalesce(last_status, 'NONE') AS s, count(*) AS n FROM tracked_image WHERE removed_at IS NULL GROUP BY 1) t) AS tracked,
           (SELECT coalesce(jsonb_object_agg(status, n), '{}'::jsonb) FROM (
              SELECT status, count(*) AS n FROM scrape_run WHERE status IN ('QUEUED', 'RUNNING') GROUP BY 1) r) AS runs`,
    );
    query.catch(() => undefined); // a late failure, after the deadline answered
    const value = Promise.race([query, deadline])
      .finally(() => clearTimeout(timer))
      .then(
        (rows) => {
          this.figuresReadAt = Date.now();
          return rows[0];
        },
        (err) => {
          this.opts.logger?.warn({ err }, 'metrics: could not read the catalog figures from the database');
          return undefined;
        },
      );
    this.snapshot = { at: now, value };
    return value;
  }
}

/** How long a scrape of /metrics waits for the database figures. */
const FIGURES_DEADLINE_MS = 1_000;

/** `HTTP 503` → `http_503`, `network error` → `network_error`: short, stable label values. */
function reasonLabel(reason: string): string {
  return reason.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '').slice(0, 40) || 'unknown';
}
