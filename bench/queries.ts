/**
 * The benchmark queries, one per server kind, asking for the same data: catalog-sync's
 * GraphQL API, PostGraphile 4's generated API over the same tables, and the raw server's
 * operations (bench/servers/raw.mjs). `normalize` maps each answer to one shape so that the
 * benchmark can check once per server that they carry the same data.
 */
import { BIG_RESOURCE } from './generate';

export type QueryName = 'canonical' | 'search' | 'deep' | 'resource' | 'small';
export type ServerKind = 'catalog-sync' | 'postgraphile' | 'raw';

export interface QueryArgs {
  search: string;
  /** Each server's own cursor of the resource before the deep page. */
  after: Partial<Record<ServerKind, string>>;
}

const CS_NODE = `id name shortDescription logo isDraft
  instances(first: 10) { edges { node { id name digest origin { ref } platforms { architecture os } } } }`;
const CS_PAGE = `totalCount pageInfo { hasNextPage endCursor } edges { node { ${CS_NODE} } }`;

/**
 * PostGraphile can only return a jsonb column whole; `platformList` is a computed column
 * (POSTGRAPHILE_SQL) that returns just `architecture` and `os` of each platform, as the
 * other two servers do, so that every server sends the same data.
 */
export const POSTGRAPHILE_SQL = `
  CREATE OR REPLACE FUNCTION processing_instance_platform_list(i processing_instance) RETURNS jsonb
  LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('architecture', e->>'architecture', 'os', e->>'os')), '[]'::jsonb)
    FROM jsonb_array_elements(i.platforms) e
  $$`;

/** Instances in catalog-sync's default order: newest upstream update first (no NULL dates in the bench data). */
const PG_INSTANCES = (first: number, total: boolean) =>
  `processingInstancesByResourceId(first: ${first}, orderBy: [UPSTREAM_LAST_UPDATED_DESC, ID_DESC]) { ${total ? 'totalCount ' : ''}edges { node { id name digest originRef platformList } } }`;
const PG_NODE = `id name shortDescription logo isDraft ${PG_INSTANCES(10, false)}`;
const PG_PAGE = `totalCount pageInfo { hasNextPage endCursor } edges { node { ${PG_NODE} } }`;
const PG_SEARCH = `filter: { or: [{ name: { includesInsensitive: $search } }, { shortDescription: { includesInsensitive: $search } }] }`;

const gql = (query: string, variables?: Record<string, unknown>) => JSON.stringify(variables ? { query, variables } : { query });
const raw = (op: string, variables?: Record<string, unknown>) => JSON.stringify({ op, variables: variables ?? {} });

/** The request body of `query` for a server kind. */
export function body(kind: ServerKind, query: QueryName, args: QueryArgs): string {
  const after = args.after[kind];
  if (query === 'deep' && !after) throw new Error(`no deep-page cursor for ${kind}`);
  if (kind === 'catalog-sync') {
    switch (query) {
      case 'canonical':
        return gql(`{ resources(first: 50, orderBy: { field: NAME, direction: ASC }) { ${CS_PAGE} } }`);
      case 'search':
        return gql(`query($search: String!) { resources(first: 50, filter: { search: $search }, orderBy: { field: NAME, direction: ASC }) { ${CS_PAGE} } }`, {
          search: args.search,
        });
      case 'deep':
        return gql(`query($after: String!) { resources(first: 50, after: $after, orderBy: { field: NAME, direction: ASC }) { ${CS_PAGE} } }`, { after });
      case 'resource':
        return gql(
          `query($name: String!) { resource(name: $name) { id name shortDescription logo instances(first: 100) { totalCount edges { node { id name digest origin { ref } platforms { architecture os } } } } } }`,
          { name: BIG_RESOURCE },
        );
      case 'small':
        return gql(`{ resources(first: 5) { edges { node { name } } } }`);
    }
  }
  if (kind === 'postgraphile') {
    switch (query) {
      case 'canonical':
        return gql(`{ allProcessingResources(first: 50, orderBy: NAME_ASC) { ${PG_PAGE} } }`);
      case 'search':
        return gql(`query($search: String!) { allProcessingResources(first: 50, orderBy: NAME_ASC, ${PG_SEARCH}) { ${PG_PAGE} } }`, {
          search: args.search,
        });
      case 'deep':
        return gql(`query($after: Cursor!) { allProcessingResources(first: 50, after: $after, orderBy: NAME_ASC) { ${PG_PAGE} } }`, { after });
      case 'resource':
        return gql(`query($name: String!) { processingResourceByName(name: $name) { id name shortDescription logo ${PG_INSTANCES(100, true)} } }`, {
          name: BIG_RESOURCE,
        });
      case 'small':
        return gql(`{ allProcessingResources(first: 5, orderBy: NAME_ASC) { edges { node { name } } } }`);
    }
  }
  switch (query) {
    case 'canonical':
    case 'small':
      return raw(query);
    case 'search':
      return raw('search', { search: args.search });
    case 'deep':
      return raw('deep', { after });
    case 'resource':
      return raw('resource', { name: BIG_RESOURCE });
  }
}

/** A page of `first` resources after `after`, for walking to the deep-page cursor: returns the end cursor. */
export function pageBody(kind: ServerKind, first: number, after: string | null): string {
  if (kind === 'catalog-sync') {
    return gql(`query($first: Int!, $after: String) { resources(first: $first, after: $after, orderBy: { field: NAME, direction: ASC }) { pageInfo { endCursor } } }`, {
      first,
      after,
    });
  }
  if (kind === 'postgraphile') {
    return gql(`query($first: Int!, $after: Cursor) { allProcessingResources(first: $first, after: $after, orderBy: NAME_ASC) { pageInfo { endCursor } } }`, {
      first,
      after,
    });
  }
  return raw('page', { first, after });
}

export function endCursorOf(kind: ServerKind, answer: any): string {
  const conn = kind === 'postgraphile' ? answer.data.allProcessingResources : answer.data.resources;
  return conn.pageInfo.endCursor;
}

/** The body each server kind answers once it is up. */
export const READY: Record<ServerKind, string> = {
  'catalog-sync': gql('{ resources(first: 1) { edges { node { id } } } }'),
  postgraphile: gql('{ allProcessingResources(first: 1) { edges { node { id } } } }'),
  raw: raw('small'),
};

interface NormalInstance {
  id: string;
  name: string;
  digest: string | null;
  ref: string;
  platforms: string[];
}

/** One shape for every server's answer: what the comparison checks (cursors are each server's own). */
export function normalize(kind: ServerKind, query: QueryName, answer: any): unknown {
  const pg = kind === 'postgraphile';
  const instance = (n: any): NormalInstance => ({
    id: n.id,
    name: n.name,
    digest: n.digest,
    ref: pg ? n.originRef : n.origin.ref,
    platforms: ((pg ? n.platformList : n.platforms) as any[]).map((p) => `${p.os}/${p.architecture}`),
  });
  const instances = (node: any) => {
    const conn = pg ? node.processingInstancesByResourceId : node.instances;
    return { totalCount: conn.totalCount, edges: conn.edges.map((e: any) => instance(e.node)) };
  };
  if (query === 'resource') {
    const r = pg ? answer.data.processingResourceByName : answer.data.resource;
    return { id: r.id, name: r.name, shortDescription: r.shortDescription, logo: r.logo, instances: instances(r) };
  }
  const conn = pg ? answer.data.allProcessingResources : answer.data.resources;
  if (query === 'small') return conn.edges.map((e: any) => e.node.name);
  return {
    totalCount: conn.totalCount,
    hasNextPage: conn.pageInfo.hasNextPage,
    edges: conn.edges.map((e: any) => ({
      id: e.node.id,
      name: e.node.name,
      shortDescription: e.node.shortDescription,
      logo: e.node.logo,
      isDraft: e.node.isDraft,
      instances: instances(e.node).edges,
    })),
  };
}
