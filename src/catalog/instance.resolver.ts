import { Args, Ctx, FieldResolver, Info, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLResolveInfo } from 'graphql';
import type { GraphQLContext } from '../graphql/context';
import { selectedFields } from '../graphql/fields';
import { alignBy } from '../graphql/loaders';
import { InstanceLookupArgs } from './catalog.inputs';
import { ProcessingInstance, ProcessingResource } from './catalog.types';

@Resolver(() => ProcessingInstance)
export class InstanceResolver {
  @Query(() => ProcessingInstance, {
    nullable: true,
    description: 'One instance, by `id` or by origin `ref` (`docker.io/nginx:1.27`; `nginx:1.27` works too); null when none matches.',
  })
  async instance(@Args() args: InstanceLookupArgs, @Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo) {
    return ctx.services.catalog.findInstance(args.id, args.ref, selectedFields(info));
  }

  @FieldResolver(() => ProcessingResource, { description: 'The resource this instance is a tag of.' })
  async resource(@Root() instance: ProcessingInstance, @Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo) {
    const fields = selectedFields(info);
    const key = `resourceById:${[...fields].sort().join(',')}`;
    return ctx.loaders
      .get<ProcessingResource | null>(key, async (ids) => alignBy(ids, await ctx.services.catalog.resourcesByIds(ids, fields), (r) => r.id))
      .load(instance.resourceId);
  }
}
