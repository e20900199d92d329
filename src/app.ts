import 'reflect-metadata';
import net from 'node:net';
import './graphql/production-mode';
import type { DataSource } from 'typeorm';
import type { ApolloServer } from '@apollo/server';
import { Config, redactUrl } from './config/config';
import { createLogger, Logger } from './shared/logger';
import { createDataSource, runMigrations } from './database/data-source';
import { Db } from './database/db';
import { DataDirInUseError, EmbeddedDatabase, startEmbeddedPostgres } from './database/embedded';
import { isDatabaseUnavailable, isPermanentConnectError } from './database/db-errors';
import { MIGRATIONS } from '../migrations';
import { CatalogService } from './catalog/catalog.service';
import { EnrichmentService } from './catalog/enrichment.service';
import { Metrics } from './observability/metrics';
import { TrackingService } from './tracking/tracking.service';
import { ScrapeRunService } from './scraping/runs/scrape-run.service';
import { resolveAdminToken } from './auth/admin-token';
import { buildAppSchema } from './graphql/schema';
import { createApollo } from './graphql/apollo';
import { CompiledReads } from './graphql/compiled/fast-path';
import { createContext, GraphQLContext } from './graphql/context';
import type { Services } from './graphql/services';
import { RunningHttpServer, startHttpServer } from './http/server';
import { DockerHubClient } from './scraping/hub';
import { DOCKER_HUB_REGISTRY_HOST, OciRegistryClient } from './scraping/registry/registry-client';
import type { RegistryClient } from './scraping/registry/registry-types';
import { countRequest } from './scraping/request-count';
import { ScrapeEngine } from './scraping/scrape-engine';
import { ScrapeService } from './scraping/scrape.service';
import { createLive, Live } from './events/live';

export interface App {
  config: Config;
  logger: Logger;
  dataSource: DataSource;
  db: Db;
  services: Services;
  /** Prometheus metrics of this instance (GET /metrics); the engine records scraper metrics here. */
  metrics: Metrics;
  engine: ScrapeEngine;
  /** Live changes: change feed, subscriptions, webhooks. */
  live: Live;
  /** Absent when started with `http: false`. */
  http?: RunningHttpServer;
  /** The compiled read path, unless GRAPHQL_COMPILED_READS=false or started without HTTP. */
  compiledReads?: CompiledReads;
  /** Base URL of the HTTP server, e.g. `http://localhost:4000`; empty without one. */
  url: string;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Skip the HTTP server (the scrape command needs only the database and the engine). */
  http?: boolean;
  /**
   * How the tracked list meets the configured one: `full` (the service, at every start) or
   * `if-empty` (the scrape command: seeds a new database, never edits an existing list).
   */
  reconcile?: 'full' | 'if-empty';
  /**
   * Embedded database only: when another live process owns the data directory, connect to
   * its server as a client (the scrape command) instead of refusing to start (the service).
   */
  shareEmbedded?: boolean;
  /**
   * Called when the process cannot go on (the embedded database exited and could not be
   * restarted): the caller should close the app and exit non-zero, so that an outer
   * supervisor restarts it. Meanwhile /healthz answers 503.
   */
  onFatal?: (err: Error) => void;
  /**
   * The OCI Distribution client the engine reads other registries (and Docker Hub's image
   * configs) with; its `hubRegistryHost` is the host that serves Docker Hub images' manifests.
   */
  registry?: { client: RegistryClient; hubRegistryHost?: string };
  /** The clock of the webhook worker (tests move it to reach the failure window). */
  clock?: () => Date;
}

/**
 * A start-up failure with a message meant to be printed as it is, on one line (the port is
 * taken, the database is unreachable, the data directory has another owner).
 */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/** Everything a process needs, in order: database → migrations → image list → schema → HTTP. */
export async function startApp(config: Config, opts: StartOptions = {}): Promise<App> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const cleanup: (() => Promise<void>)[] = [];
  const step = (name: string, extra: Record<string, unknown> = {}) => logger.info({ step: name, ...extra }, name);
  let portProbe: net.Server | undefined;
  try {
    // The HTTP port is bound before anything else starts, so that a taken port fails at
    // once, not after the database came up. Released just before the HTTP server listens.
    if (opts.http !== false && config.port !== 0) portProbe = await bindPort(config.port, config.host);

    let url = config.databaseUrl;
    let embedded: EmbeddedDatabase | undefined;
    let fatal: Error | undefined;
    if (!url) {
      step('embedded-postgres', { dataDir: config.dataDir });
      try {
        embedded = await startEmbeddedPostgres({
          dataDir: config.dataDir,
          logger,
          share: opts.shareEmbedded === true,
          maxRestarts: config.database.embeddedRestarts,
        });
      } catch (e) {
        if (e instanceof DataDirInUseError) throw new StartupError(e.message);
        throw e;
      }
      cleanup.unshift(() => embedded!.stop());
      url = embedded.url;
      embedded.onFailed((err) => {
        fatal = err;
        opts.onFatal?.(err);
      });
      logger.info({ step: 'embedded-postgres', port: embedded.port, role: embedded.role, ownerPid: embedded.ownerPid }, 'embedded PostgreSQL is running');
    }

    step('database', { url: redactUrl(url) });
    // Migrations run without the statement deadline (an index build may take minutes), on
    // their own short-lived connection; the service's pool has the deadlines.
    const migrator = createDataSource({ url, poolSize: 2, logger, statementTimeoutMs: 0, acquireTimeoutMs: config.database.acquireTimeoutMs });
    await connectWithRetry(migrator, url, embedded ? 0 : config.database.connectTimeoutMs, logger);
    try {
      step('migrations');
      await runMigrations(migrator, logger);
    } finally {
      await migrator.destroy();
    }

    const dataSource = createDataSource({
      url,
      poolSize: config.databasePoolSize,
      logger,
      statementTimeoutMs: config.database.statementTimeoutMs,
      acquireTimeoutMs: config.database.acquireTimeoutMs,
    });
    await connectWithRetry(dataSource, url, embedded ? 0 : config.database.connectTimeoutMs, logger);
    cleanup.unshift(() => dataSource.destroy());

    const db = Db.fromDataSource(dataSource);
    const metrics = new Metrics({ db, logger });
    const hubObserver = metrics.hubObserver();
    const hubHost = new URL(config.dockerHub.url).host;
    const hub = new DockerHubClient({
      config: config.dockerHub,
      logger: logger.child({ component: 'docker-hub' }),
      // Every attempt also counts towards the image's (and run's) requests per host.
      observer: { ...hubObserver, request: (e) => (countRequest(hubHost), hubObserver.request?.(e)) },
    });
    metrics.hubCircuitInitial(hub.circuit().host);
    cleanup.unshift(() => hub.close());
    // Other registries, and Docker Hub images' manifests and image configs (registry-1.docker.io).
    let registry = opts.registry?.client;
    if (!registry) {
      const client = new OciRegistryClient({
        config: config.registry,
        logger: logger.child({ component: 'registry' }),
        observer: { request: (e) => countRequest(e.host) },
      });
      cleanup.unshift(() => client.close());
      registry = client;
    }
    const engine = new ScrapeEngine({
      db,
      hub,
      registry,
      // The client sends this host to DOCKER_HUB_REGISTRY_URL (a mirror, or a fake in tests), over
      // plain http when that URL says so; any other name would be a registry of its own.
      hubRegistryHost: opts.registry?.hubRegistryHost ?? DOCKER_HUB_REGISTRY_HOST,
      config: config.scraper,
      logger,
      observer: {
        imageFinished: (e) => metrics.imageFinished({ outcome: e.status, durationSeconds: e.seconds }),
        runFinished: (e) => metrics.scrapeRunFinished({ trigger: e.trigger, status: e.status, durationSeconds: e.seconds }),
      },
    });
    const runs = new ScrapeRunService(db);
    const live = createLive({ db, runs, config, logger, clock: opts.clock });
    const services: Services = {
      ...live.services,
      config,
      catalog: new CatalogService(db),
      tracking: new TrackingService(db, config.scraper.maxTags, logger),
      runs,
      scrape: new ScrapeService(engine, runs),
      enrichment: new EnrichmentService(db),
      hub,
    };
    if (opts.reconcile === 'if-empty') await services.tracking.seedIfEmpty(config.scraper.images, config.scraper.imagesSource);
    else await services.tracking.reconcileWithConfig(config.scraper.images, config.scraper.imagesSource);
    await services.tracking.applyConfiguredTagFilters(config.scraper.imageTagFilters);

    // Started before the HTTP server, so that it stops after it: on shutdown no request is
    // taken any more while the engine finishes (or hands back) the images in flight.
    step('scraper', { enabled: config.scraper.enabled });
    cleanup.unshift(() => live.stop()); // stops after the engine, whose last commits still write events
    await engine.start();
    cleanup.unshift(() => engine.stop());
    await live.start();

    let closed: Promise<void> | undefined;
    const app: App = {
      config,
      logger,
      dataSource,
      db,
      services,
      metrics,
      engine,
      live,
      url: '',
      close: () => {
        embedded?.expectExit();
        return (closed ??= runCleanup(cleanup, logger));
      },
    };
    if (opts.http === false) return app;

    const admin = await resolveAdminToken(config.adminToken, config.dataDir, logger);

    step('graphql-schema');
    const schema = await buildAppSchema();
    const apollo: ApolloServer<GraphQLContext> = createApollo({ schema, logger, limits: config.graphql, plugins: [metrics.apolloPlugin()] });
    await apollo.start();
    cleanup.unshift(() => apollo.stop());
    const compiledReads = config.graphql.compiledReads
      ? new CompiledReads({ schema, limits: config.graphql, pool: db.pool, logger, observe: (e) => metrics.observeGraphql(e) })
      : undefined;

    step('http', { port: config.port, host: config.host });
    await closeServer(portProbe);
    portProbe = undefined;
    const server = await startHttpServer(
      {
        apollo,
        logger,
        maxBodyBytes: config.graphql.maxBodyBytes,
        maxBatch: config.graphql.maxBatch,
        maxConcurrent: config.graphql.maxConcurrent,
        maxParseDepth: config.graphql.maxParseDepth,
        landingPage: config.graphql.landingPage,
        compiledReads,
        examples: !config.production,
        metrics: metrics.endpoint(),
        context: async ({ requestId, logger: requestLogger, authorization, signal }) =>
          createContext({
            requestId,
            logger: requestLogger,
            services,
            isAdmin: admin.verify(authorization),
            authorizationGiven: (authorization ?? '').trim() !== '',
            signal,
          }),
        health: {
          failing: () => (fatal ? 'the embedded database is down and could not be restarted' : undefined),
          async ready() {
            // Honest and steady: while the supervisor restarts the embedded server, not ready.
            const state = embedded?.state();
            if (state && state !== 'running') throw new Error(`embedded database ${state}`);
            const names = MIGRATIONS.map((m) => new m().name);
            let row: { n: number };
            try {
              [row] = await withTimeout(
                db.query<{ n: number }>('SELECT count(*)::int AS n FROM typeorm_migrations WHERE name = ANY($1::text[])', [names]),
                2_000,
                'the database did not answer within 2 s',
              );
            } catch (err) {
              // The details (hosts, users) go to the log; the public probe says what, not where.
              logger.warn({ err }, 'readiness check: database unreachable');
              throw new Error('database unreachable');
            }
            if (row.n !== names.length) throw new Error(`${names.length - row.n} migration(s) not applied`);
            return { database: 'ok', migrations: names.length };
          },
        },
      },
      config.port,
      config.host,
    );
    cleanup.unshift(() => server.close(config.scraper.shutdownGraceMs));
    const subscriptions = live.attach(server.server, schema, services);
    cleanup.unshift(() => subscriptions.close()); // closed (1001) before the HTTP server stops
    logger.info({ step: 'ready', url: server.url, graphql: `${server.url}/graphql` }, `catalog-sync is listening on ${server.url}/graphql`);

    return Object.assign(app, { http: server, url: server.url, compiledReads });
  } catch (e) {
    await closeServer(portProbe);
    await runCleanup(cleanup, logger);
    throw e;
  }
}

function bindPort(port: number, host: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    // Holds the port while the database starts. A client that connects meanwhile (a probe, a
    // load balancer) is hung up on at once: an open connection would keep close() waiting.
    const srv = net.createServer((socket) => socket.destroy());
    srv.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new StartupError(
          e.code === 'EADDRINUSE'
            ? `port ${port} on ${host} is already in use: stop what listens there or set PORT to a free port`
            : `cannot listen on ${host}:${port}: ${e.code ?? e.message}`,
        ),
      ),
    );
    srv.listen(port, host, () => resolve(srv));
  });
}

function closeServer(srv: net.Server | undefined): Promise<void> {
  return new Promise((resolve) => (srv ? srv.close(() => resolve()) : resolve()));
}

/**
 * Connects the data source. With an external database (`waitMs` > 0) a database that does
 * not accept connections yet (refused, unknown host, starting up) is waited for with
 * backoff (0.5 s doubling to 5 s) up to `waitMs`, so that a service started together with
 * its database does not crash-loop; a refused password or a missing database fails at once.
 */
async function connectWithRetry(ds: DataSource, url: string, waitMs: number, logger: Logger): Promise<void> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      await ds.initialize();
      if (attempt > 1) logger.info({ attempt, waitedMs: Date.now() - started }, 'the database accepts connections');
      return;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const where = redactUrl(url);
      if (isPermanentConnectError(err) || !isDatabaseUnavailable(err)) {
        throw new StartupError(`cannot use the database at ${where}: ${reason}`);
      }
      const elapsed = Date.now() - started;
      if (elapsed >= waitMs) {
        throw new StartupError(
          `the database at ${where} is unreachable${waitMs > 0 ? ` after ${Math.round(elapsed / 1000)} s (DATABASE_CONNECT_TIMEOUT)` : ''}: ${reason || (err as { code?: string }).code}`,
        );
      }
      // A failed initialize() leaves the driver's pool behind: end it before the next attempt.
      await (ds.driver as unknown as { master?: { end(): Promise<void> } }).master?.end().catch(() => undefined);
      const pause = Math.min(5_000, 500 * 2 ** (attempt - 1), waitMs - elapsed);
      logger.warn({ attempt, retryInMs: pause, reason }, 'waiting for the database');
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}

async function runCleanup(steps: (() => Promise<void>)[], logger: Logger): Promise<void> {
  for (const s of steps) {
    try {
      await s();
    } catch (err) {
      logger.warn({ err }, 'error during shutdown');
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}
