/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** Images to put on the tracked list. */
export type AddTrackedImagesInput = {
  /** Image names: `nginx` for an official Docker Hub image (the same as `library/nginx`), `org/name` on Docker Hub, or `host[:port]/path` on another registry (`ghcr.io/org/name`, `registry.example.com:5000/team/app`). Duplicates (in either form) count once. 1 to 500 names. */
  images: Array<string>;
  /** Tags to import per scrape for these images (newest first), 1 to 10000. Omitted: new images follow DOCKER_SCRAPER_MAX_TAGS and images already tracked keep their setting. null: all of them follow DOCKER_SCRAPER_MAX_TAGS. */
  maxTags?: number | null | undefined;
  /** true: start a scrape of these images at once (returned as `scrapeRun`) instead of waiting for the next scheduled run. */
  scrapeNow?: boolean;
  /** Tag filter for these images. Omitted: new images take every tag and images already tracked keep theirs. null: clear it. */
  tagFilter?: TagFilterInput | null | undefined;
};

/** An environment variable. */
export type EnvVarInput = {
  /** Name: letters, digits and underscores, not starting with a digit; at most 256 characters. */
  name: string;
  /** Value, at most 32768 characters (may be empty). */
  value: string;
};

/** A port the container exposes. */
export type ExposedPortInput = {
  /** Port number, 1 to 65535. */
  port: number;
  /** Protocol: `tcp` (default), `udp` or `sctp`. */
  protocol?: string;
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

/** Sort direction. */
export type OrderDirection =
  /** Smallest first. */
  | 'ASC'
  /** Largest (newest) first. */
  | 'DESC';

/** Images to take off the tracked list. */
export type RemoveTrackedImagesInput = {
  /** Image names: `nginx` for an official Docker Hub image (the same as `library/nginx`), `org/name` on Docker Hub, or `host[:port]/path` on another registry (`ghcr.io/org/name`, `registry.example.com:5000/team/app`). Duplicates (in either form) count once. 1 to 500 names. Every one must be tracked: when one is not, nothing is removed (NOT_FOUND names them). */
  images: Array<string>;
  /** true: also delete their catalog resources and instances. false: the resources stay in the catalog (no longer refreshed). */
  purge?: boolean;
};

/** Conditions a resource must meet; all given conditions apply together. */
export type ResourceFilter = {
  /** Only resources with a tag built for this architecture (e.g. `arm64`). */
  architecture?: string | null | undefined;
  /** Only drafts (true) or only published resources (false). */
  isDraft?: boolean | null | undefined;
  /** Exact image names (`nginx`, `library/nginx` or `org/name`). */
  names?: Array<string> | null | undefined;
  /** true: resources with at least one peerless instance; false: resources with none. */
  peerless?: boolean | null | undefined;
  /** Only resources on these registry hosts (`docker.io` for Docker Hub, `ghcr.io`, `127.0.0.1:5000`). */
  registry?: Array<string> | null | undefined;
  /** Case-insensitive substring of the name or the short description. */
  search?: string | null | undefined;
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

/** The whole tracked list. */
export type SetTrackedImagesInput = {
  /** Image names: `nginx` for an official Docker Hub image (the same as `library/nginx`), `org/name` on Docker Hub, or `host[:port]/path` on another registry (`ghcr.io/org/name`, `registry.example.com:5000/team/app`). Duplicates (in either form) count once. 1 to 500 names. Images on the list that are not named here are removed (their resources stay in the catalog); to empty the list, use removeTrackedImages. */
  images: Array<string>;
};

/** Which tags of an image to import: regular expressions (JavaScript syntax) over tag names, applied before `maxTags`. */
export type TagFilterInput = {
  /** Tags this expression matches are skipped (e.g. `-rc`); null: none. At most 200 characters. */
  exclude?: string | null | undefined;
  /** Only tags this expression matches are imported (e.g. `^v\d+`); null: every tag. At most 200 characters. */
  include?: string | null | undefined;
};

/** How an image came onto the list. */
export type TrackedImageSource =
  /** A mutation. */
  | 'API'
  /** The DOCKER_SCRAPER_IMAGES setting. */
  | 'CONFIG'
  /** The built-in default list (DOCKER_SCRAPER_IMAGES unset). */
  | 'DEFAULT';

/** Which images to scrape, and whether to wait. */
export type TriggerScrapeInput = {
  /** Tracked images to scrape (`nginx`, `library/nginx`, `org/name`); omitted or empty: every enabled tracked image. */
  images?: Array<string> | null | undefined;
  /** false: answer at once with the QUEUED/RUNNING run. true: answer when the run has finished (at most 15 minutes). */
  wait?: boolean | null | undefined;
};

/** Manual enrichment of an instance; scrapes never overwrite what is set here. */
export type UpdateInstanceInput = {
  /** Arguments, at most 100 items of at most 4096 characters each; null hands the field back to Docker Hub (the scraped value comes back); omitted: unchanged. */
  args?: Array<string> | null | undefined;
  /** Entrypoint (exec form), at most 100 items of at most 4096 characters each; null hands the field back to Docker Hub (the scraped value comes back); omitted: unchanged. */
  command?: Array<string> | null | undefined;
  /** The whole environment (it replaces the scraped `ARCH` variable too; include it to keep it), at most 200 variables with distinct names; null hands the field back to Docker Hub (the scraped value comes back); omitted: unchanged. */
  env?: Array<EnvVarInput> | null | undefined;
  /** Optimistic concurrency: the `updatedAt` you read. When the row has changed since (a scrape or another client), nothing is written and the answer is CONFLICT. Omitted: no check. */
  expectedUpdatedAt?: string | null | undefined;
  /** Exposed ports, at most 100; null hands the field back to Docker Hub (the scraped value comes back); omitted: unchanged. */
  exposedPorts?: Array<ExposedPortInput> | null | undefined;
  /** The instance id. */
  id: string | number;
  /** SPDX licence identifier or expression (`MIT`, `Apache-2.0 OR MIT`), at most 200 characters; null hands the field back to Docker Hub (the scraped value comes back); omitted: unchanged. */
  license?: string | null | undefined;
  /** Volume mount points (absolute paths such as /data), at most 100 items of at most 4096 characters each; null hands the field back to Docker Hub (the scraped value comes back); omitted: unchanged. */
  volumes?: Array<string> | null | undefined;
};

/** Manual enrichment of a resource; scrapes never overwrite what is set here. */
export type UpdateResourceInput = {
  /** Long description (Markdown), at most 100000 characters; null hands the field back to Docker Hub (the scraped value comes back); omitted: unchanged. */
  description?: string | null | undefined;
  /** Optimistic concurrency: the `updatedAt` you read. When the row has changed since (a scrape or another client), nothing is written and the answer is CONFLICT. Omitted: no check. */
  expectedUpdatedAt?: string | null | undefined;
  /** The resource id. */
  id: string | number;
  /** true: hide the resource as a draft; false: publish it. Omitted: unchanged. */
  isDraft?: boolean | null | undefined;
  /** Whether the resource is a long-running service. Omitted: unchanged. */
  isService?: boolean | null | undefined;
  /** Logo URL (http or https), at most 2048 characters; null hands the field back to Docker Hub (the scraped value comes back); omitted: unchanged. */
  logo?: string | null | undefined;
  /** Whether the resource is open source. Omitted: unchanged. */
  openSource?: boolean | null | undefined;
  /** One-line description, at most 1000 characters; null hands the field back to Docker Hub (the scraped value comes back); omitted: unchanged. */
  shortDescription?: string | null | undefined;
};

/** Settings of one tracked image; fields left out stay as they are. */
export type UpdateTrackedImageInput = {
  /** false: scrapes skip the image (it stays on the list); true: they read it again. */
  enabled?: boolean | null | undefined;
  /** The image: `nginx`, `library/nginx` or `org/name`. It must be on the list. */
  image: string;
  /** Tags to import per scrape (newest first), 1 to 10000; null: follow DOCKER_SCRAPER_MAX_TAGS. */
  maxTags?: number | null | undefined;
  /** The tag filter, replaced as a whole; null: take every tag again. */
  tagFilter?: TagFilterInput | null | undefined;
};

export type CatalogOverviewQueryVariables = Exact<{
  search?: string | null | undefined;
  architecture?: string | null | undefined;
}>;


export type CatalogOverviewQuery = { resources: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, name: string, shortDescription: string | null, pullCount: number, lastSyncedAt: string | null, instances: { totalCount: number, edges: Array<{ node: { id: string, name: string, digest: string | null, lastUpdated: string | null, isPeerless: boolean, origin: { ref: string, verified: boolean }, access: { container: { image: string, env: Array<{ name: string, value: string }> } | null }, platforms: Array<{ architecture: string, os: string, variant: string | null }> } }> } } }> }, scraper: { enabled: boolean, interval: string, nextRunAt: string | null, currentRun: { id: string, status: ScrapeRunStatus, imagesDone: number, imagesTotal: number } | null } };

export type CatalogPageQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  last?: number | null | undefined;
  before?: string | null | undefined;
  filter?: ResourceFilter | null | undefined;
  orderBy?: ResourceOrder | null | undefined;
}>;


export type CatalogPageQuery = { resources: { totalCount: number, pageInfo: { hasNextPage: boolean, hasPreviousPage: boolean, startCursor: string | null, endCursor: string | null }, edges: Array<{ cursor: string, node: { id: string, name: string, shortDescription: string | null, pullCount: number, starCount: number, updatedAt: string } }> } };

export type ResourceByNameQueryVariables = Exact<{
  name: string;
}>;


export type ResourceByNameQuery = { resource: { id: string, name: string, description: string | null, isDraft: boolean, editedFields: Array<string>, instances: { edges: Array<{ node: { id: string, name: string, origin: { ref: string } } }> } } | null };

export type InstanceByRefQueryVariables = Exact<{
  ref: string;
}>;


export type InstanceByRefQuery = { instance: { id: string, name: string, digest: string | null, origin: { ref: string, license: string | null, verified: boolean }, access: { container: { image: string, command: Array<string> | null, args: Array<string> | null, volumes: Array<string> | null, env: Array<{ name: string, value: string }> } | null }, platforms: Array<{ architecture: string, os: string, variant: string | null, digest: string | null, size: number | null }>, resource: { id: string, name: string } } | null };

export type NodeByIdQueryVariables = Exact<{
  id: string | number;
}>;


export type NodeByIdQuery = { node:
    | { __typename: 'ProcessingInstance', name: string, id: string, origin: { ref: string } }
    | { __typename: 'ProcessingResource', name: string, id: string }
    | { __typename: 'ScrapeRun', status: ScrapeRunStatus, id: string }
    | { __typename: 'TrackedImage', name: string, enabled: boolean, id: string }
   | null };

export type ScrapeRunStatusQueryVariables = Exact<{
  id: string | number;
}>;


export type ScrapeRunStatusQuery = { scrapeRun: { id: string, status: ScrapeRunStatus, imagesDone: number, imagesTotal: number, imagesFailed: number, error: string | null } | null };

export type TrackedImageListQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type TrackedImageListQuery = { trackedImages: { pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, name: string, enabled: boolean, maxTags: number, lastStatus: ImageScrapeStatus | null, lastError: string | null, lastScrapedAt: string | null } }> } };

export type AddTrackedImagesMutationVariables = Exact<{
  input: AddTrackedImagesInput;
}>;


export type AddTrackedImagesMutation = { addTrackedImages: { trackedImages: Array<{ id: string, name: string, maxTags: number, source: TrackedImageSource }>, scrapeRun: { id: string, status: ScrapeRunStatus } | null } };

export type RemoveTrackedImagesMutationVariables = Exact<{
  input: RemoveTrackedImagesInput;
}>;


export type RemoveTrackedImagesMutation = { removeTrackedImages: { removedIds: Array<string>, removedResourceIds: Array<string>, removedInstanceIds: Array<string>, trackedImages: Array<{ id: string, name: string, removedAt: string | null }> } };

export type SetTrackedImagesMutationVariables = Exact<{
  input: SetTrackedImagesInput;
}>;


export type SetTrackedImagesMutation = { setTrackedImages: { removedIds: Array<string>, added: Array<{ id: string, name: string }>, removed: Array<{ id: string, name: string }>, trackedImages: Array<{ id: string, name: string }> } };

export type UpdateTrackedImageMutationVariables = Exact<{
  input: UpdateTrackedImageInput;
}>;


export type UpdateTrackedImageMutation = { updateTrackedImage: { trackedImage: { id: string, name: string, enabled: boolean, maxTags: number } } };

export type TriggerScrapeMutationVariables = Exact<{
  input?: TriggerScrapeInput | null | undefined;
}>;


export type TriggerScrapeMutation = { triggerScrape: { created: boolean, run: { id: string, status: ScrapeRunStatus, imagesTotal: number, results: Array<{ image: string, status: ScrapeResultStatus, instancesAdded: number, instancesUpdated: number, error: string | null, warning: string | null }> } } };

export type UpdateResourceMutationVariables = Exact<{
  input: UpdateResourceInput;
}>;


export type UpdateResourceMutation = { updateResource: { resource: { id: string, name: string, shortDescription: string | null, isDraft: boolean, editedFields: Array<string>, updatedAt: string } } };

export type UpdateInstanceMutationVariables = Exact<{
  input: UpdateInstanceInput;
}>;


export type UpdateInstanceMutation = { updateInstance: { instance: { id: string, editedFields: Array<string>, origin: { ref: string, license: string | null }, access: { container: { command: Array<string> | null, args: Array<string> | null, volumes: Array<string> | null, env: Array<{ name: string, value: string }> } | null } } } };
