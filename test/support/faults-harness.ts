import fs from 'node:fs';
import type { TestDatabase } from './db';

/** Shared pieces of the process, replica and soak fault tests (test/faults/). */

/** A seeded pseudo-random generator (mulberry32), so that a failing trial can be replayed with its seed. */
export function seededRandom(seed: number): { next(): number; int(min: number, max: number): number; pick<T>(xs: readonly T[]): T } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
  };
}

/** A positive integer from the environment (documented in README's Development section), or the CI default. */
export function envInt(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
}

/** The seed of this run: FAULT_SEED, or a fresh one (printed by the tests, so that a failure can be replayed). */
export function faultSeed(): number {
  return envInt('FAULT_SEED', Math.floor(Math.random() * 2 ** 31));
}

export async function gql(url: string, query: string, variables?: unknown, token?: string): Promise<{ data?: any; errors?: any[] }> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: any[] };
}

/** `docker.io/<name>:<tag>` as src/shared/image-name.ts dockerRef prints it (official images without `library/`). */
export function expectedRef(resourceName: string, tag: string): string {
  return `docker.io/${resourceName}:${tag}`;
}

/**
 * The catalog invariants, as a list of violations (empty when they hold): every resource has
 * at least one instance, no origin ref twice, each ref names its resource and its tag, each
 * resource's name agrees with its namespace and repository.
 */
export async function catalogViolations(db: TestDatabase): Promise<string[]> {
  const out: string[] = [];
  const empty = await db.query(
    `SELECT r.name FROM processing_resource r WHERE NOT EXISTS (SELECT 1 FROM processing_instance i WHERE i.resource_id = r.id) ORDER BY 1`,
  );
  for (const r of empty) out.push(`resource ${r.name} has no instance`);
  const dupRefs = await db.query(`SELECT origin_ref, count(*)::int AS n FROM processing_instance GROUP BY 1 HAVING count(*) > 1`);
  for (const d of dupRefs) out.push(`origin ref ${d.origin_ref} appears ${d.n} times`);
  const dupNames = await db.query(`SELECT name, count(*)::int AS n FROM processing_resource GROUP BY 1 HAVING count(*) > 1`);
  for (const d of dupNames) out.push(`resource ${d.name} appears ${d.n} times`);
  const rows = await db.query(
    `SELECT r.name AS resource, r.namespace, r.repository, i.name AS tag, i.origin_ref FROM processing_instance i JOIN processing_resource r ON r.id = i.resource_id`,
  );
  for (const r of rows) {
    if (r.origin_ref !== expectedRef(r.resource, r.tag)) out.push(`instance ${r.resource}:${r.tag} has origin ref ${r.origin_ref}`);
    const name = r.namespace === 'library' ? r.repository : `${r.namespace}/${r.repository}`;
    if (name !== r.resource) out.push(`resource ${r.resource} is ${r.namespace}/${r.repository}`);
  }
  return out;
}

/** Every row id of the catalog, keyed by what it is (`resource` name, `resource:tag`). */
export async function catalogIds(db: TestDatabase): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const r of await db.query(`SELECT id, name FROM processing_resource`)) ids.set(r.name, r.id);
  for (const i of await db.query(`SELECT i.id, r.name AS resource, i.name AS tag FROM processing_instance i JOIN processing_resource r ON r.id = i.resource_id`)) {
    ids.set(`${i.resource}:${i.tag}`, i.id);
  }
  return ids;
}

/** Keys whose id changed or that disappeared between two {@link catalogIds} snapshots. */
export function changedIds(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...before].filter(([k, id]) => after.get(k) !== id).map(([k, id]) => `${k}: ${id} → ${after.get(k) ?? 'gone'}`);
}

/** Resident set size (kB), open file descriptors of a live process, from /proc. */
export function processStats(pid: number): { rssKb: number; fds: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
  const fds = fs.readdirSync(`/proc/${pid}/fd`).length;
  return { rssKb, fds };
}

/** Connections to this database, from pg_stat_activity (the caller's own pool included). */
export async function connectionCount(db: TestDatabase): Promise<number> {
  const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1`, [db.name]);
  return n;
}
