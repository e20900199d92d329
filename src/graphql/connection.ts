import { ArgsType, Field, FieldResolver, Int, ObjectType, Resolver, Root } from 'type-graphql';
import { IsOptional, Max, MaxLength, Min } from 'class-validator';
import { BadUserInputError } from './errors';
import { stringProblem } from './input-guard';

export const MAX_PAGE_SIZE = 100;

@ObjectType({ description: 'Relay page information of a connection.' })
export class PageInfo {
  @Field({ description: 'Whether more items follow the last edge of this page.' })
  hasNextPage: boolean;

  @Field({ description: 'Whether items come before the first edge of this page (true when `after` was given).' })
  hasPreviousPage: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the first edge, null when the page is empty.' })
  startCursor: string | null;

  @Field(() => String, { nullable: true, description: 'Cursor of the last edge: pass it as `after` to read the next page.' })
  endCursor: string | null;
}

/** `first` and `after`, validated: 1 ≤ first ≤ 100. */
export function pageArgs(defaultFirst: number) {
  @ArgsType()
  abstract class PageArgs {
    @Field(() => Int, {
      defaultValue: defaultFirst,
      description: `How many items to return, from 1 to ${MAX_PAGE_SIZE}.`,
    })
    @Min(1)
    @Max(MAX_PAGE_SIZE)
    first: number;

    @Field(() => String, { nullable: true, description: 'Return the items after this cursor (an `endCursor` or edge `cursor`).' })
    @IsOptional()
    @MaxLength(1000)
    after?: string | null;
  }
  return PageArgs;
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
  const slice = rows.slice(0, first);
  const edges = slice.map((row) => ({ cursor: encodeCursor(ordering, { key: row._sortKey, id: row.id }), node: map(row) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: Boolean(after), // an empty cursor is no cursor (the services ignore it too)
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
