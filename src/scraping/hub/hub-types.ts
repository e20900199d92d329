/**
 * What the Docker Hub client returns: plain data, already parsed and normalised.
 *
 * The client is lenient about content (absent or null fields become `null`) and strict
 * about shape (a body that is not the object it should be is a `HubResponseError`).
 */

/** Repository information (`GET /v2/namespaces/{ns}/repositories/{repo}`). */
export interface HubRepository {
  namespace: string;
  repository: string;
  /** Hub `description`: the short, one-line description (may be `""`). */
  description: string | null;
  /** Hub `full_description`: Markdown, up to ~25,000 characters; may be absent or null. */
  fullDescription: string | null;
  starCount: number;
  /** Can exceed 2^31 (nginx has billions of pulls); always below 2^53. */
  pullCount: number;
  /** ISO timestamp, as Docker Hub wrote it. */
  lastUpdated: string | null;
  /** Extras that the sync layer may ignore. */
  status?: number | null;
  statusDescription?: string | null;
  repositoryType?: string | null;
  isPrivate?: boolean | null;
  lastModified?: string | null;
  dateRegistered?: string | null;
  storageSize?: number | null;
}

/**
 * One entry of a tag's `images[]`. BuildKit attestations appear here as
 * `architecture: "unknown", os: "unknown"`; they are returned as they came.
 */
export interface HubTagImage {
  /** `"unknown"` when Docker Hub gave none. */
  architecture: string;
  /** `"unknown"` when Docker Hub gave none. */
  os: string;
  /** `null` when absent, null or empty. */
  variant: string | null;
  digest: string | null;
  size: number | null;
  osVersion?: string | null;
  status?: string | null;
  lastPushed?: string | null;
}

/** One tag of a tag list page. */
export interface HubTag {
  name: string;
  /** `0` stays `0`; absent or null becomes `null`. */
  fullSize: number | null;
  lastUpdated: string | null;
  tagStatus: string | null;
  tagLastPushed: string | null;
  /** Absent on some old single-arch tags. */
  digest: string | null;
  /** Raw, attestation entries included; the sync layer drops `unknown/unknown`. */
  images: HubTagImage[];
  id?: number | null;
  mediaType?: string | null;
  contentType?: string | null;
}

export interface TagList {
  /** At most `maxTags`, unique by name, in the order received (newest first). */
  tags: HubTag[];
  /** Tag pages read successfully. */
  pagesRead: number;
  /**
   * True only when this is the repository's whole tag list: the last page had `next: null`
   * and fewer than `maxTags` tags were read. A tag missing from a complete list is deleted
   * upstream; nothing can be concluded from a partial one.
   */
  complete?: boolean;
  /**
   * Why paging stopped before `maxTags` tags or the end of the list, in words for an
   * operator (the anonymous paging limit was hit, `next` pointed to another host, …).
   */
  warning?: string;
}

export type HubEndpoint = 'repository' | 'tags' | 'auth';
/** `ratelimit-remaining`: the registry form `ratelimit-remaining: 0;w=21600` (registry-1.docker.io). */
export type RateLimitSource = 'retry-after' | 'x-retry-after' | 'x-ratelimit-reset' | 'ratelimit-remaining';

/** Hooks for metrics; each is called synchronously and must not throw (errors are ignored). */
export interface HubClientObserver {
  /** Once per HTTP attempt, when it ends. */
  request?(e: { status: number | 'network_error' | 'timeout'; durationMs: number; endpoint: HubEndpoint }): void;
  /** Before a retry waits. */
  retry?(e: { reason: string; attempt: number; delayMs: number }): void;
  /** When a rate-limit header pauses (or extends the pause of) every request to the host. */
  rateLimitPause?(e: { ms: number; source: RateLimitSource }): void;
  /** When the host's circuit breaker changes state. */
  circuitState?(e: { host: string; state: 'CLOSED' | 'OPEN' | 'HALF_OPEN' }): void;
}
