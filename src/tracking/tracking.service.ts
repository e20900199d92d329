import { v7 as uuidv7 } from 'uuid';
import { Db, Queryable, UUID_RE } from '../database/db';
import { decodeCursor, Page, PageQuery, pageWindow, toWindowPage } from '../graphql/connection';
import { BadUserInputError, NotFoundError } from '../graphql/errors';
import { ImageName } from '../shared/image-name';
import type { Logger } from '../shared/logger';
import { TrackedImage, TrackedImageSource } from './tracked-image.type';

/** Serialises changes to the image list across replicas (config reconciliation, mutations). */
import type { TagFilter } from './tag-filter';

export const TRACKING_LOCK_KEY = 7_301_940_002;

export const TRACKED_IMAGE_COLUMNS = `
  t.id, t.position::text AS position, t.name, t.registry, t.namespace, t.repository, t.enabled,
  CASE WHEN t.tag_include IS NOT NULL OR t.tag_exclude IS NOT NULL
       THEN jsonb_build_object('include', t.tag_include, 'exclude', t.tag_exclude) END AS "tagFilter",
  t.max_tags AS "maxTagsOverride", t.source, t.last_status AS "lastStatus", t.last_error AS "lastError",
  t.last_scraped_at AS "lastScrapedAt", t.last_synced_at AS "lastSyncedAt", t.removed_at AS "removedAt",
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

  async list(q: PageQuery & { filter?: TrackedImageFilterQuery | null }): Promise<Page<TrackedImage>> {
    const ordering = 'tracked:position';
    const params: unknown[] = [];
    const where = ['t.removed_at IS NULL'];
    if (q.filter?.enabled != null) where.push(`t.enabled = $${params.push(q.filter.enabled)}`);
    if (q.filter?.lastStatus != null) where.push(`t.last_status = $${params.push(q.filter.lastStatus)}`);
    const countWhere = [...where];
    const countParams = [...params];
    const window = pageWindow(q);
    for (const side of ['after', 'before'] as const) {
      const cursor = window[side];
      if (!cursor) continue;
      const keyset = decodeCursor(ordering, cursor, side);
      if (!keyset.key || !/^\d{1,19}$/.test(keyset.key)) throw BadUserInputError.field(side, 'not a cursor returned by this API');
      where.push(`t.position ${side === 'after' ? '>' : '<'} $${params.push(keyset.key)}::bigint`);
    }
    const rows = await this.db.query<TrackedImageRow & { _sortKey: string }>(
      `SELECT ${TRACKED_IMAGE_COLUMNS}, t.position::text AS "_sortKey" FROM tracked_image t
       WHERE ${where.join(' AND ')} ORDER BY t.position ${window.backward ? 'DESC' : 'ASC'} LIMIT $${params.push(window.count + 1)}`,
      params,
    );
    return toWindowPage(rows, window, ordering, this.toTrackedImage, async () => {
      const [row] = await this.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM tracked_image t WHERE ${countWhere.join(' AND ')}`,
        countParams,
      );
      return row.n;
    });
  }

  /** Images on the list (not removed) by id, in one statement; ids that are not uuids match none. */
  async byIds(ids: readonly string[]): Promise<TrackedImage[]> {
    const valid = ids.filter((id) => UUID_RE.test(id));
    if (valid.length === 0) return [];
    const rows = await this.db.query<TrackedImageRow>(
      `SELECT ${TRACKED_IMAGE_COLUMNS} FROM tracked_image t WHERE t.id = ANY($1::uuid[]) AND t.removed_at IS NULL`,
      [valid],
    );
    return rows.map(this.toTrackedImage);
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
   * Puts images on the list (source `API`). An image already on it is kept as it is, except
   * for `maxTags` when given (`null` → follow the default); an image removed earlier (by the
   * API or the configuration) comes back enabled, its tombstone cleared, so that the next
   * start keeps it. Returns the named images in the order given.
   */
  async add(images: readonly ImageName[], maxTags?: number | null, tagFilter?: TagFilter | null): Promise<TrackedImage[]> {
    const names = images.map((i) => i.name);
    return this.listChange(async (tx) => {
      const rows = await tx.query<{ name: string; removed: boolean; max_tags: number | null }>(
        'SELECT name, removed_at IS NOT NULL AS removed, max_tags FROM tracked_image WHERE name = ANY($1::text[]) FOR UPDATE',
        [names],
      );
      const existing = new Map(rows.map((r) => [r.name, r]));
      await this.insertNew(
        tx,
        images.filter((i) => !existing.has(i.name)),
        maxTags ?? null,
      );
      const restored = rows.filter((r) => r.removed).map((r) => r.name);
      await this.restore(tx, restored, maxTags ?? null);
      if (maxTags !== undefined) {
        const retagged = rows.filter((r) => !r.removed && r.max_tags !== maxTags).map((r) => r.name);
        if (retagged.length > 0) {
          await tx.query('UPDATE tracked_image SET max_tags = $2, updated_at = now() WHERE name = ANY($1::text[])', [retagged, maxTags]);
        }
      }
      if (tagFilter !== undefined) {
        await tx.query('UPDATE tracked_image SET tag_include = $2, tag_exclude = $3, updated_at = now() WHERE name = ANY($1::text[])', [
          names,
          tagFilter?.include ?? null,
          tagFilter?.exclude ?? null,
        ]);
      }
      return inOrder(names, await this.byNames(names, tx));
    });
  }

  /**
   * Takes images off the list, leaving a tombstone (`removed_by = 'API'`) so that the
   * configured list cannot bring them back at the next start. Every image must be on the
   * list: otherwise nothing is removed and NOT_FOUND names the others. `purge` also deletes
   * their catalog resources (and, by cascade, instances). Returns the removed images.
   */
  async remove(
    images: readonly ImageName[],
    purge: boolean,
  ): Promise<{ removed: TrackedImage[]; purgedResourceIds: string[]; purgedInstanceIds: string[] }> {
    const names = images.map((i) => i.name);
    return this.listChange(async (tx) => {
      const active = await tx.query<{ name: string }>(
        'SELECT name FROM tracked_image WHERE name = ANY($1::text[]) AND removed_at IS NULL FOR UPDATE',
        [names],
      );
      const found = new Set(active.map((r) => r.name));
      const missing = names.filter((n) => !found.has(n));
      if (missing.length > 0) {
        throw new NotFoundError(
          `Not on the tracked list: ${missing.join(', ')}. Nothing was removed.`,
          { images: missing },
        );
      }
      const removed = await this.tombstone(tx, names);
      let purgedResourceIds: string[] = [];
      let purgedInstanceIds: string[] = [];
      if (purge) {
        // The ids go back to clients, whose caches evict them (instances go by cascade).
        purgedInstanceIds = (
          await tx.query<{ id: string }>(
            'SELECT i.id FROM processing_instance i JOIN processing_resource r ON r.id = i.resource_id WHERE r.name = ANY($1::text[]) ORDER BY i.id',
            [names],
          )
        ).map((r) => r.id);
        purgedResourceIds = (
          await tx.query<{ id: string }>('DELETE FROM processing_resource WHERE name = ANY($1::text[]) RETURNING id', [names])
        ).map((r) => r.id);
      }
      return { removed: inOrder(names, removed), purgedResourceIds, purgedInstanceIds };
    });
  }

  /**
   * Makes the list exactly `images`: adds the missing ones (as {@link add} does), removes
   * the others (as {@link remove} does, without purging). Returns both and the new list.
   */
  async set(images: readonly ImageName[]): Promise<{ added: TrackedImage[]; removed: TrackedImage[]; trackedImages: TrackedImage[] }> {
    const wanted = new Set(images.map((i) => i.name));
    return this.listChange(async (tx) => {
      const rows = await tx.query<{ name: string; removed: boolean }>(
        'SELECT name, removed_at IS NOT NULL AS removed FROM tracked_image FOR UPDATE',
      );
      const existing = new Map(rows.map((r) => [r.name, r]));
      const toInsert = images.filter((i) => !existing.has(i.name));
      const toRestore = rows.filter((r) => r.removed && wanted.has(r.name)).map((r) => r.name);
      const toRemove = rows.filter((r) => !r.removed && !wanted.has(r.name)).map((r) => r.name);
      await this.insertNew(tx, toInsert, null);
      await this.restore(tx, toRestore, null);
      const removed = await this.tombstone(tx, toRemove);
      const addedNames = [...toInsert.map((i) => i.name), ...toRestore];
      const trackedImages = (
        await tx.query<TrackedImageRow>(`SELECT ${TRACKED_IMAGE_COLUMNS} FROM tracked_image t WHERE t.removed_at IS NULL ORDER BY t.position`)
      ).map(this.toTrackedImage);
      return {
        added: trackedImages.filter((t) => addedNames.includes(t.name)),
        removed: inOrder(toRemove, removed),
        trackedImages,
      };
    });
  }

  /** Changes one image's settings; fields left undefined stay. NOT_FOUND when it is not on the list. */
  async update(image: ImageName, patch: { enabled?: boolean; maxTags?: number | null; tagFilter?: TagFilter | null }): Promise<TrackedImage> {
    return this.listChange(async (tx) => {
      const [row] = await tx.query<{ enabled: boolean; max_tags: number | null }>(
        'SELECT enabled, max_tags FROM tracked_image WHERE name = $1 AND removed_at IS NULL FOR UPDATE',
        [image.name],
      );
      if (!row) {
        throw new NotFoundError(`Not on the tracked list: ${image.name}. Add it with addTrackedImages first.`, { images: [image.name] });
      }
      const sets: string[] = [];
      const params: unknown[] = [image.name];
      if (patch.enabled !== undefined && patch.enabled !== row.enabled) sets.push(`enabled = $${params.push(patch.enabled)}`);
      if (patch.maxTags !== undefined && patch.maxTags !== row.max_tags) sets.push(`max_tags = $${params.push(patch.maxTags)}::integer`);
      if (patch.tagFilter !== undefined) {
        sets.push(`tag_include = $${params.push(patch.tagFilter?.include ?? null)}`, `tag_exclude = $${params.push(patch.tagFilter?.exclude ?? null)}`);
      }
      if (sets.length > 0) {
        await tx.query(`UPDATE tracked_image SET ${sets.join(', ')}, updated_at = now() WHERE name = $1`, params);
      }
      const [updated] = await this.byNames([image.name], tx);
      return updated;
    });
  }

  /**
   * Sets the tag filters written in DOCKER_SCRAPER_IMAGES on the images the configuration
   * put on the list (source DEFAULT or CONFIG); an image added through the API keeps the
   * filter set through the API. Only rows whose filter differs are written.
   */
  async applyConfiguredTagFilters(filters: ReadonlyMap<string, TagFilter>): Promise<void> {
    if (filters.size === 0) return;
    const names = [...filters.keys()];
    await this.db.query(
      `UPDATE tracked_image t SET tag_include = x.inc, tag_exclude = x.exc, updated_at = now()
       FROM unnest($1::text[], $2::text[], $3::text[]) AS x(name, inc, exc)
       WHERE t.name = x.name AND t.source <> 'API' AND t.removed_at IS NULL
         AND (t.tag_include, t.tag_exclude) IS DISTINCT FROM (x.inc, x.exc)`,
      [names, names.map((n) => filters.get(n)!.include), names.map((n) => filters.get(n)!.exclude)],
    );
  }

  /** Every change to the list: one transaction, serialised with every other change across replicas. */
  private listChange<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [TRACKING_LOCK_KEY]);
      return fn(tx);
    });
  }

  private async insertNew(tx: Queryable, images: readonly ImageName[], maxTags: number | null): Promise<void> {
    if (images.length === 0) return;
    await tx.query(
      `INSERT INTO tracked_image (id, name, registry, namespace, repository, source, max_tags)
       SELECT id, name, reg, ns, repo, 'API', $5::integer
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $6::text[]) WITH ORDINALITY AS x(id, name, ns, repo, reg, ord)
       ORDER BY ord`,
      [
        images.map(() => uuidv7()),
        images.map((i) => i.name),
        images.map((i) => i.namespace),
        images.map((i) => i.repository),
        maxTags,
        images.map((i) => i.registry),
      ],
    );
  }

  /** Brings removed images back (enabled, source `API`), clearing their tombstones. */
  private async restore(tx: Queryable, names: readonly string[], maxTags: number | null): Promise<void> {
    if (names.length === 0) return;
    await tx.query(
      `UPDATE tracked_image SET removed_at = NULL, removed_by = NULL, source = 'API', enabled = true, max_tags = $2::integer, updated_at = now()
       WHERE name = ANY($1::text[])`,
      [names, maxTags],
    );
  }

  private async tombstone(tx: Queryable, names: readonly string[]): Promise<TrackedImage[]> {
    if (names.length === 0) return [];
    const rows = await tx.query<TrackedImageRow>(
      `UPDATE tracked_image t SET removed_at = now(), removed_by = 'API', updated_at = now()
       WHERE t.name = ANY($1::text[]) AND t.removed_at IS NULL
       RETURNING ${TRACKED_IMAGE_COLUMNS}`,
      [names],
    );
    return rows.map(this.toTrackedImage);
  }

  /**
   * Seeds the list from the configuration on a new database, and leaves an existing list
   * alone: for processes (the scrape command) that may run with another configuration than
   * the service's.
   */
  async seedIfEmpty(images: readonly ImageName[], source: 'DEFAULT' | 'CONFIG'): Promise<ReconcileSummary | null> {
    const [row] = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tracked_image');
    if (row.n > 0) return null;
    return this.reconcileWithConfig(images, source);
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
          `INSERT INTO tracked_image (id, name, registry, namespace, repository, source)
           SELECT id, name, reg, ns, repo, src
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS x(id, name, ns, repo, src, reg, ord)
           ORDER BY ord`,
          [
            toInsert.map(() => uuidv7()),
            toInsert.map((i) => i.name),
            toInsert.map((i) => i.namespace),
            toInsert.map((i) => i.repository),
            toInsert.map(() => source),
            toInsert.map((i) => i.registry),
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

/** `items` sorted as `names` lists them. */
function inOrder<T extends { name: string }>(names: readonly string[], items: readonly T[]): T[] {
  const index = new Map(names.map((n, i) => [n, i]));
  return [...items].sort((a, b) => (index.get(a.name) ?? 0) - (index.get(b.name) ?? 0));
}
