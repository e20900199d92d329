import { createHash } from 'node:crypto';
import type { HubRepository, HubTag } from '../hub';
import type { PlatformRow } from '../../catalog/processing-instance.entity';
import type { ImageConfigUpstream } from './image-config';

/** The Go scraper's owner entry, kept as is. */
export const DOCKER_HUB_OWNER = { name: 'https://hub.docker.com/', logo: 'https://icones8.fr/icon/Wln8Z3PcXanx/logo-docker' };

/**
 * The first Markdown image of a text (the Go scraper's `extractLogoURL`): what
 * `/!\[[^\]]*\]\((https?:\/\/[^)]+)\)/` finds, in one pass. The regular expression
 * retries its scans from every `![` (quadratic: 1 MB of `![` took minutes); here the next
 * `]` and `)` are looked up once and reused by every candidate before them.
 */
export function extractLogoUrl(markdown: string | null): string | null {
  if (!markdown) return null;
  let close = -1; // the first `]` at or after the current candidate's alt text
  let paren = -1; // the first `)` at or after the current candidate's URL
  for (let i = markdown.indexOf('!['); i >= 0; i = markdown.indexOf('![', i + 1)) {
    if (close < i + 2) close = markdown.indexOf(']', i + 2);
    if (close < 0) return null; // no `]` left: no later candidate can match either
    if (markdown.charCodeAt(close + 1) !== 0x28 /* ( */) continue;
    const start = close + 2;
    const scheme = markdown.startsWith('https://', start) ? 8 : markdown.startsWith('http://', start) ? 7 : 0;
    if (scheme === 0) continue;
    if (paren < start + scheme) paren = markdown.indexOf(')', start + scheme);
    if (paren < 0) return null; // no `)` left
    if (paren > start + scheme) return markdown.slice(start, paren);
  }
  return null;
}

/** What a scrape owns on a resource: compared by hash, written only when it changes. */
export interface ResourceUpstream {
  description: string | null;
  shortDescription: string | null;
  logo: string | null;
  /** null: not a usable count upstream (see sanitize.ts); the stored one is kept. */
  starCount: number | null;
  pullCount: number | null;
  lastUpdated: string | null;
}

/** What a scrape owns on an instance. */
export interface InstanceUpstream {
  name: string;
  digest: string | null;
  fullSize: number | null;
  lastUpdated: string | null;
  tagStatus: string | null;
  lastPushed: string | null;
  platforms: PlatformRow[];
  /** The container environment a scrape proposes: `{ARCH}` of the first platform. */
  env: Record<string, string>;
  /**
   * What the image config says (labels, entrypoint, ports, …); left out when it was not read
   * (DOCKER_SCRAPER_IMAGE_CONFIG off): the stored values then stay as they are. Left out of
   * the hash when absent, so that the hashes of Hub-only scrapes stay what they were.
   */
  image?: ImageConfigUpstream;
}

export function resourceUpstream(repo: HubRepository): ResourceUpstream {
  return {
    description: repo.fullDescription,
    shortDescription: repo.description,
    logo: extractLogoUrl(repo.fullDescription),
    starCount: repo.starCount,
    pullCount: repo.pullCount,
    lastUpdated: isoOrNull(repo.lastUpdated),
  };
}

/** BuildKit attestation manifests appear as `unknown/unknown`: they are not platforms. */
export function isAttestation(image: { architecture: string; os: string }): boolean {
  return image.architecture === 'unknown' && image.os === 'unknown';
}

export function instanceUpstream(tag: HubTag): InstanceUpstream {
  const platforms: PlatformRow[] = tag.images
    .filter((i) => !isAttestation(i))
    .map((i) => ({ architecture: i.architecture, os: i.os, variant: i.variant, digest: i.digest, size: i.size }));
  return {
    name: tag.name,
    digest: tag.digest,
    fullSize: tag.fullSize,
    lastUpdated: isoOrNull(tag.lastUpdated),
    tagStatus: tag.tagStatus,
    lastPushed: isoOrNull(tag.tagLastPushed),
    platforms,
    // The Go scraper set ARCH to the first image entry's architecture; attestations skipped here.
    env: platforms.length > 0 ? { ARCH: platforms[0].architecture } : {},
  };
}

/** A date PostgreSQL can store, or null: an unreadable upstream date is dropped, not fatal. */
export function isoOrNull(value: string | null): string | null {
  if (!value) return null;
  const t = Date.parse(value);
  return Number.isFinite(t) && t > 0 ? value : null;
}

/** A stable digest of upstream content: an unchanged hash means nothing to write. */
export function contentHash(value: ResourceUpstream | InstanceUpstream): string {
  return createHash('sha256').update(stableJson(value)).digest('base64url');
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
      : v,
  );
}
