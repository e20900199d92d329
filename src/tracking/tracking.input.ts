import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { MAX_TAG_FILTER_LENGTH } from './tag-filter';
import { ArrayMaxSize, ArrayMinSize, IsInt, IsOptional, Max, Min } from 'class-validator';
import { AreImageNames, IsImageName, NotNull } from '../graphql/validation';
import { ScrapeRun } from '../scraping/runs/scrape-run.type';
import { TrackedImage } from './tracked-image.type';

/** Most images one mutation may name. */
export const MAX_IMAGES_PER_CALL = 500;
export const MIN_MAX_TAGS = 1;
export const MAX_MAX_TAGS = 10_000;

const IMAGES_DESCRIPTION =
  'Image names: `nginx` for an official Docker Hub image (the same as `library/nginx`), `org/name` on Docker Hub, or ' +
  '`host[:port]/path` on another registry (`ghcr.io/org/name`, `registry.example.com:5000/team/app`). ' +
  `Duplicates (in either form) count once. 1 to ${MAX_IMAGES_PER_CALL} names.`;
@InputType({ description: 'Which tags of an image to import: regular expressions (JavaScript syntax) over tag names, applied before `maxTags`.' })
export class TagFilterInput {
  @Field(() => String, {
    nullable: true,
    description: `Only tags this expression matches are imported (e.g. \`^v\\d+\`); null: every tag. At most ${MAX_TAG_FILTER_LENGTH} characters.`,
  })
  include?: string | null;

  @Field(() => String, {
    nullable: true,
    description: `Tags this expression matches are skipped (e.g. \`-rc\`); null: none. At most ${MAX_TAG_FILTER_LENGTH} characters.`,
  })
  exclude?: string | null;
}

const MAX_TAGS_MESSAGE = `must be a whole number from ${MIN_MAX_TAGS} to ${MAX_MAX_TAGS}`;

@InputType({ description: 'Images to put on the tracked list.' })
export class AddTrackedImagesInput {
  @Field(() => [String], { description: IMAGES_DESCRIPTION })
  @ArrayMinSize(1, { message: 'give at least one image' })
  @ArrayMaxSize(MAX_IMAGES_PER_CALL, { message: `give at most ${MAX_IMAGES_PER_CALL} images per call` })
  @AreImageNames()
  images: string[];

  @Field(() => Int, {
    nullable: true,
    description:
      `Tags to import per scrape for these images (newest first), ${MIN_MAX_TAGS} to ${MAX_MAX_TAGS}. ` +
      'Omitted: new images follow DOCKER_SCRAPER_MAX_TAGS and images already tracked keep their setting. ' +
      'null: all of them follow DOCKER_SCRAPER_MAX_TAGS.',
  })
  @IsOptional()
  @IsInt({ message: MAX_TAGS_MESSAGE })
  @Min(MIN_MAX_TAGS, { message: MAX_TAGS_MESSAGE })
  @Max(MAX_MAX_TAGS, { message: MAX_TAGS_MESSAGE })
  maxTags?: number | null;

  @Field(() => TagFilterInput, {
    nullable: true,
    description:
      'Tag filter for these images. Omitted: new images take every tag and images already tracked keep theirs. null: clear it.',
  })
  tagFilter?: TagFilterInput | null;

  @Field(() => Boolean, {
    defaultValue: false,
    description:
      'true: start a scrape of these images at once (returned as `scrapeRun`) instead of waiting for the next scheduled run.',
  })
  scrapeNow: boolean;
}

@InputType({ description: 'Images to take off the tracked list.' })
export class RemoveTrackedImagesInput {
  @Field(() => [String], {
    description: `${IMAGES_DESCRIPTION} Every one must be tracked: when one is not, nothing is removed (NOT_FOUND names them).`,
  })
  @ArrayMinSize(1, { message: 'give at least one image' })
  @ArrayMaxSize(MAX_IMAGES_PER_CALL, { message: `give at most ${MAX_IMAGES_PER_CALL} images per call` })
  @AreImageNames()
  images: string[];

  @Field(() => Boolean, {
    defaultValue: false,
    description:
      'true: also delete their catalog resources and instances. false: the resources stay in the catalog (no longer refreshed).',
  })
  purge: boolean;
}

@InputType({ description: 'The whole tracked list.' })
export class SetTrackedImagesInput {
  @Field(() => [String], {
    description:
      `${IMAGES_DESCRIPTION} Images on the list that are not named here are removed (their resources stay in the catalog); ` +
      'to empty the list, use removeTrackedImages.',
  })
  @ArrayMinSize(1, { message: 'give at least one image (to take every image off the list, use removeTrackedImages)' })
  @ArrayMaxSize(MAX_IMAGES_PER_CALL, { message: `give at most ${MAX_IMAGES_PER_CALL} images per call` })
  @AreImageNames()
  images: string[];
}

@InputType({ description: 'Settings of one tracked image; fields left out stay as they are.' })
export class UpdateTrackedImageInput {
  @Field({ description: 'The image: `nginx`, `library/nginx` or `org/name`. It must be on the list.' })
  @IsImageName()
  image: string;

  @Field(() => Boolean, { nullable: true, description: 'false: scrapes skip the image (it stays on the list); true: they read it again.' })
  @NotNull()
  enabled?: boolean;

  @Field(() => Int, {
    nullable: true,
    description: `Tags to import per scrape (newest first), ${MIN_MAX_TAGS} to ${MAX_MAX_TAGS}; null: follow DOCKER_SCRAPER_MAX_TAGS.`,
  })
  @IsOptional()
  @IsInt({ message: MAX_TAGS_MESSAGE })
  @Min(MIN_MAX_TAGS, { message: MAX_TAGS_MESSAGE })
  @Max(MAX_MAX_TAGS, { message: MAX_TAGS_MESSAGE })
  maxTags?: number | null;

  @Field(() => TagFilterInput, { nullable: true, description: 'The tag filter, replaced as a whole; null: take every tag again.' })
  tagFilter?: TagFilterInput | null;
}

@ObjectType({ description: 'Tracked images that a mutation added, kept or removed.' })
export class TrackedImagesPayload {
  @Field(() => [TrackedImage], {
    description: 'addTrackedImages: the named images, as they are now on the list. removeTrackedImages: the removed images.',
  })
  trackedImages: TrackedImage[];

  @Field(() => ScrapeRun, {
    nullable: true,
    description: 'addTrackedImages with `scrapeNow: true`: the scrape it started (follow it with `scrapeRun(id)`); null otherwise.',
  })
  scrapeRun: ScrapeRun | null;

  @Field(() => [ID], {
    description:
      'removeTrackedImages: the ids of the removed tracked images (no longer on the list: evict them from a client cache). Empty for addTrackedImages.',
  })
  removedIds: string[];

  @Field(() => [ID], { description: 'removeTrackedImages with `purge: true`: the ids of the deleted catalog resources. Empty otherwise.' })
  removedResourceIds: string[];

  @Field(() => [ID], {
    description: 'removeTrackedImages with `purge: true`: the ids of the deleted instances (of the deleted resources). Empty otherwise.',
  })
  removedInstanceIds: string[];
}

@ObjectType({ description: 'What setTrackedImages changed.' })
export class SetTrackedImagesPayload {
  @Field(() => [TrackedImage], { description: 'Images that were not on the list and now are.' })
  added: TrackedImage[];

  @Field(() => [TrackedImage], { description: 'Images that were on the list and no longer are (their resources stay in the catalog).' })
  removed: TrackedImage[];

  @Field(() => [ID], { description: 'The ids of the removed images (`removed`): evict them from a client cache.' })
  removedIds: string[];

  @Field(() => [TrackedImage], { description: 'The whole list after the change, in list order.' })
  trackedImages: TrackedImage[];
}

@ObjectType({ description: 'A tracked image after a change.' })
export class TrackedImagePayload {
  @Field(() => TrackedImage, { description: 'The image, as it is now.' })
  trackedImage: TrackedImage;
}
