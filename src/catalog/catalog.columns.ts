import type { Label, ProcessingInstance, ProcessingResource } from './catalog.types';
import { Infrastructure, OriginType } from './catalog.types';

/**
 * GraphQL field → the SQL that reads it. Only the columns of requested fields are read;
 * `id` always is (cursors and nested loaders need it).
 */
export const RESOURCE_COLUMNS: Record<string, string> = {
  id: 'r.id',
  name: 'r.name',
  registry: 'r.registry',
  namespace: 'r.namespace',
  repository: 'r.repository',
  description: 'r.description',
  shortDescription: 'r.short_description AS "shortDescription"',
  logo: 'r.logo',
  owners: 'r.owners',
  infrastructure: 'r.infrastructure',
  openSource: 'r.open_source AS "openSource"',
  isService: 'r.is_service AS "isService"',
  isDraft: 'r.is_draft AS "isDraft"',
  starCount: 'r.star_count AS "starCount"',
  pullCount: 'r.pull_count AS "pullCount"',
  lastUpdated: 'r.upstream_last_updated AS "lastUpdated"',
  lastSyncedAt: '(SELECT t.last_synced_at FROM tracked_image t WHERE t.name = r.name) AS "lastSyncedAt"',
  editedFields: 'ARRAY(SELECT jsonb_object_keys(r.overridden) ORDER BY 1) AS "editedFields"',
  createdAt: 'r.created_at AS "createdAt"',
  updatedAt: 'r.updated_at AS "updatedAt"',
};

export const INSTANCE_COLUMNS: Record<string, string> = {
  id: 'i.id',
  resource: 'i.resource_id AS "resourceId"',
  name: 'i.name',
  creatorId: 'i.creator_id AS "creatorId"',
  isPeerless: `(i.creator_id = '' AND i.partnerships = '[]'::jsonb AND i.origin_ref <> '') AS "isPeerless"`,
  origin:
    'i.origin_type AS "originType", i.origin_ref AS "originRef", i.origin_license AS "originLicense", i.origin_verified AS "originVerified"',
  access:
    'i.access_image AS "accessImage", i.access_command AS "accessCommand", i.access_args AS "accessArgs", i.access_env AS "accessEnv", i.access_volumes AS "accessVolumes", ' +
    'i.image_env AS "imageEnv", i.exposed_ports AS "exposedPorts", i.working_dir AS "workingDir", i.image_user AS "imageUser"',
  labels: 'i.labels',
  sourceUrl: 'i.source_url AS "sourceUrl"',
  imageCreatedAt: 'i.image_created AS "imageCreatedAt"',
  upstreamStatus: 'i.upstream_status AS "upstreamStatus"',
  deletedUpstreamAt: 'i.deleted_upstream_at AS "deletedUpstreamAt"',
  digest: 'i.digest',
  fullSize: 'i.full_size AS "fullSize"',
  lastUpdated: 'i.upstream_last_updated AS "lastUpdated"',
  lastPushed: 'i.tag_last_pushed AS "lastPushed"',
  tagStatus: 'i.tag_status AS "tagStatus"',
  platforms: 'i.platforms',
  editedFields: 'ARRAY(SELECT jsonb_object_keys(i.overridden) ORDER BY 1) AS "editedFields"',
  createdAt: 'i.created_at AS "createdAt"',
  updatedAt: 'i.updated_at AS "updatedAt"',
};

/** The SELECT list for the requested fields; unknown names (`__typename`, resolvers) need no column. */
export function columnsFor(map: Record<string, string>, fields: ReadonlySet<string> | undefined): string {
  if (!fields) return Object.values(map).join(', ');
  const cols = new Set<string>([map.id]);
  for (const f of fields) if (map[f]) cols.add(map[f]);
  return [...cols].join(', ');
}

export interface InstanceRow {
  id: string;
  resourceId?: string;
  name?: string;
  creatorId?: string;
  isPeerless?: boolean;
  originType?: string;
  originRef?: string;
  originLicense?: string | null;
  originVerified?: boolean;
  accessImage?: string;
  accessCommand?: string[] | null;
  accessArgs?: string[] | null;
  accessEnv?: Record<string, string>;
  accessVolumes?: string[] | null;
  imageEnv?: string[] | null;
  exposedPorts?: { port: number; protocol: string }[] | null;
  workingDir?: string | null;
  imageUser?: string | null;
  labels?: Record<string, string> | Label[];
  [k: string]: unknown;
}

/** Flat row → the nested GraphQL shape (origin, access.container). */
export function toInstance(row: InstanceRow): ProcessingInstance {
  const out = row as unknown as ProcessingInstance & Record<string, unknown>;
  if (row.originRef !== undefined) {
    out.origin = {
      type: row.originType as OriginType,
      ref: row.originRef,
      license: row.originLicense ?? null,
      verified: row.originVerified ?? true,
    };
  }
  if (row.accessImage !== undefined) {
    out.access = {
      container: {
        image: row.accessImage,
        command: row.accessCommand ?? null,
        args: row.accessArgs ?? null,
        env: Object.entries(row.accessEnv ?? {}).map(([name, value]) => ({ name, value: String(value) })),
        volumes: row.accessVolumes ?? null,
        imageEnv: row.imageEnv ? row.imageEnv.map(envEntry) : null,
        exposedPorts: row.exposedPorts ?? null,
        workingDir: row.workingDir ?? null,
        user: row.imageUser ?? null,
      },
    };
  }
  if (row.labels !== undefined && !Array.isArray(row.labels)) {
    out.labels = Object.entries(row.labels)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => ({ key, value: String(value) }));
  }
  return out;
}

/** `KEY=value` → {name, value} (a bare `KEY` has an empty value). */
function envEntry(entry: string): { name: string; value: string } {
  const eq = entry.indexOf('=');
  return eq < 0 ? { name: entry, value: '' } : { name: entry.slice(0, eq), value: entry.slice(eq + 1) };
}

export function toResource(row: Record<string, unknown>): ProcessingResource {
  const out = row as unknown as ProcessingResource;
  if (row.infrastructure !== undefined) out.infrastructure = row.infrastructure as Infrastructure;
  return out;
}
