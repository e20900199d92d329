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
  /**
   * Server-side limit of one statement (`statement_timeout`); the client gives up on an
   * answer (`query_timeout`) 2 s after it, in case the server cannot even say so (stalled).
   * 0: no limit (migrations, which may build indexes for minutes).
   */
  statementTimeoutMs?: number;
  /** Longest wait for a pooled connection, or for a new one to be made (pool acquire timeout). */
  acquireTimeoutMs?: number;
}

/** Default deadlines of the pool (DATABASE_STATEMENT_TIMEOUT, DATABASE_ACQUIRE_TIMEOUT). */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;
export const DEFAULT_ACQUIRE_TIMEOUT_MS = 10_000;

/** TypeORM over `pg`. The schema comes from migrations only: `synchronize` stays off. */
export function createDataSource(opts: DataSourceOptions): DataSource {
  const statementTimeout = opts.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
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
      connectionTimeoutMillis: opts.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS,
      idleTimeoutMillis: 30_000,
      ...(statementTimeout > 0 ? { statement_timeout: statementTimeout, query_timeout: statementTimeout + 2_000 } : {}),
      // A connection that the server (or the network) dropped is noticed by the kernel.
      keepAlive: true,
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
