export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** A date-time string at UTC, such as 2007-12-03T10:15:30Z, compliant with the `date-time` format outlined in section 5.6 of the RFC 3339 profile of the ISO 8601 standard for representation of dates and times using the Gregorian calendar.This scalar is serialized to a string in ISO 8601 format and parsed from a string in ISO 8601 format. */
  DateTimeISO: { input: string; output: string; }
  /** The `SafeInt` scalar type represents non-fractional signed whole numeric values that are considered safe as defined by the ECMAScript specification. */
  SafeInt: { input: number; output: number; }
};

/** Access information of an instance. */
export type Access = {
  __typename?: 'Access';
  /** Container run settings. */
  container?: Maybe<Container>;
};

/** Images to put on the tracked list. */
export type AddTrackedImagesInput = {
  /** Image names: `nginx` for an official Docker Hub image (the same as `library/nginx`), `org/name` on Docker Hub, or `host[:port]/path` on another registry (`ghcr.io/org/name`, `registry.example.com:5000/team/app`). Duplicates (in either form) count once. 1 to 500 names. */
  images: Array<Scalars['String']['input']>;
  /** Tags to import per scrape for these images (newest first), 1 to 10000. Omitted: new images follow DOCKER_SCRAPER_MAX_TAGS and images already tracked keep their setting. null: all of them follow DOCKER_SCRAPER_MAX_TAGS. */
  maxTags?: InputMaybe<Scalars['Int']['input']>;
  /** true: start a scrape of these images at once (returned as `scrapeRun`) instead of waiting for the next scheduled run. */
  scrapeNow?: Scalars['Boolean']['input'];
  /** Tag filter for these images. Omitted: new images take every tag and images already tracked keep theirs. null: clear it. */
  tagFilter?: InputMaybe<TagFilterInput>;
};

/** A committed catalog change, from the change feed (catalogEvents, catalogChanged, webhooks). */
export type CatalogEvent = {
  __typename?: 'CatalogEvent';
  /** This event as a catalogEvents cursor: after a disconnect, `catalogEvents(after: <cursor of the last event seen>)` returns what was missed. */
  cursor: Scalars['String']['output'];
  /** The tag digest after the change. */
  digest?: Maybe<Scalars['String']['output']>;
  /** The fields an API edit changed (RESOURCE_UPDATED, INSTANCE_UPDATED with source API). */
  fields?: Maybe<Array<Scalars['String']['output']>>;
  /** Increasing in commit order (a decimal number): an event with a higher id committed later. */
  id: Scalars['ID']['output'];
  /** Canonical image name (`nginx`, `bitnami/redis`); null for run events. */
  image?: Maybe<Scalars['String']['output']>;
  /** The instance changed (INSTANCE_* events). */
  instanceId?: Maybe<Scalars['ID']['output']>;
  /** When the change was committed (its transaction time). */
  occurredAt: Scalars['DateTimeISO']['output'];
  /** The tag digest before the change (INSTANCE_UPDATED); differs from `digest` when the tag moved. */
  previousDigest?: Maybe<Scalars['String']['output']>;
  /** The origin ref, e.g. `docker.io/nginx:1.27` (INSTANCE_* events of a scrape). */
  ref?: Maybe<Scalars['String']['output']>;
  /** The resource changed. */
  resourceId?: Maybe<Scalars['ID']['output']>;
  /** The run at the event (SCRAPE_RUN_* events). */
  run?: Maybe<CatalogEventRun>;
  /** The scrape run (SCRAPE_RUN_* events). */
  runId?: Maybe<Scalars['ID']['output']>;
  /** Who made the change; null for run events. */
  source?: Maybe<CatalogEventSource>;
  /** The tag (INSTANCE_* events of a scrape). */
  tag?: Maybe<Scalars['String']['output']>;
  /** What happened. */
  type: CatalogEventType;
};

/** A page of catalog events (Relay connection). */
export type CatalogEventConnection = {
  __typename?: 'CatalogEventConnection';
  /** The catalog events of this page, in order. */
  edges: Array<CatalogEventEdge>;
  /** Where this page is in the whole list. */
  pageInfo: PageInfo;
  /** Events that match the filter and are still kept (CATALOG_EVENTS_RETENTION), in all pages. */
  totalCount: Scalars['Int']['output'];
};

/** An edge of a CatalogEventConnection. */
export type CatalogEventEdge = {
  __typename?: 'CatalogEventEdge';
  /** Opaque cursor of this edge. */
  cursor: Scalars['String']['output'];
  /** The catalog event. */
  node: CatalogEvent;
};

/** Which catalog events to return; every given condition must hold. */
export type CatalogEventFilter = {
  /** Only events of these images (`nginx` or `library/nginx`, `org/name`). */
  images?: InputMaybe<Array<Scalars['String']['input']>>;
  /** Only events of these types. */
  types?: InputMaybe<Array<CatalogEventType>>;
};

/** A scrape run as it was when the event was written. */
export type CatalogEventRun = {
  __typename?: 'CatalogEventRun';
  /** Why the run failed or was interrupted. */
  error?: Maybe<Scalars['String']['output']>;
  /** Images finished. */
  imagesDone: Scalars['Int']['output'];
  /** Images that ended NOT_FOUND or FAILED. */
  imagesFailed: Scalars['Int']['output'];
  /** Images in the run. */
  imagesTotal: Scalars['Int']['output'];
  /** Instances added. */
  instancesAdded: Scalars['Int']['output'];
  /** Instances whose upstream content changed. */
  instancesUpdated: Scalars['Int']['output'];
  /** Resources created. */
  resourcesCreated: Scalars['Int']['output'];
  /** Which images the run covers. */
  scope?: Maybe<ScrapeScope>;
  /** The run status at the event (final for SCRAPE_RUN_FINISHED). */
  status: ScrapeRunStatus;
  /** What started the run. */
  trigger: ScrapeTrigger;
};

/** Who made a catalog change. */
export type CatalogEventSource =
  /** A mutation with the admin token. */
  | 'API'
  /** A scrape of the upstream registry. */
  | 'SCRAPE';

/** What a catalog event says happened. */
export type CatalogEventType =
  /** A scrape found a new tag: `tag`, `ref`, `digest`. */
  | 'INSTANCE_ADDED'
  /** A tag was deleted upstream. Declared for deleted-tag tracking; not produced yet (tags that leave the newest-N window are kept). */
  | 'INSTANCE_DELETED_UPSTREAM'
  /** An instance changed: by a scrape (`source: SCRAPE`, upstream content changed — a re-pushed tag has `previousDigest` ≠ `digest`) or through the API (`source: API`, updateInstance; `fields` names what changed). */
  | 'INSTANCE_UPDATED'
  /** A scrape created a resource (its tags follow as INSTANCE_ADDED events of the same transaction). */
  | 'RESOURCE_CREATED'
  /** A resource was edited through the API (updateResource); `fields` names what changed. */
  | 'RESOURCE_UPDATED'
  /** A scrape run ended: `run` holds its final status, error and counts. */
  | 'SCRAPE_RUN_FINISHED'
  /** A scrape run was created (status QUEUED; `run` holds its trigger and image count). */
  | 'SCRAPE_RUN_STARTED';

/** How to run an instance as a container. */
export type Container = {
  __typename?: 'Container';
  /** Arguments: the image config `Cmd` unless set through the API; null when neither sets them. */
  args?: Maybe<Array<Scalars['String']['output']>>;
  /** Entrypoint: the image config `Entrypoint` unless set through the API; null when neither sets one. */
  command?: Maybe<Array<Scalars['String']['output']>>;
  /** Environment variables of the catalog; `ARCH` is the first platform architecture unless edited. */
  env: Array<EnvVar>;
  /** Ports the image exposes (config `ExposedPorts`) unless set through the API; null when none are declared. */
  exposedPorts?: Maybe<Array<ExposedPort>>;
  /** Image reference to pull (the origin ref). */
  image: Scalars['String']['output'];
  /** The image’s own default environment (config `Env`, in order), apart from `env`; null before the image config was read. */
  imageEnv?: Maybe<Array<EnvVar>>;
  /** User the container runs as (config `User`); null when unset. */
  user?: Maybe<Scalars['String']['output']>;
  /** Volume mount points: the image config `Volumes` unless set through the API; null when none are declared. */
  volumes?: Maybe<Array<Scalars['String']['output']>>;
  /** Working directory (config `WorkingDir`); null when unset. */
  workingDir?: Maybe<Scalars['String']['output']>;
};

/** A new webhook. */
export type CreateWebhookInput = {
  /** What it is for (at most 500 characters). */
  description?: InputMaybe<Scalars['String']['input']>;
  /** Event types to deliver; absent or empty: every type. */
  events?: InputMaybe<Array<CatalogEventType>>;
  /** Only events of these images (`nginx`, `org/name`); absent or empty: every image. */
  images?: InputMaybe<Array<Scalars['String']['input']>>;
  /** The HMAC secret, 16 to 256 characters; absent: one is generated and returned once. */
  secret?: InputMaybe<Scalars['String']['input']>;
  /** An http(s) URL. Loopback, private and link-local targets are refused unless WEBHOOK_ALLOW_PRIVATE=true. */
  url: Scalars['String']['input'];
};

/** The result of createWebhook. */
export type CreateWebhookPayload = {
  __typename?: 'CreateWebhookPayload';
  /** The generated secret, shown this once; null when the input gave one. */
  secret?: Maybe<Scalars['String']['output']>;
  /** The webhook. */
  webhook: Webhook;
};

/** An environment variable. */
export type EnvVar = {
  __typename?: 'EnvVar';
  /** Variable name. */
  name: Scalars['String']['output'];
  /** Variable value. */
  value: Scalars['String']['output'];
};

/** An environment variable. */
export type EnvVarInput = {
  /** Name: letters, digits and underscores, not starting with a digit; at most 256 characters. */
  name: Scalars['String']['input'];
  /** Value, at most 32768 characters (may be empty). */
  value: Scalars['String']['input'];
};

/** A port the image declares (`ExposedPorts` of its config). */
export type ExposedPort = {
  __typename?: 'ExposedPort';
  /** Port number, 1 to 65535. */
  port: Scalars['Int']['output'];
  /** Protocol: `tcp`, `udp` or `sctp`. */
  protocol: Scalars['String']['output'];
};

/** A port the container exposes. */
export type ExposedPortInput = {
  /** Port number, 1 to 65535. */
  port: Scalars['Int']['input'];
  /** Protocol: `tcp` (default), `udp` or `sctp`. */
  protocol?: Scalars['String']['input'];
};

/** How many HTTP requests went to one host. */
export type HostRequests = {
  __typename?: 'HostRequests';
  /** Requests sent (every attempt counts). */
  count: Scalars['Int']['output'];
  /** Host name (with its port), e.g. `hub.docker.com`, `registry-1.docker.io`, `ghcr.io`. */
  host: Scalars['String']['output'];
};

/** The circuit breaker of the Docker Hub host, as the process that answered sees it (each replica has its own). */
export type HubCircuit = {
  __typename?: 'HubCircuit';
  /** Connection-level failures in a row (0 after any answer from the host). */
  consecutiveFailures: Scalars['Int']['output'];
  /** The last connection-level failure, in words; null when CLOSED. */
  lastFailure?: Maybe<Scalars['String']['output']>;
  /** OPEN: when the next probe may go; null otherwise. */
  retryAt?: Maybe<Scalars['DateTimeISO']['output']>;
  /** When the breaker entered this state; null when it never changed since the process started. */
  since?: Maybe<Scalars['DateTimeISO']['output']>;
  /** CLOSED, OPEN or HALF_OPEN. */
  state: HubCircuitState;
  /** OPEN or HALF_OPEN: when the host became unreachable (the first failure of the streak); null when CLOSED. */
  unreachableSince?: Maybe<Scalars['DateTimeISO']['output']>;
};

/** State of the circuit breaker that guards requests to the Docker Hub host. */
export type HubCircuitState =
  /** Docker Hub is reachable: requests go. */
  | 'CLOSED'
  /** The cool-down is over: the next request probes the host (success closes the breaker, failure opens it again). */
  | 'HALF_OPEN'
  /** Docker Hub failed at the connection level (refused, reset, DNS, timeouts) DOCKER_HUB_CIRCUIT_THRESHOLD times in a row: requests fail at once, without reaching the network, until `retryAt`; images meanwhile end FAILED ("Docker Hub unreachable since …, skipped"). */
  | 'OPEN';

/** Docker Hub as the process that answered sees it. */
export type HubStatus = {
  __typename?: 'HubStatus';
  /** The circuit breaker that fails requests fast while the host is unreachable. */
  circuit: HubCircuit;
  /** The host requests go to (from DOCKER_HUB_URL). */
  host: Scalars['String']['output'];
  /** While a rate-limit header (Retry-After, X-Retry-After, X-RateLimit-Reset) pauses every request to the host: when the pause ends; null otherwise. */
  rateLimitedUntil?: Maybe<Scalars['DateTimeISO']['output']>;
};

/** Outcome of scraping one image. */
export type ImageScrapeStatus =
  /** Docker Hub could not be read (see the error); the catalog was left as it was. */
  | 'FAILED'
  /** Docker Hub does not know the repository (or it is private). */
  | 'NOT_FOUND'
  /** The repository has no tags; nothing is stored for it. */
  | 'NO_TAGS'
  /** Read and stored. */
  | 'OK';

/** Where a resource runs. */
export type Infrastructure =
  /** A container image run by a Docker-compatible runtime. */
  | 'DOCKER';

/** Conditions an instance must meet; all given conditions apply together. */
export type InstanceFilter = {
  /** Only tags built for this architecture (e.g. `arm64`). */
  architecture?: InputMaybe<Scalars['String']['input']>;
  /** Exact tags. */
  names?: InputMaybe<Array<Scalars['String']['input']>>;
  /** Only peerless instances (true) or only the others (false). */
  peerless?: InputMaybe<Scalars['Boolean']['input']>;
  /** Case-insensitive substring of the tag. */
  search?: InputMaybe<Scalars['String']['input']>;
  /** Only instances whose tag is ACTIVE, or DELETED, upstream. */
  upstreamStatus?: InputMaybe<UpstreamStatus>;
};

/** Sort order of instances. */
export type InstanceOrder = {
  /** Sort direction. */
  direction?: OrderDirection;
  /** Sort key. */
  field?: InstanceOrderField;
};

/** What to sort instances by. Ties are broken by id. */
export type InstanceOrderField =
  /** When the tag was last updated on Docker Hub (unknown dates sort as oldest). */
  | 'LAST_UPDATED'
  /** Tag name. */
  | 'NAME';

/** An instance after a change. */
export type InstancePayload = {
  __typename?: 'InstancePayload';
  /** The instance, as it is now. */
  instance: ProcessingInstance;
};

/** A label of the image (config `Labels`, and OCI annotations of its manifest). */
export type Label = {
  __typename?: 'Label';
  /** Label key, e.g. `org.opencontainers.image.source`. */
  key: Scalars['String']['output'];
  /** Label value. */
  value: Scalars['String']['output'];
};

/** Changes to the tracked image list and the catalog, and manual scrapes. Need `Authorization: Bearer <admin token>`. */
export type Mutation = {
  __typename?: 'Mutation';
  /** Puts images on the tracked list; they are scraped at the next run, or at once with `scrapeNow: true`. Images already on the list are not an error (their `maxTags` changes when given). An image removed earlier comes back. */
  addTrackedImages: TrackedImagesPayload;
  /** Creates a webhook: matching catalog events are POSTed to `url`, signed with HMAC-SHA256 (X-Catalog-Signature-256). Without `secret` one is generated and returned once. */
  createWebhook: CreateWebhookPayload;
  /** Deletes a webhook and its delivery history. */
  deleteWebhook: WebhookPayload;
  /** Takes images off the tracked list; they stay off across restarts even when DOCKER_SCRAPER_IMAGES or the default list names them (addTrackedImages brings one back). Their catalog resources stay unless `purge: true`. Every image must be on the list: otherwise NOT_FOUND names the others and nothing is removed. */
  removeTrackedImages: TrackedImagesPayload;
  /** Replaces the whole tracked list: adds the images it lacks, removes those not named (as removeTrackedImages, without purging), and reports both. */
  setTrackedImages: SetTrackedImagesPayload;
  /** Queues a PING delivery (X-Catalog-Event: PING) to the webhook. */
  testWebhook: TestWebhookPayload;
  /** Starts a scrape of every enabled tracked image, or of the named ones. A full-list scrape while one is in progress returns that run. An image already being scraped by another run is not scraped twice at once: it waits for the other to finish. */
  triggerScrape: TriggerScrapePayload;
  /** Manual enrichment of an instance (one tag). Fields left out stay as they are; a field set here is never overwritten by a scrape (it shows in `editedFields`); null hands a field back to Docker Hub: the latest scraped value comes back. */
  updateInstance: InstancePayload;
  /** Manual enrichment of a resource. Fields left out stay as they are; a field set here is never overwritten by a scrape (it shows in `editedFields`); null hands a field back to Docker Hub: the latest scraped value comes back. */
  updateResource: ResourcePayload;
  /** Enables or disables one tracked image, or changes how many tags it imports. NOT_FOUND when it is not on the list. */
  updateTrackedImage: TrackedImagePayload;
  /** Changes a webhook; `enabled: true` turns a disabled one back on. */
  updateWebhook: WebhookPayload;
};


/** Changes to the tracked image list and the catalog, and manual scrapes. Need `Authorization: Bearer <admin token>`. */
export type MutationAddTrackedImagesArgs = {
  input: AddTrackedImagesInput;
};


/** Changes to the tracked image list and the catalog, and manual scrapes. Need `Authorization: Bearer <admin token>`. */
export type MutationCreateWebhookArgs = {
  input: CreateWebhookInput;
};


/** Changes to the tracked image list and the catalog, and manual scrapes. Need `Authorization: Bearer <admin token>`. */
export type MutationDeleteWebhookArgs = {
  id: Scalars['ID']['input'];
};


/** Changes to the tracked image list and the catalog, and manual scrapes. Need `Authorization: Bearer <admin token>`. */
export type MutationRemoveTrackedImagesArgs = {
  input: RemoveTrackedImagesInput;
};


/** Changes to the tracked image list and the catalog, and manual scrapes. Need `Authorization: Bearer <admin token>`. */
export type MutationSetTrackedImagesArgs = {
  input: SetTrackedImagesInput;
};


/** Changes to the tracked image list and the catalog, and manual scrapes. Need `Authorization: Bearer <admin token>`. */
export type MutationTestWebhookArgs = {
  id: Scalars['ID']['input'];
};


/** Changes to the tracked image list and the catalog, and manual scrapes. Need `Authorization: Bearer <admin token>`. */
export type MutationTriggerScrapeArgs = {
  input?: InputMaybe<TriggerScrapeInput>;
};


/** Changes to the tracked image list and the catalog, and manual scrapes. Need `Authorization: Bearer <admin token>`. */
export type MutationUpdateInstanceArgs = {
  input: UpdateInstanceInput;
};


/** Changes to the tracked image list and the catalog, and manual scrapes. Need `Authorization: Bearer <admin token>`. */
export type MutationUpdateResourceArgs = {
  input: UpdateResourceInput;
};


/** Changes to the tracked image list and the catalog, and manual scrapes. Need `Authorization: Bearer <admin token>`. */
export type MutationUpdateTrackedImageArgs = {
  input: UpdateTrackedImageInput;
};


/** Changes to the tracked image list and the catalog, and manual scrapes. Need `Authorization: Bearer <admin token>`. */
export type MutationUpdateWebhookArgs = {
  input: UpdateWebhookInput;
};

/** An object with a globally unique id: `node(id:)` refetches it. Ids are uuids, unique across every type (no type prefix needed). */
export type Node = {
  /** Globally unique, stable identifier (a uuid); never changes. */
  id: Scalars['ID']['output'];
};

/** Sort direction. */
export type OrderDirection =
  /** Smallest first. */
  | 'ASC'
  /** Largest (newest) first. */
  | 'DESC';

/** Where an instance comes from and under which licence. */
export type Origin = {
  __typename?: 'Origin';
  /** Licence (SPDX expression): the image label `org.opencontainers.image.licenses` (or `org.label-schema.license`), unless set through the API. */
  license?: Maybe<Scalars['String']['output']>;
  /** Pull reference, e.g. `docker.io/nginx:1.27` or `docker.io/org/name:tag`; unique. */
  ref: Scalars['String']['output'];
  /** Kind of origin. */
  type: OriginType;
  /** Whether the origin is verified (Docker Hub images are). */
  verified: Scalars['Boolean']['output'];
};

/** Where an instance comes from. */
export type OriginType =
  /** A private source that needs credentials. */
  | 'PRIVATE'
  /** A public registry anyone can pull from (Docker Hub). */
  | 'PUBLIC';

/** Who publishes a resource. */
export type Owner = {
  __typename?: 'Owner';
  /** URL of the owner logo. */
  logo?: Maybe<Scalars['String']['output']>;
  /** Owner name or address, e.g. `https://hub.docker.com/`. */
  name: Scalars['String']['output'];
};

/** Relay page information of a connection. */
export type PageInfo = {
  __typename?: 'PageInfo';
  /** Cursor of the last edge: pass it as `after` to read the next page. */
  endCursor?: Maybe<Scalars['String']['output']>;
  /** Whether items follow the last edge of this page: with `first`, whether more items follow it; with `last`, true when `before` was given. */
  hasNextPage: Scalars['Boolean']['output'];
  /** Whether items come before the first edge of this page: with `last`, whether more items precede it; with `first`, true when `after` was given. */
  hasPreviousPage: Scalars['Boolean']['output'];
  /** Cursor of the first edge, null when the page is empty: pass it as `before` to read the previous page. */
  startCursor?: Maybe<Scalars['String']['output']>;
};

/** One platform (OS/architecture) a tag is built for. */
export type Platform = {
  __typename?: 'Platform';
  /** CPU architecture, e.g. `amd64`, `arm64`. */
  architecture: Scalars['String']['output'];
  /** Digest of the platform manifest; null when Docker Hub gives none. */
  digest?: Maybe<Scalars['String']['output']>;
  /** Operating system, e.g. `linux`. */
  os: Scalars['String']['output'];
  /** Compressed size in bytes. */
  size?: Maybe<Scalars['SafeInt']['output']>;
  /** Architecture variant, e.g. `v8`; often null. */
  variant?: Maybe<Scalars['String']['output']>;
};

/** One tag of a resource: a peerless instance any peer may use without negotiation. */
export type ProcessingInstance = Node & {
  __typename?: 'ProcessingInstance';
  /** How to run the instance. */
  access: Access;
  /** When the instance entered the catalog. */
  createdAt: Scalars['DateTimeISO']['output'];
  /** Owning peer; empty for catalog instances (no owner). */
  creatorId: Scalars['String']['output'];
  /** When the tag was found deleted upstream; null while it is ACTIVE. */
  deletedUpstreamAt?: Maybe<Scalars['DateTimeISO']['output']>;
  /** Tag digest; null when Docker Hub gives none. */
  digest?: Maybe<Scalars['String']['output']>;
  /** Fields set through the API, which scrapes never overwrite. */
  editedFields: Array<Scalars['String']['output']>;
  /** Compressed size of all platforms in bytes. */
  fullSize?: Maybe<Scalars['SafeInt']['output']>;
  /** Stable identifier (UUID); never changes. */
  id: Scalars['ID']['output'];
  /** When the image was built: the config `created` (or the `org.opencontainers.image.created` label); null when unknown. */
  imageCreatedAt?: Maybe<Scalars['DateTimeISO']['output']>;
  /** True when the instance has no owner, no partnerships and a non-empty origin ref. */
  isPeerless: Scalars['Boolean']['output'];
  /** Labels of the image config and OCI annotations of the manifest, by key; empty before the config was read. */
  labels: Array<Label>;
  /** When the tag was last pushed. */
  lastPushed?: Maybe<Scalars['DateTimeISO']['output']>;
  /** When the tag was last updated on Docker Hub. */
  lastUpdated?: Maybe<Scalars['DateTimeISO']['output']>;
  /** The tag, e.g. `1.27` or `latest`. */
  name: Scalars['String']['output'];
  /** Where the instance comes from. */
  origin: Origin;
  /** Every platform of the tag (attestation entries excluded). */
  platforms: Array<Platform>;
  /** The resource this instance is a tag of. */
  resource: ProcessingResource;
  /** Source code URL: the label `org.opencontainers.image.source` (or `org.label-schema.vcs-url`); null when absent. */
  sourceUrl?: Maybe<Scalars['String']['output']>;
  /** Docker Hub tag status, e.g. `active`. */
  tagStatus?: Maybe<Scalars['String']['output']>;
  /** When the instance content last changed. */
  updatedAt: Scalars['DateTimeISO']['output'];
  /** Whether the tag still exists upstream (DELETED instances are kept). */
  upstreamStatus: UpstreamStatus;
};

/** A page of instances (Relay connection). */
export type ProcessingInstanceConnection = {
  __typename?: 'ProcessingInstanceConnection';
  /** The instances of this page, in order. */
  edges: Array<ProcessingInstanceEdge>;
  /** Where this page is in the whole list. */
  pageInfo: PageInfo;
  /** How many instances pass the filter, on all pages. */
  totalCount: Scalars['Int']['output'];
};

/** An edge of a ProcessingInstanceConnection. */
export type ProcessingInstanceEdge = {
  __typename?: 'ProcessingInstanceEdge';
  /** Opaque cursor of this edge. */
  cursor: Scalars['String']['output'];
  /** The instance. */
  node: ProcessingInstance;
};

/** A container image tracked from Docker Hub. Its instances are its tags. Upstream fields follow Docker Hub; fields edited through the API are kept. */
export type ProcessingResource = Node & {
  __typename?: 'ProcessingResource';
  /** When the resource entered the catalog. */
  createdAt: Scalars['DateTimeISO']['output'];
  /** Long description (Docker Hub `full_description`, Markdown). */
  description?: Maybe<Scalars['String']['output']>;
  /** Fields set through the API, which scrapes never overwrite. */
  editedFields: Array<Scalars['String']['output']>;
  /** Stable identifier (UUID); never changes. */
  id: Scalars['ID']['output'];
  /** Where the resource runs. */
  infrastructure: Infrastructure;
  /** The tags of this resource (newest upstream update first by default). */
  instances: ProcessingInstanceConnection;
  /** Whether the resource is an unpublished draft. */
  isDraft: Scalars['Boolean']['output'];
  /** Whether the resource is a long-running service. */
  isService: Scalars['Boolean']['output'];
  /** When a scrape last succeeded for this image. */
  lastSyncedAt?: Maybe<Scalars['DateTimeISO']['output']>;
  /** When the repository was last updated on Docker Hub. */
  lastUpdated?: Maybe<Scalars['DateTimeISO']['output']>;
  /** Logo URL: the first Markdown image of the description. */
  logo?: Maybe<Scalars['String']['output']>;
  /** Canonical image name: `nginx` for official images, `org/name` otherwise. Unique. */
  name: Scalars['String']['output'];
  /** Docker Hub namespace (`library` for official images); on another registry the path without its last part. */
  namespace: Scalars['String']['output'];
  /** Whether the resource is open source. */
  openSource: Scalars['Boolean']['output'];
  /** Publishers of the resource. */
  owners: Array<Owner>;
  /** Docker Hub pull count (can exceed 2^31). */
  pullCount: Scalars['SafeInt']['output'];
  /** Registry host: `docker.io` for Docker Hub, else e.g. `ghcr.io` or `127.0.0.1:5000`. */
  registry: Scalars['String']['output'];
  /** Repository name inside the namespace. */
  repository: Scalars['String']['output'];
  /** One-line description (Docker Hub `description`). */
  shortDescription?: Maybe<Scalars['String']['output']>;
  /** Docker Hub star count. */
  starCount: Scalars['SafeInt']['output'];
  /** When the resource content last changed. */
  updatedAt: Scalars['DateTimeISO']['output'];
};


/** A container image tracked from Docker Hub. Its instances are its tags. Upstream fields follow Docker Hub; fields edited through the API are kept. */
export type ProcessingResourceInstancesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<InstanceFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
  orderBy?: InputMaybe<InstanceOrder>;
};

/** Reads of the catalog, the tracked image list and the scrape history. Public. */
export type Query = {
  __typename?: 'Query';
  /** The change feed, oldest first: every committed catalog change kept (CATALOG_EVENTS_RETENTION, default 30 days). A client that was away passes the `endCursor` it last saw as `after` and reads on until `hasNextPage` is false; cursors follow commit order, so nothing committed later is ever skipped. */
  catalogEvents: CatalogEventConnection;
  /** One instance, by `id` or by origin `ref` (`docker.io/nginx:1.27`; `nginx:1.27` works too); null when none matches. */
  instance?: Maybe<ProcessingInstance>;
  /** Any object by its id (Global Object Identification): a resource, an instance, a tracked image or a scrape run; null when none has the id. A malformed id is BAD_USER_INPUT. */
  node?: Maybe<Node>;
  /** Objects by id, in the order asked, null where none has the id; at most 100 ids. A malformed id is BAD_USER_INPUT. */
  nodes: Array<Maybe<Node>>;
  /** One resource, by `id` or by image `name`; null when none matches. */
  resource?: Maybe<ProcessingResource>;
  /** The catalog: a page of resources, filtered and ordered. */
  resources: ResourceConnection;
  /** One scrape run; null when the id is unknown. */
  scrapeRun?: Maybe<ScrapeRun>;
  /** Scrape runs, newest first. */
  scrapeRuns: ScrapeRunConnection;
  /** Scraper settings, the current run and the next scheduled one. */
  scraper: ScraperStatus;
  /** The tracked image list, in list order (configured images first). */
  trackedImages: TrackedImageConnection;
  /** A webhook's deliveries with every attempt, newest first. Needs the admin token. */
  webhookDeliveries: WebhookDeliveryConnection;
  /** Every webhook, oldest first. Needs the admin token. */
  webhooks: Array<Webhook>;
};


/** Reads of the catalog, the tracked image list and the scrape history. Public. */
export type QueryCatalogEventsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<CatalogEventFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
};


/** Reads of the catalog, the tracked image list and the scrape history. Public. */
export type QueryInstanceArgs = {
  id?: InputMaybe<Scalars['ID']['input']>;
  ref?: InputMaybe<Scalars['String']['input']>;
};


/** Reads of the catalog, the tracked image list and the scrape history. Public. */
export type QueryNodeArgs = {
  id: Scalars['ID']['input'];
};


/** Reads of the catalog, the tracked image list and the scrape history. Public. */
export type QueryNodesArgs = {
  ids: Array<Scalars['ID']['input']>;
};


/** Reads of the catalog, the tracked image list and the scrape history. Public. */
export type QueryResourceArgs = {
  id?: InputMaybe<Scalars['ID']['input']>;
  name?: InputMaybe<Scalars['String']['input']>;
};


/** Reads of the catalog, the tracked image list and the scrape history. Public. */
export type QueryResourcesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<ResourceFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
  orderBy?: InputMaybe<ResourceOrder>;
};


/** Reads of the catalog, the tracked image list and the scrape history. Public. */
export type QueryScrapeRunArgs = {
  id: Scalars['ID']['input'];
};


/** Reads of the catalog, the tracked image list and the scrape history. Public. */
export type QueryScrapeRunsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
};


/** Reads of the catalog, the tracked image list and the scrape history. Public. */
export type QueryTrackedImagesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<TrackedImageFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
};


/** Reads of the catalog, the tracked image list and the scrape history. Public. */
export type QueryWebhookDeliveriesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
  status?: InputMaybe<Array<WebhookDeliveryStatus>>;
  webhookId: Scalars['ID']['input'];
};

/** Images to take off the tracked list. */
export type RemoveTrackedImagesInput = {
  /** Image names: `nginx` for an official Docker Hub image (the same as `library/nginx`), `org/name` on Docker Hub, or `host[:port]/path` on another registry (`ghcr.io/org/name`, `registry.example.com:5000/team/app`). Duplicates (in either form) count once. 1 to 500 names. Every one must be tracked: when one is not, nothing is removed (NOT_FOUND names them). */
  images: Array<Scalars['String']['input']>;
  /** true: also delete their catalog resources and instances. false: the resources stay in the catalog (no longer refreshed). */
  purge?: Scalars['Boolean']['input'];
};

/** A page of resources (Relay connection). */
export type ResourceConnection = {
  __typename?: 'ResourceConnection';
  /** The resources of this page, in order. */
  edges: Array<ResourceEdge>;
  /** Where this page is in the whole list. */
  pageInfo: PageInfo;
  /** How many resources pass the filter, on all pages. */
  totalCount: Scalars['Int']['output'];
};

/** An edge of a ResourceConnection. */
export type ResourceEdge = {
  __typename?: 'ResourceEdge';
  /** Opaque cursor of this edge. */
  cursor: Scalars['String']['output'];
  /** The resource. */
  node: ProcessingResource;
};

/** Conditions a resource must meet; all given conditions apply together. */
export type ResourceFilter = {
  /** Only resources with a tag built for this architecture (e.g. `arm64`). */
  architecture?: InputMaybe<Scalars['String']['input']>;
  /** Only drafts (true) or only published resources (false). */
  isDraft?: InputMaybe<Scalars['Boolean']['input']>;
  /** Exact image names (`nginx`, `library/nginx` or `org/name`). */
  names?: InputMaybe<Array<Scalars['String']['input']>>;
  /** true: resources with at least one peerless instance; false: resources with none. */
  peerless?: InputMaybe<Scalars['Boolean']['input']>;
  /** Only resources on these registry hosts (`docker.io` for Docker Hub, `ghcr.io`, `127.0.0.1:5000`). */
  registry?: InputMaybe<Array<Scalars['String']['input']>>;
  /** Case-insensitive substring of the name or the short description. */
  search?: InputMaybe<Scalars['String']['input']>;
};

/** Sort order of resources. */
export type ResourceOrder = {
  /** Sort direction. */
  direction?: OrderDirection;
  /** Sort key. */
  field?: ResourceOrderField;
};

/** What to sort resources by. Ties are broken by id, so pages never overlap. */
export type ResourceOrderField =
  /** When the resource entered the catalog. */
  | 'CREATED_AT'
  /** When the repository was last updated on Docker Hub (unknown dates sort as oldest). */
  | 'LAST_UPDATED'
  /** Canonical name. */
  | 'NAME'
  /** Docker Hub pull count. */
  | 'PULL_COUNT'
  /** Docker Hub star count. */
  | 'STAR_COUNT'
  /** When the resource content last changed in the catalog. */
  | 'UPDATED_AT';

/** A resource after a change. */
export type ResourcePayload = {
  __typename?: 'ResourcePayload';
  /** The resource, as it is now. */
  resource: ProcessingResource;
};

/** What one image of a run did. */
export type ScrapeResult = {
  __typename?: 'ScrapeResult';
  /** How many times a process claimed the image. */
  attempts: Scalars['Int']['output'];
  /** Why the image failed. */
  error?: Maybe<Scalars['String']['output']>;
  /** When the image finished. */
  finishedAt?: Maybe<Scalars['DateTimeISO']['output']>;
  /** Canonical image name. */
  image: Scalars['String']['output'];
  /** Instances created for new tags. */
  instancesAdded: Scalars['Int']['output'];
  /** Instances this scrape marked DELETED upstream (their tag left a complete listing or answered 404). */
  instancesDeleted: Scalars['Int']['output'];
  /** Existing instances whose upstream content changed (e.g. a re-pushed tag). */
  instancesUpdated: Scalars['Int']['output'];
  /** HTTP requests sent for this image, per host (every attempt and token request counts). */
  requests: Array<HostRequests>;
  /** Whether this scrape created the resource. */
  resourceCreated: Scalars['Boolean']['output'];
  /** When a process started on the image. */
  startedAt?: Maybe<Scalars['DateTimeISO']['output']>;
  /** Outcome, or progress while the run is on. */
  status: ScrapeResultStatus;
  /** Tags read from Docker Hub. */
  tagsSeen?: Maybe<Scalars['Int']['output']>;
  /** A problem that did not fail the image (e.g. paging stopped at the anonymous limit). */
  warning?: Maybe<Scalars['String']['output']>;
  /** The process that scraped the image (or holds it now): `host:pid:id`. */
  worker?: Maybe<Scalars['String']['output']>;
};

/** Where one image of a run is, or how it ended. */
export type ScrapeResultStatus =
  /** Could not be read; see `error`. The catalog was left as it was. */
  | 'FAILED'
  /** Its run was interrupted before it finished; the RECOVERY run scrapes it. */
  | 'INTERRUPTED'
  /** Docker Hub does not know the repository. */
  | 'NOT_FOUND'
  /** No tags upstream; nothing stored. */
  | 'NO_TAGS'
  /** Read and stored. */
  | 'OK'
  /** Waiting to be claimed. */
  | 'PENDING'
  /** Being scraped by a process. */
  | 'RUNNING';

/** One scrape of Docker Hub: what started it, how far it is, what it did. */
export type ScrapeRun = Node & {
  __typename?: 'ScrapeRun';
  /** When the run was created (queued). */
  createdAt: Scalars['DateTimeISO']['output'];
  /** Why the run failed or was interrupted. */
  error?: Maybe<Scalars['String']['output']>;
  /** When the run ended. */
  finishedAt?: Maybe<Scalars['DateTimeISO']['output']>;
  /** Run identifier. */
  id: Scalars['ID']['output'];
  /** Images finished so far, whatever their outcome. */
  imagesDone: Scalars['Int']['output'];
  /** Images that ended NOT_FOUND or FAILED. */
  imagesFailed: Scalars['Int']['output'];
  /** Images in the run. */
  imagesTotal: Scalars['Int']['output'];
  /** Instances the run created. */
  instancesAdded: Scalars['Int']['output'];
  /** Instances marked DELETED upstream (tag gone from a complete listing, or 404 on HEAD). */
  instancesDeleted: Scalars['Int']['output'];
  /** Instances whose upstream content changed. */
  instancesUpdated: Scalars['Int']['output'];
  /** For a RECOVERY run: the interrupted run it finishes. */
  recoveryOf?: Maybe<Scalars['ID']['output']>;
  /** HTTP requests the run sent, per host (Docker Hub web API, registries, token services), busiest first; live while the run is on. */
  requests: Array<HostRequests>;
  /** Resources the run created. */
  resourcesCreated: Scalars['Int']['output'];
  /** Per-image results, in list order. */
  results: Array<ScrapeResult>;
  /** All tracked images, or named ones. */
  scope: ScrapeScope;
  /** When the first image was claimed. */
  startedAt?: Maybe<Scalars['DateTimeISO']['output']>;
  /** Where the run is. */
  status: ScrapeRunStatus;
  /** What started the run. */
  trigger: ScrapeTrigger;
};


/** One scrape of Docker Hub: what started it, how far it is, what it did. */
export type ScrapeRunResultsArgs = {
  status?: InputMaybe<Array<ScrapeResultStatus>>;
};

/** A page of scrape runs (Relay connection). */
export type ScrapeRunConnection = {
  __typename?: 'ScrapeRunConnection';
  /** The scrape runs of this page, in order. */
  edges: Array<ScrapeRunEdge>;
  /** Where this page is in the whole list. */
  pageInfo: PageInfo;
  /** How many runs there are. */
  totalCount: Scalars['Int']['output'];
};

/** An edge of a ScrapeRunConnection. */
export type ScrapeRunEdge = {
  __typename?: 'ScrapeRunEdge';
  /** Opaque cursor of this edge. */
  cursor: Scalars['String']['output'];
  /** The scrape run. */
  node: ScrapeRun;
};

/** Where a scrape run is. */
export type ScrapeRunStatus =
  /** No image ended OK. */
  | 'FAILED'
  /** Every process working on it stopped before it finished; see `error` and the RECOVERY run. */
  | 'INTERRUPTED'
  /** Some images ended NOT_FOUND or FAILED, at least one OK. */
  | 'PARTIAL'
  /** Created; no image claimed yet. */
  | 'QUEUED'
  /** Images are being scraped. */
  | 'RUNNING'
  /** Every image ended OK or NO_TAGS. */
  | 'SUCCEEDED';

/** Which images a run covers. */
export type ScrapeScope =
  /** Every enabled tracked image. */
  | 'ALL'
  /** Named images only. */
  | 'SUBSET';

/** What started a scrape run. */
export type ScrapeTrigger =
  /** The triggerScrape mutation or the scrape command. */
  | 'MANUAL'
  /** Finishes the images of a run whose processes all died. */
  | 'RECOVERY'
  /** The interval elapsed. */
  | 'SCHEDULE'
  /** A process start found a scrape due (or DOCKER_SCRAPER_ON_STARTUP=always). */
  | 'STARTUP';

/** The scraper: its settings and what it is doing. */
export type ScraperStatus = {
  __typename?: 'ScraperStatus';
  /** Every run queued or running (in the whole database, all replicas): RUNNING ones first, oldest first, then QUEUED ones, oldest first (at most 100). */
  activeRuns: Array<ScrapeRun>;
  /** Whether Docker Hub requests are authenticated (DOCKER_HUB_USERNAME/DOCKER_HUB_TOKEN). */
  authenticated: Scalars['Boolean']['output'];
  /** Images fetched at once by each process (DOCKER_SCRAPER_CONCURRENCY). */
  concurrency: Scalars['Int']['output'];
  /** The first of `activeRuns`: the oldest RUNNING run, else the oldest QUEUED one; null when none is active. A manual subset run may run beside a full run: see `activeRuns` for all of them. */
  currentRun?: Maybe<ScrapeRun>;
  /** Whether the process that answered schedules scrapes (its DOCKER_SCRAPER_ENABLED; replicas may differ). Manual scrapes work either way. */
  enabled: Scalars['Boolean']['output'];
  /** Docker Hub as this process sees it: its circuit breaker and rate-limit pause. */
  hub: HubStatus;
  /** Docker Hub API base URL. */
  hubUrl: Scalars['String']['output'];
  /** Images on the tracked list. */
  imagesTracked: Scalars['Int']['output'];
  /** Time between scheduled scrapes, e.g. `24h`. */
  interval: Scalars['String']['output'];
  /** Time between scheduled scrapes, in seconds. */
  intervalSeconds: Scalars['Int']['output'];
  /** The latest finished run. */
  lastRun?: Maybe<ScrapeRun>;
  /** Default tags imported per image (DOCKER_SCRAPER_MAX_TAGS). */
  maxTags: Scalars['Int']['output'];
  /** When the next scheduled run is due (now, when overdue), from the run history shared by all replicas: the interval after the start of the last full run that read at least one image; after full runs that failed (none read) or were interrupted, a backoff instead (DOCKER_SCRAPER_FAILURE_BACKOFF, doubling per failed run in a row, at most the interval) after the last one ended. null when the process that answered has scheduling off. */
  nextRunAt?: Maybe<Scalars['DateTimeISO']['output']>;
  /** Startup policy: `due` scrapes at start only when a run is due; `always` at every start. */
  onStartup: Scalars['String']['output'];
  /** Whether a run is queued or in progress. */
  running: Scalars['Boolean']['output'];
};

/** The whole tracked list. */
export type SetTrackedImagesInput = {
  /** Image names: `nginx` for an official Docker Hub image (the same as `library/nginx`), `org/name` on Docker Hub, or `host[:port]/path` on another registry (`ghcr.io/org/name`, `registry.example.com:5000/team/app`). Duplicates (in either form) count once. 1 to 500 names. Images on the list that are not named here are removed (their resources stay in the catalog); to empty the list, use removeTrackedImages. */
  images: Array<Scalars['String']['input']>;
};

/** What setTrackedImages changed. */
export type SetTrackedImagesPayload = {
  __typename?: 'SetTrackedImagesPayload';
  /** Images that were not on the list and now are. */
  added: Array<TrackedImage>;
  /** Images that were on the list and no longer are (their resources stay in the catalog). */
  removed: Array<TrackedImage>;
  /** The ids of the removed images (`removed`): evict them from a client cache. */
  removedIds: Array<Scalars['ID']['output']>;
  /** The whole list after the change, in list order. */
  trackedImages: Array<TrackedImage>;
};

/** Live changes over graphql-ws on /graphql (ws:// or wss://). Public, like queries. */
export type Subscription = {
  __typename?: 'Subscription';
  /** Every catalog change committed from now on (on any replica), in commit order, optionally filtered. After a disconnect, catch up with catalogEvents(after: <cursor of the last event seen>) — or remember the last `id`. Over graphql-ws on /graphql. */
  catalogChanged: CatalogEvent;
  /** A scrape run as it progresses: its state at once, an update as images finish (at most a few per second), and its final state when it ends; then the subscription completes. Without `id`: the current run, or the next one to start. */
  scrapeRunProgress: ScrapeRun;
};


/** Live changes over graphql-ws on /graphql (ws:// or wss://). Public, like queries. */
export type SubscriptionCatalogChangedArgs = {
  filter?: InputMaybe<CatalogEventFilter>;
};


/** Live changes over graphql-ws on /graphql (ws:// or wss://). Public, like queries. */
export type SubscriptionScrapeRunProgressArgs = {
  id?: InputMaybe<Scalars['ID']['input']>;
};

/** A tag filter: regular expressions (JavaScript syntax) over tag names, applied before `maxTags`. */
export type TagFilter = {
  __typename?: 'TagFilter';
  /** Tags this expression matches are skipped; null: none. */
  exclude?: Maybe<Scalars['String']['output']>;
  /** Only tags this expression matches are imported; null: every tag. */
  include?: Maybe<Scalars['String']['output']>;
};

/** Which tags of an image to import: regular expressions (JavaScript syntax) over tag names, applied before `maxTags`. */
export type TagFilterInput = {
  /** Tags this expression matches are skipped (e.g. `-rc`); null: none. At most 200 characters. */
  exclude?: InputMaybe<Scalars['String']['input']>;
  /** Only tags this expression matches are imported (e.g. `^v\d+`); null: every tag. At most 200 characters. */
  include?: InputMaybe<Scalars['String']['input']>;
};

/** The result of testWebhook. */
export type TestWebhookPayload = {
  __typename?: 'TestWebhookPayload';
  /** The PING delivery, queued; follow it with webhookDeliveries. */
  delivery: WebhookDelivery;
};

/** An image on the tracked list: what the scraper reads from Docker Hub or another registry. */
export type TrackedImage = Node & {
  __typename?: 'TrackedImage';
  /** When the image was put on the list. */
  createdAt: Scalars['DateTimeISO']['output'];
  /** Whether scrapes read this image. */
  enabled: Scalars['Boolean']['output'];
  /** Stable identifier. */
  id: Scalars['ID']['output'];
  /** Error of the last scrape, when it failed. */
  lastError?: Maybe<Scalars['String']['output']>;
  /** When the last scrape of this image finished. */
  lastScrapedAt?: Maybe<Scalars['DateTimeISO']['output']>;
  /** Outcome of the last scrape; null before the first. */
  lastStatus?: Maybe<ImageScrapeStatus>;
  /** When a scrape of this image last succeeded. */
  lastSyncedAt?: Maybe<Scalars['DateTimeISO']['output']>;
  /** Tags imported per scrape (newest first): the override, or DOCKER_SCRAPER_MAX_TAGS. */
  maxTags: Scalars['Int']['output'];
  /** This image’s own max-tags setting; null follows DOCKER_SCRAPER_MAX_TAGS. */
  maxTagsOverride?: Maybe<Scalars['Int']['output']>;
  /** Canonical image name: `nginx` for official images, `org/name` otherwise. */
  name: Scalars['String']['output'];
  /** Namespace: on Docker Hub the account (`library` for official images); elsewhere the path without its last part. */
  namespace: Scalars['String']['output'];
  /** Registry host: `docker.io` for Docker Hub, else e.g. `ghcr.io` or `127.0.0.1:5000`. */
  registry: Scalars['String']['output'];
  /** When the image was taken off the list (through the API, or because the configuration no longer names it); null while on the list. */
  removedAt?: Maybe<Scalars['DateTimeISO']['output']>;
  /** Repository name inside the namespace. */
  repository: Scalars['String']['output'];
  /** The catalog resource of this image; null until a scrape creates it. */
  resource?: Maybe<ProcessingResource>;
  /** How the image came onto the list. */
  source: TrackedImageSource;
  /** Which tags are imported (regular expressions over tag names); null: every tag. */
  tagFilter?: Maybe<TagFilter>;
  /** When the entry last changed. */
  updatedAt: Scalars['DateTimeISO']['output'];
};

/** A page of tracked images (Relay connection). */
export type TrackedImageConnection = {
  __typename?: 'TrackedImageConnection';
  /** The tracked images of this page, in order. */
  edges: Array<TrackedImageEdge>;
  /** Where this page is in the whole list. */
  pageInfo: PageInfo;
  /** How many tracked images pass the filter. */
  totalCount: Scalars['Int']['output'];
};

/** An edge of a TrackedImageConnection. */
export type TrackedImageEdge = {
  __typename?: 'TrackedImageEdge';
  /** Opaque cursor of this edge. */
  cursor: Scalars['String']['output'];
  /** The tracked image. */
  node: TrackedImage;
};

/** Conditions a tracked image must meet. */
export type TrackedImageFilter = {
  /** Only enabled (true) or only disabled (false) images. */
  enabled?: InputMaybe<Scalars['Boolean']['input']>;
  /** Only images whose last scrape ended so. */
  lastStatus?: InputMaybe<ImageScrapeStatus>;
};

/** A tracked image after a change. */
export type TrackedImagePayload = {
  __typename?: 'TrackedImagePayload';
  /** The image, as it is now. */
  trackedImage: TrackedImage;
};

/** How an image came onto the list. */
export type TrackedImageSource =
  /** A mutation. */
  | 'API'
  /** The DOCKER_SCRAPER_IMAGES setting. */
  | 'CONFIG'
  /** The built-in default list (DOCKER_SCRAPER_IMAGES unset). */
  | 'DEFAULT';

/** Tracked images that a mutation added, kept or removed. */
export type TrackedImagesPayload = {
  __typename?: 'TrackedImagesPayload';
  /** removeTrackedImages: the ids of the removed tracked images (no longer on the list: evict them from a client cache). Empty for addTrackedImages. */
  removedIds: Array<Scalars['ID']['output']>;
  /** removeTrackedImages with `purge: true`: the ids of the deleted instances (of the deleted resources). Empty otherwise. */
  removedInstanceIds: Array<Scalars['ID']['output']>;
  /** removeTrackedImages with `purge: true`: the ids of the deleted catalog resources. Empty otherwise. */
  removedResourceIds: Array<Scalars['ID']['output']>;
  /** addTrackedImages with `scrapeNow: true`: the scrape it started (follow it with `scrapeRun(id)`); null otherwise. */
  scrapeRun?: Maybe<ScrapeRun>;
  /** addTrackedImages: the named images, as they are now on the list. removeTrackedImages: the removed images. */
  trackedImages: Array<TrackedImage>;
};

/** Which images to scrape, and whether to wait. */
export type TriggerScrapeInput = {
  /** Tracked images to scrape (`nginx`, `library/nginx`, `org/name`); omitted or empty: every enabled tracked image. */
  images?: InputMaybe<Array<Scalars['String']['input']>>;
  /** false: answer at once with the QUEUED/RUNNING run. true: answer when the run has finished (at most 15 minutes). */
  wait?: InputMaybe<Scalars['Boolean']['input']>;
};

/** The run that triggerScrape started or joined. */
export type TriggerScrapePayload = {
  __typename?: 'TriggerScrapePayload';
  /** false when a full-list run was already in progress and is returned instead of starting a second one. */
  created: Scalars['Boolean']['output'];
  /** The run; follow it with `scrapeRun(id)`. */
  run: ScrapeRun;
};

/** Manual enrichment of an instance; scrapes never overwrite what is set here. */
export type UpdateInstanceInput = {
  /** Arguments, at most 100 items of at most 4096 characters each; null hands the field back to Docker Hub (the scraped value comes back); omitted: unchanged. */
  args?: InputMaybe<Array<Scalars['String']['input']>>;
  /** Entrypoint (exec form), at most 100 items of at most 4096 characters each; null hands the field back to Docker Hub (the scraped value comes back); omitted: unchanged. */
  command?: InputMaybe<Array<Scalars['String']['input']>>;
  /** The whole environment (it replaces the scraped `ARCH` variable too; include it to keep it), at most 200 variables with distinct names; null hands the field back to Docker Hub (the scraped value comes back); omitted: unchanged. */
  env?: InputMaybe<Array<EnvVarInput>>;
  /** Optimistic concurrency: the `updatedAt` you read. When the row has changed since (a scrape or another client), nothing is written and the answer is CONFLICT. Omitted: no check. */
  expectedUpdatedAt?: InputMaybe<Scalars['DateTimeISO']['input']>;
  /** Exposed ports, at most 100; null hands the field back to Docker Hub (the scraped value comes back); omitted: unchanged. */
  exposedPorts?: InputMaybe<Array<ExposedPortInput>>;
  /** The instance id. */
  id: Scalars['ID']['input'];
  /** SPDX licence identifier or expression (`MIT`, `Apache-2.0 OR MIT`), at most 200 characters; null hands the field back to Docker Hub (the scraped value comes back); omitted: unchanged. */
  license?: InputMaybe<Scalars['String']['input']>;
  /** Volume mount points (absolute paths such as /data), at most 100 items of at most 4096 characters each; null hands the field back to Docker Hub (the scraped value comes back); omitted: unchanged. */
  volumes?: InputMaybe<Array<Scalars['String']['input']>>;
};

/** Manual enrichment of a resource; scrapes never overwrite what is set here. */
export type UpdateResourceInput = {
  /** Long description (Markdown), at most 100000 characters; null hands the field back to Docker Hub (the scraped value comes back); omitted: unchanged. */
  description?: InputMaybe<Scalars['String']['input']>;
  /** Optimistic concurrency: the `updatedAt` you read. When the row has changed since (a scrape or another client), nothing is written and the answer is CONFLICT. Omitted: no check. */
  expectedUpdatedAt?: InputMaybe<Scalars['DateTimeISO']['input']>;
  /** The resource id. */
  id: Scalars['ID']['input'];
  /** true: hide the resource as a draft; false: publish it. Omitted: unchanged. */
  isDraft?: InputMaybe<Scalars['Boolean']['input']>;
  /** Whether the resource is a long-running service. Omitted: unchanged. */
  isService?: InputMaybe<Scalars['Boolean']['input']>;
  /** Logo URL (http or https), at most 2048 characters; null hands the field back to Docker Hub (the scraped value comes back); omitted: unchanged. */
  logo?: InputMaybe<Scalars['String']['input']>;
  /** Whether the resource is open source. Omitted: unchanged. */
  openSource?: InputMaybe<Scalars['Boolean']['input']>;
  /** One-line description, at most 1000 characters; null hands the field back to Docker Hub (the scraped value comes back); omitted: unchanged. */
  shortDescription?: InputMaybe<Scalars['String']['input']>;
};

/** Settings of one tracked image; fields left out stay as they are. */
export type UpdateTrackedImageInput = {
  /** false: scrapes skip the image (it stays on the list); true: they read it again. */
  enabled?: InputMaybe<Scalars['Boolean']['input']>;
  /** The image: `nginx`, `library/nginx` or `org/name`. It must be on the list. */
  image: Scalars['String']['input'];
  /** Tags to import per scrape (newest first), 1 to 10000; null: follow DOCKER_SCRAPER_MAX_TAGS. */
  maxTags?: InputMaybe<Scalars['Int']['input']>;
  /** The tag filter, replaced as a whole; null: take every tag again. */
  tagFilter?: InputMaybe<TagFilterInput>;
};

/** Changes to a webhook; absent fields stay. */
export type UpdateWebhookInput = {
  /** A new description. */
  description?: InputMaybe<Scalars['String']['input']>;
  /** Enable (clears disabledReason and the failure window) or disable. */
  enabled?: InputMaybe<Scalars['Boolean']['input']>;
  /** New event types; empty: every type. */
  events?: InputMaybe<Array<CatalogEventType>>;
  /** The webhook. */
  id: Scalars['ID']['input'];
  /** New images; empty: every image. */
  images?: InputMaybe<Array<Scalars['String']['input']>>;
  /** A new secret (16 to 256 characters). */
  secret?: InputMaybe<Scalars['String']['input']>;
  /** A new URL. */
  url?: InputMaybe<Scalars['String']['input']>;
};

/** Whether the tag still exists upstream. */
export type UpstreamStatus =
  /** The tag was seen upstream at the last scrape that could tell. */
  | 'ACTIVE'
  /** The tag is gone: missing from a complete tag listing, or 404 on its manifest. The instance is kept. */
  | 'DELETED';

/** A webhook: catalog events POSTed to a URL, signed with its secret. */
export type Webhook = {
  __typename?: 'Webhook';
  /** When it was created. */
  createdAt: Scalars['DateTimeISO']['output'];
  /** What it is for. */
  description: Scalars['String']['output'];
  /** Why it was disabled automatically; null when enabled or disabled through the API. */
  disabledReason?: Maybe<Scalars['String']['output']>;
  /** Whether events are delivered. A webhook that failed for WEBHOOK_RETRY_WINDOW (24 h) is disabled; see disabledReason. */
  enabled: Scalars['Boolean']['output'];
  /** Event types delivered; empty: every type. */
  events: Array<CatalogEventType>;
  /** Since when every attempt failed; null after a success. */
  failingSince?: Maybe<Scalars['DateTimeISO']['output']>;
  /** The webhook id. */
  id: Scalars['ID']['output'];
  /** Canonical image names whose events are delivered; empty: every image (run events have no image: they need an empty list). */
  images: Array<Scalars['String']['output']>;
  /** When it was last changed. */
  updatedAt: Scalars['DateTimeISO']['output'];
  /** Where events are POSTed (http or https). */
  url: Scalars['String']['output'];
};

/** What one delivery attempt led to. */
export type WebhookAttemptOutcome =
  /** The delivery was given up. */
  | 'FAILED'
  /** Network error, timeout, 408, 429 or 5xx: retried later with backoff. */
  | 'RETRY'
  /** 2xx: delivered. */
  | 'SUCCEEDED';

/** One event (or PING) for one webhook; its id is the X-Catalog-Delivery header (idempotency key, the same on every retry). */
export type WebhookDelivery = {
  __typename?: 'WebhookDelivery';
  /** Every attempt, oldest first. */
  attemptLog: Array<WebhookDeliveryAttempt>;
  /** Attempts so far. */
  attempts: Scalars['Int']['output'];
  /** When it was created (with its event). */
  createdAt: Scalars['DateTimeISO']['output'];
  /** The catalog event; null for a PING. */
  eventId?: Maybe<Scalars['ID']['output']>;
  /** The event type (X-Catalog-Event): a CatalogEventType, or PING. */
  eventType: Scalars['String']['output'];
  /** When it succeeded or was given up. */
  finishedAt?: Maybe<Scalars['DateTimeISO']['output']>;
  /** The delivery id (uuid), sent as X-Catalog-Delivery. */
  id: Scalars['ID']['output'];
  /** The last error. */
  lastError?: Maybe<Scalars['String']['output']>;
  /** The HTTP status of the last answer. */
  lastResponseStatus?: Maybe<Scalars['Int']['output']>;
  /** When the next attempt is due (PENDING). */
  nextAttemptAt?: Maybe<Scalars['DateTimeISO']['output']>;
  /** Where it is. */
  status: WebhookDeliveryStatus;
  /** The webhook. */
  webhookId: Scalars['ID']['output'];
};

/** One attempt of a delivery. */
export type WebhookDeliveryAttempt = {
  __typename?: 'WebhookDeliveryAttempt';
  /** 1 for the first attempt. */
  attempt: Scalars['Int']['output'];
  /** How long it took, in ms. */
  durationMs: Scalars['Int']['output'];
  /** What went wrong: network error, timeout, refused target, unexpected status. */
  error?: Maybe<Scalars['String']['output']>;
  /** What it led to. */
  outcome: WebhookAttemptOutcome;
  /** The HTTP status of the answer; null when none came. */
  responseStatus?: Maybe<Scalars['Int']['output']>;
  /** When it started. */
  startedAt: Scalars['DateTimeISO']['output'];
  /** The process that made it. */
  worker: Scalars['String']['output'];
};

/** A page of webhook deliverys (Relay connection). */
export type WebhookDeliveryConnection = {
  __typename?: 'WebhookDeliveryConnection';
  /** The webhook deliverys of this page, in order. */
  edges: Array<WebhookDeliveryEdge>;
  /** Where this page is in the whole list. */
  pageInfo: PageInfo;
  /** Deliveries that match, in all pages. */
  totalCount: Scalars['Int']['output'];
};

/** An edge of a WebhookDeliveryConnection. */
export type WebhookDeliveryEdge = {
  __typename?: 'WebhookDeliveryEdge';
  /** Opaque cursor of this edge. */
  cursor: Scalars['String']['output'];
  /** The webhook delivery. */
  node: WebhookDelivery;
};

/** Where a webhook delivery is. */
export type WebhookDeliveryStatus =
  /** Given up: a 4xx other than 408/429, a refused target, the retry window passed, or the webhook was disabled. */
  | 'FAILED'
  /** Waiting for its first attempt or its next retry (`nextAttemptAt`). */
  | 'PENDING'
  /** Claimed by a process that is sending it now. */
  | 'SENDING'
  /** The receiver answered 2xx. */
  | 'SUCCEEDED';

/** The result of updateWebhook and deleteWebhook. */
export type WebhookPayload = {
  __typename?: 'WebhookPayload';
  /** The webhook (as it was, for deleteWebhook). */
  webhook: Webhook;
};
