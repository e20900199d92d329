/**
 * Catalog rows written straight with SQL, shaped as the sync engine writes them (see
 * migrations/*InitialSchema and DESIGN.md's data model), for tests of the read API.
 */
import { randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { parseImageName } from '../../src/shared/image-name';

/** Anything with a `query` method: a TestDatabase, a pg pool. */
export interface SqlRunner {
  query<T = any>(sql: string, params?: unknown[]): Promise<T[]>;
}

export const DOCKER_OWNERS = [{ name: 'https://hub.docker.com/', logo: 'https://icones8.fr/icon/Wln8Z3PcXanx/logo-docker' }];

export interface PlatformFixture {
  architecture: string;
  os?: string;
  variant?: string | null;
  digest?: string | null;
  size?: number | null;
}

export interface InstanceFixture {
  id?: string;
  /** The tag. */
  name: string;
  creatorId?: string;
  partnerships?: unknown[];
  originType?: 'PUBLIC' | 'PRIVATE';
  /** Defaults to `docker.io/<canonical name>:<tag>`. */
  originRef?: string;
  license?: string | null;
  verified?: boolean;
  command?: string[] | null;
  args?: string[] | null;
  /** Defaults to `{ ARCH: <first platform's architecture> }`. */
  env?: Record<string, string>;
  volumes?: string[] | null;
  digest?: string | null;
  /** Defaults to the sum of the platform sizes. */
  fullSize?: number | null;
  lastUpdated?: string | Date | null;
  tagStatus?: string | null;
  /** Defaults to linux/amd64 and linux/arm64/v8. */
  platforms?: PlatformFixture[];
  createdAt?: string | Date;
  updatedAt?: string | Date;
}

export interface ResourceFixture {
  id?: string;
  /** `nginx`, `library/nginx` or `org/name`. */
  name: string;
  description?: string | null;
  shortDescription?: string | null;
  logo?: string | null;
  owners?: { name: string; logo: string | null }[];
  isDraft?: boolean;
  openSource?: boolean;
  isService?: boolean;
  starCount?: number | string;
  pullCount?: number | string;
  lastUpdated?: string | Date | null;
  createdAt?: string | Date;
  updatedAt?: string | Date;
  instances?: InstanceFixture[];
}

export interface InsertedInstance {
  id: string;
  name: string;
  ref: string;
}

export interface InsertedResource {
  id: string;
  name: string;
  instances: InsertedInstance[];
}

let digestCounter = 0;
/** A fake but well-formed `sha256:` digest, different on each call. */
export function fakeDigest(): string {
  digestCounter++;
  return `sha256:${digestCounter.toString(16).padStart(8, '0')}${randomUUID().replace(/-/g, '')}${'0'.repeat(24)}`;
}

export function defaultPlatforms(): PlatformFixture[] {
  return [
    { architecture: 'amd64', os: 'linux', variant: null, digest: fakeDigest(), size: 71_234_567 },
    { architecture: 'arm64', os: 'linux', variant: 'v8', digest: fakeDigest(), size: 69_876_543 },
  ];
}

/** Inserts a resource and its instances in one statement each; returns their ids. */
export async function insertResource(db: SqlRunner, f: ResourceFixture): Promise<InsertedResource> {
  const image = parseImageName(f.name);
  const id = f.id ?? randomUUID();
  const description =
    f.description !== undefined
      ? f.description
      : `# ${image.repository}\n\n![logo](https://example.org/logos/${image.repository}.png)\n\nQuick reference for ${image.name}.`;
  const logo = f.logo !== undefined ? f.logo : description ? /!\[[^\]]*\]\((https?:\/\/[^)]+)\)/.exec(description)?.[1] ?? null : null;
  await db.query(
    `INSERT INTO processing_resource
       (id, name, namespace, repository, description, short_description, logo, owners, infrastructure, open_source,
        is_service, is_draft, star_count, pull_count, upstream_last_updated, content_hash, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, 'DOCKER', $9, $10, $11, $12::bigint, $13::bigint, $14, $15,
             coalesce($16::timestamptz, now()), coalesce($17::timestamptz, now()))`,
    [
      id,
      image.name,
      image.namespace,
      image.repository,
      description,
      f.shortDescription !== undefined ? f.shortDescription : `Official build of ${image.repository}.`,
      logo,
      JSON.stringify(f.owners ?? DOCKER_OWNERS),
      f.openSource ?? true,
      f.isService ?? false,
      f.isDraft ?? false,
      String(f.starCount ?? 0),
      String(f.pullCount ?? 0),
      f.lastUpdated ?? null,
      `hash-${id}`,
      f.createdAt ?? null,
      f.updatedAt ?? null,
    ],
  );
  const instances = await insertInstances(db, id, image.name, f.instances ?? []);
  return { id, name: image.name, instances };
}

/** Inserts instances of an existing resource (`name` is the resource's canonical name). */
export async function insertInstances(
  db: SqlRunner,
  resourceId: string,
  name: string,
  fixtures: readonly InstanceFixture[],
): Promise<InsertedInstance[]> {
  if (fixtures.length === 0) return [];
  const rows = fixtures.map((f) => {
    const platforms = (f.platforms ?? defaultPlatforms()).map((p) => ({
      architecture: p.architecture,
      os: p.os ?? 'linux',
      variant: p.variant ?? null,
      digest: p.digest === undefined ? fakeDigest() : p.digest,
      size: p.size ?? null,
    }));
    const ref = f.originRef ?? `docker.io/${name}:${f.name}`;
    return {
      id: f.id ?? uuidv7(),
      name: f.name,
      creatorId: f.creatorId ?? '',
      partnerships: JSON.stringify(f.partnerships ?? []),
      originType: f.originType ?? 'PUBLIC',
      ref,
      license: f.license ?? null,
      verified: f.verified ?? true,
      image: ref,
      command: f.command ?? null,
      args: f.args ?? null,
      env: JSON.stringify(f.env ?? (platforms[0] ? { ARCH: platforms[0].architecture } : {})),
      volumes: f.volumes ?? null,
      digest: f.digest === undefined ? fakeDigest() : f.digest,
      fullSize:
        f.fullSize !== undefined
          ? f.fullSize === null
            ? null
            : String(f.fullSize)
          : String(platforms.reduce((s, p) => s + (p.size ?? 0), 0)),
      lastUpdated: f.lastUpdated ?? null,
      tagStatus: f.tagStatus === undefined ? 'active' : f.tagStatus,
      platforms: JSON.stringify(platforms),
      createdAt: f.createdAt ?? null,
      updatedAt: f.updatedAt ?? null,
    };
  });
  const col = <K extends keyof (typeof rows)[number]>(k: K) => rows.map((r) => r[k]);
  await db.query(
    `INSERT INTO processing_instance
       (id, resource_id, name, creator_id, partnerships, origin_type, origin_ref, origin_license, origin_verified,
        access_image, access_command, access_args, access_env, access_volumes, digest, full_size,
        upstream_last_updated, tag_status, tag_last_pushed, platforms, content_hash, created_at, updated_at)
     SELECT x.id, $1, x.name, x.creator_id, x.partnerships::jsonb, x.origin_type, x.ref, x.license, x.verified,
            x.image, x.command::text[], x.args::text[], x.env::jsonb, x.volumes::text[], x.digest, x.full_size::bigint,
            x.last_updated, x.tag_status, x.last_updated, x.platforms::jsonb, 'hash-' || x.id,
            coalesce(x.created_at, now()), coalesce(x.updated_at, now())
     FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::boolean[],
                 $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[],
                 $17::timestamptz[], $18::text[], $19::text[], $20::timestamptz[], $21::timestamptz[])
          WITH ORDINALITY AS x(id, name, creator_id, partnerships, origin_type, ref, license, verified, image, command, args,
                               env, volumes, digest, full_size, last_updated, tag_status, platforms, created_at, updated_at, ord)
     ORDER BY x.ord`,
    [
      resourceId,
      col('id'),
      col('name'),
      col('creatorId'),
      col('partnerships'),
      col('originType'),
      col('ref'),
      col('license'),
      col('verified'),
      col('image'),
      // text[] columns travel as array literals, one per row (unnest flattens nested arrays).
      rows.map((r) => pgArray(r.command)),
      rows.map((r) => pgArray(r.args)),
      col('env'),
      rows.map((r) => pgArray(r.volumes)),
      col('digest'),
      col('fullSize'),
      col('lastUpdated'),
      col('tagStatus'),
      col('platforms'),
      col('createdAt'),
      col('updatedAt'),
    ],
  );
  return rows.map((r) => ({ id: r.id, name: r.name, ref: r.ref }));
}

/** A text[] value as a PostgreSQL array literal, or null. */
function pgArray(values: string[] | null): string | null {
  if (values === null) return null;
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

export async function insertResources(db: SqlRunner, fixtures: readonly ResourceFixture[]): Promise<InsertedResource[]> {
  const out: InsertedResource[] = [];
  for (const f of fixtures) out.push(await insertResource(db, f));
  return out;
}

export interface RunResultFixture {
  image: string;
  position: number;
  status?: 'PENDING' | 'RUNNING' | 'OK' | 'NO_TAGS' | 'NOT_FOUND' | 'FAILED' | 'INTERRUPTED';
  error?: string | null;
  warning?: string | null;
  instancesAdded?: number;
  instancesUpdated?: number;
  resourceCreated?: boolean;
  tagsSeen?: number | null;
  maxTags?: number;
}

export interface RunFixture {
  id?: string;
  trigger?: 'STARTUP' | 'SCHEDULE' | 'MANUAL' | 'RECOVERY';
  status?: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'PARTIAL' | 'FAILED' | 'INTERRUPTED';
  scope?: 'ALL' | 'SUBSET';
  error?: string | null;
  createdAt?: string | Date;
  startedAt?: string | Date | null;
  finishedAt?: string | Date | null;
  results?: RunResultFixture[];
}

/** Inserts a scrape run with its per-image results; the run's counts are derived from them. */
export async function insertRun(db: SqlRunner, f: RunFixture): Promise<string> {
  const id = f.id ?? uuidv7();
  const results = f.results ?? [];
  const done = results.filter((r) => !['PENDING', 'RUNNING'].includes(r.status ?? 'OK'));
  const failed = results.filter((r) => r.status === 'NOT_FOUND' || r.status === 'FAILED');
  const sum = (k: 'instancesAdded' | 'instancesUpdated') => results.reduce((s, r) => s + (r[k] ?? 0), 0);
  const status = f.status ?? 'SUCCEEDED';
  const createdAt = f.createdAt ?? new Date();
  await db.query(
    `INSERT INTO scrape_run (id, trigger, status, scope, error, created_at, started_at, finished_at, lease_expires_at,
       images_total, images_done, images_failed, resources_created, instances_added, instances_updated)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
    [
      id,
      f.trigger ?? 'SCHEDULE',
      status,
      f.scope ?? 'ALL',
      f.error ?? null,
      createdAt,
      f.startedAt === undefined ? createdAt : f.startedAt,
      f.finishedAt === undefined ? (['QUEUED', 'RUNNING'].includes(status) ? null : createdAt) : f.finishedAt,
      ['QUEUED', 'RUNNING'].includes(status) ? new Date(Date.now() + 30_000) : null,
      results.length,
      done.length,
      failed.length,
      results.filter((r) => r.resourceCreated).length,
      sum('instancesAdded'),
      sum('instancesUpdated'),
    ],
  );
  for (const r of results) {
    const image = parseImageName(r.image);
    await db.query(
      `INSERT INTO scrape_run_result (run_id, image, namespace, repository, position, max_tags, status, error, warning,
         attempts, started_at, finished_at, tags_seen, resource_created, instances_added, instances_updated)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10, $11, $12, $13, $14)`,
      [
        id,
        image.name,
        image.namespace,
        image.repository,
        r.position,
        r.maxTags ?? 10,
        r.status ?? 'OK',
        r.error ?? null,
        r.warning ?? null,
        createdAt,
        r.tagsSeen === undefined ? (r.status ?? 'OK') === 'OK' ? 10 : 0 : r.tagsSeen,
        r.resourceCreated ?? false,
        r.instancesAdded ?? 0,
        r.instancesUpdated ?? 0,
      ],
    );
  }
  return id;
}
