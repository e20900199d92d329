import { Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { InputArg } from '../graphql/validation';
import { parseImageName, parseImageNames } from '../shared/image-name';
import {
  AddTrackedImagesInput,
  RemoveTrackedImagesInput,
  SetTrackedImagesInput,
  SetTrackedImagesPayload,
  TagFilterInput,
  TrackedImagePayload,
  TrackedImagesPayload,
  UpdateTrackedImageInput,
} from './tracking.input';
import { TagFilter, tagFilterProblem } from './tag-filter';
import { BadUserInputError } from '../graphql/errors';

/** undefined (left out) stays undefined; each pattern checked, BAD_USER_INPUT naming `tagFilter.include` / `tagFilter.exclude`. */
function checkedTagFilter(input: TagFilterInput | null | undefined): TagFilter | null | undefined {
  if (input === undefined || input === null) return input;
  const filter: TagFilter = { include: input.include ?? null, exclude: input.exclude ?? null };
  for (const key of ['include', 'exclude'] as const) {
    const pattern = filter[key];
    const problem = pattern === null ? null : tagFilterProblem(pattern, key);
    if (problem) throw BadUserInputError.field(`input.tagFilter.${key}`, problem);
  }
  return filter.include === null && filter.exclude === null ? null : filter;
}

/**
 * Changes to the tracked image list. Inputs are validated before a resolver runs (names
 * follow Docker Hub's rules, see tracking.input.ts), so names parse here.
 */
@Resolver()
export class TrackingMutationResolver {
  @Authorized()
  @Mutation(() => TrackedImagesPayload, {
    description:
      'Puts images on the tracked list; they are scraped at the next run, or at once with `scrapeNow: true`. ' +
      'Images already on the list are not an error (their `maxTags` changes when given). An image removed earlier comes back.',
  })
  async addTrackedImages(
    @InputArg(AddTrackedImagesInput, 'The images and their settings.') input: AddTrackedImagesInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<TrackedImagesPayload> {
    const images = parseImageNames(input.images);
    const trackedImages = await ctx.services.tracking.add(images, input.maxTags, checkedTagFilter(input.tagFilter));
    // The images are on the list now (committed): a scrape of them can start at once.
    const run = input.scrapeNow
      ? (await ctx.services.scrape.trigger({ images: images.map((i) => i.name), requestedBy: `api:${ctx.requestId}` })).run
      : null;
    return { trackedImages, scrapeRun: run, removedIds: [], removedResourceIds: [], removedInstanceIds: [] };
  }

  @Authorized()
  @Mutation(() => TrackedImagesPayload, {
    description:
      'Takes images off the tracked list; they stay off across restarts even when DOCKER_SCRAPER_IMAGES or the default list names them ' +
      '(addTrackedImages brings one back). Their catalog resources stay unless `purge: true`. ' +
      'Every image must be on the list: otherwise NOT_FOUND names the others and nothing is removed.',
  })
  async removeTrackedImages(
    @InputArg(RemoveTrackedImagesInput, 'The images to remove.') input: RemoveTrackedImagesInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<TrackedImagesPayload> {
    const { removed, purgedResourceIds, purgedInstanceIds } = await ctx.services.tracking.remove(parseImageNames(input.images), input.purge === true);
    return {
      trackedImages: removed,
      scrapeRun: null,
      removedIds: removed.map((t) => t.id),
      removedResourceIds: purgedResourceIds,
      removedInstanceIds: purgedInstanceIds,
    };
  }

  @Authorized()
  @Mutation(() => SetTrackedImagesPayload, {
    description:
      'Replaces the whole tracked list: adds the images it lacks, removes those not named (as removeTrackedImages, without purging), ' +
      'and reports both.',
  })
  async setTrackedImages(
    @InputArg(SetTrackedImagesInput, 'The new list.') input: SetTrackedImagesInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<SetTrackedImagesPayload> {
    const changed = await ctx.services.tracking.set(parseImageNames(input.images));
    return { ...changed, removedIds: changed.removed.map((t) => t.id) };
  }

  @Authorized()
  @Mutation(() => TrackedImagePayload, {
    description: 'Enables or disables one tracked image, or changes how many tags it imports. NOT_FOUND when it is not on the list.',
  })
  async updateTrackedImage(
    @InputArg(UpdateTrackedImageInput, 'The image and the settings to change.') input: UpdateTrackedImageInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<TrackedImagePayload> {
    const trackedImage = await ctx.services.tracking.update(parseImageName(input.image), {
      enabled: input.enabled ?? undefined,
      maxTags: input.maxTags,
      tagFilter: checkedTagFilter(input.tagFilter),
    });
    return { trackedImage };
  }
}
