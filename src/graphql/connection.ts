import { ArgsType, Field, FieldResolver, Int, ObjectType, Resolver, Root } from 'type-graphql';
import { IsOptional, Max, MaxLength, Min } from 'class-validator';
import { GraphQLResolveInfo, Kind } from 'graphql';
import { BadUserInputError } from './errors';
import { stringProblem } from './input-guard';

export const MAX_PAGE_SIZE = 100;

@ObjectType({ description: 'Relay page information of a connection.' })
export class PageInfo {
  @Field({
    description: 'Whether items follow the last edge of this page: with `first`, whether more items follow it; with `last`, true when `before` was given.',
  })
  hasNextPage: boolean;

  @Field({
    description:
      'Whether items come before the first edge of this page: with `last`, whether more items precede it; with `first`, true when `after` was given.',
  })
  hasPreviousPage: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the first edge, null when the page is empty: pass it as `before` to read the previous page.' })
  startCursor: string | null;

  @Field(() => String, { nullable: true, description: 'Cursor of the last edge: pass it as `after` to read the next page.' })
  endCursor: string | null;
}

/**
 * `first`/`after` (forward) and `last`/`before` (backward), validated: 1 ≤ first, last ≤ 100.
 * `first` keeps its default for clients that send nothing; `last` without an explicit `first`
 * pages backward (see {@link pageQuery}).
 */
export function pageArgs(defaultFirst: number) {
  @ArgsType()
  abstract class PageArgs {
    @Field(() => Int, {
      nullable: true,
      defaultValue: defaultFirst,
      description: `How many items to return from the start (after \`after\`), from 1 to ${MAX_PAGE_SIZE}. Not together with \`last\` (null or left out when \`last\` is given).`,
    })
    @IsOptional()
    @Min(1)
    @Max(MAX_PAGE_SIZE)
    first: number;

    @Field(() => String, { nullable: true, description: 'Return the items after this cursor (an `endCursor` or edge `cursor`).' })
    @IsOptional()
    @MaxLength(1000)
    after?: string | null;

    @Field(() => Int, {
      nullable: true,
      description: `How many items to return from the end (before \`before\`), from 1 to ${MAX_PAGE_SIZE}: backward paging. Not together with an explicit \`first\`.`,
    })
    @IsOptional()
    @Min(1)
    @Max(MAX_PAGE_SIZE)
    last?: number | null;

    @Field(() => String, { nullable: true, description: 'Return the items before this cursor (a `startCursor` or edge `cursor`).' })
    @IsOptional()
    @MaxLength(1000)
    before?: string | null;
  }
  return PageArgs;
}

/** What services take for one page. `last` set → backward: the `last` items before `before`. */
export interface PageQuery {
  first: number;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/**
 * Checks the paging arguments of a connection field: `first` (given explicitly, not its
 * default) together with `last` is refused, and one of them must be set. Returns the
 * arguments for the service.
 */
export function pageQuery<T extends { first?: number | null; last?: number | null }>(args: T, info: GraphQLResolveInfo): T & PageQuery {
  const firstGiven = argumentGiven(info, 'first');
  if (args.last != null && firstGiven && args.first != null) {
    throw new BadUserInputError('Give `first` (forward paging) or `last` (backward paging), not both.', [
      { field: 'first', reason: 'not together with `last`' },
      { field: 'last', reason: 'not together with `first`' },
    ]);
  }
  if (args.last == null && args.first == null) throw BadUserInputError.field('first', 'give `first` or `last` (from 1 to 100)');
  return args as T & PageQuery;
}

/** Whether the operation gave `name` a non-null value on the current field (not its default). */
function argumentGiven(info: GraphQLResolveInfo, name: string): boolean {
  const node = info.fieldNodes[0]?.arguments?.find((a) => a.name.value === name);
  if (!node) return false;
  if (node.value.kind === Kind.VARIABLE) return info.variableValues[node.value.name.value] != null;
  return node.value.kind !== Kind.NULL;
}

/** The window a page query reads: how many rows, which way, between which cursors. */
export interface PageWindow {
  count: number;
  backward: boolean;
  after: string | null;
  before: string | null;
}

export function pageWindow(q: PageQuery): PageWindow {
  const backward = q.last != null;
  return { count: backward ? q.last! : q.first, backward, after: q.after || null, before: q.before || null };
}

/**
 * Opaque keyset cursors: base64url of `[ordering, sort key, id]`. The ordering is part of
 * the cursor, so a cursor from one ordering is refused by another instead of silently
 * skipping rows.
 */
export interface Keyset {
  key: string | null;
  id: string;
}

export function encodeCursor(ordering: string, keyset: Keyset): string {
  return Buffer.from(JSON.stringify([ordering, keyset.key, keyset.id])).toString('base64url');
}

export function decodeCursor(ordering: string, cursor: string, argument = 'after'): Keyset {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 3 ||
    typeof parsed[0] !== 'string' ||
    !(typeof parsed[1] === 'string' || parsed[1] === null) ||
    typeof parsed[2] !== 'string' ||
    // A NUL or a lone surrogate could not even reach PostgreSQL as text.
    parsed.some((part) => typeof part === 'string' && stringProblem(part) !== undefined)
  ) {
    throw BadUserInputError.field(argument, 'not a cursor returned by this API');
  }
  if (parsed[0] !== ordering) {
    throw BadUserInputError.field(argument, `this cursor belongs to another ordering (${parsed[0]}), not ${ordering}`);
  }
  return { key: parsed[1], id: parsed[2] };
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

/** What a service returns for one page; `totalCount` is computed only when asked for. */
export interface Page<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
  totalCount: () => Promise<number>;
}

/**
 * Builds a page from `first + 1` rows fetched in order: the extra row only tells that
 * a next page exists.
 */
export function toPage<R extends { _sortKey: string | null; id: string }, T>(
  rows: readonly R[],
  first: number,
  ordering: string,
  after: string | null | undefined,
  map: (row: R) => T,
  totalCount: () => Promise<number>,
): Page<T> {
  return toWindowPage(rows, { count: first, backward: false, after: after || null, before: null }, ordering, map, totalCount);
}

/**
 * Builds a page from `count + 1` rows fetched in reading order: the list order going forward,
 * the reverse of it going backward (from `before` towards the start). The extra row only
 * tells that more items exist in the reading direction; edges are always in list order.
 */
export function toWindowPage<R extends { _sortKey: string | null; id: string }, T>(
  rows: readonly R[],
  window: PageWindow,
  ordering: string,
  map: (row: R) => T,
  totalCount: () => Promise<number>,
): Page<T> {
  const slice = rows.slice(0, window.count);
  if (window.backward) slice.reverse();
  const more = rows.length > window.count;
  const edges = slice.map((row) => ({ cursor: encodeCursor(ordering, { key: row._sortKey, id: row.id }), node: map(row) }));
  return {
    edges,
    pageInfo: {
      // Relay cursor spec: the reading direction says whether more items exist; the other side
      // is true when a cursor bounds it (an empty cursor is no cursor; the services ignore it too).
      hasNextPage: window.backward ? Boolean(window.before) : more,
      hasPreviousPage: window.backward ? more : Boolean(window.after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
    totalCount: memo(totalCount),
  };
}

function memo<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}

/**
 * Declares `{Name}Connection` and `{Name}Edge` object types for a node type, and the resolver
 * of the connection's `totalCount` (add `CountResolver` to the schema's resolvers).
 */
export function connectionTypes<TNode extends object>(
  node: new (...a: never[]) => TNode,
  name: string,
  what: string,
  countDescription: string,
) {
  @ObjectType(`${name}Edge`, { description: `An edge of a ${name}Connection.` })
  class EdgeType {
    @Field({ description: 'Opaque cursor of this edge.' })
    cursor: string;

    @Field(() => node, { description: `The ${what}.` })
    node: TNode;
  }

  @ObjectType(`${name}Connection`, { description: `A page of ${what}s (Relay connection).` })
  class ConnectionType {
    @Field(() => [EdgeType], { description: `The ${what}s of this page, in order.` })
    edges: EdgeType[];

    @Field(() => PageInfo, { description: 'Where this page is in the whole list.' })
    pageInfo: PageInfo;

    // `totalCount` is resolved by a field resolver so that its count query runs only when asked for.
    totalCount: () => Promise<number>;
  }

  @Resolver(() => ConnectionType)
  class CountResolver {
    @FieldResolver(() => Int, { description: countDescription })
    totalCount(@Root() page: { totalCount: () => Promise<number> }): Promise<number> {
      return page.totalCount();
    }
  }
  return { EdgeType, ConnectionType, CountResolver };
}
