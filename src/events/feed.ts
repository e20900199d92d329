import pg from 'pg';
import type { Db } from '../database/db';
import type { Logger } from '../shared/logger';
import type { CatalogEvent } from './catalog-event.type';
import { CatalogEventService } from './catalog-events.service';
import { EVENTS_CHANNEL, PROGRESS_CHANNEL } from './outbox';

export interface EventFeedOptions {
  db: Db;
  events: CatalogEventService;
  logger: Logger;
  /** Safety-net poll when no notification arrives (a notification can be lost on a reconnect). */
  pollMs: number;
  /** CATALOG_EVENTS_RETENTION; pruned every `pruneEveryMs`. */
  retentionMs: number;
  pruneEveryMs?: number;
}

type EventListener = (e: CatalogEvent) => void;
type ProgressListener = (runId: string) => void;

/**
 * This process's view of the change feed: one dedicated connection LISTENs for wake-ups
 * (new events, scrape progress) from every replica; the table is the truth, so a wake-up
 * only makes it read `catalog_event` after the last id it delivered, in id (= commit) order.
 * A lost notification (reconnect, restart of PostgreSQL) costs at most one poll interval.
 * Listeners (subscriptions, the webhook worker) get every event once, in order.
 */
export class EventFeed {
  private client: pg.Client | undefined;
  private lastId = '0';
  private readonly listeners = new Set<EventListener>();
  private readonly progressListeners = new Set<ProgressListener>();
  private draining: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly log: Logger;

  constructor(private readonly opts: EventFeedOptions) {
    this.log = opts.logger.child({ component: 'event-feed' });
  }

  /** Listeners of events now (subscriptions, the webhook worker). */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** The id of the last event delivered to listeners. */
  get position(): string {
    return this.lastId;
  }

  async start(): Promise<void> {
    this.lastId = await this.opts.events.lastId();
    await this.connect();
    this.pollTimer = setInterval(() => this.wake(), this.opts.pollMs);
    this.pollTimer.unref();
    const pruneEvery = this.opts.pruneEveryMs ?? 10 * 60_000;
    this.pruneTimer = setInterval(() => void this.prune(), pruneEvery);
    this.pruneTimer.unref();
    void this.prune();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearInterval(this.pruneTimer);
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
    await this.draining?.catch(() => undefined);
    this.listeners.clear();
    this.progressListeners.clear();
  }

  /** Calls `fn` with every event committed from now on; returns the unsubscribe function. */
  onEvent(fn: EventListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Calls `fn` with a run id whenever an image of that run finished (on any replica). */
  onProgress(fn: ProgressListener): () => void {
    this.progressListeners.add(fn);
    return () => this.progressListeners.delete(fn);
  }

  /** Reads and delivers what is new (also called by the poll timer). */
  wake(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain()
      .catch((err) => this.log.warn({ err }, 'could not read the change feed; retrying at the next wake-up'))
      .finally(() => {
        this.draining = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async drain(): Promise<void> {
    for (;;) {
      const batch = await this.opts.events.read(this.lastId, 500);
      for (const e of batch) {
        this.lastId = e.id;
        for (const fn of this.listeners) {
          try {
            fn(e);
          } catch (err) {
            this.log.error({ err }, 'a change feed listener failed');
          }
        }
      }
      if (batch.length < 500 || this.stopped) return;
      await new Promise((r) => setImmediate(r)); // let subscribers send what they got before the next batch
    }
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ ...(this.opts.db.pool.options as pg.ClientConfig), application_name: 'catalog-sync events' });
    client.on('notification', (msg) => {
      if (msg.channel === EVENTS_CHANNEL) this.wake();
      else if (msg.channel === PROGRESS_CHANNEL && msg.payload) {
        for (const fn of this.progressListeners) fn(msg.payload);
      }
    });
    client.on('error', (err) => {
      if (this.stopped) return;
      this.log.warn({ err }, 'the change feed connection failed; reconnecting');
      this.scheduleReconnect(client);
    });
    client.on('end', () => {
      if (!this.stopped) this.scheduleReconnect(client);
    });
    await client.connect();
    await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    await client.query(`LISTEN ${PROGRESS_CHANNEL}`);
    this.client = client;
  }

  private scheduleReconnect(failed: pg.Client): void {
    if (this.client !== failed || this.stopped) return;
    this.client = undefined;
    void failed.end().catch(() => undefined);
    this.reconnectTimer = setTimeout(() => {
      this.connect()
        .then(() => this.wake()) // whatever committed meanwhile
        .catch((err) => {
          this.log.warn({ err }, 'could not reconnect the change feed; retrying');
          this.client = failed;
          this.scheduleReconnect(failed);
        });
    }, 1_000);
    this.reconnectTimer.unref();
  }

  private async prune(): Promise<void> {
    try {
      const n = await this.opts.events.prune(this.opts.retentionMs);
      if (n > 0) this.log.info({ deleted: n, retentionMs: this.opts.retentionMs }, 'pruned old catalog events');
    } catch (err) {
      this.log.warn({ err }, 'could not prune catalog events');
    }
  }
}
