import { v7 as uuidv7 } from 'uuid';
import { Db, Queryable } from '../database/db';
import { decodeCursor, Page, toPage } from '../graphql/connection';
import { BadUserInputError } from '../graphql/errors';
import { ImageName } from '../shared/image-name';
import type { Logger } from '../shared/logger';
import { TrackedImage, TrackedImageSource } from './tracked-image.type';

/** Serialises changes to the image list across replicas (config reconciliation, mutations). */
export const TRACKING_LOCK_KEY = 7_301_940_002;

export const TRACKED_IMAGE_COLUMNS = `
  t.id, t.position::text AS position, t.name, t.namespace, t.repository, t.enabled,
  t.max_tags AS "maxTagsOverride", t.source, t.last_status AS "lastStatus", t.last_error AS "lastError",
  t.last_scraped_at AS "lastScrapedAt", t.last_synced_at AS "lastSyncedAt",
  t.created_at AS "createdAt", t.updated_at AS "updatedAt"`;

type TrackedImageRow = Omit<TrackedImage, 'maxTags'>;

export interface ReconcileSummary {
  added: string[];
  restored: string[];
  removed: string[];
  /** Configured, but removed through the API earlier: they stay removed. */
  keptRemoved: string[];
}

export interface TrackedImageFilterQuery {
  enabled?: boolean | null;
  lastStatus?: string | null;
}

/** The tracked image list. */
export class TrackingService {
  constructor(
    private readonly db: Db,
    private readonly defaultMaxTags: number,
    private readonly logger: Logger,
  ) {}

  toTrackedImage = (row: TrackedImageRow): TrackedImage => ({ ...row, maxTags: row.maxTagsOverride ?? this.defaultMaxTags });

  async list(q: { first: number; after?: string | null; filter?: TrackedImageFilterQuery | null }): Promise<Page<TrackedImage>> {
    const ordering = 'tracked:position';
    const params: unknown[] = [];
    const where = ['t.removed_at IS NULL'];
    if (q.filter?.enabled != null) where.push(`t.enabled = $${params.push(q.filter.enabled)}`);
    if (q.filter?.lastStatus != null) where.push(`t.last_status = $${params.push(q.filter.lastStatus)}`);
    const countWhere = [...where];
    const countParams = [...params];
    if (q.after) {
      const keyset = decodeCursor(ordering, q.after);
      if (!keyset.key || !/^\d{1,19}$/.test(keyset.key)) throw BadUserInputError.field('after', 'not a cursor returned by this API');
      where.push(`t.position > $${params.push(keyset.key)}::bigint`);
    }
    const rows = await this.db.query<TrackedImageRow & { _sortKey: string }>(
      `SELECT ${TRACKED_IMAGE_COLUMNS}, t.position::text AS "_sortKey" FROM tracked_image t
       WHERE ${where.join(' AND ')} ORDER BY t.position LIMIT $${params.push(q.first + 1)}`,
      params,
    );
    return toPage(rows, q.first, ordering, q.after, this.toTrackedImage, async () => {
      const [row] = await this.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM tracked_image t WHERE ${countWhere.join(' AND ')}`,
        countParams,
      );
      return row.n;
    });
  }

  async byNames(names: readonly string[], executor: Queryable = this.db): Promise<TrackedImage[]> {
    const rows = await executor.query<TrackedImageRow>(
      `SELECT ${TRACKED_IMAGE_COLUMNS} FROM tracked_image t WHERE t.name = ANY($1::text[]) AND t.removed_at IS NULL ORDER BY t.position`,
      [names],
    );
    return rows.map(this.toTrackedImage);
  }

  async countActive(): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tracked_image WHERE removed_at IS NULL`);
    return row.n;
  }

  /**
   * Brings the list in line with the configured one (DOCKER_SCRAPER_IMAGES or the default
   * list) at startup: configured images that are missing are added, images the configuration
   * no longer names are removed if the configuration had added them, and images removed
   * through the API stay removed. Images added through the API are left alone.
   */
  async reconcileWithConfig(images: readonly ImageName[], source: 'DEFAULT' | 'CONFIG'): Promise<ReconcileSummary> {
    const summary = await this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [TRACKING_LOCK_KEY]);
      const existing = new Map(
        (
          await tx.query<{ name: string; source: TrackedImageSource; removed_by: string | null }>(
            'SELECT name, source, removed_by FROM tracked_image',
          )
        ).map((r) => [r.name, r]),
      );
      const out: ReconcileSummary = { added: [], restored: [], removed: [], keptRemoved: [] };
      const configured = new Set(images.map((i) => i.name));
      const toInsert: ImageName[] = [];
      for (const image of images) {
        const row = existing.get(image.name);
        if (!row) toInsert.push(image);
        else if (row.removed_by === 'API') out.keptRemoved.push(image.name);
        else if (row.removed_by === 'CONFIG') out.restored.push(image.name);
      }
      if (toInsert.length > 0) {
        await tx.query(
          `INSERT INTO tracked_image (id, name, namespace, repository, source)
           SELECT id, name, ns, repo, src
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS x(id, name, ns, repo, src, ord)
           ORDER BY ord`,
          [
            toInsert.map(() => uuidv7()),
            toInsert.map((i) => i.name),
            toInsert.map((i) => i.namespace),
            toInsert.map((i) => i.repository),
            toInsert.map(() => source),
          ],
        );
        out.added = toInsert.map((i) => i.name);
      }
      if (out.restored.length > 0) {
        await tx.query(
          `UPDATE tracked_image SET removed_at = NULL, removed_by = NULL, source = $2, updated_at = now() WHERE name = ANY($1::text[])`,
          [out.restored, source],
        );
      }
      out.removed = [...existing.values()]
        .filter((r) => r.removed_by === null && r.source !== TrackedImageSource.API && !configured.has(r.name))
        .map((r) => r.name);
      if (out.removed.length > 0) {
        await tx.query(
          `UPDATE tracked_image SET removed_at = now(), removed_by = 'CONFIG', updated_at = now() WHERE name = ANY($1::text[])`,
          [out.removed],
        );
      }
      return out;
    });
    this.logger.info(
      {
        step: 'tracked-images',
        source,
        configured: images.length,
        added: summary.added.length,
        restored: summary.restored,
        removed: summary.removed,
        keptRemoved: summary.keptRemoved,
      },
      'tracked image list reconciled with the configuration',
    );
    return summary;
  }
}
