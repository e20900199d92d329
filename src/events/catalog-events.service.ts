import { Db, Params } from '../database/db';
import { decodeCursor, Page, toPage } from '../graphql/connection';
import { BadUserInputError } from '../graphql/errors';
import { ImageNameError, parseImageName } from '../shared/image-name';
import { CatalogEvent, CatalogEventType, EVENT_COLUMNS, EVENTS_ORDERING, toCatalogEvent } from './catalog-event.type';

/** A filter with canonical image names; empty or absent lists match everything. */
export interface EventFilter {
  types?: readonly CatalogEventType[] | null;
  images?: readonly string[] | null;
}

const ORDERING = EVENTS_ORDERING;

/** Reads of the change feed (catalog_event), in id order: commit order (src/events/outbox.ts). */
export class CatalogEventService {
  constructor(private readonly db: Db) {}

  /** Canonical image names of a filter; BAD_USER_INPUT naming `field` for a bad one. */
  static normaliseFilter(filter: EventFilter | null | undefined, field = 'filter'): EventFilter {
    const images = (filter?.images ?? []).map((raw, i) => {
      try {
        return parseImageName(raw).name;
      } catch (e) {
        if (e instanceof ImageNameError) throw BadUserInputError.field(`${field}.images[${i}]`, e.message);
        throw e;
      }
    });
    return { types: filter?.types?.length ? [...filter.types] : null, images: images.length ? images : null };
  }

  static matches(filter: EventFilter, e: CatalogEvent): boolean {
    if (filter.types?.length && !filter.types.includes(e.type)) return false;
    if (filter.images?.length && !(e.image && filter.images.includes(e.image))) return false;
    return true;
  }

  /** The catalogEvents connection: oldest kept event first, or the ones after a cursor. */
  async list(q: { first: number; after?: string | null; filter?: EventFilter | null }): Promise<Page<CatalogEvent>> {
    const filter = CatalogEventService.normaliseFilter(q.filter);
    let afterId = '0';
    if (q.after) {
      const k = decodeCursor(ORDERING, q.after);
      if (!/^\d{1,19}$/.test(k.id)) throw BadUserInputError.field('after', 'not a cursor returned by this API');
      afterId = k.id;
    }
    const rows = await this.read(afterId, q.first + 1, filter);
    return toPage(
      rows.map((r) => ({ ...r, _sortKey: null })),
      q.first,
      ORDERING,
      q.after,
      (r) => r,
      async () => {
        const p = new Params();
        const [row] = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM catalog_event e WHERE ${where(filter, p)}`, p.values);
        return row.n;
      },
    );
  }

  /** Events with an id above `afterId`, in id order. */
  async read(afterId: string, limit: number, filter: EventFilter = {}): Promise<CatalogEvent[]> {
    const p = new Params();
    const cond = where(filter, p);
    const rows = await this.db.query<Parameters<typeof toCatalogEvent>[0]>(
      `SELECT ${EVENT_COLUMNS} FROM catalog_event e WHERE e.id > ${p.p(afterId)}::bigint AND ${cond} ORDER BY e.id LIMIT ${p.p(limit)}`,
      p.values,
    );
    return rows.map(toCatalogEvent);
  }

  /** The highest id written so far ('0' for none). */
  async lastId(): Promise<string> {
    const [row] = await this.db.query<{ id: string | number | null }>('SELECT max(id) AS id FROM catalog_event');
    return String(row.id ?? 0);
  }

  /**
   * Deletes events older than `retentionMs`, `batch` rows per statement (short locks, short
   * WAL bursts), until none is left or `maxBatches` ran. Returns how many were deleted.
   */
  async prune(retentionMs: number, batch = 1000, maxBatches = 100): Promise<number> {
    let total = 0;
    for (let i = 0; i < maxBatches; i++) {
      const rows = await this.db.query(
        `DELETE FROM catalog_event WHERE id IN (
           SELECT id FROM catalog_event WHERE occurred_at < now() - $1::interval ORDER BY id LIMIT $2)
         RETURNING 1`,
        [`${retentionMs} milliseconds`, batch],
      );
      total += rows.length;
      if (rows.length < batch) break;
    }
    return total;
  }
}

function where(filter: EventFilter, p: Params): string {
  const parts = ['true'];
  if (filter.types?.length) parts.push(`e.type = ANY(${p.p(filter.types)}::text[])`);
  if (filter.images?.length) parts.push(`e.image = ANY(${p.p(filter.images)}::text[])`);
  return parts.join(' AND ');
}
