import { Args, ArgsType, Ctx, Field, FieldResolver, Info, InputType, Int, Query, Resolver, Root } from 'type-graphql';
import { IsOptional, ValidateNested } from 'class-validator';
import type { GraphQLResolveInfo } from 'graphql';
import type { GraphQLContext } from '../graphql/context';
import { pageArgs } from '../graphql/connection';
import { selectedFields } from '../graphql/fields';
import { ProcessingResource } from '../catalog/catalog.types';
import { ImageScrapeStatus, TrackedImage, TrackedImageConnection } from './tracked-image.type';

@InputType({ description: 'Conditions a tracked image must meet.' })
export class TrackedImageFilter {
  @Field(() => Boolean, { nullable: true, description: 'Only enabled (true) or only disabled (false) images.' })
  @IsOptional()
  enabled?: boolean | null;

  @Field(() => ImageScrapeStatus, { nullable: true, description: 'Only images whose last scrape ended so.' })
  @IsOptional()
  lastStatus?: ImageScrapeStatus | null;
}

@ArgsType()
export class TrackedImagesArgs extends pageArgs(50) {
  @Field(() => TrackedImageFilter, { nullable: true, description: 'Conditions on the images.' })
  @IsOptional()
  @ValidateNested()
  filter?: TrackedImageFilter | null;
}

@Resolver(() => TrackedImage)
export class TrackedImageResolver {
  @Query(() => TrackedImageConnection, { description: 'The tracked image list, in list order (configured images first).' })
  trackedImages(@Args() args: TrackedImagesArgs, @Ctx() ctx: GraphQLContext) {
    return ctx.services.tracking.list(args);
  }

  @FieldResolver(() => ProcessingResource, { nullable: true, description: 'The catalog resource of this image; null until a scrape creates it.' })
  resource(@Root() image: TrackedImage, @Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo) {
    const fields = selectedFields(info);
    return ctx.loaders
      .get<ProcessingResource | null>(`resourceByName:${[...fields].sort().join(',')}`, async (names) => {
        const found = new Map((await ctx.services.catalog.resourcesByNames(names, fields)).map((r) => [r.name, r]));
        return names.map((n) => found.get(n) ?? null);
      })
      .load(image.name);
  }
}

@Resolver(() => TrackedImageConnection)
export class TrackedImageConnectionResolver {
  @FieldResolver(() => Int, { description: 'How many tracked images pass the filter.' })
  totalCount(@Root() page: { totalCount: () => Promise<number> }) {
    return page.totalCount();
  }
}
