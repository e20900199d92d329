import { Db, Queryable, UUID_RE } from '../database/db';
import { ConflictError, NotFoundError } from '../graphql/errors';
import { appendApiEdit } from '../events/outbox';

/**
 * Manual enrichment of the catalog (updateResource, updateInstance).
 *
 * The contract with the sync engine, per row:
 * - the columns hold the effective values;
 * - the jsonb column `overridden` holds, for each field set through the API, the latest
 *   UPSTREAM value the edit hides, keyed by the GraphQL field name. A scrape that finds a
 *   new upstream value for an overridden field writes it there, never to the column.
 *
 * Setting a field stores the column's current value in `overridden` first (only when the key
 * is not there yet: it already holds the upstream value otherwise), then writes the column.
 * Clearing it (null) writes `overridden[key]` back to the column and drops the key: the field
 * belongs to upstream again. Flags that scrapes never write after creation (`isDraft`,
 * `isService`, `openSource`) just change their column. Nothing is written, and `updated_at`
 * stays, when nothing changes.
 */

/** An editable field: its column and how its value is bound. */
interface EditableField {
  column: string;
  cast: 'text' | 'text[]' | 'jsonb';
}

export const RESOURCE_EDITABLE: Record<string, EditableField> = {
  description: { column: 'description', cast: 'text' },
  shortDescription: { column: 'short_description', cast: 'text' },
  logo: { column: 'logo', cast: 'text' },
};
const RESOURCE_FLAGS: Record<string, string> = { isDraft: 'is_draft', isService: 'is_service', openSource: 'open_source' };

export const INSTANCE_EDITABLE: Record<string, EditableField> = {
  license: { column: 'origin_license', cast: 'text' },
  command: { column: 'access_command', cast: 'text[]' },
  args: { column: 'access_args', cast: 'text[]' },
  env: { column: 'access_env', cast: 'jsonb' },
  volumes: { column: 'access_volumes', cast: 'text[]' },
  exposedPorts: { column: 'exposed_ports', cast: 'jsonb' },
};

export interface ResourcePatch {
  id: string;
  /** When given, the row must still have this `updated_at` (millisecond precision), else CONFLICT. */
  expectedUpdatedAt?: Date | null;
  isDraft?: boolean;
  description?: string | null;
  shortDescription?: string | null;
  logo?: string | null;
  isService?: boolean;
  openSource?: boolean;
}

export interface InstancePatch {
  id: string;
  expectedUpdatedAt?: Date | null;
  license?: string | null;
  command?: string[] | null;
  args?: string[] | null;
  /** The whole environment, as a name → value map. */
  env?: Record<string, string> | null;
  volumes?: string[] | null;
  exposedPorts?: { port: number; protocol: string }[] | null;
}

interface Table {
  name: 'processing_resource' | 'processing_instance';
  what: string;
  editable: Record<string, EditableField>;
  flags: Record<string, string>;
}

const RESOURCES: Table = { name: 'processing_resource', what: 'resource', editable: RESOURCE_EDITABLE, flags: RESOURCE_FLAGS };
const INSTANCES: Table = { name: 'processing_instance', what: 'instance', editable: INSTANCE_EDITABLE, flags: {} };

export class EnrichmentService {
  constructor(private readonly db: Db) {}

  /** Applies the patch; true when something changed. NOT_FOUND for an unknown id. */
  updateResource(patch: ResourcePatch): Promise<boolean> {
    return this.edit(RESOURCES, patch.id, patch as unknown as Record<string, unknown>);
  }

  updateInstance(patch: InstancePatch): Promise<boolean> {
    return this.edit(INSTANCES, patch.id, patch as unknown as Record<string, unknown>);
  }

  private async edit(table: Table, id: string, patch: Record<string, unknown>): Promise<boolean> {
    if (!UUID_RE.test(id)) throw notFound(table, id);
    return this.db.transaction(async (tx) => {
      const row = await this.lockRow(tx, table, id);
      const expected = patch.expectedUpdatedAt as Date | null | undefined;
      const actual = row.updated_at as Date;
      if (expected && expected.getTime() !== actual.getTime()) {
        throw new ConflictError(
          `The ${table.what} changed since ${expected.toISOString()}: it was last updated at ${actual.toISOString()}. ` +
            'Read it again, then retry with its new updatedAt.',
        );
      }
      const overridden: Record<string, unknown> = { ...(row.overridden as Record<string, unknown>) };
      let overriddenChanged = false;
      const sets: { column: string; cast: string; value: unknown }[] = [];

      for (const [key, field] of Object.entries(table.editable)) {
        const value = patch[key];
        if (value === undefined) continue;
        const current = row[field.column] ?? null;
        if (value === null) {
          if (!Object.prototype.hasOwnProperty.call(overridden, key)) continue; // not edited: nothing to hand back
          const upstream = overridden[key] ?? null;
          delete overridden[key];
          overriddenChanged = true;
          // access_env is NOT NULL: an absent upstream environment is the empty one.
          const restored = upstream === null && key === 'env' ? {} : upstream; // env is a map, never null
          if (!sameValue(restored, current)) sets.push({ ...field, value: restored });
        } else {
          if (!Object.prototype.hasOwnProperty.call(overridden, key)) {
            overridden[key] = current;
            overriddenChanged = true;
          }
          if (!sameValue(value, current)) sets.push({ ...field, value });
        }
      }
      for (const [key, column] of Object.entries(table.flags)) {
        const value = patch[key];
        if (value === undefined || value === null || value === row[column]) continue;
        sets.push({ column, cast: 'boolean', value });
      }
      if (overriddenChanged) sets.push({ column: 'overridden', cast: 'jsonb', value: overridden });
      if (sets.length === 0) return false;

      const params: unknown[] = [id];
      const assignments = sets.map((s) => `${s.column} = $${params.push(s.cast === 'jsonb' ? JSON.stringify(s.value) : s.value)}::${s.cast}`);
      await tx.query(`UPDATE ${table.name} SET ${assignments.join(', ')}, updated_at = now() WHERE id = $1`, params);
      const fields = [...Object.entries(table.editable), ...Object.entries(table.flags).map(([k, c]) => [k, { column: c }] as const)]
        .filter(([, f]) => sets.some((s) => s.column === f.column))
        .map(([k]) => k);
      if (fields.length > 0) await appendApiEdit(tx, table === RESOURCES ? 'resource' : 'instance', id, fields); // the change feed: last
      return true;
    });
  }

  private async lockRow(tx: Queryable, table: Table, id: string): Promise<Record<string, unknown>> {
    const columns = [...Object.values(table.editable).map((f) => f.column), ...Object.values(table.flags), 'overridden', 'updated_at'];
    const [row] = await tx.query<Record<string, unknown>>(`SELECT ${columns.join(', ')} FROM ${table.name} WHERE id = $1 FOR UPDATE`, [id]);
    if (!row) throw notFound(table, id);
    return row;
  }
}

function notFound(table: Table, id: string): NotFoundError {
  return new NotFoundError(`No ${table.what} has the id "${id}".`, { id });
}

/** Deep equality of JSON-like values; object key order does not matter. */
export function sameValue(a: unknown, b: unknown): boolean {
  return canonical(a ?? null) === canonical(b ?? null);
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0)))
      : x,
  );
}
