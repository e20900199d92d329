import { Arg, Ctx, ID, Info, Query, Resolver } from 'type-graphql';
import type { GraphQLResolveInfo } from 'graphql';
import type { GraphQLContext } from './context';
import { BadUserInputError } from './errors';
import { selectedFields } from './fields';
import { MAX_NODE_IDS, Node } from './node';
import { checkNodeId, loadNodes } from './node.service';

/**
 * `node(id:)` and `nodes(ids:)`. Every `node` field of a request and every `nodes` list share
 * one batch per selection: one SQL statement per type for all of them.
 */
@Resolver()
export class NodeResolver {
  @Query(() => Node, {
    nullable: true,
    description:
      'Any object by its id (Global Object Identification): a resource, an instance, a tracked image or a scrape run; ' +
      'null when none has the id. A malformed id is BAD_USER_INPUT.',
  })
  node(
    @Arg('id', () => ID, { description: 'The id of the object (a uuid, as every `id` field gives it).' }) id: string,
    @Ctx() ctx: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
  ) {
    checkNodeId('id', id);
    return this.loader(ctx, info).load(id);
  }

  @Query(() => [Node], {
    nullable: 'items',
    description: `Objects by id, in the order asked, null where none has the id; at most ${MAX_NODE_IDS} ids. A malformed id is BAD_USER_INPUT.`,
  })
  nodes(
    @Arg('ids', () => [ID], { description: `The ids (at most ${MAX_NODE_IDS}).` }) ids: string[],
    @Ctx() ctx: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
  ) {
    if (ids.length > MAX_NODE_IDS) {
      throw BadUserInputError.field('ids', `at most ${MAX_NODE_IDS} ids per call; this one has ${ids.length}`);
    }
    ids.forEach((id, i) => checkNodeId(`ids[${i}]`, id));
    return this.loader(ctx, info).loadMany(ids);
  }

  private loader(ctx: GraphQLContext, info: GraphQLResolveInfo) {
    const fields = selectedFields(info);
    return ctx.loaders.get<object | null>(`node:${[...fields].sort().join(',')}`, (ids) => loadNodes(ctx.services, ids, fields));
  }
}
