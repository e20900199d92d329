import { Db, likeContains, Params, sortKeyText, TIMESTAMP_KEY, UUID_RE } from '../database/db';
import { decodeCursor, Keyset, Page, pageWindow, PageWindow, toWindowPage } from '../graphql/connection';
import { BadUserInputError } from '../graphql/errors';
import { OrderDirection } from '../graphql/order';
import { ImageNameError, parseImageName, dockerRef } from '../shared/image-name';
import {
  InstanceFilter,
  InstanceOrder,
  InstanceOrderField,
  ResourceFilter,
  ResourceOrder,
  ResourceOrderField,
} from './catalog.inputs';
import { columnsFor, INSTANCE_COLUMNS, InstanceRow, RESOURCE_COLUMNS, toInstance, toResource } from './catalog.columns';
import type { ProcessingInstance, ProcessingResource } from './catalog.types';

type KeyType = 'text' | 'timestamptz' | 'bigint';
interface SortSpec {
  expr: string;
  type: KeyType;
}

const RESOURCE_SORT: Record<ResourceOrderField, SortSpec> = {
  [ResourceOrderField.NAME]: { expr: 'r.name', type: 'text' },
  [ResourceOrderField.CREATED_AT]: { expr: 'r.created_at', type: 'timestamptz' },
  [ResourceOrderField.UPDATED_AT]: { expr: 'r.updated_at', type: 'timestamptz' },
  [ResourceOrderField.LAST_UPDATED]: { expr: `coalesce(r.upstream_last_updated, '-infinity'::timestamptz)`, type: 'timestamptz' },
  [ResourceOrderField.PULL_COUNT]: { expr: 'r.pull_count', type: 'bigint' },
  [ResourceOrderField.STAR_COUNT]: { expr: 'r.star_count', type: 'bigint' },
};

const INSTANCE_SORT: Record<InstanceOrderField, SortSpec> = {
  [InstanceOrderField.LAST_UPDATED]: { expr: `coalesce(i.upstream_last_updated, '-infinity'::timestamptz)`, type: 'timestamptz' },
  [InstanceOrderField.NAME]: { expr: 'i.name', type: 'text' },
};

const KEY_FORMAT: Record<KeyType, RegExp> = {
  text: /^[\s\S]{0,1000}$/,
  timestamptz: TIMESTAMP_KEY,
  bigint: /^-?\d{1,19}$/,
};

export interface ResourceQuery {
  first: number;
  after?: string | null;
  /** Backward paging: the `last` resources before `before` (then `first` is ignored). */
  last?: number | null;
  before?: string | null;
  filter?: ResourceFilter | null;
  orderBy?: ResourceOrder | null;
  /** GraphQL fields of the node that are asked for; all when undefined. */
  fields?: ReadonlySet<string>;
}

export interface InstanceQuery {
  first: number;
  after?: string | null;
  last?: number | null;
  before?: string | null;
  filter?: InstanceFilter | null;
  orderBy?: InstanceOrder | null;
  fields?: ReadonlySet<string>;
}

export const PEERLESS_SQL = `(i.creator_id = '' AND i.partnerships = '[]'::jsonb AND i.origin_ref <> '')`;

/**
 * The SQL of one page of a connection, apart from what it selects: the resolvers' path
 * ({@link CatalogService}) and the compiled read path (src/catalog/read-compiler.ts) both
 * build their pages from it, so arguments are checked and rows are chosen the same way.
 */
export interface PageSql {
  /** Conditions, joined with AND (their parameters are already in the `Params`). */
  where: string[];
  /** The ORDER BY list, without the keyword. */
  orderBy: string;
  /** The sort key as text (what a cursor holds). */
  sortKey: string;
  /** The ordering a cursor names, e.g. `resources:NAME:ASC`. */
  ordering: string;
  /** Whether a (non-empty) `after` cursor was given. */
  hasPreviousPage: boolean;
}

/** Filter, cursor and order of a page of resources; a bad argument is a BAD_USER_INPUT. */
export function resourcePageSql(q: Omit<ResourceQuery, 'first' | 'fields'>, params: Params, window: PageWindow = forwardWindow(q.after)): PageSql {
  const order = q.orderBy ?? { field: ResourceOrderField.NAME, direction: OrderDirection.ASC };
  const sort = RESOURCE_SORT[order.field];
  const ordering = `resources:${order.field}:${order.direction}`;
  const where = resourceFilterSql(q.filter, params);
  where.push(...windowSql(sort, order.direction, 'r.id', ordering, window, params));
  const dir = readingDirection(order.direction, window);
  return { where, orderBy: `${sort.expr} ${dir}, r.id ${dir}`, sortKey: sortKeyText(sort.expr, sort.type), ordering, hasPreviousPage: Boolean(window.after) };
}

/** Filter, cursor and order of a page of instances (of a parent the caller names). */
export function instancePageSql(q: Omit<InstanceQuery, 'first' | 'fields'>, params: Params, window: PageWindow = forwardWindow(q.after)): PageSql {
  const order = q.orderBy ?? { field: InstanceOrderField.LAST_UPDATED, direction: OrderDirection.DESC };
  const sort = INSTANCE_SORT[order.field];
  const ordering = `instances:${order.field}:${order.direction}`;
  const where = instanceFilterSql(q.filter, params);
  where.push(...windowSql(sort, order.direction, 'i.id', ordering, window, params));
  const dir = readingDirection(order.direction, window);
  return { where, orderBy: `${sort.expr} ${dir}, i.id ${dir}`, sortKey: sortKeyText(sort.expr, sort.type), ordering, hasPreviousPage: Boolean(window.after) };
}

/** A forward page after `after` (the compiled read path pages forward only). */
function forwardWindow(after: string | null | undefined): PageWindow {
  return { count: 0, backward: false, after: after || null, before: null };
}

/**
 * The condition that finds `resource(id:, name:)`; null when no row can match (an id that is
 * no UUID). Exactly one of the two must be given; a bad name is a BAD_USER_INPUT.
 */
export function resourceLookupSql(id: string | null | undefined, name: string | null | undefined, params: Params): string | null {
  if ((id == null) === (name == null)) throw new BadUserInputError('Give exactly one of `id` and `name`.');
  if (id != null) return UUID_RE.test(id) ? `r.id = ${params.p(id)}::uuid` : null;
  return `r.name = ${params.p(imageNameArg('name', name!))}`;
}

/** The condition that finds `instance(id:, ref:)`; null when no row can match. */
export function instanceLookupSql(id: string | null | undefined, ref: string | null | undefined, params: Params): string | null {
  if ((id == null) === (ref == null)) throw new BadUserInputError('Give exactly one of `id` and `ref`.');
  if (id != null) return UUID_RE.test(id) ? `i.id = ${params.p(id)}::uuid` : null;
  return `i.origin_ref = ${params.p(normalizeRef(ref!))}`;
}

/**
 * Reads of the catalog. Every connection level is one SQL statement: the resources page is
 * one, the instances of all resources on a page are one more (a LATERAL join per parent),
 * and `totalCount` costs a count only when it is asked for. (Operations the compiled read
 * path covers get their whole answer from one statement instead: src/graphql/compiled/.)
 */
export class CatalogService {
  constructor(private readonly db: Db) {}

  async listResources(q: ResourceQuery): Promise<Page<ProcessingResource>> {
    const params = new Params();
    const window = pageWindow(q);
    const page = resourcePageSql(q, params, window);
    const sql = `
      SELECT ${columnsFor(RESOURCE_COLUMNS, q.fields)}, ${page.sortKey} AS "_sortKey"
      FROM processing_resource r
      ${page.where.length ? `WHERE ${page.where.join(' AND ')}` : ''}
      ORDER BY ${page.orderBy}
      LIMIT ${params.p(window.count + 1)}`;
    const rows = await this.db.query<{ id: string; _sortKey: string | null }>(sql, params.values);
    return toWindowPage(rows, window, page.ordering, toResource, () => this.countResources(q.filter));
  }

  async countResources(filter?: ResourceFilter | null): Promise<number> {
    const params = new Params();
    const where = resourceFilterSql(filter, params);
    const [row] = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM processing_resource r ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`,
      params.values,
    );
    return row.n;
  }

  async resourceById(id: string, fields?: ReadonlySet<string>): Promise<ProcessingResource | null> {
    if (!UUID_RE.test(id)) return null;
    return (await this.resourcesByIds([id], fields))[0] ?? null;
  }

  async resourcesByIds(ids: readonly string[], fields?: ReadonlySet<string>): Promise<ProcessingResource[]> {
    const valid = ids.filter((id) => UUID_RE.test(id));
    if (valid.length === 0) return [];
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT ${columnsFor(RESOURCE_COLUMNS, fields)} FROM processing_resource r WHERE r.id = ANY($1::uuid[])`,
      [valid],
    );
    return rows.map(toResource);
  }

  async resourcesByNames(names: readonly string[], fields?: ReadonlySet<string>): Promise<ProcessingResource[]> {
    if (names.length === 0) return [];
    const cols = columnsFor(RESOURCE_COLUMNS, fields && new Set([...fields, 'name']));
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT ${cols} FROM processing_resource r WHERE r.name = ANY($1::text[])`,
      [names],
    );
    return rows.map(toResource);
  }

  /** Looks a resource up by id or by image name (either form); exactly one must be given. */
  async findResource(id: string | null | undefined, name: string | null | undefined, fields?: ReadonlySet<string>) {
    const params = new Params();
    const where = resourceLookupSql(id, name, params);
    if (where === null) return null;
    const [row] = await this.db.query<Record<string, unknown>>(
      `SELECT ${columnsFor(RESOURCE_COLUMNS, fields)} FROM processing_resource r WHERE ${where}`,
      params.values,
    );
    return row ? toResource(row) : null;
  }

  async findInstance(id: string | null | undefined, ref: string | null | undefined, fields?: ReadonlySet<string>) {
    const params = new Params();
    const where = instanceLookupSql(id, ref, params);
    if (where === null) return null;
    const [row] = await this.db.query<InstanceRow>(
      `SELECT ${columnsFor(INSTANCE_COLUMNS, fields)} FROM processing_instance i WHERE ${where}`,
      params.values,
    );
    return row ? toInstance(row) : null;
  }

  /** Instances by id, in one statement (ids that are not uuids match none). */
  async instancesByIds(ids: readonly string[], fields?: ReadonlySet<string>): Promise<ProcessingInstance[]> {
    const valid = ids.filter((id) => UUID_RE.test(id));
    if (valid.length === 0) return [];
    const rows = await this.db.query<InstanceRow>(
      `SELECT ${columnsFor(INSTANCE_COLUMNS, fields)} FROM processing_instance i WHERE i.id = ANY($1::uuid[])`,
      [valid],
    );
    return rows.map(toInstance);
  }

  /** One page of instances for each resource id, in one statement. */
  async instancesOf(resourceIds: readonly string[], q: InstanceQuery): Promise<Page<ProcessingInstance>[]> {
    const params = new Params();
    const ids = params.p(resourceIds);
    const window = pageWindow(q);
    const page = instancePageSql(q, params, window);
    const where = ['i.resource_id = p.rid', ...page.where];
    const sql = `
      SELECT l.* FROM unnest(${ids}::uuid[]) AS p(rid)
      CROSS JOIN LATERAL (
        SELECT ${columnsFor(INSTANCE_COLUMNS, q.fields)}, p.rid AS "_parent", ${page.sortKey} AS "_sortKey"
        FROM processing_instance i
        WHERE ${where.join(' AND ')}
        ORDER BY ${page.orderBy}
        LIMIT ${params.p(window.count + 1)}
      ) l`;
    const rows = await this.db.query<InstanceRow & { _parent: string; _sortKey: string | null }>(sql, params.values);
    const byParent = new Map<string, typeof rows>();
    for (const row of rows) {
      let list = byParent.get(row._parent);
      if (!list) byParent.set(row._parent, (list = []));
      list.push(row);
    }
    return resourceIds.map((rid) =>
      toWindowPage(byParent.get(rid) ?? [], window, page.ordering, toInstance, () => Promise.reject(new Error('use countInstancesOf'))),
    );
  }

  /** How many instances each resource has that pass the filter, in one statement. */
  async countInstancesOf(resourceIds: readonly string[], filter?: InstanceFilter | null): Promise<number[]> {
    const params = new Params();
    const ids = params.p(resourceIds);
    const where = [`i.resource_id = ANY(${ids}::uuid[])`, ...instanceFilterSql(filter, params)];
    const rows = await this.db.query<{ rid: string; n: number }>(
      `SELECT i.resource_id AS rid, count(*)::int AS n FROM processing_instance i WHERE ${where.join(' AND ')} GROUP BY 1`,
      params.values,
    );
    const counts = new Map(rows.map((r) => [r.rid, r.n]));
    return resourceIds.map((id) => counts.get(id) ?? 0);
  }
}

/** Conditions of a resource filter (alias `r`). */
export function resourceFilterSql(filter: ResourceFilter | null | undefined, params: Params): string[] {
  const where: string[] = [];
  if (!filter) return where;
  if (filter.search != null && filter.search !== '') {
    const p = params.p(likeContains(filter.search));
    where.push(`(r.name ILIKE ${p} OR r.short_description ILIKE ${p})`);
  }
  if (filter.names != null) {
    const names = filter.names.map((n, i) => imageNameArg(`filter.names[${i}]`, n));
    where.push(`r.name = ANY(${params.p(names)}::text[])`);
  }
  if (filter.isDraft != null) where.push(`r.is_draft = ${params.p(filter.isDraft)}`);
  if (filter.registry != null) where.push(`r.registry = ANY(${params.p(filter.registry.map((r) => r.toLowerCase()))}::text[])`);
  if (filter.architecture != null) {
    where.push(
      `EXISTS (SELECT 1 FROM processing_instance i WHERE i.resource_id = r.id AND i.platforms @> ${params.p(
        JSON.stringify([{ architecture: filter.architecture }]),
      )}::jsonb)`,
    );
  }
  if (filter.peerless != null) {
    where.push(`${filter.peerless ? '' : 'NOT '}EXISTS (SELECT 1 FROM processing_instance i WHERE i.resource_id = r.id AND ${PEERLESS_SQL})`);
  }
  return where;
}

/** Conditions of an instance filter (alias `i`). */
export function instanceFilterSql(filter: InstanceFilter | null | undefined, params: Params): string[] {
  const where: string[] = [];
  if (!filter) return where;
  if (filter.search != null && filter.search !== '') where.push(`i.name ILIKE ${params.p(likeContains(filter.search))}`);
  if (filter.names != null) where.push(`i.name = ANY(${params.p(filter.names)}::text[])`);
  if (filter.architecture != null) {
    where.push(`i.platforms @> ${params.p(JSON.stringify([{ architecture: filter.architecture }]))}::jsonb`);
  }
  if (filter.peerless != null) where.push(filter.peerless ? PEERLESS_SQL : `NOT ${PEERLESS_SQL}`);
  if (filter.upstreamStatus != null) where.push(`i.upstream_status = ${params.p(filter.upstreamStatus)}`);
  return where;
}

function keysetSql(sort: SortSpec, direction: OrderDirection, idExpr: string, keyset: Keyset, params: Params, side: 'after' | 'before' = 'after'): string {
  const op = (direction === OrderDirection.DESC) === (side === 'after') ? '<' : '>';
  return `(${sort.expr}, ${idExpr}) ${op} (${params.p(keyset.key)}::${sort.type}, ${params.p(keyset.id)}::uuid)`;
}

/** The keyset bounds of a page window: rows after `after` and before `before` in list order. */
function windowSql(sort: SortSpec, direction: OrderDirection, idExpr: string, ordering: string, window: PageWindow, params: Params): string[] {
  const out: string[] = [];
  for (const side of ['after', 'before'] as const) {
    const cursor = window[side];
    if (cursor) out.push(keysetSql(sort, direction, idExpr, checkKeyset(sort, decodeCursor(ordering, cursor, side), side), params, side));
  }
  return out;
}

/** SQL direction rows are read in: the list order forward, its reverse backward. */
function readingDirection(direction: OrderDirection, window: PageWindow): 'ASC' | 'DESC' {
  return (direction === OrderDirection.DESC) !== window.backward ? 'DESC' : 'ASC';
}

function checkKeyset(sort: SortSpec, keyset: Keyset, argument: 'after' | 'before' = 'after'): Keyset {
  if (keyset.key === null || !KEY_FORMAT[sort.type].test(keyset.key) || !UUID_RE.test(keyset.id)) {
    throw BadUserInputError.field(argument, 'not a cursor returned by this API');
  }
  return keyset;
}

/** `library/nginx` → `nginx`; a bad name is a BAD_USER_INPUT naming the argument. */
export function imageNameArg(field: string, raw: string): string {
  try {
    return parseImageName(raw).name;
  } catch (e) {
    if (e instanceof ImageNameError) throw BadUserInputError.field(field, e.message);
    throw e;
  }
}

/** Accepts `docker.io/nginx:1.27`, `nginx:1.27`, `library/nginx:1.27` and `docker.io/library/nginx:1.27`. */
export function normalizeRef(ref: string): string {
  const m = /^(?:docker\.io\/|index\.docker\.io\/)?([^:@]+):([\w][\w.-]{0,127})$/.exec(ref.trim());
  if (!m) return ref.trim();
  try {
    return dockerRef(parseImageName(m[1]), m[2]);
  } catch {
    return ref.trim();
  }
}
