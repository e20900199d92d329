import { Args, ArgsType, Ctx, Field, Query, Resolver } from 'type-graphql';
import { IsOptional, ValidateNested } from 'class-validator';
import type { GraphQLContext } from '../graphql/context';
import { pageArgs } from '../graphql/connection';
import { CatalogEventConnection, CatalogEventFilter } from './catalog-event.type';

@ArgsType()
export class CatalogEventsArgs extends pageArgs(50) {
  @Field(() => CatalogEventFilter, { nullable: true, description: 'Only events of these types and images.' })
  @IsOptional()
  @ValidateNested()
  filter?: CatalogEventFilter | null;
}

@Resolver()
export class CatalogEventsResolver {
  @Query(() => CatalogEventConnection, {
    description:
      'The change feed, oldest first: every committed catalog change kept (CATALOG_EVENTS_RETENTION, default 30 days). ' +
      'A client that was away passes the `endCursor` it last saw as `after` and reads on until `hasNextPage` is false; ' +
      'cursors follow commit order, so nothing committed later is ever skipped.',
  })
  catalogEvents(@Args() args: CatalogEventsArgs, @Ctx() ctx: GraphQLContext) {
    return ctx.services.events.list(args);
  }
}
