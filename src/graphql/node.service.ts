import { UUID_RE } from '../database/db';
import { BadUserInputError } from './errors';
import { NODE_TYPE, NodeTypeName } from './node';
import type { Services } from './services';

/** A malformed id is BAD_USER_INPUT naming it (`argument` is `id` or `ids[3]`). */
export function checkNodeId(argument: string, id: string): void {
  if (!UUID_RE.test(id)) throw BadUserInputError.field(argument, `"${id.slice(0, 100)}" is not an id of this API (a uuid)`);
}

/**
 * Loads objects of any node type by id: one SQL statement per type, whatever the number of
 * ids (the four run in parallel), so that a bare uuid is found wherever it lives. Returns
 * one entry per id, in order, null where no object has the id (unknown, deleted, or an
 * image taken off the tracked list). `fields` (the fields asked for, all types together) limits
 * the columns read of resources and instances.
 */
export async function loadNodes(services: Services, ids: readonly string[], fields?: ReadonlySet<string>): Promise<(object | null)[]> {
  const unique = [...new Set(ids.map((id) => id.toLowerCase()))];
  const [resources, instances, images, runs] = await Promise.all([
    services.catalog.resourcesByIds(unique, fields),
    services.catalog.instancesByIds(unique, fields),
    services.tracking.byIds(unique),
    services.runs.byIds(unique),
  ]);
  const found = new Map<string, object>();
  const add = (type: NodeTypeName, rows: readonly { id: string }[]) => {
    for (const row of rows) if (!found.has(row.id)) found.set(row.id, Object.assign(row, { [NODE_TYPE]: type }));
  };
  add('ProcessingResource', resources);
  add('ProcessingInstance', instances);
  add('TrackedImage', images);
  add('ScrapeRun', runs);
  return ids.map((id) => found.get(id.toLowerCase()) ?? null);
}
