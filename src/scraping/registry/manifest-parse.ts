/**
 * Manifests, indexes and image configs of the OCI image spec and Docker's v2 formats:
 * media types, digests, and the config blob cleaned into {@link ImageConfigDetails}.
 */
import { createHash } from 'node:crypto';
import type { ExposedPort, ImageConfigDetails } from './registry-types';

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerV1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerV1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** The Accept list of a manifest request (v1 schema deliberately absent). */
export const MANIFEST_ACCEPT = [MEDIA.ociIndex, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.dockerManifest].join(', ');

export function isIndex(mediaType: string): boolean {
  return mediaType === MEDIA.ociIndex || mediaType === MEDIA.dockerList;
}

export function isImageManifest(mediaType: string): boolean {
  return mediaType === MEDIA.ociManifest || mediaType === MEDIA.dockerManifest;
}

const DIGEST = /^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;

export function isDigest(s: string): boolean {
  return DIGEST.test(s);
}

/** `sha256:<hex>` (or sha512) of `body`, in the algorithm of `like` (sha256 by default). */
export function digestOf(body: Buffer, like = 'sha256:'): string {
  const alg = like.startsWith('sha512:') ? 'sha512' : 'sha256';
  return `${alg}:${createHash(alg).update(body).digest('hex')}`;
}

export class ManifestShapeError extends Error {}

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function strings(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj(v) ?? {})) if (typeof x === 'string') out[k] = x;
  return out;
}

/** The media type: the body's `mediaType`, else the Content-Type; v1 refused. */
export function manifestMediaType(json: Record<string, unknown>, contentType: string): string {
  const ct = contentType.split(';')[0].trim().toLowerCase();
  const mt = typeof json.mediaType === 'string' ? json.mediaType : ct;
  if (json.schemaVersion === 1 || mt === MEDIA.dockerV1 || mt === MEDIA.dockerV1Signed) {
    throw new ManifestShapeError('it is a Docker image manifest v2 schema 1 (deprecated and unsupported); push the image again with a current client');
  }
  if (isIndex(mt) || isImageManifest(mt)) return mt;
  if (Array.isArray(json.manifests)) return MEDIA.ociIndex;
  if (obj(json.config)) return MEDIA.ociManifest;
  throw new ManifestShapeError(`media type "${mt || 'none'}" is not an image index or manifest`);
}

export interface IndexEntry {
  digest: string;
  mediaType: string;
  architecture: string;
  os: string;
  variant: string | null;
  annotations: Record<string, string>;
  /** An attestation (buildx provenance/SBOM) or `unknown/unknown`: not a platform. */
  attestation: boolean;
}

export function parseIndex(json: Record<string, unknown>): { entries: IndexEntry[]; annotations: Record<string, string> } {
  if (!Array.isArray(json.manifests)) throw new ManifestShapeError('the index has no "manifests" list');
  const entries: IndexEntry[] = [];
  for (const m of json.manifests) {
    const d = obj(m);
    if (!d || typeof d.digest !== 'string' || !isDigest(d.digest)) throw new ManifestShapeError('an index entry has no valid digest');
    const p = obj(d.platform) ?? {};
    const annotations = strings(d.annotations);
    const architecture = typeof p.architecture === 'string' ? p.architecture : 'unknown';
    const os = typeof p.os === 'string' ? p.os : 'unknown';
    entries.push({
      digest: d.digest,
      mediaType: typeof d.mediaType === 'string' ? d.mediaType : '',
      architecture,
      os,
      variant: typeof p.variant === 'string' && p.variant !== '' ? p.variant : null,
      annotations,
      attestation: annotations['vnd.docker.reference.type'] === 'attestation-manifest' || (architecture === 'unknown' && os === 'unknown'),
    });
  }
  return { entries, annotations: strings(json.annotations) };
}

export function parseImageManifest(json: Record<string, unknown>): { configDigest: string; size: number | null; annotations: Record<string, string> } {
  const config = obj(json.config);
  if (!config || typeof config.digest !== 'string' || !isDigest(config.digest)) throw new ManifestShapeError('the manifest has no valid config digest');
  let size: number | null = null;
  if (Array.isArray(json.layers)) {
    size = 0;
    for (const l of json.layers) {
      const s = obj(l)?.size;
      if (typeof s !== 'number' || !Number.isFinite(s) || s < 0) {
        size = null;
        break;
      }
      size += s;
    }
  }
  return { configDigest: config.digest, size, annotations: strings(json.annotations) };
}

function stringList(v: unknown): string[] | null {
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v)) return null;
  return v.filter((x): x is string => typeof x === 'string');
}

function realDate(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const t = Date.parse(v);
  // 0001-01-01 (Go's zero time) and 1970-01-01 (SOURCE_DATE_EPOCH=0) are no dates.
  if (Number.isNaN(t) || t <= 86_400_000 || t > Date.now() + 86_400_000) return null;
  return new Date(t).toISOString();
}

export function parsePorts(v: unknown): ExposedPort[] {
  const seen = new Map<string, ExposedPort>();
  for (const key of Object.keys(obj(v) ?? {})) {
    const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/i.exec(key.trim());
    if (!m) continue;
    const port = Number(m[1]);
    if (port < 1 || port > 65535) continue;
    const protocol = (m[2]?.toLowerCase() ?? 'tcp') as ExposedPort['protocol'];
    seen.set(`${port}/${protocol}`, { port, protocol });
  }
  return [...seen.values()].sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
}

/** The image config JSON → platform and {@link ImageConfigDetails}. */
export function parseImageConfig(json: unknown): { architecture: string | null; os: string | null; variant: string | null; details: ImageConfigDetails } {
  const o = obj(json);
  if (!o) throw new ManifestShapeError('the image config is not a JSON object');
  const c = obj(o.config) ?? {};
  return {
    architecture: typeof o.architecture === 'string' ? o.architecture : null,
    os: typeof o.os === 'string' ? o.os : null,
    variant: typeof o.variant === 'string' && o.variant !== '' ? o.variant : null,
    details: {
      created: realDate(o.created),
      labels: strings(c.Labels),
      entrypoint: stringList(c.Entrypoint),
      cmd: stringList(c.Cmd),
      env: stringList(c.Env) ?? [],
      exposedPorts: parsePorts(c.ExposedPorts),
      volumes: Object.keys(obj(c.Volumes) ?? {}).sort(),
      workingDir: typeof c.WorkingDir === 'string' && c.WorkingDir !== '' ? c.WorkingDir : null,
      user: typeof c.User === 'string' && c.User !== '' ? c.User : null,
    },
  };
}

/** `sha256-<hex>.sig|.att|.sbom`: cosign signatures, attestations and SBOMs, not images. */
export function isArtifactTag(tag: string): boolean {
  return /^sha(256|512)-[0-9a-f]+\.(sig|att|sbom)$/.test(tag);
}

/** `<url>; rel="next"` of a Link header, or undefined. */
export function nextLink(link: string | string[] | undefined): string | undefined {
  for (const value of Array.isArray(link) ? link : link ? [link] : []) {
    for (const part of value.split(/,(?=\s*<)/)) {
      const m = /^\s*<([^>]*)>\s*(.*)$/.exec(part);
      if (m && /(^|;)\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(m[2])) return m[1];
    }
  }
  return undefined;
}
