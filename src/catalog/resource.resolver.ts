import { Args, Ctx, FieldResolver, Info, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLResolveInfo } from 'graphql';
import type { GraphQLContext } from '../graphql/context';
import { selectedFields } from '../graphql/fields';
import { argsKey } from '../graphql/loaders';
import { pageQuery, type Page } from '../graphql/connection';
import { InstancesArgs, ResourceLookupArgs, ResourcesArgs } from './catalog.inputs';
import {
  ProcessingInstance,
  ProcessingInstanceConnection,
  ProcessingResource,
  ResourceConnection,
} from './catalog.types';

@Resolver(() => ProcessingResource)
export class ResourceResolver {
  @Query(() => ResourceConnection, { description: 'The catalog: a page of resources, filtered and ordered.' })
  async resources(@Args() args: ResourcesArgs, @Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo) {
    return ctx.services.catalog.listResources({ ...pageQuery(args, info), fields: selectedFields(info, ['edges', 'node']) });
  }

  @Query(() => ProcessingResource, { nullable: true, description: 'One resource, by `id` or by image `name`; null when none matches.' })
  async resource(@Args() args: ResourceLookupArgs, @Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo) {
    return ctx.services.catalog.findResource(args.id, args.name, selectedFields(info));
  }

  @FieldResolver(() => ProcessingInstanceConnection, { description: 'The tags of this resource (newest upstream update first by default).' })
  async instances(
    @Root() resource: ProcessingResource,
    @Args() args: InstancesArgs,
    @Ctx() ctx: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<Page<ProcessingInstance>> {
    const fields = selectedFields(info, ['edges', 'node']);
    pageQuery(args, info);
    const query = { first: args.first, after: args.after, last: args.last, before: args.before, filter: args.filter, orderBy: args.orderBy };
    const key = `instances:${argsKey(query)}:${[...fields].sort().join(',')}`;
    const page = await ctx.loaders
      .get<Page<ProcessingInstance>>(key, (ids) => ctx.services.catalog.instancesOf(ids, { ...query, fields }))
      .load(resource.id);
    const countKey = `instanceCount:${argsKey(args.filter ?? null)}`;
    return {
      ...page,
      totalCount: () =>
        ctx.loaders.get<number>(countKey, (ids) => ctx.services.catalog.countInstancesOf(ids, args.filter)).load(resource.id),
    };
  }
}
