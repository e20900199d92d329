/**
 * Test data for the fake Docker Hub (test/support/fake-docker-hub.ts).
 *
 * Two kinds, kept apart:
 *
 * 1. RECORDED fixtures — real Docker Hub responses, copied byte for byte into
 *    test/fixtures/dockerhub/ (see the README.md there for their sources). Load them with
 *    {@link loadRecordedFixture}.
 *
 * 2. SYNTHETIC data — everything else in this file. Made up for tests, NOT recorded from
 *    Docker Hub: repository info, single- and multi-arch tags with BuildKit attestation
 *    entries (`architecture: "unknown", os: "unknown"`), tags without a `digest`,
 *    `full_size` 0, `last_updated` null, long lists for paging, whole catalogs for the
 *    benchmark. The shapes follow Docker Hub's OpenAPI file (`repository_info`,
 *    `paginated_tags`, as summarised in the shared fixtures' SOURCES.md); the values
 *    (digests, sizes, ids, dates) are deterministic functions of the names, so that two
 *    runs build the same data.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

// ------------------------------------------------------------------ raw JSON shapes

/** One entry of a tag's `images[]`, as Docker Hub sends it. */
export interface RawTagImage {
  architecture: string;
  features?: string;
  variant: string | null;
  digest?: string | null;
  os: string;
  os_features?: string;
  os_version: string | null;
  size: number;
  status?: string;
  last_pulled?: string | null;
  last_pushed?: string | null;
  [key: string]: unknown;
}

/** One tag of `…/tags` `results[]`, as Docker Hub sends it (`digest` may be absent). */
export interface RawTag {
  creator?: number;
  id: number;
  images: RawTagImage[];
  last_updated: string | null;
  last_updater?: number;
  last_updater_username?: string;
  name: string;
  repository?: number;
  full_size: number | null;
  v2?: boolean;
  tag_status: string;
  tag_last_pulled?: string | null;
  tag_last_pushed?: string | null;
  media_type?: string;
  content_type?: string;
  digest?: string | null;
  [key: string]: unknown;
}

/** Repository info (`repository_info`), as Docker Hub sends it (`full_description` may be absent). */
export interface RawRepository {
  user?: string;
  name: string;
  namespace: string;
  repository_type?: string | null;
  status?: number;
  status_description?: string;
  description?: string | null;
  is_private?: boolean;
  is_automated?: boolean;
  star_count?: number;
  pull_count?: number;
  last_updated?: string | null;
  last_modified?: string | null;
  date_registered?: string | null;
  collaborator_count?: number;
  affiliation?: string | null;
  hub_user?: string;
  has_starred?: boolean;
  full_description?: string | null;
  permissions?: { read: boolean; write: boolean; admin: boolean };
  media_types?: string[];
  content_types?: string[];
  categories?: Array<{ name: string; slug: string }>;
  immutable_tags_settings?: { enabled: boolean; rules: string[] };
  storage_size?: number | null;
  source?: string | null;
  [key: string]: unknown;
}

/** A tag list page (`paginated_tags`). */
export interface RawTagPage {
  count: number;
  next: string | null;
  previous: string | null;
  results: RawTag[];
}

// ------------------------------------------------------------------ RECORDED fixtures

/** The recorded (real) responses in test/fixtures/dockerhub/. */
export const RECORDED_FIXTURES = {
  /** `GET /v2/repositories/grimoirelab/perceval/`, older shape, long full_description. */
  percevalRepo: 'grimoirelab__perceval__repo.json',
  /** `GET /v2/repositories/ebusinessdocker/disney`, current shape, no `full_description` key. */
  disneyRepo: 'ebusinessdocker__disney__repo.json',
  /** Tag page of ebusinessdocker/disney: one 2017 tag without a tag-level `digest`. */
  disneyTags: 'ebusinessdocker__disney__tags_page1.json',
  /** Tag page of dotcms/dotcms-test: two single-arch tags, `next` null. */
  dotcmsTags: 'dotcms__dotcms-test__tags_page1.json',
} as const;

export type RecordedFixtureName = (typeof RECORDED_FIXTURES)[keyof typeof RECORDED_FIXTURES];

let fixturesDirCache: string | undefined;

/**
 * test/fixtures/dockerhub of this checkout, found by walking up from this file (works from
 * test/support/ and from the compiled dist/test/support/).
 */
export function fixturesDir(): string {
  if (fixturesDirCache) return fixturesDirCache;
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'test', 'fixtures', 'dockerhub');
    if (fs.existsSync(path.join(candidate, 'README.md'))) return (fixturesDirCache = candidate);
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`test/fixtures/dockerhub not found above ${__dirname}`);
    dir = parent;
  }
}

/** A recorded response: its exact bytes as text, and parsed. */
export function loadRecordedFixture<T = unknown>(file: RecordedFixtureName): { text: string; json: T } {
  const text = fs.readFileSync(path.join(fixturesDir(), file), 'utf8');
  return { text, json: JSON.parse(text) as T };
}

// ------------------------------------------------------------------ SYNTHETIC builders

/** SYNTHETIC: the "now" of synthetic data, so that builds are reproducible. */
export const SYNTHETIC_EPOCH_MS = Date.parse('2026-01-15T12:00:00.000Z');

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** SYNTHETIC: a deterministic `sha256:…` digest for the given seed parts. */
export function syntheticDigest(...seed: Array<string | number>): string {
  return `sha256:${sha256Hex(seed.join('\u0000'))}`;
}

/** SYNTHETIC: a deterministic number in [min, max] for the given seed. */
export function syntheticNumber(seed: string, min: number, max: number): number {
  const n = parseInt(sha256Hex(seed).slice(0, 12), 16);
  return min + (n % (max - min + 1));
}

function iso(value: string | number | Date): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

export interface PlatformSpec {
  architecture: string;
  os: string;
  variant?: string | null;
  osVersion?: string | null;
  /** Default: deterministic, 5–400 MB. */
  size?: number;
  /** Default: deterministic; `null` gives `"digest": null`. */
  digest?: string | null;
}

/** Common platforms, by their `os/arch[/variant]` name. */
export const PLATFORMS = {
  'linux/amd64': { architecture: 'amd64', os: 'linux', variant: null },
  'linux/arm64/v8': { architecture: 'arm64', os: 'linux', variant: 'v8' },
  'linux/arm/v7': { architecture: 'arm', os: 'linux', variant: 'v7' },
  'linux/arm/v6': { architecture: 'arm', os: 'linux', variant: 'v6' },
  'linux/386': { architecture: '386', os: 'linux', variant: null },
  'linux/ppc64le': { architecture: 'ppc64le', os: 'linux', variant: null },
  'linux/s390x': { architecture: 's390x', os: 'linux', variant: null },
  'linux/riscv64': { architecture: 'riscv64', os: 'linux', variant: null },
  'windows/amd64': { architecture: 'amd64', os: 'windows', variant: null, osVersion: '10.0.20348.2655' },
} as const satisfies Record<string, PlatformSpec>;

export type PlatformName = keyof typeof PLATFORMS;

/** The platforms of a typical official multi-arch image. */
export const MULTI_ARCH: PlatformName[] = ['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7', 'linux/386', 'linux/ppc64le', 'linux/s390x'];

export interface TagOptions {
  /** Default {@link SYNTHETIC_EPOCH_MS}; `null` gives `"last_updated": null`. */
  lastUpdated?: string | number | Date | null;
  /** Default `['linux/amd64']`. */
  platforms?: Array<PlatformName | PlatformSpec>;
  /**
   * Add one BuildKit attestation entry (`unknown/unknown`) per platform, as
   * `docker buildx` does with provenance on. Default: true when there are several platforms.
   */
  attestations?: boolean;
  /**
   * Tag-level digest. Default: the image digest for single-arch, an index digest for
   * multi-arch. `null` gives `"digest": null`.
   */
  digest?: string | null;
  /** Leave the `digest` key out entirely, as on some old single-arch tags. */
  withoutDigest?: boolean;
  /** Default: the first platform's size. `0` and `null` are sent as given. */
  fullSize?: number | null;
  tagStatus?: string;
  id?: number;
  /** Changes every digest and size (a re-push of the same tag name). Default `''`. */
  revision?: string | number;
  /** Mixed into digests, sizes and ids (e.g. the image name), so equal tag names of different images differ. */
  seed?: string;
  /** Extra raw keys, merged last. */
  extra?: Partial<RawTag>;
}

function platformSpec(p: PlatformName | PlatformSpec): PlatformSpec {
  return typeof p === 'string' ? PLATFORMS[p] : p;
}

/** SYNTHETIC: one tag, shaped like a `…/tags` result. */
export function syntheticTag(name: string, opts: TagOptions = {}): RawTag {
  const rev = `${opts.seed ?? ''}|${opts.revision ?? ''}`;
  const lastUpdated = opts.lastUpdated === null ? null : iso(opts.lastUpdated ?? SYNTHETIC_EPOCH_MS);
  const platforms = (opts.platforms ?? ['linux/amd64']).map(platformSpec);
  const attestations = opts.attestations ?? platforms.length > 1;
  const images: RawTagImage[] = [];
  for (const p of platforms) {
    const key = `${name}|${p.os}/${p.architecture}/${p.variant ?? ''}|${rev}`;
    images.push({
      architecture: p.architecture,
      features: '',
      variant: p.variant ?? null,
      digest: p.digest === undefined ? syntheticDigest('image', key) : p.digest,
      os: p.os,
      os_features: '',
      os_version: p.osVersion ?? null,
      size: p.size ?? syntheticNumber(key, 5_000_000, 400_000_000),
      status: 'active',
      last_pulled: lastUpdated,
      last_pushed: lastUpdated,
    });
  }
  if (attestations) {
    for (const p of platforms) {
      const key = `${name}|attestation|${p.os}/${p.architecture}/${p.variant ?? ''}|${rev}`;
      images.push({
        architecture: 'unknown',
        features: '',
        variant: null,
        digest: syntheticDigest('attestation', key),
        os: 'unknown',
        os_features: '',
        os_version: null,
        size: syntheticNumber(key, 800, 60_000),
        status: 'active',
        last_pulled: lastUpdated,
        last_pushed: lastUpdated,
      });
    }
  }
  const multiArch = platforms.length > 1 || attestations;
  const tag: RawTag = {
    creator: 7,
    id: opts.id ?? syntheticNumber(`tag-id|${name}|${rev}`, 1_000_000, 2_000_000_000),
    images,
    last_updated: lastUpdated,
    last_updater: 7,
    last_updater_username: 'synthetic',
    name,
    repository: 1,
    full_size: opts.fullSize !== undefined ? opts.fullSize : (images[0]?.size ?? 0),
    v2: true,
    tag_status: opts.tagStatus ?? 'active',
    tag_last_pulled: lastUpdated,
    tag_last_pushed: lastUpdated,
    media_type: multiArch ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.docker.distribution.manifest.v2+json',
    content_type: 'image',
  };
  if (!opts.withoutDigest) {
    tag.digest =
      opts.digest !== undefined ? opts.digest : multiArch ? syntheticDigest('index', name, rev) : (images[0]?.digest ?? null);
  }
  return { ...tag, ...opts.extra };
}

/** SYNTHETIC: a multi-arch tag (six platforms by default) with attestation entries. */
export function syntheticMultiArchTag(name: string, opts: TagOptions = {}): RawTag {
  return syntheticTag(name, { platforms: MULTI_ARCH, attestations: true, ...opts });
}

export interface TagSeriesOptions {
  /** Name of the i-th tag (0 = newest). Default `${prefix}${i + 1}`. */
  name?: (i: number) => string;
  /** Default `'t'`: t1 (newest), t2, … */
  prefix?: string;
  /** last_updated of the newest tag. Default {@link SYNTHETIC_EPOCH_MS}. */
  newest?: string | number | Date;
  /** Time between consecutive tags. Default one hour. */
  stepMs?: number;
  /** Per-tag options (platforms, digest, …). */
  options?: (i: number) => TagOptions;
}

/** SYNTHETIC: `count` tags, newest first, one `stepMs` apart. */
export function syntheticTags(count: number, opts: TagSeriesOptions = {}): RawTag[] {
  const newest = new Date(opts.newest ?? SYNTHETIC_EPOCH_MS).getTime();
  const step = opts.stepMs ?? 3_600_000;
  const out: RawTag[] = [];
  for (let i = 0; i < count; i++) {
    const name = opts.name ? opts.name(i) : `${opts.prefix ?? 't'}${i + 1}`;
    out.push(syntheticTag(name, { lastUpdated: newest - i * step, ...opts.options?.(i) }));
  }
  return out;
}

/** SYNTHETIC: repository info in the current shape (every SPEC field present). */
export function syntheticRepository(namespace: string, name: string, overrides: Partial<RawRepository> = {}): RawRepository {
  const seed = `${namespace}/${name}`;
  const official = namespace === 'library';
  const info: RawRepository = {
    user: namespace,
    name,
    namespace,
    repository_type: 'image',
    status: 1,
    status_description: 'active',
    description: `Synthetic test image ${seed}`,
    is_private: false,
    is_automated: false,
    star_count: syntheticNumber(`stars|${seed}`, 0, 20_000),
    pull_count: syntheticNumber(`pulls|${seed}`, 1_000, 5_000_000_000),
    last_updated: iso(SYNTHETIC_EPOCH_MS),
    last_modified: iso(SYNTHETIC_EPOCH_MS),
    date_registered: '2015-06-01T00:00:00.000000Z',
    collaborator_count: 0,
    affiliation: null,
    hub_user: namespace,
    has_starred: false,
    full_description:
      `# ${seed}\n\n![logo](https://example.test/${namespace}/${name}/logo.png)\n\n` +
      `Synthetic full description of ${seed}, built by test/support/hub-data.ts.\n`,
    permissions: { read: true, write: false, admin: false },
    media_types: ['application/vnd.oci.image.index.v1+json'],
    content_types: ['image'],
    categories: official ? [{ name: 'Web Servers', slug: 'web-servers' }] : [],
    immutable_tags_settings: { enabled: false, rules: ['.*'] },
    storage_size: syntheticNumber(`storage|${seed}`, 10_000_000, 90_000_000_000),
    source: null,
  };
  return { ...info, ...overrides };
}

export interface SyntheticImage {
  namespace: string;
  name: string;
  info: RawRepository;
  tags: RawTag[];
}

export interface SyntheticCatalogOptions {
  /** Default: every 10th image is official (`library`), the others `org<k>`. */
  namespace?: (i: number) => string;
  /** Default `img<i>`. */
  name?: (i: number) => string;
  /** Default 10. A function gives each image its own count. */
  tagsPerImage?: number | ((i: number) => number);
  /** Default: every third image is multi-arch with attestations. */
  multiArch?: (i: number) => boolean;
}

/** SYNTHETIC: a whole catalog (e.g. 2,000 images for the benchmark); feed it to `FakeDockerHub.seed`. */
export function syntheticCatalog(count: number, opts: SyntheticCatalogOptions = {}): SyntheticImage[] {
  const out: SyntheticImage[] = [];
  for (let i = 0; i < count; i++) {
    const namespace = opts.namespace ? opts.namespace(i) : i % 10 === 0 ? 'library' : `org${i % 97}`;
    const name = opts.name ? opts.name(i) : `img${i}`;
    const n = typeof opts.tagsPerImage === 'function' ? opts.tagsPerImage(i) : (opts.tagsPerImage ?? 10);
    const multi = opts.multiArch ? opts.multiArch(i) : i % 3 === 0;
    out.push({
      namespace,
      name,
      info: syntheticRepository(namespace, name),
      tags: syntheticTags(n, {
        name: (k) => (k === 0 ? 'latest' : `1.${n - k}`),
        options: () => ({ seed: `${namespace}/${name}`, ...(multi ? { platforms: MULTI_ARCH, attestations: true } : {}) }),
      }),
    });
  }
  return out;
}
