/**
 * What the OCI Distribution client (registry-client.ts) returns: plain data, parsed,
 * normalised and verified. Shared by the client, the sync layer and the tests; the
 * client is used for every registry (Docker Hub's `registry-1.docker.io` included, for
 * the image config), the Docker Hub web API client (../hub) only for Docker Hub's
 * repository page and dated tag list.
 */

/** Where an image lives, as the Distribution API addresses it. */
export interface RegistryRepository {
  /** `ghcr.io`, `127.0.0.1:5000`; `registry-1.docker.io` for Docker Hub images. */
  host: string;
  /** `/v2/<path>/…`: `acme/app`, `library/nginx`. */
  path: string;
}

/** `GET /v2/<path>/tags/list`, every `Link: rel="next"` page followed. */
export interface RegistryTagList {
  /** As the registry sent them (lexical), unique, artifact tags (`sha256-….sig|.att|.sbom`) removed. */
  tags: string[];
  /**
   * True only when the whole list was read (the last page had no `next`). A partial list
   * (a failed page, a loop, an off-host `next`, the page cap) never marks a tag deleted.
   */
  complete: boolean;
  pagesRead: number;
  /** Why paging stopped early, in words for an operator. */
  warning?: string;
}

/** A `HEAD /v2/<path>/manifests/<tag>`. */
export type ManifestHead =
  | { found: true; digest: string | null; mediaType: string | null }
  /** 404: the tag is gone. */
  | { found: false };

/** One `{port, protocol}` of `ExposedPorts` (`"80/tcp"`, `"53/udp"`, `"8080"` = tcp). */
export interface ExposedPort {
  port: number;
  protocol: 'tcp' | 'udp' | 'sctp';
}

/** What an image config blob says (`config` of the OCI image config), cleaned. */
export interface ImageConfigDetails {
  /** The config's `created` (ISO), when it is a real date. */
  created: string | null;
  /** `config.Labels`, as sent (strings only). */
  labels: Record<string, string>;
  /** `config.Entrypoint`; null when unset. */
  entrypoint: string[] | null;
  /** `config.Cmd`; null when unset. */
  cmd: string[] | null;
  /** `config.Env` as `KEY=value` strings, in order. */
  env: string[];
  /** `config.ExposedPorts`, sorted by port then protocol. */
  exposedPorts: ExposedPort[];
  /** `config.Volumes` keys, sorted. */
  volumes: string[];
  workingDir: string | null;
  user: string | null;
}

/** One real platform of a tag (attestation manifests are left out). */
export interface PlatformDetails {
  architecture: string;
  os: string;
  variant: string | null;
  /** The platform manifest's digest. */
  digest: string;
  /** Sum of the layer sizes (compressed), when the manifest gives them. */
  size: number | null;
  /** The platform manifest's `annotations`. */
  annotations: Record<string, string>;
  /** Null when the config could not be read (then `warning` of the tag says why). */
  config: ImageConfigDetails | null;
}

/** Everything the client read for one tag. */
export interface TagDetails {
  tag: string;
  /** The digest the tag points to (index or manifest), from `Docker-Content-Digest` or computed from the body. */
  digest: string;
  mediaType: string;
  /** The index's (or single manifest's) `annotations`. */
  annotations: Record<string, string>;
  platforms: PlatformDetails[];
  /** Something was skipped or unreadable (one platform's config, …), in words. */
  warning?: string;
}

export type RegistryEndpoint = 'tags' | 'manifest' | 'blob' | 'token';

/** Counts one HTTP attempt per host, for the run's "requests per host". */
export interface RegistryObserver {
  request?(e: { host: string; endpoint: RegistryEndpoint; method: 'GET' | 'HEAD'; status: number | 'network_error' | 'timeout'; durationMs: number }): void;
}

/**
 * The client. Every method honours `signal`, the per-request timeout and total deadline,
 * retries, the host's rate-limit gate and circuit breaker, and throws the Hub client's
 * error classes (../hub/hub-errors.ts) so the engine classifies both alike.
 */
export interface RegistryClient {
  listTags(repo: RegistryRepository, signal?: AbortSignal): Promise<RegistryTagList>;
  headManifest(repo: RegistryRepository, tag: string, signal?: AbortSignal): Promise<ManifestHead>;
  /** Manifest (index → each platform manifest) and config blobs, digests verified. */
  getTag(repo: RegistryRepository, tag: string, signal?: AbortSignal): Promise<TagDetails>;
}
