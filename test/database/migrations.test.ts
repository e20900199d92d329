import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DataSource } from 'typeorm';
import { createTestDatabase, TestDatabase } from '../support/db';
import { createDataSource, MIGRATION_LOCK_KEY, runMigrations } from '../../src/database/data-source';
import { createLogger } from '../../src/shared/logger';
import { MIGRATIONS } from '../../migrations';

const logger = createLogger('silent');
const CATALOG_TABLES = ['processing_instance', 'processing_resource', 'scrape_run', 'scrape_run_result', 'tracked_image'];
const LIVE_TABLES = ['catalog_event', 'webhook', 'webhook_delivery', 'webhook_delivery_attempt'];
const MIGRATION_NAMES = MIGRATIONS.map((m) => new m().name);

async function tables(db: TestDatabase): Promise<string[]> {
  const rows = await db.query<{ t: string }>(
    `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  return rows.map((r) => r.t);
}

async function constraints(db: TestDatabase): Promise<Map<string, { table: string; type: string; def: string }>> {
  const rows = await db.query<{ name: string; table: string; type: string; def: string }>(`
    SELECT c.conname AS name, t.relname AS table, c.contype::text AS type, pg_get_constraintdef(c.oid) AS def
    FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE n.nspname = 'public'`);
  return new Map(rows.map((r) => [r.name, r]));
}

async function indexes(db: TestDatabase): Promise<Map<string, { table: string; def: string }>> {
  const rows = await db.query<{ name: string; table: string; def: string }>(
    `SELECT indexname AS name, tablename AS table, indexdef AS def FROM pg_indexes WHERE schemaname = 'public'`,
  );
  return new Map(rows.map((r) => [r.name, r]));
}

function open(url: string, applicationName?: string): Promise<DataSource> {
  return createDataSource({ url, poolSize: 3, logger, applicationName }).initialize();
}

describe('migrations on an empty database', () => {
  let db: TestDatabase;
  let ds: DataSource;

  before(async () => {
    db = await createTestDatabase('migrations');
    ds = await open(db.url);
  });
  after(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  test('apply: every migration once, then nothing to do', async () => {
    assert.deepEqual(await tables(db), [], 'the database starts empty');
    assert.deepEqual(await runMigrations(ds, logger), MIGRATION_NAMES);
    assert.deepEqual(await tables(db), [...CATALOG_TABLES, ...LIVE_TABLES, 'typeorm_migrations'].sort());
    assert.deepEqual(await runMigrations(ds, logger), [], 'a second run applies nothing');
    const applied = await db.query<{ name: string }>('SELECT name FROM typeorm_migrations ORDER BY id');
    assert.deepEqual(
      applied.map((r) => r.name),
      MIGRATION_NAMES,
    );
    assert.equal(await ds.showMigrations(), false, 'nothing pending');
  });

  test('the schema has its keys, unique constraints, foreign keys and checks', async () => {
    const c = await constraints(db);
    const expectDef = (name: string, table: string, type: string, def: RegExp) => {
      const found = c.get(name);
      assert.ok(found, `constraint ${name} exists`);
      assert.equal(found.table, table, name);
      assert.equal(found.type, type, name);
      assert.match(found.def, def, name);
    };
    expectDef('pk_processing_resource', 'processing_resource', 'p', /^PRIMARY KEY \(id\)$/);
    expectDef('pk_processing_instance', 'processing_instance', 'p', /^PRIMARY KEY \(id\)$/);
    expectDef('pk_tracked_image', 'tracked_image', 'p', /^PRIMARY KEY \(id\)$/);
    expectDef('pk_scrape_run', 'scrape_run', 'p', /^PRIMARY KEY \(id\)$/);
    expectDef('pk_scrape_run_result', 'scrape_run_result', 'p', /^PRIMARY KEY \(run_id, image\)$/);
    expectDef('uq_processing_resource_name', 'processing_resource', 'u', /^UNIQUE \(name\)$/);
    expectDef('uq_processing_instance_origin_ref', 'processing_instance', 'u', /^UNIQUE \(origin_ref\)$/);
    expectDef('uq_processing_instance_resource_name', 'processing_instance', 'u', /^UNIQUE \(resource_id, name\)$/);
    expectDef('uq_tracked_image_name', 'tracked_image', 'u', /^UNIQUE \(name\)$/);
    expectDef('uq_tracked_image_position', 'tracked_image', 'u', /^UNIQUE \("?position"?\)$/);
    expectDef(
      'fk_processing_instance_resource',
      'processing_instance',
      'f',
      /^FOREIGN KEY \(resource_id\) REFERENCES processing_resource\(id\) ON DELETE CASCADE$/,
    );
    expectDef('fk_scrape_run_recovery_of', 'scrape_run', 'f', /^FOREIGN KEY \(recovery_of\) REFERENCES scrape_run\(id\) ON DELETE SET NULL$/);
    expectDef('fk_scrape_run_result_run', 'scrape_run_result', 'f', /^FOREIGN KEY \(run_id\) REFERENCES scrape_run\(id\) ON DELETE CASCADE$/);
    expectDef('ck_processing_resource_infrastructure', 'processing_resource', 'c', /infrastructure.*'DOCKER'/);
    expectDef('ck_processing_instance_origin_type', 'processing_instance', 'c', /'PUBLIC'.*'PRIVATE'/);
    expectDef('ck_tracked_image_source', 'tracked_image', 'c', /'DEFAULT'.*'CONFIG'.*'API'/);
    expectDef('ck_tracked_image_max_tags', 'tracked_image', 'c', /max_tags >= 1.*max_tags <= 10000/);
    expectDef('ck_scrape_run_status', 'scrape_run', 'c', /'QUEUED'.*'RUNNING'.*'SUCCEEDED'.*'PARTIAL'.*'FAILED'.*'INTERRUPTED'/);
    expectDef('ck_scrape_run_trigger', 'scrape_run', 'c', /'STARTUP'.*'SCHEDULE'.*'MANUAL'.*'RECOVERY'/);
    expectDef('ck_scrape_run_result_status', 'scrape_run_result', 'c', /'PENDING'.*'NOT_FOUND'.*'INTERRUPTED'/);
  });

  test('counts and sizes are bigint, jsonb where structured, timestamps with time zone', async () => {
    const rows = await db.query<{ t: string; c: string; type: string; nullable: string }>(`
      SELECT table_name AS t, column_name AS c, data_type AS type, is_nullable AS nullable
      FROM information_schema.columns WHERE table_schema = 'public'`);
    const col = (t: string, c: string) => {
      const r = rows.find((x) => x.t === t && x.c === c);
      assert.ok(r, `${t}.${c} exists`);
      return r;
    };
    assert.equal(col('processing_resource', 'pull_count').type, 'bigint');
    assert.equal(col('processing_resource', 'star_count').type, 'bigint');
    assert.equal(col('processing_instance', 'full_size').type, 'bigint');
    assert.equal(col('processing_instance', 'platforms').type, 'jsonb');
    assert.equal(col('processing_instance', 'access_env').type, 'jsonb');
    assert.equal(col('processing_instance', 'access_command').type, 'ARRAY');
    assert.equal(col('processing_resource', 'owners').type, 'jsonb');
    assert.equal(col('processing_resource', 'updated_at').type, 'timestamp with time zone');
    assert.equal(col('processing_resource', 'name').nullable, 'NO');
    assert.equal(col('processing_instance', 'origin_ref').nullable, 'NO');
    assert.equal(col('processing_instance', 'origin_license').nullable, 'YES');
  });

  test('indexes: trigram search, keyset orderings, partial work-queue indexes, one per foreign key', async () => {
    const ix = await indexes(db);
    const expectIndex = (name: string, table: string, def: RegExp) => {
      const found = ix.get(name);
      assert.ok(found, `index ${name} exists`);
      assert.equal(found.table, table, name);
      assert.match(found.def, def, name);
    };
    expectIndex('ix_processing_resource_name_trgm', 'processing_resource', /USING gin \(name gin_trgm_ops\)/);
    expectIndex('ix_processing_resource_short_description_trgm', 'processing_resource', /USING gin \(short_description gin_trgm_ops\)/);
    expectIndex('ix_processing_resource_updated_at', 'processing_resource', /btree \(updated_at, id\)/);
    expectIndex('ix_processing_resource_created_at', 'processing_resource', /btree \(created_at, id\)/);
    expectIndex('ix_processing_resource_pull_count', 'processing_resource', /btree \(pull_count, id\)/);
    expectIndex('ix_processing_resource_name_id', 'processing_resource', /btree \(name, id\)/);
    expectIndex('ix_processing_instance_resource_last_updated', 'processing_instance', /btree \(resource_id, COALESCE\(upstream_last_updated, '-infinity'.*\) DESC, id DESC\)/);
    expectIndex('ix_processing_instance_platforms', 'processing_instance', /USING gin \(platforms jsonb_path_ops\)/);
    expectIndex('ix_scrape_run_created_at', 'scrape_run', /btree \(created_at DESC, id DESC\)/);
    expectIndex('ix_scrape_run_active', 'scrape_run', /btree \(created_at\) WHERE \(status = ANY \(ARRAY\['QUEUED'::text, 'RUNNING'::text\]\)\)/);
    expectIndex('ix_scrape_run_result_unfinished', 'scrape_run_result', /btree \(run_id, "?position"?\) WHERE \(status = ANY \(ARRAY\['PENDING'::text, 'RUNNING'::text\]\)\)/);
    // At most one RUNNING claim per image, in any run.
    expectIndex('uq_scrape_run_result_running_image', 'scrape_run_result', /CREATE UNIQUE INDEX .* btree \(image\) WHERE \(status = 'RUNNING'::text\)/);
    // Unique constraints are backed by unique indexes.
    expectIndex('uq_processing_resource_name', 'processing_resource', /CREATE UNIQUE INDEX .* \(name\)/);
    expectIndex('uq_processing_instance_origin_ref', 'processing_instance', /CREATE UNIQUE INDEX .* \(origin_ref\)/);
    // Live changes: the feed read by id and image, pruned by age; the delivery queue.
    expectIndex('ix_catalog_event_image', 'catalog_event', /btree \(image, id\)/);
    expectIndex('ix_catalog_event_occurred_at', 'catalog_event', /btree \(occurred_at\)/);
    expectIndex('ix_webhook_delivery_due', 'webhook_delivery', /btree \(next_attempt_at\) WHERE \(status = ANY/);

    const [ext] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'pg_trgm'`);
    assert.equal(ext.n, 1, 'pg_trgm is installed');

    // Every foreign key has an index whose leading columns are the key's columns (deletes and joins stay cheap).
    const fks = await db.query<{ name: string; table: string; cols: number[]; relid: number }>(`
      SELECT c.conname AS name, t.relname AS table, c.conkey::int[] AS cols, c.conrelid::int AS relid
      FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE c.contype = 'f' AND n.nspname = 'public'`);
    assert.equal(fks.length, 5);
    for (const fk of fks) {
      const [covered] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_index i
         WHERE i.indrelid = $1 AND (string_to_array(i.indkey::text, ' ')::int[])[1:cardinality($2::int[])] = $2::int[]`,
        [fk.relid, fk.cols],
      );
      assert.ok(covered.n > 0, `foreign key ${fk.name} on ${fk.table} has an index`);
    }
  });

  test('the constraints hold: one resource per name, one instance per origin ref, cascade delete', async () => {
    const r1 = '0190a000-0000-7000-8000-000000000001';
    const r2 = '0190a000-0000-7000-8000-000000000002';
    await db.query(`INSERT INTO processing_resource (id, name, namespace, repository) VALUES ($1, 'nginx', 'library', 'nginx')`, [r1]);
    await assert.rejects(
      db.query(`INSERT INTO processing_resource (id, name, namespace, repository) VALUES ($1, 'nginx', 'library', 'nginx')`, [r2]),
      (e: { code?: string; constraint?: string }) => e.code === '23505' && e.constraint === 'uq_processing_resource_name',
    );
    const ins = `INSERT INTO processing_instance (id, resource_id, name, origin_ref, access_image) VALUES ($1, $2, $3, $4, $4)`;
    await db.query(ins, ['0190a000-0000-7000-8000-0000000000a1', r1, '1.27', 'docker.io/nginx:1.27']);
    await assert.rejects(
      db.query(ins, ['0190a000-0000-7000-8000-0000000000a2', r1, '1.27-x', 'docker.io/nginx:1.27']),
      (e: { code?: string; constraint?: string }) => e.code === '23505' && e.constraint === 'uq_processing_instance_origin_ref',
    );
    await assert.rejects(
      db.query(ins, ['0190a000-0000-7000-8000-0000000000a3', r2, 'x', 'docker.io/nope:x']),
      (e: { code?: string; constraint?: string }) => e.code === '23503' && e.constraint === 'fk_processing_instance_resource',
    );
    await assert.rejects(
      db.query(`UPDATE processing_resource SET infrastructure = 'K8S' WHERE id = $1`, [r1]),
      (e: { code?: string }) => e.code === '23514',
    );
    await db.query(`DELETE FROM processing_resource WHERE id = $1`, [r1]);
    const [left] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM processing_instance');
    assert.equal(left.n, 0, 'instances go with their resource');
  });

  test('the TypeORM entities agree with the migrations', async () => {
    const log = await ds.driver.createSchemaBuilder().log();
    const queries = log.upQueries.map((q) => q.query);
    assert.deepEqual(queries, [], `the entities differ from the migrated schema; synchronize would run:\n${queries.join(';\n')}`);

    // The comparison can fail: a schema that differs from the entities is noticed.
    await db.query(`ALTER TABLE tracked_image ALTER COLUMN enabled DROP DEFAULT`);
    await db.query(`ALTER TABLE processing_resource ADD COLUMN stray integer`);
    try {
      const drift = (await ds.driver.createSchemaBuilder().log()).upQueries.map((q) => q.query).join('\n');
      assert.match(drift, /"enabled" SET DEFAULT true/);
      assert.match(drift, /DROP COLUMN "stray"/);
    } finally {
      await db.query(`ALTER TABLE tracked_image ALTER COLUMN enabled SET DEFAULT true`);
      await db.query(`ALTER TABLE processing_resource DROP COLUMN stray`);
    }
    assert.deepEqual((await ds.driver.createSchemaBuilder().log()).upQueries.length, 0);
  });

  test('revert one by one down to an empty schema, then apply again', async () => {
    for (let left = MIGRATION_NAMES.length; left > 0; left--) {
      await ds.undoLastMigration({ transaction: 'each' });
      const rows = await db.query<{ name: string }>('SELECT name FROM typeorm_migrations ORDER BY id');
      assert.deepEqual(
        rows.map((r) => r.name),
        MIGRATION_NAMES.slice(0, left - 1),
      );
    }
    assert.deepEqual(await tables(db), ['typeorm_migrations'], 'no catalog table is left');
    const ix = [...(await indexes(db)).values()].filter((i) => i.table !== 'typeorm_migrations');
    assert.deepEqual(ix, [], 'no catalog index is left');
    const c = [...(await constraints(db)).values()].filter((x) => x.table !== 'typeorm_migrations');
    assert.deepEqual(c, [], 'no catalog constraint is left');

    assert.deepEqual(await runMigrations(ds, logger), MIGRATION_NAMES, 're-applied');
    assert.deepEqual(await tables(db), [...CATALOG_TABLES, ...LIVE_TABLES, 'typeorm_migrations'].sort());
    assert.equal((await ds.driver.createSchemaBuilder().log()).upQueries.length, 0);
  });
});

test('two processes migrating one empty database at once: both succeed, the migrations run once', async () => {
  const db = await createTestDatabase('migrations_race');
  const [a, b] = await Promise.all([open(db.url, 'replica-a'), open(db.url, 'replica-b')]);
  try {
    const [ranA, ranB] = await Promise.all([runMigrations(a, logger), runMigrations(b, logger)]);
    assert.deepEqual([...ranA, ...ranB], MIGRATION_NAMES, `applied once in all: a=${ranA} b=${ranB}`);
    const rows = await db.query<{ name: string }>('SELECT name FROM typeorm_migrations');
    assert.deepEqual(
      rows.map((r) => r.name),
      MIGRATION_NAMES,
    );
    assert.deepEqual(await tables(db), [...CATALOG_TABLES, ...LIVE_TABLES, 'typeorm_migrations'].sort());
    // The advisory lock is released afterwards.
    const [locks] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database
       WHERE l.locktype = 'advisory' AND d.datname = current_database()
         AND ((l.classid::bigint << 32) | l.objid::bigint) = $1`,
      [MIGRATION_LOCK_KEY],
    );
    assert.equal(locks.n, 0);
  } finally {
    await Promise.all([a.destroy(), b.destroy()]);
    await db.drop();
  }
});

test('the migration lock makes a second migrator wait', async () => {
  const db = await createTestDatabase('migrations_lock');
  const ds = await open(db.url);
  const holder = await open(db.url, 'lock-holder');
  const runner = holder.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    let done = false;
    const migrating = runMigrations(ds, logger).then((names) => {
      done = true;
      return names;
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(done, false, 'it waits while another process holds the lock');
    assert.deepEqual(await tables(db), [], 'and touches nothing meanwhile');
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    assert.deepEqual(await migrating, MIGRATION_NAMES);
  } finally {
    await runner.release();
    await holder.destroy();
    await ds.destroy();
    await db.drop();
  }
});
