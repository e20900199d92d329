import DataLoader from 'dataloader';

/**
 * Per-request DataLoaders, grouped by a key that captures everything besides the parent id
 * (arguments, selected fields), so that one batched statement serves every parent that
 * asked the same thing.
 */
export class LoaderRegistry {
  private readonly loaders = new Map<string, DataLoader<string, unknown>>();

  get<V>(key: string, batch: (ids: readonly string[]) => Promise<readonly (V | Error)[]>): DataLoader<string, V> {
    let loader = this.loaders.get(key) as DataLoader<string, V> | undefined;
    if (!loader) {
      loader = new DataLoader<string, V>(batch, { maxBatchSize: 1000 });
      this.loaders.set(key, loader as DataLoader<string, unknown>);
    }
    return loader;
  }
}

/** Rows in the order of `keys`, null where a key found none: what a DataLoader batch returns. */
export function alignBy<K, R>(keys: readonly K[], rows: readonly R[], keyOf: (row: R) => K): (R | null)[] {
  const found = new Map(rows.map((r) => [keyOf(r), r]));
  return keys.map((k) => found.get(k) ?? null);
}

/** A stable key for arguments: JSON with sorted object keys. */
export function argsKey(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
