import { v7 as uuidv7 } from 'uuid';
import type { Db, Queryable } from '../../database/db';
import { LIVE_RUN_COLUMNS, LIVE_RUN_FROM, nextFullRunDue, REQUESTS_SUM, RUN_COLUMNS } from './scrape-run.service';
import { ScrapeRun, ScrapeRunStatus, ScrapeScope, ScrapeTrigger } from './scrape-run.type';
import { appendEvents, NewCatalogEvent, PROGRESS_CHANNEL, runEvent } from '../../events/outbox';

/** Serialises run creation (no two full runs at once, one due run per interval) across replicas. */
export const RUN_LOCK_KEY = 7_301_940_003;

/** The run's counters, from its results (for a run that ends). */
const FINAL_COUNTERS = `(images_done, images_failed, resources_created, instances_added, instances_updated, instances_deleted, requests) = (
  SELECT count(*) FILTER (WHERE s.status NOT IN ('PENDING', 'RUNNING', 'INTERRUPTED')),
         count(*) FILTER (WHERE s.status IN ('NOT_FOUND', 'FAILED')),
         count(*) FILTER (WHERE s.resource_created),
         coalesce(sum(s.instances_added), 0), coalesce(sum(s.instances_updated), 0), coalesce(sum(s.instances_deleted), 0),
         ${REQUESTS_SUM('r.id')}
  FROM scrape_run_result s WHERE s.run_id = r.id)`;

/**
 * Claims an image may take. An image still unfinished after this many claims — each one's
 * process stopped before finishing it, e.g. because the image crashes it — is given up as
 * FAILED, and not carried into a RECOVERY run.
 */
export const MAX_CLAIMS = 3;

export interface RunImage {
  name: string;
  /** Registry host: `docker.io` for Docker Hub. */
  registry: string;
  /** Repository path in the registry: `library/nginx`, `acme/app`. */
  path: string;
  namespace: string;
  repository: string;
  maxTags: number;
}

export interface Claim extends RunImage {
  runId: string;
  trigger: ScrapeTrigger;
  attempts: number;
  /** Of a manual subset run: claimed first, may use the engine's reserved slots. */
  priority: boolean;
  /** The tracked image's tag filter (regular expressions), as it is when claimed. */
  tagFilter: { include: string | null; exclude: string | null };
}

/** Manual subset runs go first (triggerScrape with images, addTrackedImages scrapeNow). */
const PRIORITY_SQL = `(r.trigger = 'MANUAL' AND r.scope = 'SUBSET')`;

export type FinishedStatus = 'OK' | 'NO_TAGS' | 'NOT_FOUND' | 'FAILED';

export interface ImageOutcome {
  status: FinishedStatus;
  error?: string | null;
  warning?: string | null;
  tagsSeen?: number | null;
  resourceCreated?: boolean;
  instancesAdded?: number;
  instancesUpdated?: number;
  /** Instances marked DELETED upstream by this scrape. */
  instancesDeleted?: number;
  /** Registry host → HTTP requests sent for this image. */
  requests?: Record<string, number>;
}

export interface CreateRunOptions {
  trigger: ScrapeTrigger;
  /** Canonical names for a subset run; undefined for the whole enabled list. */
  images?: readonly string[];
  requestedBy: string;
  defaultMaxTags: number;
  leaseMs: number;
  recoveryOf?: string;
}

/**
 * The run history doubles as the work queue: a run's `scrape_run_result` rows are its
 * images, claimed one at a time with leases. Everything here is SQL; every method is safe
 * with any number of processes on one database.
 */
export class RunQueue {
  constructor(private readonly db: Db) {}

  /**
   * Creates a run. A full-list run while another full-list run is queued or running
   * returns that run instead (`created: false`).
   */
  async create(opts: CreateRunOptions): Promise<{ run: ScrapeRun; created: boolean }> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [RUN_LOCK_KEY]);
      const events: NewCatalogEvent[] = [];
      const created = await this.createLocked(tx, opts, events);
      await appendEvents(tx, events);
      return created;
    });
  }

  /**
   * Creates a full-list run if one is due: none started within `intervalMs`. Checked and
   * created under one lock, so that replicas starting together create one run.
   */
  async createIfDue(
    opts: Omit<CreateRunOptions, 'images'> & { intervalMs: number; failureBackoffMs: number },
  ): Promise<{ run: ScrapeRun; created: boolean } | null> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [RUN_LOCK_KEY]);
      const [active] = await tx.query(`SELECT 1 FROM scrape_run WHERE scope = 'ALL' AND status IN ('QUEUED', 'RUNNING') LIMIT 1`);
      if (active) return null;
      const due = await nextFullRunDue(tx, opts.intervalMs, opts.failureBackoffMs);
      if (due.at.getTime() > due.now.getTime()) return null;
      const events: NewCatalogEvent[] = [];
      const created = await this.createLocked(tx, opts, events);
      await appendEvents(tx, events);
      return created;
    });
  }

  /**
   * A full run whose lease expired (every process on it stopped, and no scheduler-enabled
   * process turned it into a RECOVERY yet) does not block a new full run: it is marked
   * INTERRUPTED, and the new run covers all of its images.
   */
  private async supersedeIfAbandoned(tx: Queryable, runId: string, events: NewCatalogEvent[]): Promise<boolean> {
    const [run] = await tx.query<ScrapeRun>(
      `UPDATE scrape_run r SET status = 'INTERRUPTED', finished_at = now(),
         error = 'every process working on this run stopped; a new full run replaced it', ${FINAL_COUNTERS}
       WHERE r.id = $1 AND r.status IN ('QUEUED', 'RUNNING') AND r.lease_expires_at < now()
       RETURNING ${RUN_COLUMNS}`,
      [runId],
    );
    if (!run) return false;
    events.push(runEvent('SCRAPE_RUN_FINISHED', run));
    await tx.query(
      `UPDATE scrape_run_result SET status = 'INTERRUPTED', lease_expires_at = NULL, finished_at = now(),
         error = 'interrupted: every process working on the run stopped; a new full run replaced it'
       WHERE run_id = $1 AND status IN ('PENDING', 'RUNNING')`,
      [runId],
    );
    return true;
  }

  /** Creates a run under the run lock; its SCRAPE_RUN_* events go to `events`, for the caller to append last. */
  private async createLocked(tx: Queryable, opts: CreateRunOptions, events: NewCatalogEvent[]): Promise<{ run: ScrapeRun; created: boolean }> {
    const scope = opts.images === undefined ? ScrapeScope.ALL : ScrapeScope.SUBSET;
    if (scope === ScrapeScope.ALL) {
      const [active] = await tx.query<ScrapeRun>(
        `SELECT ${LIVE_RUN_COLUMNS} FROM ${LIVE_RUN_FROM} WHERE r.scope = 'ALL' AND r.status IN ('QUEUED', 'RUNNING')
         ORDER BY r.created_at LIMIT 1`,
      );
      if (active && !(await this.supersedeIfAbandoned(tx, active.id, events))) return { run: active, created: false };
    }
    const images =
      scope === ScrapeScope.ALL
        ? await tx.query<RunImage>(
            `SELECT name, registry, concat_ws('/', nullif(namespace, ''), repository) AS path, namespace, repository,
                    coalesce(max_tags, $1) AS "maxTags" FROM tracked_image
             WHERE removed_at IS NULL AND enabled ORDER BY position`,
            [opts.defaultMaxTags],
          )
        : await tx.query<RunImage>(
            `SELECT t.name, t.registry, concat_ws('/', nullif(t.namespace, ''), t.repository) AS path, t.namespace, t.repository,
                    coalesce(t.max_tags, $2) AS "maxTags"
             FROM unnest($1::text[]) WITH ORDINALITY AS n(name, ord) JOIN tracked_image t ON t.name = n.name
             WHERE t.removed_at IS NULL ORDER BY n.ord`,
            [opts.images, opts.defaultMaxTags],
          );
    const id = uuidv7();
    const empty = images.length === 0;
    const [run] = await tx.query<ScrapeRun>(
      `INSERT INTO scrape_run (id, trigger, status, scope, recovery_of, requested_by, images_total, lease_expires_at, started_at, finished_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now() + $8::interval, CASE WHEN $9 THEN now() END, CASE WHEN $9 THEN now() END)
       RETURNING ${RUN_COLUMNS.replace(/\br\./g, '')}`,
      [
        id,
        opts.trigger,
        empty ? ScrapeRunStatus.SUCCEEDED : ScrapeRunStatus.QUEUED,
        scope,
        opts.recoveryOf ?? null,
        opts.requestedBy,
        images.length,
        `${opts.leaseMs} milliseconds`,
        empty,
      ],
    );
    if (!empty) {
      await tx.query(
        `INSERT INTO scrape_run_result (run_id, image, registry, path, namespace, repository, position, max_tags)
         SELECT $1, x.name, x.registry, x.path, x.namespace, x.repository, x.ord, x."maxTags"
         FROM ROWS FROM (jsonb_to_recordset($2::jsonb) AS (name text, registry text, path text, namespace text, repository text, "maxTags" int))
           WITH ORDINALITY AS x(name, registry, path, namespace, repository, "maxTags", ord)`,
        [id, JSON.stringify(images)],
      );
    }
    events.push(runEvent('SCRAPE_RUN_STARTED', run));
    if (empty) events.push(runEvent('SCRAPE_RUN_FINISHED', run));
    return { run, created: true };
  }

  /**
   * Claims up to `limit` images to scrape, oldest run first, in list order: pending images,
   * or ones whose claim expired (their process died). One statement, no lock held: rows are
   * taken with `FOR UPDATE SKIP LOCKED`, and a partial unique index allows one RUNNING claim
   * per image across all runs, so an image being scraped in one run waits in the others.
   * `runIds` limits the claims to those runs.
   */
  async claim(worker: string, leaseMs: number, limit: number, runIds?: readonly string[]): Promise<Claim[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.query<Claim>(
          `WITH candidate AS (
             SELECT s.run_id, s.image FROM scrape_run_result s JOIN scrape_run r ON r.id = s.run_id
             WHERE r.status IN ('QUEUED', 'RUNNING')
               AND ($3::uuid[] IS NULL OR r.id = ANY($3::uuid[]))
               AND (s.status = 'PENDING' OR (s.status = 'RUNNING' AND s.lease_expires_at < now() AND s.attempts < $5))
               AND NOT EXISTS (
                 SELECT 1 FROM scrape_run_result o
                 WHERE o.image = s.image AND o.status = 'RUNNING' AND o.run_id <> s.run_id)
             ORDER BY ${PRIORITY_SQL} DESC, r.created_at, r.id, s.position
             LIMIT $4
             FOR UPDATE OF s SKIP LOCKED),
           claimed AS (
             UPDATE scrape_run_result s SET
               status = 'RUNNING', claimed_by = $1, lease_expires_at = now() + $2::interval,
               attempts = s.attempts + 1, started_at = coalesce(s.started_at, now()), error = NULL
             FROM candidate c WHERE s.run_id = c.run_id AND s.image = c.image
             RETURNING s.run_id, s.image, s.registry, coalesce(s.path, concat_ws('/', nullif(s.namespace, ''), s.repository)) AS path,
               s.namespace, s.repository, s.max_tags, s.attempts, s.position),
           runs AS (
             UPDATE scrape_run r SET status = 'RUNNING', started_at = coalesce(r.started_at, now()),
               lease_expires_at = greatest(r.lease_expires_at, now() + $2::interval)
             WHERE r.id IN (SELECT run_id FROM claimed)
             RETURNING r.id, r.trigger, r.scope, r.created_at)
           SELECT c.run_id AS "runId", c.image AS name, c.registry, c.path, c.namespace, c.repository, c.max_tags AS "maxTags", c.attempts, r.trigger,
                  (SELECT jsonb_build_object('include', t.tag_include, 'exclude', t.tag_exclude) FROM tracked_image t WHERE t.name = c.image)
                    AS "tagFilter",
                  ${PRIORITY_SQL} AS priority
           FROM claimed c JOIN runs r ON r.id = c.run_id
           ORDER BY ${PRIORITY_SQL} DESC, r.created_at, c.position`,
          [worker, `${leaseMs} milliseconds`, runIds ?? null, limit, MAX_CLAIMS],
        );
      } catch (e) {
        // Two claims raced for one image in two runs: the unique index refused the second.
        if ((e as { code?: string }).code !== '23505' || attempt >= 5) throw e;
        limit = 1;
      }
    }
  }

  /** Renews this worker's claims and the lease of every active run it may work on. */
  async heartbeat(worker: string, leaseMs: number, runIds?: readonly string[]): Promise<void> {
    const lease = `${leaseMs} milliseconds`;
    await this.db.query(
      `UPDATE scrape_run_result SET lease_expires_at = now() + $2::interval WHERE claimed_by = $1 AND status = 'RUNNING'`,
      [worker, lease],
    );
    await this.db.query(
      `UPDATE scrape_run SET lease_expires_at = now() + $1::interval
       WHERE status IN ('QUEUED', 'RUNNING') AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[]))`,
      [lease, runIds ?? null],
    );
  }

  /**
   * Records an image's outcome in the caller's transaction (the one that wrote the catalog).
   * Returns false when this worker no longer holds the claim (its lease expired and another
   * process took the image over): the caller must then roll back. After the commit, call
   * {@link finishIfDone}.
   */
  async complete(tx: Queryable, worker: string, claim: Claim, outcome: ImageOutcome): Promise<boolean> {
    const ok = outcome.status === 'OK' || outcome.status === 'NO_TAGS';
    // One statement: the result and the tracked image. The run row is not touched (no hot row
    // that every image of a run would queue on); progress is counted from the results.
    const rows = await tx.query(
      `WITH result AS (
         UPDATE scrape_run_result SET status = $4, error = $5, warning = $6, tags_seen = $7, resource_created = $8,
           instances_added = $9, instances_updated = $10, instances_deleted = $13, requests = $14::jsonb,
           finished_at = now(), lease_expires_at = NULL
         WHERE run_id = $1 AND image = $2 AND claimed_by = $3 AND status = 'RUNNING'
         RETURNING run_id),
       tracked AS (
         UPDATE tracked_image SET last_status = $4, last_error = $5, last_scraped_at = now(),
           last_synced_at = CASE WHEN $11 THEN now() ELSE last_synced_at END, last_run_id = $1
         WHERE name = $2 AND removed_at IS NULL AND EXISTS (SELECT 1 FROM result))
       SELECT pg_notify($12, $1::text) FROM result`,
      [
        claim.runId,
        claim.name,
        worker,
        outcome.status,
        outcome.error ?? null,
        outcome.warning ?? null,
        outcome.tagsSeen ?? null,
        outcome.resourceCreated ?? false,
        outcome.instancesAdded ?? 0,
        outcome.instancesUpdated ?? 0,
        ok,
        PROGRESS_CHANNEL, // wakes scrapeRunProgress subscribers on every replica once this commits
        outcome.instancesDeleted ?? 0,
        JSON.stringify(outcome.requests ?? {}),
      ],
    );
    return rows.length > 0;
  }

  /**
   * Ends the run if no image is left: SUCCEEDED, PARTIAL or FAILED, with its final counters.
   * Called after each image's commit: the last image to commit always sees every other one,
   * and the status guard makes a second, concurrent call a no-op. Cheap while images are left.
   */
  async finishIfDone(runId: string, executor?: Queryable): Promise<ScrapeRun | null> {
    if (!executor) {
      // Cheap while images are left; the closing update and its SCRAPE_RUN_FINISHED event commit together.
      const [left] = await this.db.query(`SELECT 1 FROM scrape_run_result WHERE run_id = $1 AND status IN ('PENDING', 'RUNNING') LIMIT 1`, [runId]);
      if (left) return null;
      return this.db.transaction((tx) => this.finishIfDone(runId, tx));
    }
    const [run] = await executor.query<ScrapeRun>(
      `WITH unfinished AS (
         SELECT 1 FROM scrape_run_result WHERE run_id = $1 AND status IN ('PENDING', 'RUNNING') LIMIT 1),
       tally AS (
         SELECT count(*) FILTER (WHERE status = 'OK') AS ok,
                count(*) FILTER (WHERE status IN ('NOT_FOUND', 'FAILED')) AS bad,
                count(*) AS total,
                count(*) FILTER (WHERE resource_created) AS created,
                coalesce(sum(instances_added), 0) AS added,
                coalesce(sum(instances_updated), 0) AS updated,
                coalesce(sum(instances_deleted), 0) AS deleted,
                ${REQUESTS_SUM('$1')} AS requests,
                min(error) FILTER (WHERE status = 'FAILED') AS first_error
         FROM scrape_run_result WHERE run_id = $1 AND NOT EXISTS (SELECT 1 FROM unfinished))
       UPDATE scrape_run r SET
         status = CASE WHEN t.bad = 0 THEN 'SUCCEEDED' WHEN t.ok > 0 THEN 'PARTIAL' ELSE 'FAILED' END,
         error = CASE WHEN t.bad > 0 AND t.ok = 0
                   THEN format('none of the %s image(s) was read successfully%s', t.total, coalesce('; e.g. ' || t.first_error, ''))
                 END,
         images_done = t.total, images_failed = t.bad, resources_created = t.created,
         instances_added = t.added, instances_updated = t.updated, instances_deleted = t.deleted, requests = t.requests,
         finished_at = now()
       FROM tally t
       WHERE r.id = $1 AND r.status IN ('QUEUED', 'RUNNING') AND NOT EXISTS (SELECT 1 FROM unfinished)
       RETURNING ${RUN_COLUMNS}`,
      [runId],
    );
    if (run) await appendEvents(executor, [runEvent('SCRAPE_RUN_FINISHED', run)]);
    return run ?? null;
  }

  /**
   * Gives images back to the queue at once (on shutdown): pending again, and the claim does
   * not count towards {@link MAX_CLAIMS}. Returns the names of the images given back (an
   * image that finished meanwhile is left as it is).
   */
  async release(worker: string, claims: readonly Claim[]): Promise<string[]> {
    if (claims.length === 0) return [];
    const rows = await this.db.query<{ image: string }>(
      `UPDATE scrape_run_result SET status = 'PENDING', claimed_by = NULL, lease_expires_at = NULL, attempts = greatest(attempts - 1, 0)
       WHERE claimed_by = $1 AND status = 'RUNNING' AND (run_id, image) IN (SELECT * FROM unnest($2::uuid[], $3::text[]))
       RETURNING image`,
      [worker, claims.map((c) => c.runId), claims.map((c) => c.name)],
    );
    return rows.map((r) => r.image);
  }

  /**
   * Marks runs whose lease expired — every process working on them stopped — as
   * INTERRUPTED, with the reason, and their unfinished images likewise (or FAILED, for an
   * image that has used up its claims), then creates a RECOVERY run of the interrupted
   * images, which keeps their claim counts. Only processes with the scheduler on call this.
   */
  async interruptAbandoned(opts: {
    requestedBy: string;
    defaultMaxTags: number;
    leaseMs: number;
  }): Promise<{ interrupted: ScrapeRun; recovery: ScrapeRun | null }[]> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [RUN_LOCK_KEY]);
      const abandoned = await tx.query<{ id: string }>(
        `SELECT id FROM scrape_run WHERE status IN ('QUEUED', 'RUNNING') AND lease_expires_at < now() ORDER BY created_at FOR UPDATE`,
      );
      const out: { interrupted: ScrapeRun; recovery: ScrapeRun | null }[] = [];
      const events: NewCatalogEvent[] = [];
      for (const { id } of abandoned) {
        await this.giveUpExhausted(tx, id);
        const left = await tx.query<{ image: string }>(
          `WITH left_over AS (
             UPDATE scrape_run_result SET status = 'INTERRUPTED', lease_expires_at = NULL,
               error = 'interrupted: every process working on the run stopped', finished_at = now()
             WHERE run_id = $1 AND status IN ('PENDING', 'RUNNING')
             RETURNING image, position)
           SELECT image FROM left_over ORDER BY position`,
          [id],
        );
        const [run] = await tx.query<ScrapeRun>(
          `UPDATE scrape_run r SET status = 'INTERRUPTED', finished_at = now(),
             error = format('every process working on this run stopped (last heartbeat at %s); %s of %s image(s) were unfinished',
                            to_char((r.lease_expires_at - $2::interval) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                            $3::int, r.images_total),
             ${FINAL_COUNTERS}
           WHERE r.id = $1
           RETURNING ${RUN_COLUMNS}`,
          [id, `${opts.leaseMs} milliseconds`, left.length],
        );
        events.push(runEvent('SCRAPE_RUN_FINISHED', run));
        let recovery: ScrapeRun | null = null;
        if (left.length > 0) {
          recovery = (
            await this.createLocked(tx, {
              trigger: ScrapeTrigger.RECOVERY,
              images: left.map((l) => l.image),
              requestedBy: opts.requestedBy,
              defaultMaxTags: opts.defaultMaxTags,
              leaseMs: opts.leaseMs,
              recoveryOf: id,
            }, events)
          ).run;
          await tx.query(
            `UPDATE scrape_run_result n SET attempts = o.attempts
             FROM scrape_run_result o WHERE n.run_id = $1 AND o.run_id = $2 AND o.image = n.image`,
            [recovery.id, id],
          );
        }
        out.push({ interrupted: run, recovery });
      }
      await appendEvents(tx, events);
      return out;
    });
  }

  /**
   * Images of live runs whose claim expired after {@link MAX_CLAIMS} claims: FAILED, so that
   * their run can end. Returns the runs that ended because of it.
   */
  async failExhausted(): Promise<ScrapeRun[]> {
    const runs = await this.db.transaction(async (tx) => this.giveUpExhausted(tx));
    const ended: ScrapeRun[] = [];
    for (const id of runs) {
      const run = await this.finishIfDone(id);
      if (run) ended.push(run);
    }
    return ended;
  }

  private async giveUpExhausted(tx: Queryable, runId?: string): Promise<string[]> {
    const rows = await tx.query<{ run_id: string }>(
      `WITH failed AS (
         UPDATE scrape_run_result SET status = 'FAILED', lease_expires_at = NULL, finished_at = now(),
           error = format('gave up after %s claims: every process that took this image stopped before finishing it (does it crash the process?)', attempts)
         WHERE status = 'RUNNING' AND lease_expires_at < now() AND attempts >= $1 AND ($2::uuid IS NULL OR run_id = $2)
         RETURNING run_id, image, error),
       tracked AS (
         UPDATE tracked_image t SET last_status = 'FAILED', last_error = f.error, last_scraped_at = now(), last_run_id = f.run_id
         FROM failed f WHERE t.name = f.image AND t.removed_at IS NULL)
       SELECT DISTINCT run_id FROM failed`,
      [MAX_CLAIMS, runId ?? null],
    );
    return rows.map((r) => r.run_id);
  }

  /** Active runs (queued or running), oldest first. */
  async active(): Promise<{ id: string; trigger: ScrapeTrigger; scope: string; requestedBy: string | null }[]> {
    return this.db.query(
      `SELECT id, trigger, scope, requested_by AS "requestedBy" FROM scrape_run WHERE status IN ('QUEUED', 'RUNNING') ORDER BY created_at`,
    );
  }

  /** Of these names, those that are not on the tracked list. */
  async untracked(names: readonly string[]): Promise<string[]> {
    const rows = await this.db.query<{ name: string }>(
      `SELECT n.name FROM unnest($1::text[]) AS n(name)
       WHERE NOT EXISTS (SELECT 1 FROM tracked_image t WHERE t.name = n.name AND t.removed_at IS NULL)`,
      [names],
    );
    return rows.map((r) => r.name);
  }
}
