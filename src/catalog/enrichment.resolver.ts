import { Authorized, Ctx, Info, Mutation, Resolver } from 'type-graphql';
import type { GraphQLResolveInfo } from 'graphql';
import type { GraphQLContext } from '../graphql/context';
import { NotFoundError } from '../graphql/errors';
import { selectedFields } from '../graphql/fields';
import { InputArg } from '../graphql/validation';
import { InstancePayload, ResourcePayload, UpdateInstanceInput, UpdateResourceInput } from './enrichment.inputs';

const SEMANTICS =
  'Fields left out stay as they are; a field set here is never overwritten by a scrape (it shows in `editedFields`); ' +
  'null hands a field back to Docker Hub: the latest scraped value comes back.';

@Resolver()
export class EnrichmentResolver {
  @Authorized()
  @Mutation(() => ResourcePayload, { description: `Manual enrichment of a resource. ${SEMANTICS}` })
  async updateResource(
    @InputArg(UpdateResourceInput, 'The resource id and the fields to change.') input: UpdateResourceInput,
    @Ctx() ctx: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<ResourcePayload> {
    await ctx.services.enrichment.updateResource(input);
    const resource = await ctx.services.catalog.resourceById(input.id, selectedFields(info, ['resource']));
    if (!resource) throw new NotFoundError(`No resource has the id "${input.id}".`, { id: input.id });
    return { resource };
  }

  @Authorized()
  @Mutation(() => InstancePayload, { description: `Manual enrichment of an instance (one tag). ${SEMANTICS}` })
  async updateInstance(
    @InputArg(UpdateInstanceInput, 'The instance id and the fields to change.') input: UpdateInstanceInput,
    @Ctx() ctx: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<InstancePayload> {
    const { env, exposedPorts, ...rest } = input;
    await ctx.services.enrichment.updateInstance({
      ...rest,
      env: env == null ? env : Object.fromEntries(env.map((v) => [v.name, v.value])),
      exposedPorts: exposedPorts == null ? exposedPorts : exposedPorts.map((p) => ({ port: p.port, protocol: p.protocol })),
    });
    const instance = await ctx.services.catalog.findInstance(input.id, null, selectedFields(info, ['instance']));
    if (!instance) throw new NotFoundError(`No instance has the id "${input.id}".`, { id: input.id });
    return { instance };
  }
}
