import { Args, ArgsType, Ctx, Field, FieldResolver, Info, InputType, Query, Resolver, Root } from 'type-graphql';
import { IsOptional, ValidateNested } from 'class-validator';
import type { GraphQLResolveInfo } from 'graphql';
import type { GraphQLContext } from '../graphql/context';
import { pageArgs, pageQuery } from '../graphql/connection';
import { selectedFields } from '../graphql/fields';
import { alignBy } from '../graphql/loaders';
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
  trackedImages(@Args() args: TrackedImagesArgs, @Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo) {
    return ctx.services.tracking.list(pageQuery(args, info));
  }

  @FieldResolver(() => ProcessingResource, { nullable: true, description: 'The catalog resource of this image; null until a scrape creates it.' })
  resource(@Root() image: TrackedImage, @Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo) {
    const fields = selectedFields(info);
    return ctx.loaders
      .get<ProcessingResource | null>(`resourceByName:${[...fields].sort().join(',')}`, async (names) =>
        alignBy(names, await ctx.services.catalog.resourcesByNames(names, fields), (r) => r.name),
      )
      .load(image.name);
  }
}
