/**
 * What the image itself says (its manifest annotations and image config), as the catalog
 * stores it: the registry client's TagDetails → the upstream-owned values of an instance.
 */
import type { ImageConfigColumns, PlatformRow } from '../../catalog/processing-instance.entity';
import type { ImageConfigDetails, PlatformDetails, TagDetails } from '../registry/registry-types';
import { isoOrNull } from './hub-mapping';

/** The image-config part of an instance's upstream state; hashed with the rest. */
export interface ImageConfigUpstream extends ImageConfigColumns {
  /** The manifest digest these values were read from: the same digest again needs no config fetch. */
  configDigest: string;
  license: string | null;
  sourceUrl: string | null;
  /** ISO time the image was built. */
  created: string | null;
  /** The tag's platforms as read from the manifests, each with what its config says differently from the instance's. */
  platforms: PlatformRow[];
}

const LICENSE_KEYS = ['org.opencontainers.image.licenses', 'org.label-schema.license'];
const SOURCE_KEYS = ['org.opencontainers.image.source', 'org.label-schema.vcs-url', 'org.opencontainers.image.url', 'org.label-schema.url'];
const CREATED_KEYS = ['org.opencontainers.image.created', 'org.label-schema.build-date'];

function first(labels: Record<string, string>, keys: readonly string[]): string | null {
  for (const k of keys) {
    const v = labels[k]?.trim();
    if (v) return v;
  }
  return null;
}

function columns(config: ImageConfigDetails | null, annotations: Record<string, string>): ImageConfigColumns {
  return {
    // Manifest annotations first, the config's labels win (what `docker inspect` shows).
    labels: sortedObject({ ...annotations, ...(config?.labels ?? {}) }),
    command: config?.entrypoint && config.entrypoint.length > 0 ? config.entrypoint : null,
    args: config?.cmd && config.cmd.length > 0 ? config.cmd : null,
    volumes: config && config.volumes.length > 0 ? config.volumes : null,
    exposedPorts: config && config.exposedPorts.length > 0 ? config.exposedPorts.map((p) => ({ port: p.port, protocol: p.protocol })) : null,
    env: config ? config.env : null,
    workingDir: config?.workingDir || null,
    user: config?.user || null,
  };
}

function sortedObject(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}

const KEYS: readonly (keyof ImageConfigColumns)[] = ['labels', 'command', 'args', 'volumes', 'exposedPorts', 'env', 'workingDir', 'user'];

/** The keys whose value differs from `base`, with their values; null when none do. */
function difference(base: ImageConfigColumns, other: ImageConfigColumns): Partial<ImageConfigColumns> | null {
  const out: Partial<ImageConfigColumns> = {};
  for (const k of KEYS) if (JSON.stringify(base[k]) !== JSON.stringify(other[k])) (out as Record<string, unknown>)[k] = other[k];
  return Object.keys(out).length > 0 ? out : null;
}

/** TagDetails → the instance's image-config values (the first platform whose config was read is the instance's). */
export function imageConfigUpstream(details: TagDetails): ImageConfigUpstream {
  const withConfig = details.platforms.find((p) => p.config !== null) ?? details.platforms[0];
  const annotationsOf = (p: PlatformDetails | undefined) => ({ ...details.annotations, ...(p?.annotations ?? {}) });
  const base = columns(withConfig?.config ?? null, annotationsOf(withConfig));
  const labels = base.labels;
  const created = isoOrNull(withConfig?.config?.created ?? null) ?? isoOrNull(first(labels, CREATED_KEYS));
  const platforms = details.platforms.map((p) => {
    const row: PlatformRow = { architecture: p.architecture, os: p.os, variant: p.variant, digest: p.digest, size: p.size };
    const diff = p === withConfig || !p.config ? null : difference(base, columns(p.config, annotationsOf(p)));
    if (diff) row.config = diff;
    return row;
  });
  return {
    ...base,
    configDigest: details.digest,
    license: first(labels, LICENSE_KEYS),
    sourceUrl: first(labels, SOURCE_KEYS),
    created,
    platforms,
  };
}

/** Platform rows from the web API, with the per-platform differences the image config brought (matched by digest, else position). */
export function withPlatformConfigs(rows: PlatformRow[], image: ImageConfigUpstream): PlatformRow[] {
  return rows.map((row, i) => {
    const match = image.platforms.find((p) => p.digest !== null && p.digest === row.digest) ?? image.platforms[i];
    return match?.config ? { ...row, config: match.config } : row;
  });
}
