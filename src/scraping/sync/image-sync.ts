import { v7 as uuidv7 } from 'uuid';
import type { Queryable } from '../../database/db';
import type { NewCatalogEvent } from '../../events/outbox';
import { dockerRef, ImageName } from '../../shared/image-name';
import { contentHash, DOCKER_HUB_OWNER, InstanceUpstream, ResourceUpstream } from './hub-mapping';

export interface ImageSyncResult {
  resourceId: string | null;
  resourceCreated: boolean;
  instancesAdded: number;
  /** Existing instances whose upstream content changed. */
  instancesUpdated: number;
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
): Promise<ImageSyncResult> {
  const result: ImageSyncResult = { resourceId: null, resourceCreated: false, instancesAdded: 0, instancesUpdated: 0, events: [] };
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
          open_source, is_service, is_draft, star_count, pull_count, upstream_last_updated, content_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, 'DOCKER', true, false, false, coalesce($9::bigint, 0), coalesce($10::bigint, 0), $11::timestamptz, $12)
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
        JSON.stringify([DOCKER_HUB_OWNER]),
        upstream.starCount,
        upstream.pullCount,
        upstream.lastUpdated,
        resourceHash,
      ],
    );
    if (inserted.length === 1) {
      result.resourceId = id;
      result.resourceCreated = true;
      result.events.push({ type: 'RESOURCE_CREATED', image: image.name, resourceId: id, data: { source: 'SCRAPE' } });
      result.instancesAdded = await insertInstances(tx, id, image, tags, result.events);
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
  if (tags.length === 0) return result;

  const refs = tags.map((t) => dockerRef(image, t.name));
  const existing = await tx.query<{ id: string; origin_ref: string; content_hash: string | null; digest: string | null }>(
    `SELECT id, origin_ref, content_hash, digest FROM processing_instance WHERE resource_id = $1 AND origin_ref = ANY($2::text[])`,
    [resource.id, refs],
  );
  const byRef = new Map(existing.map((e) => [e.origin_ref, e]));
  const missing: InstanceUpstream[] = [];
  const changed: { id: string; tag: InstanceUpstream; hash: string; previousDigest?: string | null }[] = [];
  tags.forEach((tag, i) => {
    const row = byRef.get(refs[i]);
    if (!row) missing.push(tag);
    else {
      const hash = contentHash(tag);
      if (row.content_hash !== hash) changed.push({ id: row.id, tag, hash, previousDigest: row.digest });
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
      data: { source: 'SCRAPE', tag: c.tag.name, ref: dockerRef(image, c.tag.name), digest: c.tag.digest, previousDigest: c.previousDigest ?? null },
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
): Promise<boolean> {
  const refs = tags.map((t) => dockerRef(image, t.name));
  const [row] = await q.query<{ hash: string | null; instances: Record<string, string | null> }>(
    `SELECT r.content_hash AS hash,
            coalesce(jsonb_object_agg(i.origin_ref, i.content_hash) FILTER (WHERE i.id IS NOT NULL), '{}') AS instances
     FROM processing_resource r
     LEFT JOIN processing_instance i ON i.resource_id = r.id AND i.origin_ref = ANY($2::text[])
     WHERE r.name = $1
     GROUP BY r.id`,
    [image.name, refs],
  );
  if (!row) return tags.length === 0;
  if (row.hash !== contentHash(upstream)) return false;
  return tags.every((t, i) => row.instances[refs[i]] === contentHash(t));
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

function instanceRecord(tag: InstanceUpstream, hash: string) {
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
  };
}

const RECORD_COLUMNS = `name text, env jsonb, digest text, full_size bigint, last_updated timestamptz, tag_status text,
  last_pushed timestamptz, platforms jsonb, hash text`;

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
        digest, full_size, upstream_last_updated, tag_status, tag_last_pushed, platforms, content_hash)
     SELECT x.id, $1, x.name, 'PUBLIC', x.ref, true, x.ref, x.env,
            x.digest, x.full_size, x.last_updated, x.tag_status, x.last_pushed, x.platforms, x.hash
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

async function updateInstances(tx: Queryable, changed: readonly { id: string; tag: InstanceUpstream; hash: string; previousDigest?: string | null }[]): Promise<number> {
  const records = changed.map((c) => ({ id: c.id, ...instanceRecord(c.tag, c.hash) }));
  // env is the one upstream-proposed field a user may take over: keep the edit, remember upstream.
  const rows = await tx.query(
    `UPDATE processing_instance i SET
       digest = x.digest, full_size = x.full_size, upstream_last_updated = x.last_updated,
       tag_status = x.tag_status, tag_last_pushed = x.last_pushed, platforms = x.platforms, content_hash = x.hash,
       access_env = CASE WHEN i.overridden ? 'env' THEN i.access_env ELSE x.env END,
       overridden = CASE WHEN i.overridden ? 'env' THEN jsonb_set(i.overridden, '{env}', x.env) ELSE i.overridden END,
       updated_at = CASE
         WHEN (i.digest, i.full_size, i.upstream_last_updated, i.tag_status, i.tag_last_pushed, i.platforms, i.access_env)
              IS DISTINCT FROM
              (x.digest, x.full_size, x.last_updated, x.tag_status, x.last_pushed, x.platforms,
               CASE WHEN i.overridden ? 'env' THEN i.access_env ELSE x.env END)
         THEN now() ELSE i.updated_at END
     FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, ${RECORD_COLUMNS})
     WHERE i.id = x.id
     RETURNING i.id`,
    [JSON.stringify(records)],
  );
  return rows.length;
}
