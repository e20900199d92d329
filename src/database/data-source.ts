import { DataSource, Logger as TypeOrmLogger } from 'typeorm';
import type { Logger } from '../shared/logger';
import { ENTITIES } from './entities';
import { MIGRATIONS } from '../../migrations';

/** Key of the session advisory lock that serialises migrations across replicas. */
export const MIGRATION_LOCK_KEY = 7_301_940_001;

export interface DataSourceOptions {
  url: string;
  poolSize: number;
  logger: Logger;
  applicationName?: string;
}

/** TypeORM over `pg`. The schema comes from migrations only: `synchronize` stays off. */
export function createDataSource(opts: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: opts.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    migrationsRun: false,
    logging: ['error', 'warn', 'migration'],
    logger: new PinoTypeOrmLogger(opts.logger),
    extra: {
      max: opts.poolSize,
      application_name: opts.applicationName ?? 'catalog-sync',
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
    },
  });
}

/**
 * Applies pending migrations while holding a PostgreSQL advisory lock, so replicas that
 * start together on an empty database run them once, one after the other.
 * Returns the names of the migrations this call applied.
 */
export async function runMigrations(ds: DataSource, logger: Logger): Promise<string[]> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const applied = await ds.runMigrations({ transaction: 'each' });
      const names = applied.map((m) => m.name);
      logger.info({ applied: names }, names.length ? 'migrations applied' : 'migrations up to date');
      return names;
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}

class PinoTypeOrmLogger implements TypeOrmLogger {
  constructor(private readonly logger: Logger) {}
  logQuery(): void {}
  logQueryError(error: string | Error, query: string): void {
    this.logger.debug({ err: error, query: query.slice(0, 500) }, 'query failed');
  }
  logQuerySlow(time: number, query: string): void {
    this.logger.warn({ ms: time, query: query.slice(0, 500) }, 'slow query');
  }
  logSchemaBuild(message: string): void {
    this.logger.debug(message);
  }
  logMigration(message: string): void {
    this.logger.info({ step: 'migrations' }, message);
  }
  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn({ message }, 'typeorm');
    else this.logger.debug({ message }, 'typeorm');
  }
}
