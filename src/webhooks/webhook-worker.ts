import { createHmac, randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Db } from '../database/db';
import type { LiveConfig } from '../config/config';
import type { Logger } from '../shared/logger';
import type { EventFeed } from '../events/feed';
import { toCatalogEvent } from '../events/catalog-event.type';
import { sendWebhook, SendResult } from './sender';

export interface WebhookWorkerOptions {
  db: Db;
  logger: Logger;
  config: LiveConfig;
  feed?: EventFeed;
  userAgent: string;
  workerId?: string;
  /** The time every decision uses (due, backoff, retry window, disabling); injectable for tests. */
  clock?: () => Date;
}

interface Claimed {
  id: string;
  webhook_id: string;
  event_id: string | null;
  event_type: string;
  payload: Record<string, unknown> | null;
  attempts: number;
  created_at: Date;
  url: string;
  secret: string;
  e_id: string | null;
  e_type: string | null;
  e_occurred_at: Date | null;
  e_image: string | null;
  e_resource_id: string | null;
  e_instance_id: string | null;
  e_run_id: string | null;
  e_data: Record<string, unknown> | null;
}

/** Deliveries held per WEBHOOK_CONCURRENCY slot (sending or claimed and ready). */
const PREFETCH = 4;

/** Successes waiting for their batch write beyond which nothing new is claimed. */
const MAX_UNWRITTEN = 2_000;

interface Success {
  id: string;
  attempt: number;
  startedAt: Date;
  durationMs: number;
  status: number;
  finishedAt: Date;
  webhookId: string;
}

/** HMAC-SHA256 of the body with the webhook's secret, as sent in X-Catalog-Signature-256. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Sends webhook deliveries. Deliveries are rows created in the transaction of their event
 * (src/events/outbox.ts), so each (webhook, event) has exactly one; any process claims due
 * ones with `FOR UPDATE SKIP LOCKED` and a lease (twice WEBHOOK_TIMEOUT, at least the timeout + 5 s). A process that dies mid-send leaves its
 * claim to expire; another one sends again with the same X-Catalog-Delivery id (at least
 * once on the wire; receivers deduplicate by that id).
 *
 * Outcomes: 2xx succeeded; network errors, timeouts, 408, 429 and 5xx retried with
 * exponential backoff and jitter (or after `Retry-After`) until WEBHOOK_RETRY_WINDOW after the
 * event; any other status (redirects are not followed), or a refused target, fails at once.
 * A webhook whose attempts all failed for WEBHOOK_RETRY_WINDOW is disabled, with the reason,
 * and its pending deliveries fail. Every attempt is recorded.
 */
export class WebhookWorker {
  readonly workerId: string;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private unsubscribe: (() => void) | undefined;
  private readonly clock: () => Date;
  private readonly log: Logger;
  private readonly successes: (Success & { resolve: () => void; reject: (e: unknown) => void })[] = [];
  private flushing: Promise<void> | undefined;
  /** Claimed, waiting for a free slot. */
  private readonly ready: (Claimed & { leaseEnds: number })[] = [];
  /** Claimed but not sent in time: to hand back. */
  private readonly stale: string[] = [];
  private readonly recording = new Set<Promise<void>>();

  constructor(private readonly opts: WebhookWorkerOptions) {
    this.workerId = opts.workerId ?? `${os.hostname()}:${process.pid}:webhooks:${randomBytes(3).toString('hex')}`;
    this.clock = opts.clock ?? (() => new Date());
    this.log = opts.logger.child({ component: 'webhooks' });
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), this.opts.config.webhookPollMs);
    this.timer.unref();
    this.unsubscribe = this.opts.feed?.onEvent(() => this.kick());
    this.kick();
  }

  /** Lets sends in flight finish (each is bounded by WEBHOOK_TIMEOUT); claims nothing new. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.unsubscribe?.();
    await this.ticking?.catch(() => undefined);
    const unsent = [...this.stale.splice(0), ...this.ready.splice(0).map((c) => c.id)];
    await this.release(unsent).catch((err) => this.log.warn({ err }, 'could not hand back claimed webhook deliveries; their leases will expire'));
    await Promise.allSettled([...this.inFlight]);
    await Promise.allSettled([...this.recording]);
  }

  /** Looks for due deliveries now. */
  kick(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = this.tick()
      .catch((err) => this.log.warn({ err }, 'could not claim webhook deliveries; retrying at the next poll'))
      .finally(() => {
        this.ticking = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /**
   * Claims ahead: up to PREFETCH × WEBHOOK_CONCURRENCY deliveries are held (sending or ready to
   * send), so that a slot that frees starts its next send at once instead of waiting for a claim
   * round trip. A ready one whose lease would run out before its send could end is released
   * instead (back to PENDING, sent at once by whoever claims it next).
   */
  private async tick(): Promise<void> {
    const concurrency = this.opts.config.webhookConcurrency;
    if (this.stale.length > 0) await this.release(this.stale.splice(0));
    this.startSends();
    const want = concurrency * PREFETCH - this.inFlight.size - this.ready.length;
    // Back-pressure: while many successes wait to be written, claim nothing new (their writes kick again).
    if (want < Math.min(concurrency, 16) || this.stopped || this.successes.length >= MAX_UNWRITTEN) return;
    const leaseEnds = this.clock().getTime() + this.leaseMs;
    const claimed = await this.claim(want);
    for (const c of claimed) this.ready.push({ ...c, leaseEnds });
    this.startSends();
    // A full batch: more may be due; claim again as soon as there is room.
    if (claimed.length === want) this.again = true;
  }

  /** Starts sends from the claimed ones while slots are free. */
  private startSends(): void {
    const minLeft = this.opts.config.webhookTimeoutMs + 2_000;
    while (!this.stopped && this.inFlight.size < this.opts.config.webhookConcurrency && this.ready.length > 0) {
      const c = this.ready.shift()!;
      if (c.leaseEnds - this.clock().getTime() < minLeft) {
        this.stale.push(c.id);
        continue;
      }
      const p: Promise<void> = this.deliver(c)
        .catch((err) => this.log.error({ err, delivery: c.id }, 'webhook delivery failed unexpectedly; its lease will expire and it is retried'))
        .finally(() => {
          this.inFlight.delete(p);
          this.startSends();
          this.kick();
        });
      this.inFlight.add(p);
    }
    if (this.stale.length > 0) this.kick();
  }

  /** Hands claimed but unsent deliveries back (PENDING, the attempt not counted). */
  private async release(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.opts.db.query(
      `UPDATE webhook_delivery SET status = 'PENDING', attempts = attempts - 1, claimed_by = NULL, lease_expires_at = NULL
       WHERE id = ANY ($1::uuid[]) AND claimed_by = $2 AND status = 'SENDING'`,
      [ids, this.workerId],
    );
  }

  /** Longer than any send can take (the timeout bounds it) plus recording its outcome. */
  private get leaseMs(): number {
    return this.opts.config.webhookTimeoutMs + Math.max(5_000, this.opts.config.webhookTimeoutMs);
  }

  private async claim(limit: number): Promise<Claimed[]> {
    const now = this.clock();
    const leaseMs = this.leaseMs;
    return this.opts.db.query<Claimed>(
      `WITH c AS (
         SELECT d.id FROM webhook_delivery d JOIN webhook w ON w.id = d.webhook_id
         WHERE w.enabled AND d.status IN ('PENDING', 'SENDING')
           AND ((d.status = 'PENDING' AND d.next_attempt_at <= $1) OR (d.status = 'SENDING' AND d.lease_expires_at < $1))
         ORDER BY d.next_attempt_at
         LIMIT $2
         FOR UPDATE OF d SKIP LOCKED),
       u AS (
         UPDATE webhook_delivery d SET status = 'SENDING', attempts = d.attempts + 1, claimed_by = $3,
           lease_expires_at = $1::timestamptz + $4::interval
         FROM c WHERE d.id = c.id
         RETURNING d.id, d.webhook_id, d.event_id, d.event_type, d.payload, d.attempts, d.created_at)
       SELECT u.*, w.url, w.secret, e.id AS e_id, e.type AS e_type, e.occurred_at AS e_occurred_at, e.image AS e_image,
              e.resource_id AS e_resource_id, e.instance_id AS e_instance_id, e.run_id AS e_run_id, e.data AS e_data
       FROM u JOIN webhook w ON w.id = u.webhook_id LEFT JOIN catalog_event e ON e.id = u.event_id`,
      [now, limit, this.workerId, `${leaseMs} milliseconds`],
    );
  }

  private async deliver(c: Claimed): Promise<void> {
    const startedAt = this.clock();
    let body: string;
    if (c.payload) body = JSON.stringify(c.payload);
    else if (c.e_id) {
      body = JSON.stringify(
        toCatalogEvent({
          id: c.e_id,
          type: c.e_type!,
          occurred_at: c.e_occurred_at!,
          image: c.e_image,
          resource_id: c.e_resource_id,
          instance_id: c.e_instance_id,
          run_id: c.e_run_id,
          data: c.e_data ?? {},
        }),
      );
    } else {
      return this.record(c, startedAt, { durationMs: 0, refused: true, error: 'the event was pruned (CATALOG_EVENTS_RETENTION) before it could be delivered' });
    }
    const result = await sendWebhook({
      url: c.url,
      body,
      timeoutMs: this.opts.config.webhookTimeoutMs,
      allowPrivate: this.opts.config.webhookAllowPrivate,
      userAgent: this.opts.userAgent,
      now: () => this.clock().getTime(),
      headers: {
        'x-catalog-event': c.event_type,
        'x-catalog-delivery': c.id,
        'x-catalog-signature-256': signature(c.secret, body),
      },
    });
    await this.record(c, startedAt, result);
  }

  /**
   * Queues a success for the next batch write (one statement: the attempts, the deliveries, the
   * webhooks' failure windows reset), started at once when none is running, else right after it.
   * Resolves when written. A batch that cannot be written leaves its deliveries claimed: their
   * leases expire and they are sent again with the same delivery id.
   */
  private recordSuccess(s: Success): Promise<void> {
    return new Promise((resolve, reject) => {
      this.successes.push({ ...s, resolve, reject });
      this.flushSuccesses();
    });
  }

  private flushSuccesses(): void {
    if (this.flushing || this.successes.length === 0) return;
    const batch = this.successes.splice(0, 1_000);
    this.flushing = this.opts.db
      .query(
        `WITH v AS (
           SELECT * FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::int[], $5::int[], $6::timestamptz[])
             AS v(id, attempt, started_at, duration_ms, status, finished_at)),
         attempt AS (
           INSERT INTO webhook_delivery_attempt (delivery_id, attempt, started_at, duration_ms, response_status, error, outcome, worker)
           SELECT v.id, v.attempt, v.started_at, v.duration_ms, v.status, NULL, 'SUCCEEDED', $7 FROM v ON CONFLICT DO NOTHING),
         delivery AS (
           UPDATE webhook_delivery d SET status = 'SUCCEEDED', last_response_status = v.status, last_error = NULL, finished_at = v.finished_at,
             claimed_by = NULL, lease_expires_at = NULL
           FROM v WHERE d.id = v.id AND d.claimed_by = $7 AND d.attempts = v.attempt AND d.status = 'SENDING')
         UPDATE webhook SET failing_since = NULL WHERE id = ANY ($8::uuid[]) AND failing_since IS NOT NULL`,
        [
          batch.map((b) => b.id),
          batch.map((b) => b.attempt),
          batch.map((b) => b.startedAt),
          batch.map((b) => b.durationMs),
          batch.map((b) => b.status),
          batch.map((b) => b.finishedAt),
          this.workerId,
          [...new Set(batch.map((b) => b.webhookId))],
        ],
      )
      .then(
        () => batch.forEach((b) => b.resolve()),
        (err) => batch.forEach((b) => b.reject(err)),
      )
      .finally(() => {
        this.flushing = undefined;
        this.flushSuccesses();
        this.kick();
      });
  }

  private async record(c: Claimed, startedAt: Date, r: SendResult): Promise<void> {
    const cfg = this.opts.config;
    const now = this.clock();
    const ok = r.status !== undefined && r.status >= 200 && r.status < 300;
    const retryable = !r.refused && (r.status === undefined || r.status >= 500 || r.status === 429 || r.status === 408);
    let error = r.error ?? null;
    if (!ok && !error) error = r.status! >= 300 && r.status! < 400 ? `answered ${r.status} (redirects are not followed)` : `answered ${r.status}`;
    const deadline = c.created_at.getTime() + cfg.webhookRetryWindowMs;
    let outcome: 'SUCCEEDED' | 'RETRY' | 'FAILED' = ok ? 'SUCCEEDED' : 'FAILED';
    let next: Date | null = null;
    if (!ok && retryable) {
      const delay = r.retryAfterMs ?? backoff(c.attempts, cfg.webhookRetryBaseMs, cfg.webhookRetryMaxMs);
      if (now.getTime() + delay <= deadline) {
        outcome = 'RETRY';
        next = new Date(now.getTime() + delay);
      } else {
        error = `${error}; gave up: no success within ${Math.round(cfg.webhookRetryWindowMs / 1000)} s of the event`;
      }
    }
    if (ok) {
      // The common case, batched: the successes that came in meanwhile are written by one statement.
      this.log.debug({ delivery: c.id, webhook: c.webhook_id, event: c.event_type, attempt: c.attempts, status: r.status, ms: r.durationMs }, 'webhook delivered');
      // The send's slot is free at once; stop() waits for the write.
      const p: Promise<void> = this.recordSuccess({ id: c.id, attempt: c.attempts, startedAt, durationMs: r.durationMs, status: r.status!, finishedAt: now, webhookId: c.webhook_id })
        .catch((err) => this.log.error({ err, delivery: c.id }, 'could not record a webhook delivery; its lease will expire and it is sent again'))
        .finally(() => this.recording.delete(p));
      this.recording.add(p);
      return;
    }
    const disabled = await this.opts.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO webhook_delivery_attempt (delivery_id, attempt, started_at, duration_ms, response_status, error, outcome, worker)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
        [c.id, c.attempts, startedAt, r.durationMs, r.status ?? null, ok ? null : error, outcome, this.workerId],
      );
      await tx.query(
        `UPDATE webhook_delivery SET status = $3, next_attempt_at = coalesce($4, next_attempt_at), last_response_status = $5,
           last_error = $6, finished_at = CASE WHEN $3 IN ('SUCCEEDED', 'FAILED') THEN $7::timestamptz END,
           claimed_by = NULL, lease_expires_at = NULL
         WHERE id = $1 AND claimed_by = $2 AND attempts = $8 AND status = 'SENDING'`,
        [c.id, this.workerId, outcome === 'RETRY' ? 'PENDING' : outcome, next, r.status ?? null, ok ? null : error, now, c.attempts],
      );
      if (ok) {
        await tx.query(`UPDATE webhook SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL`, [c.webhook_id]);
        return null;
      }
      const [w] = await tx.query<{ failing_since: Date; enabled: boolean }>(
        `UPDATE webhook SET failing_since = coalesce(failing_since, $2) WHERE id = $1 RETURNING failing_since, enabled`,
        [c.webhook_id, now],
      );
      if (!w?.enabled || now.getTime() - w.failing_since.getTime() < cfg.webhookRetryWindowMs) return null;
      const reason = `disabled at ${now.toISOString()}: every delivery attempt failed since ${w.failing_since.toISOString()} (last: ${error})`;
      await tx.query(`UPDATE webhook SET enabled = false, disabled_reason = $2, updated_at = now() WHERE id = $1`, [c.webhook_id, reason]);
      await tx.query(
        `UPDATE webhook_delivery SET status = 'FAILED', last_error = $2, finished_at = $3, claimed_by = NULL, lease_expires_at = NULL
         WHERE webhook_id = $1 AND status = 'PENDING'`,
        [c.webhook_id, `webhook ${reason}`, now],
      );
      return reason;
    });
    const line = { delivery: c.id, webhook: c.webhook_id, event: c.event_type, attempt: c.attempts, status: r.status, ms: r.durationMs, outcome };
    if (ok) this.log.debug(line, 'webhook delivered');
    else this.log.warn({ ...line, error, nextAttemptAt: next }, 'webhook delivery attempt failed');
    if (disabled) this.log.warn({ webhook: c.webhook_id, reason: disabled }, 'webhook disabled');
  }
}

/** Exponential backoff with jitter: base·2^(attempt-1), at most `max`, then a random 50–100 % of it. */
export function backoff(attempt: number, baseMs: number, maxMs: number): number {
  const full = Math.min(maxMs, baseMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.round(full * (0.5 + Math.random() * 0.5));
}
