import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { connectionTypes } from '../graphql/connection';
import { Node } from '../graphql/node';
import { DateTime } from '../graphql/scalars';

export enum TrackedImageSource {
  DEFAULT = 'DEFAULT',
  CONFIG = 'CONFIG',
  API = 'API',
}
registerEnumType(TrackedImageSource, {
  name: 'TrackedImageSource',
  description: 'How an image came onto the list.',
  valuesConfig: {
    DEFAULT: { description: 'The built-in default list (DOCKER_SCRAPER_IMAGES unset).' },
    CONFIG: { description: 'The DOCKER_SCRAPER_IMAGES setting.' },
    API: { description: 'A mutation.' },
  },
});

export enum ImageScrapeStatus {
  OK = 'OK',
  NO_TAGS = 'NO_TAGS',
  NOT_FOUND = 'NOT_FOUND',
  FAILED = 'FAILED',
}
registerEnumType(ImageScrapeStatus, {
  name: 'ImageScrapeStatus',
  description: 'Outcome of scraping one image.',
  valuesConfig: {
    OK: { description: 'Read and stored.' },
    NO_TAGS: { description: 'The repository has no tags; nothing is stored for it.' },
    NOT_FOUND: { description: 'Docker Hub does not know the repository (or it is private).' },
    FAILED: { description: 'Docker Hub could not be read (see the error); the catalog was left as it was.' },
  },
});

@ObjectType({ description: 'A tag filter: regular expressions (JavaScript syntax) over tag names, applied before `maxTags`.' })
export class TagFilter {
  @Field(() => String, { nullable: true, description: 'Only tags this expression matches are imported; null: every tag.' })
  include: string | null;

  @Field(() => String, { nullable: true, description: 'Tags this expression matches are skipped; null: none.' })
  exclude: string | null;
}

@ObjectType({ implements: Node, description: 'An image on the tracked list: what the scraper reads from Docker Hub or another registry.' })
export class TrackedImage {
  @Field(() => ID, { description: 'Stable identifier.' })
  id: string;

  @Field({ description: 'Canonical image name: `nginx` for official images, `org/name` otherwise.' })
  name: string;

  @Field({ description: 'Registry host: `docker.io` for Docker Hub, else e.g. `ghcr.io` or `127.0.0.1:5000`.' })
  registry: string;

  @Field(() => TagFilter, { nullable: true, description: 'Which tags are imported (regular expressions over tag names); null: every tag.' })
  tagFilter: TagFilter | null;

  @Field({ description: 'Namespace: on Docker Hub the account (`library` for official images); elsewhere the path without its last part.' })
  namespace: string;

  @Field({ description: 'Repository name inside the namespace.' })
  repository: string;

  @Field({ description: 'Whether scrapes read this image.' })
  enabled: boolean;

  @Field(() => Int, { description: 'Tags imported per scrape (newest first): the override, or DOCKER_SCRAPER_MAX_TAGS.' })
  maxTags: number;

  @Field(() => Int, { nullable: true, description: 'This image’s own max-tags setting; null follows DOCKER_SCRAPER_MAX_TAGS.' })
  maxTagsOverride: number | null;

  @Field(() => TrackedImageSource, { description: 'How the image came onto the list.' })
  source: TrackedImageSource;

  @Field(() => ImageScrapeStatus, { nullable: true, description: 'Outcome of the last scrape; null before the first.' })
  lastStatus: ImageScrapeStatus | null;

  @Field(() => String, { nullable: true, description: 'Error of the last scrape, when it failed.' })
  lastError: string | null;

  @Field(() => DateTime, { nullable: true, description: 'When the last scrape of this image finished.' })
  lastScrapedAt: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'When a scrape of this image last succeeded.' })
  lastSyncedAt: Date | null;

  @Field(() => DateTime, {
    nullable: true,
    description: 'When the image was taken off the list (through the API, or because the configuration no longer names it); null while on the list.',
  })
  removedAt: Date | null;

  @Field(() => DateTime, { description: 'When the image was put on the list.' })
  createdAt: Date;

  @Field(() => DateTime, { description: 'When the entry last changed.' })
  updatedAt: Date;

  /** Row position on the list (keyset). */
  position: string;
}

export const {
  EdgeType: TrackedImageEdge,
  ConnectionType: TrackedImageConnection,
  CountResolver: TrackedImageCountResolver,
} = connectionTypes(TrackedImage, 'TrackedImage', 'tracked image', 'How many tracked images pass the filter.');
export type TrackedImageConnection = InstanceType<typeof TrackedImageConnection>;
