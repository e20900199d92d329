import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server the test runner prepared (embedded, or DATABASE_URL). */
export function adminDatabaseUrl(): string {
  const url = process.env.TEST_ADMIN_DATABASE_URL;
  if (!url) throw new Error('TEST_ADMIN_DATABASE_URL is not set: run the tests with `npm test` (scripts/run-tests.mjs)');
  return url;
}

export interface TestDatabase {
  url: string;
  name: string;
  /** A client for assertions and fixtures. */
  query<T = any>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/** A new, empty database on the test server: each test file gets its own, so files run in parallel. */
export async function createTestDatabase(prefix = 'catalog_test'): Promise<TestDatabase> {
  const admin = new pg.Client({ connectionString: adminDatabaseUrl() });
  await admin.connect();
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
  await admin.end();
  const u = new URL(adminDatabaseUrl());
  u.pathname = `/${name}`;
  const url = u.toString();
  const pool = new pg.Pool({ connectionString: url, max: 3 });
  return {
    url,
    name,
    async query(sql, params) {
      return (await pool.query(sql, params)).rows;
    },
    async drop() {
      await pool.end();
      const c = new pg.Client({ connectionString: adminDatabaseUrl() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`);
      await c.end();
    },
  };
}
