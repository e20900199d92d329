import { createTestDatabase, TestDatabase } from '../test/support/db';
import { loadConfig, Config } from '../src/config/config';
import { startApp, App, StartOptions } from '../src/app';
import { createLogger } from '../src/shared/logger';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';

export { createTestDatabase };
export type { TestDatabase };

/** The app in this process (no HTTP unless asked), scheduler off: a benchmark drives it. */
export async function startBenchApp(databaseUrl: string, env: Record<string, string>, http = false, registry?: StartOptions['registry']): Promise<App> {
  const config: Config = loadConfig({
    DATABASE_URL: databaseUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    CATALOG_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-sync-bench-')),
    CATALOG_ADMIN_TOKEN: 'bench-admin-token-0123456789',
    DOCKER_SCRAPER_ENABLED: 'false',
    LOG_LEVEL: process.env.LOG_LEVEL || 'silent',
    ...env,
  });
  return startApp(config, { logger: createLogger(config.logLevel), http, registry });
}

/** (id, xmin) of every catalog row: any insert or update changes the set. */
export async function rowVersions(db: TestDatabase): Promise<Map<string, string>> {
  const rows = await db.query<{ id: string; xmin: string }>(
    `SELECT id, xmin::text FROM processing_resource UNION ALL SELECT id, xmin::text FROM processing_instance`,
  );
  return new Map(rows.map((r) => [r.id, r.xmin]));
}

export function rowsWritten(before: Map<string, string>, after: Map<string, string>): number {
  let n = 0;
  for (const [id, xmin] of after) if (before.get(id) !== xmin) n++;
  return n;
}

export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

export function fmt(n: number, digits = 2): string {
  return n.toFixed(digits);
}
