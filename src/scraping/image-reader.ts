/**
 * Reads one image upstream, from the source its name points to:
 *
 * - Docker Hub: the web API (repository page, dated tag list, newest first), then, with
 *   DOCKER_SCRAPER_IMAGE_CONFIG on and a registry client, Docker Hub's registry for the image
 *   config of each imported tag whose digest is new or changed (a tag whose digest is the one
 *   its stored config was read from costs no request at all);
 * - any other registry: the registry client only: `tags/list` → the tag filter → the
 *   `maxTags` newest by version order → `HEAD` each → the manifest and config (`GET`) only
 *   for a new or changed digest; a 404 on `HEAD` means the tag is gone.
 *
 * Plain reads: nothing is written here (the engine stores what this returns).
 */
import type { Queryable } from '../database/db';
import { dockerRef, ImageName, isDockerHub } from '../shared/image-name';
import type { HubSource } from './scrape-engine';
import type { RegistryClient, RegistryRepository } from './registry/registry-types';
import { InstanceUpstream, instanceUpstream, isoOrNull, ResourceUpstream, resourceUpstream } from './sync/hub-mapping';
import { ImageConfigUpstream, imageConfigUpstream, withPlatformConfigs } from './sync/image-config';
import type { TagPresence } from './sync/image-sync';
import { filterTags, TagFilter } from '../tracking/tag-filter';
import { selectTags } from './registry/tag-filter';

/** This process has no OCI Distribution client: only Docker Hub images can be read. */
export class RegistryNotConfiguredError extends Error {
  constructor(readonly image: string) {
    super(`${image}: this process has no registry client, so only Docker Hub images can be scraped`);
    this.name = 'RegistryNotConfiguredError';
  }
}

/** What was read of one image, ready for sanitizeImage and syncImage. */
export interface ImageRead {
  resource: ResourceUpstream;
  tags: InstanceUpstream[];
  /** Tags the upstream listing held (before the filter and the window). */
  tagsSeen: number;
  presence: TagPresence;
  /** Things that did not fail the image, in words. */
  warnings: string[];
}

export interface ReaderOptions {
  hub: HubSource;
  registry?: RegistryClient;
  /** DOCKER_SCRAPER_IMAGE_CONFIG. */
  imageConfig: boolean;
  /** Registry host of Docker Hub images (`registry-1.docker.io`, or a test double's). */
  hubRegistryHost: string;
}

interface Stored {
  digest: string | null;
  configDigest: string | null;
  imageConfig: ImageConfigUpstream | null;
}

/** The stored image-config state of an image's instances, by tag: one read, no lock. */
async function storedConfigs(db: Queryable, image: ImageName): Promise<Map<string, Stored>> {
  const rows = await db.query<{ name: string; digest: string | null; config_digest: string | null; image_config: ImageConfigUpstream | null }>(
    `SELECT i.name, i.digest, i.config_digest, i.image_config
     FROM processing_instance i JOIN processing_resource r ON r.id = i.resource_id WHERE r.name = $1`,
    [image.name],
  );
  return new Map(rows.map((r) => [r.name, { digest: r.digest, configDigest: r.config_digest, imageConfig: r.image_config }]));
}

export async function readImage(
  db: Queryable,
  opts: ReaderOptions,
  image: ImageName,
  maxTags: number,
  filter: TagFilter | null,
  signal: AbortSignal,
): Promise<ImageRead> {
  return isDockerHub(image) ? readHub(db, opts, image, maxTags, filter, signal) : readRegistry(db, opts, image, maxTags, filter, signal);
}

async function readHub(db: Queryable, opts: ReaderOptions, image: ImageName, maxTags: number, filter: TagFilter | null, signal: AbortSignal): Promise<ImageRead> {
  const repo = await opts.hub.getRepository(image.namespace, image.repository, signal);
  const list = await opts.hub.listTags(image.namespace, image.repository, maxTags, signal);
  const warnings = list.warning ? [list.warning] : [];
  const kept = filterTags(list.tags, (t) => t.name, filter);
  const tags = kept.map(instanceUpstream);
  // Names only compared with stored tags (which never hold a NUL: PostgreSQL refuses one in text).
  const presence: TagPresence = list.complete && !list.warning ? { completeListing: list.tags.map((t) => t.name.replace(/\u0000/g, '')) } : {};
  if (opts.imageConfig && opts.registry && tags.length > 0) {
    const stored = await storedConfigs(db, image);
    const where: RegistryRepository = { host: opts.hubRegistryHost, path: image.path };
    const failed: string[] = [];
    for (const tag of tags) {
      try {
        const config = await configFor(opts.registry, where, tag.name, tag.digest, stored.get(tag.name), signal);
        if (config === 'gone') continue; // listed by the web API, gone from the registry: nothing to conclude
        tag.image = config.image;
        tag.platforms = withPlatformConfigs(tag.platforms, config.image);
      } catch (err) {
        if (signal.aborted) throw err;
        failed.push(`${tag.name} (${err instanceof Error ? err.message : String(err)})`);
      }
    }
    if (failed.length > 0) {
      warnings.push(
        `the image config of ${failed.length} tag${failed.length === 1 ? '' : 's'} could not be read from ${opts.hubRegistryHost} ` +
          `(its stored values stay): ${failed.slice(0, 3).join('; ')}${failed.length > 3 ? ` and ${failed.length - 3} more` : ''}`,
      );
    }
  }
  return { resource: resourceUpstream(repo), tags, tagsSeen: list.tags.length, presence, warnings };
}

type ConfigRead = 'gone' | { image: ImageConfigUpstream };

/**
 * The tag's image config: the stored one when `digest` is the digest it was read from
 * (no request), else a `HEAD` when the digest is unknown, then `GET` (manifest, config) only
 * for a digest not read before.
 */
async function configFor(
  client: RegistryClient,
  repo: RegistryRepository,
  tag: string,
  knownDigest: string | null,
  stored: Stored | undefined,
  signal: AbortSignal,
): Promise<ConfigRead> {
  let digest = knownDigest;
  if (digest === null) {
    const head = await client.headManifest(repo, tag, signal);
    if (!head.found) return 'gone';
    digest = head.digest;
  }
  if (digest !== null && stored?.imageConfig && stored.configDigest === digest) return { image: stored.imageConfig };
  const image = imageConfigUpstream(await client.getTag(repo, tag, signal));
  // Keyed by the digest the next scrape will compare with (the web API's, when it gives one).
  if (digest !== null) image.configDigest = digest;
  return { image };
}

async function readRegistry(
  db: Queryable,
  opts: ReaderOptions,
  image: ImageName,
  maxTags: number,
  filter: TagFilter | null,
  signal: AbortSignal,
): Promise<ImageRead> {
  if (!opts.registry) throw new RegistryNotConfiguredError(image.name);
  const client = opts.registry;
  const repo: RegistryRepository = { host: image.registry, path: image.path };
  const list = await client.listTags(repo, signal);
  const warnings = list.warning ? [list.warning] : [];
  const chosen = selectTags(list.tags, { maxTags, ...(filter ?? {}) });
  const stored = await storedConfigs(db, image);
  const tags: InstanceUpstream[] = [];
  const gone: string[] = [];
  for (const name of chosen) {
    const head = await client.headManifest(repo, name, signal);
    if (!head.found) {
      gone.push(name);
      continue;
    }
    const before = stored.get(name);
    let config: ImageConfigUpstream;
    let digest = head.digest;
    if (head.digest !== null && before?.imageConfig && before.configDigest === head.digest) {
      config = before.imageConfig; // unchanged digest: no manifest or config fetch
    } else {
      const details = await client.getTag(repo, name, signal);
      if (details.warning) warnings.push(`${dockerRef(image, name)}: ${details.warning}`);
      config = imageConfigUpstream(details);
      digest = details.digest;
    }
    tags.push(registryTag(name, digest, config));
  }
  const created = tags.map((t) => t.image?.created ?? null).filter((c): c is string => c !== null).sort();
  const first = tags[0]?.image?.labels ?? {};
  const resource: ResourceUpstream = {
    description: first['org.opencontainers.image.description'] ?? first['org.label-schema.description'] ?? null,
    shortDescription: first['org.opencontainers.image.title'] ?? first['org.label-schema.name'] ?? null,
    logo: null,
    starCount: null,
    pullCount: null,
    lastUpdated: created.length > 0 ? created[created.length - 1] : null,
  };
  const presence: TagPresence = { ...(list.complete ? { completeListing: list.tags.map((t) => t.replace(/\u0000/g, '')) } : {}), gone };
  return { resource, tags, tagsSeen: list.tags.length, presence, warnings };
}

/** A registry tag as the catalog stores it: its platforms are those of its manifests. */
function registryTag(name: string, digest: string | null, image: ImageConfigUpstream): InstanceUpstream {
  const rows = image.platforms;
  const sizes = rows.map((p) => p.size);
  return {
    name,
    digest,
    fullSize: sizes.length > 0 && sizes.every((s) => s !== null) ? sizes.reduce((a, b) => a! + b!, 0) : null,
    lastUpdated: isoOrNull(image.created),
    tagStatus: null,
    lastPushed: null,
    platforms: rows,
    env: rows.length > 0 ? { ARCH: rows[0].architecture } : {},
    image,
  };
}
