import { Db, Queryable, sortKeyText, TIMESTAMP_KEY, UUID_RE } from '../../database/db';
import { decodeCursor, Page, PageQuery, pageWindow, toWindowPage } from '../../graphql/connection';
import { BadUserInputError } from '../../graphql/errors';
import { ScrapeResult, ScrapeResultStatus, ScrapeRun } from './scrape-run.type';

/** Requests per registry host of a run's results, summed: `{"hub.docker.com": 2, "ghcr.io": 5}`. */
export const REQUESTS_SUM = (runId: string) => `(SELECT coalesce(jsonb_object_agg(q.host, q.n), '{}'::jsonb) FROM (
    SELECT e.key AS host, sum(e.value::bigint) AS n FROM scrape_run_result s2, jsonb_each_text(s2.requests) e
    WHERE s2.run_id = ${runId} GROUP BY e.key) q)`;

/** A run's own columns (counters as stored: final once the run has ended). */
export const RUN_COLUMNS = `
  r.id, r.trigger, r.status, r.scope, r.error, r.recovery_of AS "recoveryOf", r.created_at AS "createdAt",
  r.started_at AS "startedAt", r.finished_at AS "finishedAt", r.images_total AS "imagesTotal",
  r.images_done AS "imagesDone", r.images_failed AS "imagesFailed", r.resources_created AS "resourcesCreated",
  r.instances_added AS "instancesAdded", r.instances_updated AS "instancesUpdated", r.instances_deleted AS "instancesDeleted",
  r.requests AS "requestsByHost"`;

/**
 * Reading runs: while a run is on, its counters are counted from its results (no hot row that
 * every finished image would have to lock); once it ended they are stored on the run.
 */
export const LIVE_RUN_COLUMNS = RUN_COLUMNS.replace(
  /r\.(images_done|images_failed|resources_created|instances_added|instances_updated|instances_deleted|requests) AS/g,
  (_m, col: string) => `CASE WHEN r.status IN ('QUEUED', 'RUNNING') THEN live.${col} ELSE r.${col} END AS`,
);
export const LIVE_RUN_FROM = `scrape_run r LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE s.status NOT IN ('PENDING', 'RUNNING'))::int AS images_done,
           count(*) FILTER (WHERE s.status IN ('NOT_FOUND', 'FAILED'))::int AS images_failed,
           count(*) FILTER (WHERE s.resource_created)::int AS resources_created,
           coalesce(sum(s.instances_added), 0)::int AS instances_added,
           coalesce(sum(s.instances_updated), 0)::int AS instances_updated,
           coalesce(sum(s.instances_deleted), 0)::int AS instances_deleted,
           ${REQUESTS_SUM('r.id')} AS requests
    FROM scrape_run_result s WHERE s.run_id = r.id AND r.status IN ('QUEUED', 'RUNNING')) live ON true`;

export const RESULT_COLUMNS = `
  s.run_id AS "runId", s.image, s.status, s.error, s.warning, s.instances_added AS "instancesAdded",
  s.instances_updated AS "instancesUpdated", s.instances_deleted AS "instancesDeleted", s.requests AS "requestsByHost", s.resource_created AS "resourceCreated", s.tags_seen AS "tagsSeen",
  s.attempts, s.claimed_by AS worker, s.started_at AS "startedAt", s.finished_at AS "finishedAt"`;

/** Reads of the run history. */
export class ScrapeRunService {
  constructor(private readonly db: Db) {}

  /** Newest first. */
  async list(q: PageQuery): Promise<Page<ScrapeRun>> {
    const ordering = 'runs:created:desc';
    const params: unknown[] = [];
    const where: string[] = [];
    const window = pageWindow(q);
    for (const side of ['after', 'before'] as const) {
      const cursor = window[side];
      if (!cursor) continue;
      const k = decodeCursor(ordering, cursor, side);
      if (!k.key || !TIMESTAMP_KEY.test(k.key) || !UUID_RE.test(k.id)) {
        throw BadUserInputError.field(side, 'not a cursor returned by this API');
      }
      // Newest first: `after` is older, `before` newer.
      where.push(`(r.created_at, r.id) ${side === 'after' ? '<' : '>'} ($${params.push(k.key)}::timestamptz, $${params.push(k.id)}::uuid)`);
    }
    const dir = window.backward ? 'ASC' : 'DESC';
    const rows = await this.db.query<ScrapeRun & { _sortKey: string }>(
      `SELECT ${LIVE_RUN_COLUMNS}, ${sortKeyText('r.created_at', 'timestamptz')} AS "_sortKey" FROM ${LIVE_RUN_FROM}
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY r.created_at ${dir}, r.id ${dir} LIMIT $${params.push(window.count + 1)}`,
      params,
    );
    return toWindowPage(rows, window, ordering, (r) => r, async () => {
      const [row] = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM scrape_run');
      return row.n;
    });
  }

  /** Runs by id, in one statement; ids that are not uuids match none. */
  async byIds(ids: readonly string[]): Promise<ScrapeRun[]> {
    const valid = ids.filter((id) => UUID_RE.test(id));
    if (valid.length === 0) return [];
    return this.db.query<ScrapeRun>(`SELECT ${LIVE_RUN_COLUMNS} FROM ${LIVE_RUN_FROM} WHERE r.id = ANY($1::uuid[])`, [valid]);
  }

  async byId(id: string): Promise<ScrapeRun | null> {
    if (!UUID_RE.test(id)) return null;
    const [row] = await this.db.query<ScrapeRun>(`SELECT ${LIVE_RUN_COLUMNS} FROM ${LIVE_RUN_FROM} WHERE r.id = $1`, [id]);
    return row ?? null;
  }

  /** The run currently worked on: the first of {@link active} (oldest RUNNING, else oldest QUEUED). */
  async current(): Promise<ScrapeRun | null> {
    return (await this.active(1))[0] ?? null;
  }

  async last(): Promise<ScrapeRun | null> {
    const [row] = await this.db.query<ScrapeRun>(
      `SELECT ${RUN_COLUMNS} FROM scrape_run r WHERE r.status NOT IN ('QUEUED', 'RUNNING') ORDER BY r.created_at DESC LIMIT 1`,
    );
    return row ?? null;
  }

  /** Results of each run, in list order; optionally only some statuses. */
  async resultsOf(runIds: readonly string[], statuses?: readonly ScrapeResultStatus[] | null): Promise<ScrapeResult[][]> {
    const params: unknown[] = [runIds];
    const statusSql = statuses?.length ? `AND s.status = ANY($${params.push(statuses)}::text[])` : '';
    const rows = await this.db.query<ScrapeResult>(
      `SELECT ${RESULT_COLUMNS} FROM scrape_run_result s WHERE s.run_id = ANY($1::uuid[]) ${statusSql} ORDER BY s.run_id, s.position`,
      params,
    );
    const byRun = new Map<string, ScrapeResult[]>();
    for (const r of rows) {
      let list = byRun.get(r.runId);
      if (!list) byRun.set(r.runId, (list = []));
      list.push(r);
    }
    return runIds.map((id) => byRun.get(id) ?? []);
  }

  /** When the next scheduled run is due (see {@link nextFullRunDue}). */
  async nextDueAt(intervalMs: number, backoffMs: number): Promise<Date> {
    return (await nextFullRunDue(this.db, intervalMs, backoffMs)).at;
  }

  /**
   * Runs queued or running: RUNNING ones first, oldest first, then QUEUED ones, oldest
   * first — the order in which they are worked on (see currentRun).
   */
  async active(limit = 100): Promise<ScrapeRun[]> {
    return this.db.query<ScrapeRun>(
      `SELECT ${LIVE_RUN_COLUMNS} FROM ${LIVE_RUN_FROM} WHERE r.status IN ('QUEUED', 'RUNNING')
       ORDER BY (r.status = 'RUNNING') DESC, r.created_at, r.id LIMIT $1`,
      [limit],
    );
  }
}

export interface FullRunDue {
  at: Date;
  /** The database's clock (`now()`) when this was read: due when `at <= now`. */
  now: Date;
  /** Full runs that failed in a row since the last one that counts (0: on the normal interval). */
  failedInARow: number;
}

/**
 * When the next full run is due, from the run history (so every replica and every restart
 * agrees). A full run counts as a scrape when it is on, ended SUCCEEDED or PARTIAL, or INTERRUPTED
 * with a RECOVERY run that is on or ended well; then the next is due `interval` after its
 * start. A FAILED one (no image read) or an INTERRUPTED one without a good recovery does not
 * count: after k of them in a row, the next is due `backoff · 2^(k−1)` (capped at the
 * interval) after the last one ended. Now, when there never was one.
 */
export async function nextFullRunDue(q: Queryable, intervalMs: number, backoffMs: number): Promise<FullRunDue> {
  const [row] = await q.query<{ good: Date | null; failed: number; last_failed: Date | null; now: Date }>(
    `WITH ended AS (
       SELECT coalesce(r.started_at, r.created_at) AS began, coalesce(r.finished_at, r.created_at) AS ended,
              r.status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'PARTIAL') OR (r.status = 'INTERRUPTED' AND EXISTS (
                SELECT 1 FROM scrape_run v WHERE v.recovery_of = r.id AND v.status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'PARTIAL'))) AS counts
       FROM scrape_run r WHERE r.scope = 'ALL'),
     good AS (SELECT max(began) AS at FROM ended WHERE counts)
     SELECT g.at AS good, now() AS now,
            (SELECT count(*)::int FROM ended e WHERE NOT e.counts AND (g.at IS NULL OR e.began > g.at)) AS failed,
            (SELECT max(e.ended) FROM ended e WHERE NOT e.counts AND (g.at IS NULL OR e.began > g.at)) AS last_failed
     FROM good g`,
  );
  if (row.failed > 0 && row.last_failed) {
    const wait = Math.min(intervalMs, backoffMs * 2 ** Math.min(row.failed - 1, 30));
    return { at: new Date(row.last_failed.getTime() + wait), now: row.now, failedInARow: row.failed };
  }
  return { at: row.good ? new Date(row.good.getTime() + intervalMs) : row.now, now: row.now, failedInARow: 0 };
}
