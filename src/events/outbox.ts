import type { Queryable } from '../database/db';

/**
 * The change feed's write side: events are rows of `catalog_event`, inserted in the
 * transaction of the change they describe, so an event exists exactly when its change
 * committed.
 *
 * Commit order: every transaction that appends takes {@link EVENT_LOCK_KEY} (an advisory
 * transaction lock) first, and holds it until it commits. Ids (bigint identity) are therefore
 * handed out in commit order: a reader that has seen id N will never see an id below N
 * commit later, so `id > cursor` is a complete read. The lock is held only for the last
 * statements of a transaction: call {@link appendEvents} LAST, after every other write and
 * row lock of the transaction (holders of the lock then wait on nothing else, so it cannot
 * take part in a deadlock).
 *
 * Webhook deliveries are created by the same statement (one row per matching enabled
 * webhook), and `pg_notify` wakes the replicas when the transaction commits.
 */
export const EVENT_LOCK_KEY = 7_301_940_011;

/** NOTIFY channel: new events were committed (payload: the highest new id). A wake-up only. */
export const EVENTS_CHANNEL = 'catalog_events';

/** NOTIFY channel: an image of a scrape run finished (payload: the run id). A wake-up only. */
export const PROGRESS_CHANNEL = 'catalog_scrape_progress';

export type CatalogEventTypeName =
  | 'RESOURCE_CREATED'
  | 'RESOURCE_UPDATED'
  | 'INSTANCE_ADDED'
  | 'INSTANCE_UPDATED'
  | 'INSTANCE_DELETED_UPSTREAM'
  | 'SCRAPE_RUN_STARTED'
  | 'SCRAPE_RUN_FINISHED';

export interface NewCatalogEvent {
  type: CatalogEventTypeName;
  /** Canonical image name. */
  image?: string | null;
  resourceId?: string | null;
  instanceId?: string | null;
  runId?: string | null;
  /** Type-specific details (see CatalogEvent in the schema). */
  data?: Record<string, unknown>;
}

/**
 * This process's cost of the commit-order lock (for the live benchmark): transactions that
 * appended, total and longest wait for the lock (measured in PostgreSQL), and the rest of the
 * statement's time as seen from here (the insert under the lock plus the round trip). The lock
 * is then held until the caller's COMMIT returns.
 */
export const outboxTiming = { transactions: 0, lockWaitMs: 0, maxLockWaitMs: 0, insertMs: 0 };

/**
 * Appends events in the caller's transaction; must be its last write (see above). Each event's
 * `occurred_at` is the clock at this insert (`clock_timestamp()`, under the lock, just before
 * the commit), not the transaction's start: a scrape transaction may have begun well before.
 */
export async function appendEvents(tx: Queryable, events: readonly NewCatalogEvent[]): Promise<void> {
  if (events.length === 0) return;
  const t0 = performance.now();
  const records = events.map((e) => ({
    type: e.type,
    image: e.image ?? null,
    resource_id: e.resourceId ?? null,
    instance_id: e.instanceId ?? null,
    run_id: e.runId ?? null,
    data: e.data ?? {},
  }));
  // The lock, the events, their deliveries and the wake-up in ONE statement: the lock is held
  // from here to the caller's COMMIT, one round trip less than a separate SELECT of it (under
  // load, each round trip through a busy event loop is what holders wait for). Every row of the
  // insert joins the materialised lock, so no identity value is drawn before it is taken.
  const [{ waited_ms }] = await tx.query<{ waited_ms: number }>(
    `WITH lock AS MATERIALIZED (SELECT clock_timestamp() AS asked, pg_advisory_xact_lock($3) AS l),
     locked AS MATERIALIZED (SELECT asked, clock_timestamp() AS at FROM lock),
     ins AS (
       INSERT INTO catalog_event (type, occurred_at, image, resource_id, instance_id, run_id, data)
       SELECT x.type, clock_timestamp(), x.image, x.resource_id, x.instance_id, x.run_id, x.data
       FROM locked, ROWS FROM (jsonb_to_recordset($1::jsonb) AS (type text, image text, resource_id uuid, instance_id uuid, run_id uuid, data jsonb))
         WITH ORDINALITY AS x(type, image, resource_id, instance_id, run_id, data, ord)
       ORDER BY x.ord
       RETURNING id, type, image),
     fan AS (
       INSERT INTO webhook_delivery (id, webhook_id, event_id, event_type)
       SELECT gen_random_uuid(), w.id, ins.id, ins.type
       FROM ins JOIN webhook w ON w.enabled
         AND (cardinality(w.events) = 0 OR ins.type = ANY (w.events))
         AND (cardinality(w.images) = 0 OR ins.image = ANY (w.images))
       RETURNING 1)
     SELECT pg_notify($2, max(ins.id)::text), (SELECT count(*) FROM fan) AS deliveries,
       (SELECT extract(epoch FROM at - asked) * 1000 FROM locked)::float8 AS waited_ms
     FROM ins`,
    [JSON.stringify(records), EVENTS_CHANNEL, EVENT_LOCK_KEY],
  );
  const total = performance.now() - t0;
  outboxTiming.transactions++;
  outboxTiming.lockWaitMs += waited_ms;
  outboxTiming.maxLockWaitMs = Math.max(outboxTiming.maxLockWaitMs, waited_ms);
  outboxTiming.insertMs += Math.max(0, total - waited_ms);
}

/** The SCRAPE_RUN_STARTED / SCRAPE_RUN_FINISHED event of a run row (its status and counters as of now). */
export function runEvent(
  type: 'SCRAPE_RUN_STARTED' | 'SCRAPE_RUN_FINISHED',
  run: {
    id: string;
    trigger: string;
    status: string;
    scope?: string;
    error?: string | null;
    imagesTotal: number;
    imagesDone: number;
    imagesFailed: number;
    resourcesCreated: number;
    instancesAdded: number;
    instancesUpdated: number;
  },
): NewCatalogEvent {
  return {
    type,
    runId: run.id,
    data: {
      trigger: run.trigger,
      status: run.status,
      scope: run.scope ?? null,
      error: run.error ?? null,
      imagesTotal: run.imagesTotal,
      imagesDone: run.imagesDone,
      imagesFailed: run.imagesFailed,
      resourcesCreated: run.resourcesCreated,
      instancesAdded: run.instancesAdded,
      instancesUpdated: run.instancesUpdated,
    },
  };
}

/**
 * The event of an edit through the API (updateResource, updateInstance): RESOURCE_UPDATED or
 * INSTANCE_UPDATED with `source: API` and the names of the fields that changed. Last write of
 * the edit's transaction.
 */
export async function appendApiEdit(tx: Queryable, kind: 'resource' | 'instance', id: string, fields: readonly string[]): Promise<void> {
  const [row] = await tx.query<{ resource_id: string; instance_id: string | null; image: string; digest: string | null }>(
    kind === 'resource'
      ? `SELECT r.id AS resource_id, NULL::uuid AS instance_id, r.name AS image, NULL::text AS digest FROM processing_resource r WHERE r.id = $1`
      : `SELECT i.resource_id, i.id AS instance_id, r.name AS image, i.digest
         FROM processing_instance i JOIN processing_resource r ON r.id = i.resource_id WHERE i.id = $1`,
    [id],
  );
  if (!row) return;
  await appendEvents(tx, [
    {
      type: kind === 'resource' ? 'RESOURCE_UPDATED' : 'INSTANCE_UPDATED',
      image: row.image,
      resourceId: row.resource_id,
      instanceId: row.instance_id,
      data: { source: 'API', fields: [...fields], ...(kind === 'instance' ? { digest: row.digest, previousDigest: row.digest } : {}) },
    },
  ]);
}
