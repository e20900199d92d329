import 'reflect-metadata';
import './graphql/production-mode';
import type { DataSource } from 'typeorm';
import type { ApolloServer } from '@apollo/server';
import { Config, redactUrl } from './config/config';
import { createLogger, Logger } from './shared/logger';
import { createDataSource, runMigrations } from './database/data-source';
import { Db } from './database/db';
import { EmbeddedDatabase, startEmbeddedPostgres } from './database/embedded';
import { MIGRATIONS } from '../migrations';
import { CatalogService } from './catalog/catalog.service';
import { EnrichmentService } from './catalog/enrichment.service';
import { Metrics } from './observability/metrics';
import { TrackingService } from './tracking/tracking.service';
import { ScrapeRunService } from './scraping/runs/scrape-run.service';
import { resolveAdminToken } from './auth/admin-token';
import { buildAppSchema } from './graphql/schema';
import { createApollo } from './graphql/apollo';
import { createContext, GraphQLContext } from './graphql/context';
import type { Services } from './graphql/services';
import { RunningHttpServer, startHttpServer } from './http/server';
import { DockerHubClient } from './scraping/hub';
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
  /** The clock of the webhook worker (tests move it to reach the failure window). */
  clock?: () => Date;
}

/** Everything a process needs, in order: database → migrations → image list → schema → HTTP. */
export async function startApp(config: Config, opts: StartOptions = {}): Promise<App> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const cleanup: (() => Promise<void>)[] = [];
  const step = (name: string, extra: Record<string, unknown> = {}) => logger.info({ step: name, ...extra }, name);
  try {
    let url = config.databaseUrl;
    let embedded: EmbeddedDatabase | undefined;
    if (!url) {
      step('embedded-postgres', { dataDir: config.dataDir });
      embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, logger });
      cleanup.unshift(() => embedded!.stop());
      url = embedded.url;
      logger.info({ step: 'embedded-postgres', port: embedded.port }, 'embedded PostgreSQL is running');
    }

    step('database', { url: redactUrl(url) });
    const dataSource = createDataSource({ url, poolSize: config.databasePoolSize, logger });
    await dataSource.initialize();
    cleanup.unshift(() => dataSource.destroy());

    step('migrations');
    await runMigrations(dataSource, logger);

    const db = Db.fromDataSource(dataSource);
    const metrics = new Metrics({ db, logger });
    const hub = new DockerHubClient({
      config: config.dockerHub,
      logger: logger.child({ component: 'docker-hub' }),
      observer: metrics.hubObserver(),
    });
    cleanup.unshift(() => hub.close());
    const engine = new ScrapeEngine({
      db,
      hub,
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
    };
    if (opts.reconcile === 'if-empty') await services.tracking.seedIfEmpty(config.scraper.images, config.scraper.imagesSource);
    else await services.tracking.reconcileWithConfig(config.scraper.images, config.scraper.imagesSource);

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
      close: () => (closed ??= runCleanup(cleanup, logger)),
    };
    if (opts.http === false) return app;

    const admin = await resolveAdminToken(config.adminToken, config.dataDir, logger);

    step('graphql-schema');
    const schema = await buildAppSchema();
    const apollo: ApolloServer<GraphQLContext> = createApollo({ schema, logger, limits: config.graphql, plugins: [metrics.apolloPlugin()] });
    await apollo.start();
    cleanup.unshift(() => apollo.stop());

    step('http', { port: config.port, host: config.host });
    const server = await startHttpServer(
      {
        apollo,
        logger,
        maxBodyBytes: config.graphql.maxBodyBytes,
        maxBatch: config.graphql.maxBatch,
        landingPage: config.graphql.landingPage,
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
          async ready() {
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

    return Object.assign(app, { http: server, url: server.url });
  } catch (e) {
    await runCleanup(cleanup, logger);
    throw e;
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
