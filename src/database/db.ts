import pg from 'pg';
import type { DataSource } from 'typeorm';

// int8 (bigint, count(*)) as a JS number when it fits, as pg's default string otherwise.
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
});

/** Something that runs SQL: the pool, or a transaction's client. */
export interface Queryable {
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>;
}

/**
 * Thin access to TypeORM's `pg` pool for the services' hand-written SQL: the read path
 * maps rows straight to GraphQL objects, with no entity hydration in between.
 */
export class Db implements Queryable {
  constructor(readonly pool: pg.Pool) {}

  static fromDataSource(ds: DataSource): Db {
    const pool = (ds.driver as unknown as { master: pg.Pool }).master;
    if (!pool) throw new Error('the data source is not initialised');
    return new Db(pool);
  }

  async query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]> {
    const result = await this.pool.query(text, params as unknown[]);
    return result.rows as T[];
  }

  /** Runs `fn` in one transaction on one connection; rolls back when it throws. */
  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const tx: Queryable = {
      query: async <R>(text: string, params?: readonly unknown[]) => (await client.query(text, params as unknown[])).rows as R[],
    };
    let broken = false;
    // A connection lost between two statements (the server died or restarted) is an 'error'
    // event on the checked-out client; unhandled, it would end the process. The next
    // statement fails with it, and the client is thrown away on release.
    const onError = () => {
      broken = true;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const value = await fn(tx);
      await client.query('COMMIT');
      return value;
    } catch (e) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw e;
    } finally {
      client.removeListener('error', onError);
      client.release(broken ? true : undefined);
    }
  }
}

/** Collects positional parameters while a statement is built: `sql.p(value)` → `$n`. */
export class Params {
  readonly values: unknown[] = [];
  p(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Escapes `%`, `_` and `\` for a LIKE pattern and wraps the text in `%…%`. */
export function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, '\\$&')}%`;
}

/**
 * SQL that renders a sort key as text for a cursor, independently of the session's DateStyle
 * and TimeZone: timestamps as UTC ISO 8601 with microseconds (exact: a cursor must not lose
 * the sub-millisecond part), infinities as themselves.
 */
export function sortKeyText(expr: string, type: 'text' | 'timestamptz' | 'bigint'): string {
  if (type !== 'timestamptz') return `(${expr})::text`;
  return `CASE WHEN isfinite(${expr}) THEN to_char((${expr}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') ELSE (${expr})::text END`;
}

/**
 * What {@link sortKeyText} produces for a timestamp that a cursor can hold: `-infinity`
 * (the sort key of a missing date) or a finite instant; `infinity` is never produced.
 */
export const TIMESTAMP_KEY = /^(-infinity|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)$/;
