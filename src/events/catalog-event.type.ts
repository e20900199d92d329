import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ArrayMaxSize, IsOptional, MaxLength } from 'class-validator';
import { connectionTypes, encodeCursor } from '../graphql/connection';
import { DateTime } from '../graphql/scalars';
import { ScrapeRunStatus, ScrapeScope, ScrapeTrigger } from '../scraping/runs/scrape-run.type';

export enum CatalogEventType {
  RESOURCE_CREATED = 'RESOURCE_CREATED',
  RESOURCE_UPDATED = 'RESOURCE_UPDATED',
  INSTANCE_ADDED = 'INSTANCE_ADDED',
  INSTANCE_UPDATED = 'INSTANCE_UPDATED',
  INSTANCE_DELETED_UPSTREAM = 'INSTANCE_DELETED_UPSTREAM',
  SCRAPE_RUN_STARTED = 'SCRAPE_RUN_STARTED',
  SCRAPE_RUN_FINISHED = 'SCRAPE_RUN_FINISHED',
}
registerEnumType(CatalogEventType, {
  name: 'CatalogEventType',
  description: 'What a catalog event says happened.',
  valuesConfig: {
    RESOURCE_CREATED: { description: 'A scrape created a resource (its tags follow as INSTANCE_ADDED events of the same transaction).' },
    RESOURCE_UPDATED: { description: 'A resource was edited through the API (updateResource); `fields` names what changed.' },
    INSTANCE_ADDED: { description: 'A scrape found a new tag: `tag`, `ref`, `digest`.' },
    INSTANCE_UPDATED: {
      description:
        'An instance changed: by a scrape (`source: SCRAPE`, upstream content changed — a re-pushed tag has `previousDigest` ≠ `digest`) ' +
        'or through the API (`source: API`, updateInstance; `fields` names what changed).',
    },
    INSTANCE_DELETED_UPSTREAM: {
      description: 'A tag was deleted upstream. Declared for deleted-tag tracking; not produced yet (tags that leave the newest-N window are kept).',
    },
    SCRAPE_RUN_STARTED: { description: 'A scrape run was created (status QUEUED; `run` holds its trigger and image count).' },
    SCRAPE_RUN_FINISHED: { description: 'A scrape run ended: `run` holds its final status, error and counts.' },
  },
});

export enum CatalogEventSource {
  SCRAPE = 'SCRAPE',
  API = 'API',
}
registerEnumType(CatalogEventSource, {
  name: 'CatalogEventSource',
  description: 'Who made a catalog change.',
  valuesConfig: { SCRAPE: { description: 'A scrape of the upstream registry.' }, API: { description: 'A mutation with the admin token.' } },
});

@ObjectType({ description: 'A scrape run as it was when the event was written.' })
export class CatalogEventRun {
  @Field(() => ScrapeTrigger, { description: 'What started the run.' })
  trigger: ScrapeTrigger;

  @Field(() => ScrapeRunStatus, { description: 'The run status at the event (final for SCRAPE_RUN_FINISHED).' })
  status: ScrapeRunStatus;

  @Field(() => ScrapeScope, { nullable: true, description: 'Which images the run covers.' })
  scope: ScrapeScope | null;

  @Field(() => String, { nullable: true, description: 'Why the run failed or was interrupted.' })
  error: string | null;

  @Field(() => Int, { description: 'Images in the run.' })
  imagesTotal: number;

  @Field(() => Int, { description: 'Images finished.' })
  imagesDone: number;

  @Field(() => Int, { description: 'Images that ended NOT_FOUND or FAILED.' })
  imagesFailed: number;

  @Field(() => Int, { description: 'Resources created.' })
  resourcesCreated: number;

  @Field(() => Int, { description: 'Instances added.' })
  instancesAdded: number;

  @Field(() => Int, { description: 'Instances whose upstream content changed.' })
  instancesUpdated: number;
}

/** A row of catalog_event as the API and the webhooks show it. */
@ObjectType({ description: 'A committed catalog change, from the change feed (catalogEvents, catalogChanged, webhooks).' })
export class CatalogEvent {
  @Field(() => ID, { description: 'Increasing in commit order (a decimal number): an event with a higher id committed later.' })
  id: string;

  @Field({ description: 'This event as a catalogEvents cursor: after a disconnect, `catalogEvents(after: <cursor of the last event seen>)` returns what was missed.' })
  cursor: string;

  @Field(() => CatalogEventType, { description: 'What happened.' })
  type: CatalogEventType;

  @Field(() => DateTime, { description: 'When the change was committed: the clock at the insert of its event, the last statement of its transaction.' })
  occurredAt: Date;

  @Field(() => String, { nullable: true, description: 'Canonical image name (`nginx`, `bitnami/redis`); null for run events.' })
  image: string | null;

  @Field(() => ID, { nullable: true, description: 'The resource changed.' })
  resourceId: string | null;

  @Field(() => ID, { nullable: true, description: 'The instance changed (INSTANCE_* events).' })
  instanceId: string | null;

  @Field(() => ID, { nullable: true, description: 'The scrape run (SCRAPE_RUN_* events).' })
  runId: string | null;

  @Field(() => CatalogEventSource, { nullable: true, description: 'Who made the change; null for run events.' })
  source: CatalogEventSource | null;

  @Field(() => String, { nullable: true, description: 'The tag (INSTANCE_* events of a scrape).' })
  tag: string | null;

  @Field(() => String, { nullable: true, description: 'The origin ref, e.g. `docker.io/nginx:1.27` (INSTANCE_* events of a scrape).' })
  ref: string | null;

  @Field(() => String, { nullable: true, description: 'The tag digest after the change.' })
  digest: string | null;

  @Field(() => String, { nullable: true, description: 'The tag digest before the change (INSTANCE_UPDATED); differs from `digest` when the tag moved.' })
  previousDigest: string | null;

  @Field(() => [String], { nullable: true, description: 'The fields an API edit changed (RESOURCE_UPDATED, INSTANCE_UPDATED with source API).' })
  fields: string[] | null;

  @Field(() => CatalogEventRun, { nullable: true, description: 'The run at the event (SCRAPE_RUN_* events).' })
  run: CatalogEventRun | null;
}

export const { ConnectionType: CatalogEventConnection, CountResolver: CatalogEventCountResolver } = connectionTypes(
  CatalogEvent,
  'CatalogEvent',
  'catalog event',
  'Events that match the filter and are still kept (CATALOG_EVENTS_RETENTION), in all pages.',
);

@InputType({ description: 'Which catalog events to return; every given condition must hold.' })
export class CatalogEventFilter {
  @Field(() => [CatalogEventType], { nullable: true, description: 'Only events of these types.' })
  @IsOptional()
  @ArrayMaxSize(20)
  types?: CatalogEventType[] | null;

  @Field(() => [String], { nullable: true, description: 'Only events of these images (`nginx` or `library/nginx`, `org/name`).' })
  @IsOptional()
  @ArrayMaxSize(100)
  @MaxLength(255, { each: true })
  images?: string[] | null;
}

/** Maps a catalog_event row to the API shape. */
export function toCatalogEvent(row: {
  id: string | number;
  type: string;
  occurred_at: Date;
  image: string | null;
  resource_id: string | null;
  instance_id: string | null;
  run_id: string | null;
  data: Record<string, any>;
}): CatalogEvent {
  const d = row.data ?? {};
  const isRun = row.type === 'SCRAPE_RUN_STARTED' || row.type === 'SCRAPE_RUN_FINISHED';
  return {
    id: String(row.id),
    cursor: encodeCursor(EVENTS_ORDERING, { key: null, id: String(row.id) }),
    type: row.type as CatalogEventType,
    occurredAt: row.occurred_at,
    image: row.image,
    resourceId: row.resource_id,
    instanceId: row.instance_id,
    runId: row.run_id,
    source: (d.source as CatalogEventSource) ?? null,
    tag: d.tag ?? null,
    ref: d.ref ?? null,
    digest: d.digest ?? null,
    previousDigest: d.previousDigest ?? null,
    fields: Array.isArray(d.fields) ? d.fields : null,
    run: isRun
      ? {
          trigger: d.trigger,
          status: d.status,
          scope: d.scope ?? null,
          error: d.error ?? null,
          imagesTotal: d.imagesTotal ?? 0,
          imagesDone: d.imagesDone ?? 0,
          imagesFailed: d.imagesFailed ?? 0,
          resourcesCreated: d.resourcesCreated ?? 0,
          instancesAdded: d.instancesAdded ?? 0,
          instancesUpdated: d.instancesUpdated ?? 0,
        }
      : null,
  };
}

/** The ordering name inside catalogEvents cursors. */
export const EVENTS_ORDERING = 'events:id';

export const EVENT_COLUMNS = 'e.id, e.type, e.occurred_at, e.image, e.resource_id, e.instance_id, e.run_id, e.data';
