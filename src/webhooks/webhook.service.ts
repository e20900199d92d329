import { randomBytes, randomUUID } from 'node:crypto';
import net from 'node:net';
import { Db, UUID_RE } from '../database/db';
import { decodeCursor, Page, toPage } from '../graphql/connection';
import { BadUserInputError, NotFoundError } from '../graphql/errors';
import { CatalogEventService } from '../events/catalog-events.service';
import type { CatalogEventType } from '../events/catalog-event.type';
import { isPrivateAddress } from './ssrf';
import type { Webhook, WebhookDelivery, WebhookDeliveryAttempt, WebhookDeliveryStatus } from './webhook.types';

const WEBHOOK_COLUMNS = `w.id, w.url, w.description, w.events, w.images, w.enabled, w.disabled_reason AS "disabledReason",
  w.failing_since AS "failingSince", w.created_at AS "createdAt", w.updated_at AS "updatedAt"`;

const DELIVERY_COLUMNS = `d.id, d.webhook_id AS "webhookId", d.event_id::text AS "eventId", d.event_type AS "eventType", d.status,
  d.attempts, CASE WHEN d.status IN ('PENDING', 'SENDING') THEN d.next_attempt_at END AS "nextAttemptAt",
  d.last_response_status AS "lastResponseStatus", d.last_error AS "lastError", d.created_at AS "createdAt", d.finished_at AS "finishedAt"`;

export interface WebhookInput {
  url?: string | null;
  events?: CatalogEventType[] | null;
  images?: string[] | null;
  secret?: string | null;
  description?: string | null;
  enabled?: boolean | null;
}

/** Webhooks and their deliveries (the admin API). Sending is the worker's (webhook-worker.ts). */
export class WebhookService {
  constructor(
    private readonly db: Db,
    private readonly opts: { allowPrivate: boolean; onQueued?: () => void },
  ) {}

  async list(): Promise<Webhook[]> {
    return this.db.query<Webhook>(`SELECT ${WEBHOOK_COLUMNS} FROM webhook w ORDER BY w.created_at, w.id`);
  }

  async byId(id: string): Promise<Webhook> {
    const [row] = UUID_RE.test(id) ? await this.db.query<Webhook>(`SELECT ${WEBHOOK_COLUMNS} FROM webhook w WHERE w.id = $1`, [id]) : [];
    if (!row) throw new NotFoundError(`No webhook has the id "${id}".`, { id });
    return row;
  }

  async create(input: WebhookInput & { url: string }): Promise<{ webhook: Webhook; secret: string | null }> {
    const url = this.checkUrl(input.url, 'input.url');
    const images = this.images(input.images, 'input.images');
    const generated = input.secret ? null : randomBytes(32).toString('base64url');
    const [webhook] = await this.db.query<Webhook>(
      `INSERT INTO webhook AS w (id, url, description, events, images, secret)
       VALUES ($1, $2, $3, $4::text[], $5::text[], $6)
       RETURNING ${WEBHOOK_COLUMNS}`,
      [randomUUID(), url, input.description ?? '', input.events ?? [], images, input.secret ?? generated],
    );
    return { webhook, secret: generated };
  }

  async update(id: string, input: WebhookInput): Promise<Webhook> {
    await this.byId(id);
    const sets: string[] = [];
    const params: unknown[] = [id];
    const set = (column: string, value: unknown, cast = '') => sets.push(`${column} = $${params.push(value)}${cast}`);
    if (input.url != null) set('url', this.checkUrl(input.url, 'input.url'));
    if (input.events != null) set('events', input.events, '::text[]');
    if (input.images != null) set('images', this.images(input.images, 'input.images'), '::text[]');
    if (input.secret != null) set('secret', input.secret);
    if (input.description != null) set('description', input.description);
    if (input.enabled != null) {
      set('enabled', input.enabled);
      // Enabled again: a fresh start (the failure window and the reason go).
      if (input.enabled) sets.push('disabled_reason = NULL', 'failing_since = NULL');
    }
    if (sets.length === 0) return this.byId(id);
    const [row] = await this.db.query<Webhook>(
      `UPDATE webhook w SET ${sets.join(', ')}, updated_at = now() WHERE w.id = $1 RETURNING ${WEBHOOK_COLUMNS}`,
      params,
    );
    return row;
  }

  async delete(id: string): Promise<Webhook> {
    const webhook = await this.byId(id);
    await this.db.query(`DELETE FROM webhook WHERE id = $1`, [id]);
    return webhook;
  }

  /** Queues a PING for the webhook (even a disabled one is not sent to until enabled). */
  async ping(id: string): Promise<WebhookDelivery> {
    const webhook = await this.byId(id);
    const deliveryId = randomUUID();
    await this.db.query(
      `INSERT INTO webhook_delivery (id, webhook_id, event_type, payload) VALUES ($1, $2, 'PING', $3::jsonb)`,
      [deliveryId, id, JSON.stringify({ type: 'PING', webhookId: id, url: webhook.url, occurredAt: new Date().toISOString() })],
    );
    this.opts.onQueued?.();
    return (await this.deliveryById(deliveryId))!;
  }

  async deliveryById(id: string): Promise<WebhookDelivery | null> {
    const [row] = await this.db.query<WebhookDelivery>(`SELECT ${DELIVERY_COLUMNS} FROM webhook_delivery d WHERE d.id = $1`, [id]);
    if (!row) return null;
    const [attempts] = await this.attemptsOf([id]);
    return { ...row, attemptLog: attempts };
  }

  /** A webhook's deliveries, newest first. */
  async deliveries(q: { webhookId: string; status?: WebhookDeliveryStatus[] | null; first: number; after?: string | null }): Promise<Page<WebhookDelivery>> {
    await this.byId(q.webhookId);
    const ordering = 'deliveries:created:desc';
    const params: unknown[] = [q.webhookId];
    let where = 'd.webhook_id = $1';
    if (q.status?.length) where += ` AND d.status = ANY($${params.push(q.status)}::text[])`;
    const countWhere = where;
    const countParams = [...params];
    if (q.after) {
      const k = decodeCursor(ordering, q.after);
      if (!k.key || !UUID_RE.test(k.id)) throw BadUserInputError.field('after', 'not a cursor returned by this API');
      where += ` AND (d.created_at, d.id) < ($${params.push(k.key)}::timestamptz, $${params.push(k.id)}::uuid)`;
    }
    const rows = await this.db.query<WebhookDelivery & { _sortKey: string }>(
      `SELECT ${DELIVERY_COLUMNS}, to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "_sortKey"
       FROM webhook_delivery d WHERE ${where} ORDER BY d.created_at DESC, d.id DESC LIMIT $${params.push(q.first + 1)}`,
      params,
    );
    const attempts = await this.attemptsOf(rows.slice(0, q.first).map((r) => r.id));
    const byId = new Map(rows.map((r, i) => [r.id, attempts[i] ?? []]));
    return toPage(rows, q.first, ordering, q.after, (r) => ({ ...r, attemptLog: byId.get(r.id) ?? [] }), async () => {
      const [row] = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_delivery d WHERE ${countWhere}`, countParams);
      return row.n;
    });
  }

  private async attemptsOf(ids: readonly string[]): Promise<WebhookDeliveryAttempt[][]> {
    if (ids.length === 0) return [];
    const rows = await this.db.query<WebhookDeliveryAttempt & { deliveryId: string }>(
      `SELECT delivery_id AS "deliveryId", attempt, started_at AS "startedAt", duration_ms AS "durationMs",
              response_status AS "responseStatus", error, outcome, worker
       FROM webhook_delivery_attempt WHERE delivery_id = ANY($1::uuid[]) ORDER BY delivery_id, attempt`,
      [ids],
    );
    return ids.map((id) => rows.filter((r) => r.deliveryId === id));
  }

  /** Static checks of a target (the resolved address is checked again at every send). */
  private checkUrl(raw: string, field: string): string {
    let url: URL;
    try {
      url = new URL(raw.trim());
    } catch {
      throw BadUserInputError.field(field, 'not a valid URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw BadUserInputError.field(field, 'must be an http or https URL');
    if (!this.opts.allowPrivate) {
      const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
      if ((net.isIP(host) && isPrivateAddress(host)) || host === 'localhost' || host.endsWith('.localhost')) {
        throw BadUserInputError.field(field, `${host} is a loopback, private or link-local target (allowed only with WEBHOOK_ALLOW_PRIVATE=true)`);
      }
    }
    return url.toString();
  }

  private images(raw: readonly string[] | null | undefined, field: string): string[] {
    return [...(CatalogEventService.normaliseFilter({ images: raw ?? [] }, field.replace(/\.images$/, '')).images ?? [])];
  }
}
