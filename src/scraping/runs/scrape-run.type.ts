import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { connectionTypes } from '../../graphql/connection';
import { Node } from '../../graphql/node';
import { DateTime } from '../../graphql/scalars';

export enum ScrapeTrigger {
  STARTUP = 'STARTUP',
  SCHEDULE = 'SCHEDULE',
  MANUAL = 'MANUAL',
  RECOVERY = 'RECOVERY',
}
registerEnumType(ScrapeTrigger, {
  name: 'ScrapeTrigger',
  description: 'What started a scrape run.',
  valuesConfig: {
    STARTUP: { description: 'A process start found a scrape due (or DOCKER_SCRAPER_ON_STARTUP=always).' },
    SCHEDULE: { description: 'The interval elapsed.' },
    MANUAL: { description: 'The triggerScrape mutation or the scrape command.' },
    RECOVERY: { description: 'Finishes the images of a run whose processes all died.' },
  },
});

export enum ScrapeRunStatus {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  PARTIAL = 'PARTIAL',
  FAILED = 'FAILED',
  INTERRUPTED = 'INTERRUPTED',
}
registerEnumType(ScrapeRunStatus, {
  name: 'ScrapeRunStatus',
  description: 'Where a scrape run is.',
  valuesConfig: {
    QUEUED: { description: 'Created; no image claimed yet.' },
    RUNNING: { description: 'Images are being scraped.' },
    SUCCEEDED: { description: 'Every image ended OK or NO_TAGS.' },
    PARTIAL: { description: 'Some images ended NOT_FOUND or FAILED, at least one OK.' },
    FAILED: { description: 'No image ended OK.' },
    INTERRUPTED: { description: 'Every process working on it stopped before it finished; see `error` and the RECOVERY run.' },
  },
});

export enum ScrapeScope {
  ALL = 'ALL',
  SUBSET = 'SUBSET',
}
registerEnumType(ScrapeScope, {
  name: 'ScrapeScope',
  description: 'Which images a run covers.',
  valuesConfig: { ALL: { description: 'Every enabled tracked image.' }, SUBSET: { description: 'Named images only.' } },
});

export enum ScrapeResultStatus {
  PENDING = 'PENDING',
  RUNNING = 'RUNNING',
  OK = 'OK',
  NO_TAGS = 'NO_TAGS',
  NOT_FOUND = 'NOT_FOUND',
  FAILED = 'FAILED',
  INTERRUPTED = 'INTERRUPTED',
}
registerEnumType(ScrapeResultStatus, {
  name: 'ScrapeResultStatus',
  description: 'Where one image of a run is, or how it ended.',
  valuesConfig: {
    PENDING: { description: 'Waiting to be claimed.' },
    RUNNING: { description: 'Being scraped by a process.' },
    OK: { description: 'Read and stored.' },
    NO_TAGS: { description: 'No tags upstream; nothing stored.' },
    NOT_FOUND: { description: 'Docker Hub does not know the repository.' },
    FAILED: { description: 'Could not be read; see `error`. The catalog was left as it was.' },
    INTERRUPTED: { description: 'Its run was interrupted before it finished; the RECOVERY run scrapes it.' },
  },
});

@ObjectType({ description: 'What one image of a run did.' })
export class ScrapeResult {
  @Field({ description: 'Canonical image name.' })
  image: string;

  @Field(() => ScrapeResultStatus, { description: 'Outcome, or progress while the run is on.' })
  status: ScrapeResultStatus;

  @Field(() => String, { nullable: true, description: 'Why the image failed.' })
  error: string | null;

  @Field(() => String, { nullable: true, description: 'A problem that did not fail the image (e.g. paging stopped at the anonymous limit).' })
  warning: string | null;

  @Field(() => Int, { description: 'Instances created for new tags.' })
  instancesAdded: number;

  @Field(() => Int, { description: 'Existing instances whose upstream content changed (e.g. a re-pushed tag).' })
  instancesUpdated: number;

  @Field(() => Int, { description: 'Instances this scrape marked DELETED upstream (their tag left a complete listing or answered 404).' })
  instancesDeleted: number;

  /** Registry host → requests (GraphQL: `requests`, see scrape-run.resolver.ts). */
  requestsByHost?: Record<string, number>;

  @Field({ description: 'Whether this scrape created the resource.' })
  resourceCreated: boolean;

  @Field(() => Int, { nullable: true, description: 'Tags read from Docker Hub.' })
  tagsSeen: number | null;

  @Field(() => Int, { description: 'How many times a process claimed the image.' })
  attempts: number;

  @Field(() => String, { nullable: true, description: 'The process that scraped the image (or holds it now): `host:pid:id`.' })
  worker: string | null;

  @Field(() => DateTime, { nullable: true, description: 'When a process started on the image.' })
  startedAt: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'When the image finished.' })
  finishedAt: Date | null;

  runId: string;
}

@ObjectType({ description: 'How many HTTP requests went to one host.' })
export class HostRequests {
  @Field({ description: 'Host name (with its port), e.g. `hub.docker.com`, `registry-1.docker.io`, `ghcr.io`.' })
  host: string;

  @Field(() => Int, { description: 'Requests sent (every attempt counts).' })
  count: number;
}

/** `{host: n}` → the GraphQL list, busiest first. */
export function hostRequests(byHost: Record<string, number> | null | undefined): HostRequests[] {
  return Object.entries(byHost ?? {})
    .map(([host, count]) => ({ host, count: Number(count) }))
    .sort((a, b) => b.count - a.count || a.host.localeCompare(b.host));
}

@ObjectType({ implements: Node, description: 'One scrape of Docker Hub: what started it, how far it is, what it did.' })
export class ScrapeRun {
  @Field(() => ID, { description: 'Run identifier.' })
  id: string;

  @Field(() => ScrapeTrigger, { description: 'What started the run.' })
  trigger: ScrapeTrigger;

  @Field(() => ScrapeRunStatus, { description: 'Where the run is.' })
  status: ScrapeRunStatus;

  @Field(() => ScrapeScope, { description: 'All tracked images, or named ones.' })
  scope: ScrapeScope;

  @Field(() => String, { nullable: true, description: 'Why the run failed or was interrupted.' })
  error: string | null;

  @Field(() => ID, { nullable: true, description: 'For a RECOVERY run: the interrupted run it finishes.' })
  recoveryOf: string | null;

  @Field(() => DateTime, { description: 'When the run was created (queued).' })
  createdAt: Date;

  @Field(() => DateTime, { nullable: true, description: 'When the first image was claimed.' })
  startedAt: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'When the run ended.' })
  finishedAt: Date | null;

  @Field(() => Int, { description: 'Images in the run.' })
  imagesTotal: number;

  @Field(() => Int, { description: 'Images finished so far, whatever their outcome.' })
  imagesDone: number;

  @Field(() => Int, { description: 'Images that ended NOT_FOUND or FAILED.' })
  imagesFailed: number;

  @Field(() => Int, { description: 'Resources the run created.' })
  resourcesCreated: number;

  @Field(() => Int, { description: 'Instances the run created.' })
  instancesAdded: number;

  @Field(() => Int, { description: 'Instances whose upstream content changed.' })
  instancesUpdated: number;

  @Field(() => Int, { description: 'Instances marked DELETED upstream (tag gone from a complete listing, or 404 on HEAD).' })
  instancesDeleted: number;

  /** Registry host → requests (GraphQL: `requests`, see scrape-run.resolver.ts). */
  requestsByHost?: Record<string, number>;
}

export const {
  EdgeType: ScrapeRunEdge,
  ConnectionType: ScrapeRunConnection,
  CountResolver: ScrapeRunCountResolver,
} = connectionTypes(ScrapeRun, 'ScrapeRun', 'scrape run', 'How many runs there are.');
export type ScrapeRunConnection = InstanceType<typeof ScrapeRunConnection>;
