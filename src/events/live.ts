import type http from 'node:http';
import type { GraphQLSchema } from 'graphql';
import type { Config } from '../config/config';
import { VERSION } from '../config/config';
import type { Db } from '../database/db';
import type { Logger } from '../shared/logger';
import type { Services } from '../graphql/services';
import type { ScrapeRunService } from '../scraping/runs/scrape-run.service';
import { LiveHub } from '../subscriptions/live-hub';
import { attachSubscriptionServer, SubscriptionServer } from '../subscriptions/ws-server';
import { WebhookService } from '../webhooks/webhook.service';
import { WebhookWorker } from '../webhooks/webhook-worker';
import { CatalogEventService } from './catalog-events.service';
import { EventFeed } from './feed';

export interface Live {
  feed: EventFeed;
  worker: WebhookWorker;
  services: Pick<Services, 'events' | 'live' | 'webhooks'>;
  /** The subscription server, once attached. */
  readonly subscriptions: SubscriptionServer | undefined;
  /** Starts reading the feed and sending webhooks. */
  start(): Promise<void>;
  /** Serves subscriptions (graphql-ws) on the HTTP server's /graphql. */
  attach(server: http.Server, schema: GraphQLSchema, services: Services): SubscriptionServer;
  stop(): Promise<void>;
}

/** Live changes for one process: the feed reader, the subscription sources, the webhook worker (call `start`). */
export function createLive(opts: { db: Db; runs: ScrapeRunService; config: Config; logger: Logger; clock?: () => Date }): Live {
  const { db, config, logger } = opts;
  const events = new CatalogEventService(db);
  const feed = new EventFeed({ db, events, logger, pollMs: config.live.eventsPollMs, retentionMs: config.live.eventsRetentionMs });
  const worker = new WebhookWorker({
    db,
    logger,
    config: config.live,
    feed,
    clock: opts.clock,
    userAgent: `catalog-sync-webhooks/${VERSION} node/${process.versions.node}`,
  });
  const live = new LiveHub({ feed, runs: opts.runs, logger });
  const webhooks = new WebhookService(db, { allowPrivate: config.live.webhookAllowPrivate, onQueued: () => worker.kick() });
  let subscriptions: SubscriptionServer | undefined;
  return {
    feed,
    worker,
    services: { events, live, webhooks },
    get subscriptions() {
      return subscriptions;
    },
    async start() {
      await feed.start();
      worker.start();
    },
    attach: (server, schema, services) =>
      (subscriptions = attachSubscriptionServer(server, {
        schema,
        services,
        logger,
        limits: config.graphql,
        subscriptions: { maxPerConnection: config.live.subscriptionsPerConnection, maxTotal: config.live.subscriptionsTotal },
      })),
    async stop() {
      live.closeAll();
      await worker.stop();
      await feed.stop();
    },
  };
}
