import { Params } from '../database/db';
import {
  InstanceQuery,
  instanceLookupSql,
  instancePageSql,
  PageSql,
  PEERLESS_SQL,
  resourceFilterSql,
  ResourceQuery,
  resourceLookupSql,
  resourcePageSql,
  instanceFilterSql,
} from './catalog.service';

/**
 * The SQL half of the compiled read path (the GraphQL half is src/graphql/compiled/): a
 * selection tree — what a query asks of the catalog, response key by response key, in the
 * order graphql-js would answer it — becomes ONE statement that builds the whole `data`
 * object as compact JSON text in PostgreSQL (`to_json` per value, `string_agg` per list,
 * correlated subqueries per nested connection) and returns it, so Node neither hydrates rows nor serialises.
 *
 * Pages, filters, cursors and lookups come from the same builders as the resolvers' path
 * (`resourcePageSql`, `instancePageSql`, `resourceLookupSql`, … in catalog.service.ts): the same
 * rows, the same ordering, the same BAD_USER_INPUT for a bad argument. Scalars are written as
 * the GraphQL scalars serialise them: DateTime as JavaScript's `toISOString()` (UTC,
 * milliseconds truncated like a JS Date), SafeInt as JSON numbers, enums by name; cursors are
 * byte-identical to `encodeCursor`. Only the columns of requested fields are read.
 */

/** One response key of an object and what it holds. */
export interface Entry<V> {
  key: string;
  value: V;
}

/** A constant JSON value (`__typename`). */
export interface ConstValue {
  kind: 'const';
  json: string;
}

export type ResourceValue =
  | ConstValue
  | { kind: 'scalar'; field: string }
  | { kind: 'owners'; entries: Entry<ConstValue | { kind: 'scalar'; field: 'name' | 'logo' }>[] }
  | { kind: 'instances'; query: InstanceQuery; connection: Entry<ConnectionValue<InstanceValue>>[] };

export type InstanceValue =
  | ConstValue
  | { kind: 'scalar'; field: string }
  | { kind: 'origin'; entries: Entry<ConstValue | { kind: 'scalar'; field: 'type' | 'ref' | 'license' | 'verified' }>[] }
  | { kind: 'access'; entries: Entry<ConstValue | { kind: 'container'; entries: Entry<ContainerValue>[] }>[] }
  | { kind: 'platforms'; entries: Entry<ConstValue | { kind: 'scalar'; field: 'architecture' | 'os' | 'variant' | 'digest' | 'size' }>[] }
  | { kind: 'resource'; entries: Entry<ResourceValue>[] };

export type ContainerValue =
  | ConstValue
  | { kind: 'scalar'; field: 'image' | 'command' | 'args' | 'volumes' }
  | { kind: 'env'; entries: Entry<ConstValue | { kind: 'scalar'; field: 'name' | 'value' }>[] };

export type ConnectionValue<N> =
  | ConstValue
  | { kind: 'totalCount' }
  | { kind: 'pageInfo'; entries: Entry<ConstValue | { kind: 'pageInfo'; field: 'hasNextPage' | 'hasPreviousPage' | 'startCursor' | 'endCursor' }>[] }
  | { kind: 'edges'; entries: Entry<ConstValue | { kind: 'cursor' } | { kind: 'node'; entries: Entry<N>[] }>[] };

export type RootValue =
  | ConstValue
  | { kind: 'resources'; query: ResourceQuery; connection: Entry<ConnectionValue<ResourceValue>>[] }
  | { kind: 'resource'; id: string | null | undefined; name: string | null | undefined; entries: Entry<ResourceValue>[] }
  | { kind: 'instance'; id: string | null | undefined; ref: string | null | undefined; entries: Entry<InstanceValue>[] };

/** A compiled statement: its text and parameters; it returns one row with one text column. */
export interface CompiledRead {
  text: string;
  values: unknown[];
}

/** Thrown for a selection the compiler does not build (the caller falls back to the resolvers). */
export class NotCompilable extends Error {}

/** The statement that answers the root selection: `SELECT <data json>::text`. */
export function compileRead(root: readonly Entry<RootValue>[]): CompiledRead {
  const params = new Params();
  const data = object(root, (v) => rootSql(v, params));
  return { text: `SELECT ${data} AS data`, values: params.values };
}

// ------------------------------------------------------------------ helpers

/**
 * Every builder returns SQL that yields JSON as compact text, never NULL (a null is `'null'`):
 * pieces are concatenated, so the answer has no spaces (json_build_object writes `"k" : v, `).
 */
function object<V>(entries: readonly Entry<V>[], sql: (v: V) => string): string {
  if (entries.length === 0) return `'{}'`;
  const parts = entries.map((e, i) => `${literal(`${i === 0 ? '{' : ','}${JSON.stringify(e.key)}:`)} || ${sql(e.value)}`);
  return `(${parts.join(' || ')} || '}')`;
}

/** The JSON text of a SQL value (`to_json`), `null` for NULL. */
function jv(expr: string): string {
  return `coalesce(to_json(${expr})::text, 'null')`;
}

/**
 * A JSON array of `elem` over the rows of an aggregate, `[]` when none; in `order`, or in
 * the order of a set-returning function's output when no order is given (a lone function
 * scan feeds the aggregate its rows as the function returns them).
 */
function array(elem: string, order?: string, filter = ''): string {
  return `coalesce('[' || string_agg(${elem}, ','${order ? ` ORDER BY ${order}` : ''})${filter} || ']', '[]')`;
}

/** A SQL string literal (standard_conforming_strings is on by default since PostgreSQL 9.1). */
export function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** An integer written into the statement (page sizes; never client text). */
function intLiteral(n: number): string {
  if (!Number.isSafeInteger(n)) throw new NotCompilable(`not an integer: ${n}`);
  return String(n);
}

function constSql(v: ConstValue): string {
  return literal(v.json);
}

/** A timestamptz as `Date.prototype.toISOString()` writes it (a JS Date holds whole milliseconds). */
function isoDate(expr: string): string {
  return `to_char((${expr}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** `encodeCursor(ordering, { key, id })`: base64url of `JSON.stringify([ordering, key, id])`. */
function cursorSql(ordering: string, keyExpr: string, idExpr: string): string {
  const json = `${literal(`${JSON.stringify(ordering)},`)} || coalesce(to_json(${keyExpr})::text, 'null') || ',"' || ${idExpr}::text || '"]'`;
  return `translate(encode(convert_to('[' || ${json}, 'UTF8'), 'base64'), E'+/=\\n', '-_')`;
}

// ------------------------------------------------------------------ root

function rootSql(v: RootValue, params: Params): string {
  switch (v.kind) {
    case 'const':
      return constSql(v);
    case 'resources':
      return resourceConnectionSql(v.query, v.connection, params);
    case 'resource': {
      const where = resourceLookupSql(v.id, v.name, params);
      if (where === null) return `'null'`;
      return `coalesce((SELECT ${resourceObject(v.entries, params)} FROM processing_resource r WHERE ${where}), 'null')`;
    }
    case 'instance': {
      const where = instanceLookupSql(v.id, v.ref, params);
      if (where === null) return `'null'`;
      return `coalesce((SELECT ${instanceObject(v.entries, params)} FROM processing_instance i WHERE ${where}), 'null')`;
    }
  }
}

// ------------------------------------------------------------------ connections

interface Level<N> {
  /** `r` or `i`: the alias every shared builder uses. */
  alias: 'r' | 'i';
  table: string;
  /** The page's SQL; its conditions' parameters go to the given `Params`. */
  page: (params: Params) => PageSql;
  first: number;
  /** Conditions besides the page's own (the parent of nested instances). */
  extraWhere: string[];
  /** The total count's SQL, when asked for. */
  count: () => string;
  node: (entries: readonly Entry<N>[]) => string;
  columns: (entries: readonly Entry<N>[]) => Set<string>;
}

/**
 * One page as JSON: a subquery reads `first + 1` rows of the needed columns in order
 * (numbered by `_n`); the aggregate above it builds the edges of the first `first` rows only
 * (nested subqueries are not run for the extra row, which only tells `hasNextPage`).
 */
function connectionSql<N>(level: Level<N>, connection: readonly Entry<ConnectionValue<N>>[], params: Params): string {
  const a = level.alias;
  // Built (and so checked: a bad cursor is refused) even when no row is read; its
  // conditions are built again with the statement's parameters only when rows are read.
  const page = level.page(new Params());
  // Page sizes are written into the text, not sent as parameters: a prepared statement with
  // `LIMIT $n` gets a generic plan costed for an unknown limit, which PostgreSQL rejects in
  // favour of planning every execution anew; with literals the generic plan is the right one
  // and is planned once per connection (validated 1..100, so few distinct texts).
  const firstP = () => intLiteral(level.first);
  const columns = new Set<string>([`${a}.id`]);
  let needsKey = false;
  let needsRows = false;
  const cursor = () => cursorSql(page.ordering, `${a}._k`, `${a}.id`);
  const inPage = () => `FILTER (WHERE ${a}._n <= ${firstP()})`;

  const sql = object(connection, (v) => {
    switch (v.kind) {
      case 'const':
        return constSql(v);
      case 'totalCount':
        return level.count();
      case 'pageInfo':
        return object(v.entries, (p) => {
          if (p.kind === 'const') return constSql(p);
          switch (p.field) {
            case 'hasNextPage':
              needsRows = true;
              return `(count(*) > ${firstP()})::text`;
            case 'hasPreviousPage':
              return page.hasPreviousPage ? `'true'` : `'false'`;
            case 'startCursor':
              needsRows = needsKey = true;
              return `coalesce('"' || (array_agg(${cursor()} ORDER BY ${a}._n) ${inPage()})[1] || '"', 'null')`;
            case 'endCursor':
              needsRows = needsKey = true;
              return `coalesce('"' || (array_agg(${cursor()} ORDER BY ${a}._n DESC) ${inPage()})[1] || '"', 'null')`;
          }
        });
      case 'edges': {
        needsRows = true;
        const edge = object(v.entries, (e) => {
          if (e.kind === 'const') return constSql(e);
          if (e.kind === 'cursor') {
            needsKey = true;
            return `'"' || ${cursor()} || '"'`;
          }
          for (const c of level.columns(e.entries)) columns.add(c);
          return level.node(e.entries);
        });
        return array(edge, `${a}._n`, ` ${inPage()}`);
      }
    }
  });
  if (!needsRows) return sql;
  if (needsKey) columns.add(`${page.sortKey} AS _k`);
  const where = [...level.extraWhere, ...level.page(params).where];
  return `(SELECT ${sql} FROM (
    SELECT ${[...columns].join(', ')}, row_number() OVER (ORDER BY ${page.orderBy}) AS _n
    FROM ${level.table} ${a}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
    ORDER BY ${page.orderBy} LIMIT ${intLiteral(level.first + 1)}) ${a})`;
}

function resourceConnectionSql(query: ResourceQuery, connection: readonly Entry<ConnectionValue<ResourceValue>>[], params: Params): string {
  return connectionSql<ResourceValue>(
    {
      alias: 'r',
      table: 'processing_resource',
      page: (p) => resourcePageSql(query, p),
      first: query.first,
      extraWhere: [],
      count: () => {
        const where = resourceFilterSql(query.filter, params);
        return `(SELECT count(*) FROM processing_resource r${where.length ? ` WHERE ${where.join(' AND ')}` : ''})::text`;
      },
      node: (entries) => resourceObject(entries, params),
      columns: resourceColumns,
    },
    connection,
    params,
  );
}

/** The instances of the resource `r` in scope. */
function instanceConnectionSql(query: InstanceQuery, connection: readonly Entry<ConnectionValue<InstanceValue>>[], params: Params): string {
  return connectionSql<InstanceValue>(
    {
      alias: 'i',
      table: 'processing_instance',
      page: (p) => instancePageSql(query, p),
      first: query.first,
      extraWhere: ['i.resource_id = r.id'],
      count: () => {
        const where = ['i.resource_id = r.id', ...instanceFilterSql(query.filter, params)];
        return `(SELECT count(*) FROM processing_instance i WHERE ${where.join(' AND ')})::text`;
      },
      node: (entries) => instanceObject(entries, params),
      columns: instanceColumns,
    },
    connection,
    params,
  );
}

// ------------------------------------------------------------------ resources

interface ScalarSql {
  /** The SQL value (made JSON by `to_json`), reading the row `r` / `i`. */
  sql: string;
  /** The columns it reads (what the page subquery must select). */
  columns: string[];
}

const RESOURCE_SCALARS: Record<string, ScalarSql> = {
  id: { sql: 'r.id', columns: ['r.id'] },
  name: { sql: 'r.name', columns: ['r.name'] },
  registry: { sql: 'r.registry', columns: ['r.registry'] },
  namespace: { sql: 'r.namespace', columns: ['r.namespace'] },
  repository: { sql: 'r.repository', columns: ['r.repository'] },
  description: { sql: 'r.description', columns: ['r.description'] },
  shortDescription: { sql: 'r.short_description', columns: ['r.short_description'] },
  logo: { sql: 'r.logo', columns: ['r.logo'] },
  infrastructure: { sql: 'r.infrastructure', columns: ['r.infrastructure'] },
  openSource: { sql: 'r.open_source', columns: ['r.open_source'] },
  isService: { sql: 'r.is_service', columns: ['r.is_service'] },
  isDraft: { sql: 'r.is_draft', columns: ['r.is_draft'] },
  starCount: { sql: 'r.star_count', columns: ['r.star_count'] },
  pullCount: { sql: 'r.pull_count', columns: ['r.pull_count'] },
  lastUpdated: { sql: isoDate('r.upstream_last_updated'), columns: ['r.upstream_last_updated'] },
  lastSyncedAt: { sql: isoDate('(SELECT t.last_synced_at FROM tracked_image t WHERE t.name = r.name)'), columns: ['r.name'] },
  editedFields: { sql: 'ARRAY(SELECT jsonb_object_keys(r.overridden) ORDER BY 1)', columns: ['r.overridden'] },
  createdAt: { sql: isoDate('r.created_at'), columns: ['r.created_at'] },
  updatedAt: { sql: isoDate('r.updated_at'), columns: ['r.updated_at'] },
};

/** Whether the compiler can build this scalar field of a resource / an instance. */
export function isResourceScalar(field: string): boolean {
  return Object.hasOwn(RESOURCE_SCALARS, field);
}
export function isInstanceScalar(field: string): boolean {
  return Object.hasOwn(INSTANCE_SCALARS, field);
}

function resourceColumns(entries: readonly Entry<ResourceValue>[]): Set<string> {
  const out = new Set<string>();
  for (const { value: v } of entries) {
    if (v.kind === 'scalar') for (const c of RESOURCE_SCALARS[v.field].columns) out.add(c);
    else if (v.kind === 'owners') out.add('r.owners');
    else if (v.kind === 'instances') out.add('r.id');
  }
  return out;
}

function resourceObject(entries: readonly Entry<ResourceValue>[], params: Params): string {
  return object(entries, (v) => {
    switch (v.kind) {
      case 'const':
        return constSql(v);
      case 'scalar':
        return jv(RESOURCE_SCALARS[v.field].sql);
      case 'owners': {
        const owner = object(v.entries, (o) => (o.kind === 'const' ? constSql(o) : jv(`o.v->>${literal(o.field)}`)));
        return `(SELECT ${array(owner)} FROM jsonb_array_elements(r.owners) o(v))`;
      }
      case 'instances':
        return instanceConnectionSql(v.query, v.connection, params);
    }
  });
}

// ------------------------------------------------------------------ instances

const INSTANCE_SCALARS: Record<string, ScalarSql> = {
  id: { sql: 'i.id', columns: ['i.id'] },
  name: { sql: 'i.name', columns: ['i.name'] },
  creatorId: { sql: 'i.creator_id', columns: ['i.creator_id'] },
  isPeerless: { sql: PEERLESS_SQL, columns: ['i.creator_id', 'i.partnerships', 'i.origin_ref'] },
  digest: { sql: 'i.digest', columns: ['i.digest'] },
  fullSize: { sql: 'i.full_size', columns: ['i.full_size'] },
  lastUpdated: { sql: isoDate('i.upstream_last_updated'), columns: ['i.upstream_last_updated'] },
  lastPushed: { sql: isoDate('i.tag_last_pushed'), columns: ['i.tag_last_pushed'] },
  tagStatus: { sql: 'i.tag_status', columns: ['i.tag_status'] },
  sourceUrl: { sql: 'i.source_url', columns: ['i.source_url'] },
  imageCreatedAt: { sql: isoDate('i.image_created'), columns: ['i.image_created'] },
  upstreamStatus: { sql: 'i.upstream_status', columns: ['i.upstream_status'] },
  deletedUpstreamAt: { sql: isoDate('i.deleted_upstream_at'), columns: ['i.deleted_upstream_at'] },
  editedFields: { sql: 'ARRAY(SELECT jsonb_object_keys(i.overridden) ORDER BY 1)', columns: ['i.overridden'] },
  createdAt: { sql: isoDate('i.created_at'), columns: ['i.created_at'] },
  updatedAt: { sql: isoDate('i.updated_at'), columns: ['i.updated_at'] },
};

const ORIGIN_SQL = { type: 'i.origin_type', ref: 'i.origin_ref', license: 'i.origin_license', verified: 'i.origin_verified' } as const;
const CONTAINER_SQL = { image: 'i.access_image', command: 'i.access_command', args: 'i.access_args', volumes: 'i.access_volumes' } as const;

function instanceColumns(entries: readonly Entry<InstanceValue>[]): Set<string> {
  const out = new Set<string>();
  for (const { value: v } of entries) {
    switch (v.kind) {
      case 'scalar':
        for (const c of INSTANCE_SCALARS[v.field].columns) out.add(c);
        break;
      case 'origin':
        for (const o of v.entries) if (o.value.kind === 'scalar') out.add(ORIGIN_SQL[o.value.field]);
        break;
      case 'access':
        for (const c of v.entries) {
          if (c.value.kind !== 'container') continue;
          for (const f of c.value.entries) {
            if (f.value.kind === 'scalar') out.add(CONTAINER_SQL[f.value.field]);
            else if (f.value.kind === 'env') out.add('i.access_env');
          }
        }
        break;
      case 'platforms':
        out.add('i.platforms');
        break;
      case 'resource':
        out.add('i.resource_id');
        break;
    }
  }
  return out;
}

function instanceObject(entries: readonly Entry<InstanceValue>[], params: Params): string {
  return object(entries, (v) => {
    switch (v.kind) {
      case 'const':
        return constSql(v);
      case 'scalar':
        return jv(INSTANCE_SCALARS[v.field].sql);
      case 'origin':
        return object(v.entries, (o) => (o.kind === 'const' ? constSql(o) : jv(ORIGIN_SQL[o.field])));
      case 'access':
        return object(v.entries, (c) =>
          c.kind === 'const'
            ? constSql(c)
            : object(c.entries, (f) => {
                if (f.kind === 'const') return constSql(f);
                if (f.kind === 'scalar') return jv(CONTAINER_SQL[f.field]);
                const env = object(f.entries, (e) => (e.kind === 'const' ? constSql(e) : jv(e.field === 'name' ? 'e.key' : 'e.value')));
                return `(SELECT ${array(env)} FROM jsonb_each_text(i.access_env) e(key, value))`;
              }),
        );
      case 'platforms': {
        const platform = object(v.entries, (p) => {
          if (p.kind === 'const') return constSql(p);
          return p.field === 'size' ? `coalesce((p.v->'size')::text, 'null')` : jv(`p.v->>${literal(p.field)}`);
        });
        return `(SELECT ${array(platform)} FROM jsonb_array_elements(i.platforms) p(v))`;
      }
      case 'resource':
        return `coalesce((SELECT ${resourceObject(v.entries, params)} FROM processing_resource r WHERE r.id = i.resource_id), 'null')`;
    }
  });
}
