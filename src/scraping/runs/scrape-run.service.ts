import { Db, sortKeyText, TIMESTAMP_KEY, UUID_RE } from '../../database/db';
import { decodeCursor, Page, PageQuery, pageWindow, toWindowPage } from '../../graphql/connection';
import { BadUserInputError } from '../../graphql/errors';
import { ScrapeResult, ScrapeResultStatus, ScrapeRun } from './scrape-run.type';

/** A run's own columns (counters as stored: final once the run has ended). */
export const RUN_COLUMNS = `
  r.id, r.trigger, r.status, r.scope, r.error, r.recovery_of AS "recoveryOf", r.created_at AS "createdAt",
  r.started_at AS "startedAt", r.finished_at AS "finishedAt", r.images_total AS "imagesTotal",
  r.images_done AS "imagesDone", r.images_failed AS "imagesFailed", r.resources_created AS "resourcesCreated",
  r.instances_added AS "instancesAdded", r.instances_updated AS "instancesUpdated"`;

/**
 * Reading runs: while a run is on, its counters are counted from its results (no hot row that
 * every finished image would have to lock); once it ended they are stored on the run.
 */
export const LIVE_RUN_COLUMNS = RUN_COLUMNS.replace(
  /r\.(images_done|images_failed|resources_created|instances_added|instances_updated) AS/g,
  (_m, col: string) => `CASE WHEN r.status IN ('QUEUED', 'RUNNING') THEN live.${col} ELSE r.${col} END AS`,
);
export const LIVE_RUN_FROM = `scrape_run r LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE s.status NOT IN ('PENDING', 'RUNNING'))::int AS images_done,
           count(*) FILTER (WHERE s.status IN ('NOT_FOUND', 'FAILED'))::int AS images_failed,
           count(*) FILTER (WHERE s.resource_created)::int AS resources_created,
           coalesce(sum(s.instances_added), 0)::int AS instances_added,
           coalesce(sum(s.instances_updated), 0)::int AS instances_updated
    FROM scrape_run_result s WHERE s.run_id = r.id AND r.status IN ('QUEUED', 'RUNNING')) live ON true`;

export const RESULT_COLUMNS = `
  s.run_id AS "runId", s.image, s.status, s.error, s.warning, s.instances_added AS "instancesAdded",
  s.instances_updated AS "instancesUpdated", s.resource_created AS "resourceCreated", s.tags_seen AS "tagsSeen",
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

  /** The newest run that is queued or running, if any. */
  async current(): Promise<ScrapeRun | null> {
    const [row] = await this.db.query<ScrapeRun>(
      `SELECT ${LIVE_RUN_COLUMNS} FROM ${LIVE_RUN_FROM} WHERE r.status IN ('QUEUED', 'RUNNING') ORDER BY r.created_at DESC LIMIT 1`,
    );
    return row ?? null;
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

  /**
   * When the next scheduled run is due: `interval` after the start (or creation) of the
   * latest run over the whole list; now when there has never been one.
   */
  async nextDueAt(intervalMs: number): Promise<Date> {
    const [row] = await this.db.query<{ at: Date | null }>(
      `SELECT max(coalesce(started_at, created_at)) AS at FROM scrape_run WHERE scope = 'ALL'`,
    );
    return row.at ? new Date(row.at.getTime() + intervalMs) : new Date();
  }
}
