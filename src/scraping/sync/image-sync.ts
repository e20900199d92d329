import { v7 as uuidv7 } from 'uuid';
import type { Queryable } from '../../database/db';
import type { NewCatalogEvent } from '../../events/outbox';
import { dockerRef, ImageName, isDockerHub } from '../../shared/image-name';
import { contentHash, DOCKER_HUB_OWNER, InstanceUpstream, ResourceUpstream } from './hub-mapping';

export interface ImageSyncResult {
  resourceId: string | null;
  resourceCreated: boolean;
  instancesAdded: number;
  /** Existing instances whose upstream content changed (or whose tag came back upstream). */
  instancesUpdated: number;
  /** Instances marked DELETED upstream by this write. */
  instancesDeleted: number;
  /** The change feed's events of this write (src/events/outbox.ts), for the caller to append last. */
  events: NewCatalogEvent[];
}

/** Resource fields a user may take over through the API; the hidden upstream value goes to `overridden`. */
const RESOURCE_OVERRIDABLE = ['description', 'shortDescription', 'logo'] as const;
type OverridableKey = (typeof RESOURCE_OVERRIDABLE)[number];

interface LockedResource {
  id: string;
  content_hash: string | null;
  overridden: Record<string, unknown>;
  description: string | null;
  short_description: string | null;
  logo: string | null;
}

/**
 * What the scrape knows about which tags exist upstream, for deleted tags: a tag is DELETED
 * only on proof (absent from a COMPLETE listing, or 404 on its manifest), never because a
 * partial listing (a failed page, the paging limit, the maxTags window) did not show it.
 */
export interface TagPresence {
  /** Every tag name of a complete upstream listing (before the tag filter); undefined when the listing was partial. */
  completeListing?: readonly string[];
  /** Tags whose manifest answered 404. */
  gone?: readonly string[];
}

/** Which catalog instances (by tag) should be DELETED, given what is known. */
function deletedSql(presence: TagPresence): { where: string; params: unknown[] } | null {
  const conds: string[] = [];
  const params: unknown[] = [];
  if (presence.completeListing) conds.push(`NOT (i.name = ANY($${params.push([...presence.completeListing]) + 1}::text[]))`);
  if (presence.gone && presence.gone.length > 0) conds.push(`i.name = ANY($${params.push([...presence.gone]) + 1}::text[])`);
  return conds.length > 0 ? { where: `(${conds.join(' OR ')})`, params } : null;
}

/**
 * Writes one image's upstream state into the catalog, inside the caller's transaction.
 *
 * New resource: created published with one peerless instance per tag. Existing one: the
 * resource row is rewritten only when its upstream content hash changed, missing tags are
 * added, and existing instances are rewritten only when their own hash changed. Fields set
 * through the API are never overwritten (their upstream value is kept in `overridden`), ids
 * never change, and tags that left the newest-N window stay. No tags → nothing is written.
 */
export async function syncImage(
  tx: Queryable,
  image: ImageName,
  upstream: ResourceUpstream,
  tags: readonly InstanceUpstream[],
  presence: TagPresence = {},
): Promise<ImageSyncResult> {
  const result: ImageSyncResult = { resourceId: null, resourceCreated: false, instancesAdded: 0, instancesUpdated: 0, instancesDeleted: 0, events: [] };
  const resourceHash = contentHash(upstream);
  let [resource] = await tx.query<LockedResource>(
    `SELECT id, content_hash, overridden, description, short_description, logo
     FROM processing_resource WHERE name = $1 FOR UPDATE`,
    [image.name],
  );
  if (!resource && tags.length === 0) return result;

  if (!resource) {
    const id = uuidv7();
    const inserted = await tx.query<{ id: string }>(
      `INSERT INTO processing_resource
         (id, name, namespace, repository, description, short_description, logo, owners, infrastructure,
          open_source, is_service, is_draft, star_count, pull_count, upstream_last_updated, content_hash, registry)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, 'DOCKER', true, false, false, coalesce($9::bigint, 0), coalesce($10::bigint, 0), $11::timestamptz, $12, $13)
       ON CONFLICT (name) DO NOTHING
       RETURNING id`,
      [
        id,
        image.name,
        image.namespace,
        image.repository,
        upstream.description,
        upstream.shortDescription,
        upstream.logo,
        JSON.stringify([isDockerHub(image) ? DOCKER_HUB_OWNER : registryOwner(image)]),
        upstream.starCount,
        upstream.pullCount,
        upstream.lastUpdated,
        resourceHash,
        image.registry,
      ],
    );
    if (inserted.length === 1) {
      result.resourceId = id;
      result.resourceCreated = true;
      result.events.push({ type: 'RESOURCE_CREATED', image: image.name, resourceId: id, data: { source: 'SCRAPE' } });
      result.instancesAdded = await insertInstances(tx, id, image, tags.filter((t) => !presence.gone?.includes(t.name)), result.events);
      return result;
    }
    // Created meanwhile by another transaction: lock it and continue as an update.
    [resource] = await tx.query<LockedResource>(
      `SELECT id, content_hash, overridden, description, short_description, logo
       FROM processing_resource WHERE name = $1 FOR UPDATE`,
      [image.name],
    );
  }

  result.resourceId = resource.id;
  if (resource.content_hash !== resourceHash) {
    await updateResource(tx, resource, upstream, resourceHash);
  }
  result.instancesDeleted = await markDeleted(tx, image, resource.id, presence, result.events);
  if (tags.length === 0) return result;

  const refs = tags.map((t) => dockerRef(image, t.name));
  const existing = await tx.query<{ id: string; origin_ref: string; content_hash: string | null; digest: string | null; deleted: boolean }>(
    `SELECT id, origin_ref, content_hash, digest, upstream_status = 'DELETED' AS deleted
     FROM processing_instance WHERE resource_id = $1 AND origin_ref = ANY($2::text[])`,
    [resource.id, refs],
  );
  const byRef = new Map(existing.map((e) => [e.origin_ref, e]));
  const missing: InstanceUpstream[] = [];
  const changed: { id: string; tag: InstanceUpstream; hash: string; previousDigest?: string | null; reappeared: boolean }[] = [];
  tags.forEach((tag, i) => {
    if (presence.gone?.includes(tag.name)) return; // listed, but its manifest is gone: markDeleted took it
    const row = byRef.get(refs[i]);
    if (!row) missing.push(tag);
    else {
      const hash = contentHash(tag);
      if (row.content_hash !== hash || row.deleted) changed.push({ id: row.id, tag, hash, previousDigest: row.digest, reappeared: row.deleted });
    }
  });
  if (missing.length > 0) result.instancesAdded = await insertInstances(tx, resource.id, image, missing, result.events);
  if (changed.length > 0) result.instancesUpdated = await updateInstances(tx, changed);
  for (const c of changed) {
    result.events.push({
      type: 'INSTANCE_UPDATED',
      image: image.name,
      resourceId: resource.id,
      instanceId: c.id,
      data: {
        source: 'SCRAPE',
        tag: c.tag.name,
        ref: dockerRef(image, c.tag.name),
        digest: c.tag.digest,
        previousDigest: c.previousDigest ?? null,
        ...(c.reappeared ? { upstreamStatus: 'ACTIVE', reappeared: true } : {}),
      },
    });
  }
  return result;
}

/**
 * True when the catalog already holds exactly this upstream state (every content hash
 * matches, no tag missing), or when there is nothing to store (no tags, no resource): the
 * image then needs no transaction and no write at all. One read, no lock.
 */
export async function upstreamUnchanged(
  q: Queryable,
  image: ImageName,
  upstream: ResourceUpstream,
  tags: readonly InstanceUpstream[],
  presence: TagPresence = {},
): Promise<boolean> {
  const refs = tags.map((t) => dockerRef(image, t.name));
  const deleted = deletedSql(presence);
  const [row] = await q.query<{ hash: string | null; instances: Record<string, string | null>; to_delete: boolean }>(
    `SELECT r.content_hash AS hash,
            coalesce(jsonb_object_agg(i.origin_ref, CASE WHEN i.upstream_status = 'DELETED' THEN 'deleted' ELSE i.content_hash END)
              FILTER (WHERE i.id IS NOT NULL), '{}') AS instances,
            ${
              deleted
                ? `EXISTS (SELECT 1 FROM processing_instance i WHERE i.resource_id = r.id AND i.upstream_status = 'ACTIVE' AND ${deleted.where.replace(/\$(\d+)/g, (_m, n: string) => `$${Number(n) + 1}`)})`
                : 'false'
            } AS to_delete
     FROM processing_resource r
     LEFT JOIN processing_instance i ON i.resource_id = r.id AND i.origin_ref = ANY($2::text[])
     WHERE r.name = $1
     GROUP BY r.id`,
    [image.name, refs, ...(deleted?.params ?? [])],
  );
  const live = tags.filter((t) => !presence.gone?.includes(t.name));
  if (!row) return live.length === 0;
  if (row.hash !== contentHash(upstream) || row.to_delete) return false;
  return tags.every((t, i) => presence.gone?.includes(t.name) || row.instances[refs[i]] === contentHash(t));
}

/** Marks DELETED the ACTIVE instances whose tag is proven gone; one INSTANCE_DELETED_UPSTREAM event each. */
async function markDeleted(tx: Queryable, image: ImageName, resourceId: string, presence: TagPresence, events: NewCatalogEvent[]): Promise<number> {
  const deleted = deletedSql(presence);
  if (!deleted) return 0;
  const rows = await tx.query<{ id: string; name: string; origin_ref: string; digest: string | null }>(
    `UPDATE processing_instance i SET upstream_status = 'DELETED', deleted_upstream_at = now(), updated_at = now()
     WHERE i.resource_id = $1 AND i.upstream_status = 'ACTIVE' AND ${deleted.where}
     RETURNING i.id, i.name, i.origin_ref, i.digest`,
    [resourceId, ...deleted.params],
  );
  for (const r of rows) {
    events.push({
      type: 'INSTANCE_DELETED_UPSTREAM',
      image: image.name,
      resourceId,
      instanceId: r.id,
      data: { source: 'SCRAPE', tag: r.name, ref: r.origin_ref, digest: r.digest, reason: presence.gone?.includes(r.name) ? 'MANIFEST_404' : 'NOT_LISTED' },
    });
  }
  return rows.length;
}

async function updateResource(tx: Queryable, current: LockedResource, upstream: ResourceUpstream, hash: string): Promise<void> {
  const columns: Record<OverridableKey, string | null> = {
    description: current.description,
    shortDescription: current.short_description,
    logo: current.logo,
  };
  const overridden = { ...current.overridden };
  const effective = { ...columns };
  for (const key of RESOURCE_OVERRIDABLE) {
    if (key in overridden) overridden[key] = upstream[key]; // edited through the API: keep the edit, remember upstream
    else effective[key] = upstream[key];
  }
  await tx.query(
    `UPDATE processing_resource r SET
       description = $2, short_description = $3, logo = $4, overridden = $5::jsonb,
       star_count = coalesce($6::bigint, r.star_count), pull_count = coalesce($7::bigint, r.pull_count),
       upstream_last_updated = $8::timestamptz, content_hash = $9,
       updated_at = CASE
         WHEN (r.description, r.short_description, r.logo, r.star_count, r.pull_count, r.upstream_last_updated)
              IS DISTINCT FROM ($2, $3, $4, coalesce($6::bigint, r.star_count), coalesce($7::bigint, r.pull_count), $8::timestamptz)
         THEN now() ELSE r.updated_at END
     WHERE r.id = $1`,
    [
      current.id,
      effective.description,
      effective.shortDescription,
      effective.logo,
      JSON.stringify(overridden),
      upstream.starCount,
      upstream.pullCount,
      upstream.lastUpdated,
      hash,
    ],
  );
}

/** The owner entry of a resource on another registry: the registry itself. */
function registryOwner(image: ImageName): { name: string; logo: string } {
  return { name: `https://${image.registry}/`, logo: '' };
}

function instanceRecord(tag: InstanceUpstream, hash: string) {
  const img = tag.image;
  return {
    name: tag.name,
    env: tag.env,
    digest: tag.digest,
    full_size: tag.fullSize,
    last_updated: tag.lastUpdated,
    tag_status: tag.tagStatus,
    last_pushed: tag.lastPushed,
    platforms: tag.platforms,
    hash,
    has_image: img !== undefined,
    labels: img?.labels ?? {},
    command: img?.command ?? null,
    args: img?.args ?? null,
    volumes: img?.volumes ?? null,
    exposed_ports: img?.exposedPorts ?? null,
    image_env: img?.env ?? null,
    working_dir: img?.workingDir ?? null,
    image_user: img?.user ?? null,
    license: img?.license ?? null,
    source_url: img?.sourceUrl ?? null,
    image_created: img?.created ?? null,
    config_digest: img?.configDigest ?? null,
    image_config: img ?? null,
  };
}

const RECORD_COLUMNS = `name text, env jsonb, digest text, full_size bigint, last_updated timestamptz, tag_status text,
  last_pushed timestamptz, platforms jsonb, hash text, has_image boolean, labels jsonb, command text[], args text[],
  volumes text[], exposed_ports jsonb, image_env jsonb, working_dir text, image_user text, license text, source_url text,
  image_created timestamptz, config_digest text, image_config jsonb`;

async function insertInstances(
  tx: Queryable,
  resourceId: string,
  image: ImageName,
  tags: readonly InstanceUpstream[],
  events: NewCatalogEvent[],
): Promise<number> {
  if (tags.length === 0) return 0;
  const records = tags.map((t) => ({ id: uuidv7(), ref: dockerRef(image, t.name), ...instanceRecord(t, contentHash(t)) }));
  const rows = await tx.query(
    `INSERT INTO processing_instance
       (id, resource_id, name, origin_type, origin_ref, origin_verified, access_image, access_env,
        digest, full_size, upstream_last_updated, tag_status, tag_last_pushed, platforms, content_hash,
        labels, access_command, access_args, access_volumes, exposed_ports, image_env, working_dir, image_user,
        origin_license, source_url, image_created, config_digest, image_config)
     SELECT x.id, $1, x.name, 'PUBLIC', x.ref, true, x.ref, x.env,
            x.digest, x.full_size, x.last_updated, x.tag_status, x.last_pushed, x.platforms, x.hash,
            x.labels, x.command, x.args, x.volumes, x.exposed_ports, x.image_env, x.working_dir, x.image_user,
            x.license, x.source_url, x.image_created, x.config_digest, x.image_config
     FROM jsonb_to_recordset($2::jsonb) AS x(id uuid, ref text, ${RECORD_COLUMNS})
     ON CONFLICT DO NOTHING
     RETURNING id, name, origin_ref, digest`,
    [resourceId, JSON.stringify(records)],
  );
  for (const r of rows as { id: string; name: string; origin_ref: string; digest: string | null }[]) {
    events.push({ type: 'INSTANCE_ADDED', image: image.name, resourceId, instanceId: r.id, data: { source: 'SCRAPE', tag: r.name, ref: r.origin_ref, digest: r.digest } });
  }
  return rows.length;
}

/**
 * The upstream-owned fields a user may take over through the API (updateInstance): GraphQL
 * field → column and how the record holds its upstream value. An edited field keeps its
 * column; its `overridden` entry follows upstream instead. Image-config fields follow
 * upstream only when the config was read (`has_image`).
 */
const INSTANCE_OVERRIDABLE = [
  { key: 'env', column: 'access_env', value: 'x.env', json: 'x.env', always: true },
  { key: 'command', column: 'access_command', value: 'x.command', json: 'to_jsonb(x.command)', always: false },
  { key: 'args', column: 'access_args', value: 'x.args', json: 'to_jsonb(x.args)', always: false },
  { key: 'volumes', column: 'access_volumes', value: 'x.volumes', json: 'to_jsonb(x.volumes)', always: false },
  { key: 'license', column: 'origin_license', value: 'x.license', json: 'to_jsonb(x.license)', always: false },
  { key: 'exposedPorts', column: 'exposed_ports', value: 'x.exposed_ports', json: 'x.exposed_ports', always: false },
] as const;

/** Upstream-only image-config columns: written whenever the config was read. */
const IMAGE_COLUMNS = [
  ['labels', 'x.labels'],
  ['image_env', 'x.image_env'],
  ['working_dir', 'x.working_dir'],
  ['image_user', 'x.image_user'],
  ['source_url', 'x.source_url'],
  ['image_created', 'x.image_created'],
  ['config_digest', 'x.config_digest'],
  ['image_config', 'x.image_config'],
] as const;

async function updateInstances(
  tx: Queryable,
  changed: readonly { id: string; tag: InstanceUpstream; hash: string; previousDigest?: string | null }[],
): Promise<number> {
  const records = changed.map((c) => ({ id: c.id, ...instanceRecord(c.tag, c.hash) }));
  const effective = INSTANCE_OVERRIDABLE.map(
    (f) => `CASE WHEN i.overridden ? '${f.key}'${f.always ? '' : ' OR NOT x.has_image'} THEN i.${f.column} ELSE ${f.value} END AS e_${f.key}`,
  );
  const image = IMAGE_COLUMNS.map(([col, v]) => `CASE WHEN x.has_image THEN ${v} ELSE i.${col} END AS e_${col}`);
  const overridden = `(SELECT coalesce(jsonb_object_agg(o.key, CASE o.key ${INSTANCE_OVERRIDABLE.map(
    (f) => `WHEN '${f.key}' THEN ${f.always ? f.json : `CASE WHEN x.has_image THEN ${f.json} ELSE o.value END`}`,
  ).join(' ')} ELSE o.value END), '{}'::jsonb) FROM jsonb_each(i.overridden) o)`;
  const compared = [...INSTANCE_OVERRIDABLE.map((f) => f.column), ...IMAGE_COLUMNS.map(([c]) => c)];
  const rows = await tx.query(
    `WITH x AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, ${RECORD_COLUMNS})),
     e AS (
       SELECT x.*, ${effective.join(', ')}, ${image.join(', ')}, ${overridden} AS e_overridden
       FROM x JOIN processing_instance i ON i.id = x.id)
     UPDATE processing_instance i SET
       digest = e.digest, full_size = e.full_size, upstream_last_updated = e.last_updated,
       tag_status = e.tag_status, tag_last_pushed = e.last_pushed, platforms = e.platforms, content_hash = e.hash,
       upstream_status = 'ACTIVE', deleted_upstream_at = NULL,
       ${INSTANCE_OVERRIDABLE.map((f) => `${f.column} = e.e_${f.key}`).join(', ')},
       ${IMAGE_COLUMNS.map(([c]) => `${c} = e.e_${c}`).join(', ')},
       overridden = e.e_overridden,
       updated_at = CASE
         WHEN (i.digest, i.full_size, i.upstream_last_updated, i.tag_status, i.tag_last_pushed, i.platforms, i.upstream_status,
               ${compared.map((c) => `i.${c}`).join(', ')})
              IS DISTINCT FROM
              (e.digest, e.full_size, e.last_updated, e.tag_status, e.last_pushed, e.platforms, 'ACTIVE',
               ${[...INSTANCE_OVERRIDABLE.map((f) => `e.e_${f.key}`), ...IMAGE_COLUMNS.map(([c]) => `e.e_${c}`)].join(', ')})
         THEN now() ELSE i.updated_at END
     FROM e
     WHERE i.id = e.id
     RETURNING i.id`,
    [JSON.stringify(records)],
  );
  return rows.length;
}
