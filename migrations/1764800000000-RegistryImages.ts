import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Any OCI registry, and what the image itself says (issue 10): the registry host of
 * every tracked image and resource (`docker.io` for Docker Hub, backfilled), each tracked
 * image's tag filter, the image config's details on every instance (labels, exposed ports,
 * default env, working dir, user, source URL, created time), deleted-upstream tags, and
 * the run counters for deleted instances and requests per registry host.
 */
export class RegistryImages1764800000000 implements MigrationInterface {
  name = 'RegistryImages1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tracked_image
      ADD COLUMN registry text NOT NULL DEFAULT 'docker.io',
      ADD COLUMN tag_include text,
      ADD COLUMN tag_exclude text`);
    await q.query(`ALTER TABLE processing_resource ADD COLUMN registry text NOT NULL DEFAULT 'docker.io'`);
    await q.query(`CREATE INDEX ix_processing_resource_registry ON processing_resource (registry, id)`);
    await q.query(`ALTER TABLE processing_instance
      ADD COLUMN labels jsonb NOT NULL DEFAULT '{}',
      ADD COLUMN exposed_ports jsonb,
      ADD COLUMN image_env jsonb,
      ADD COLUMN working_dir text,
      ADD COLUMN image_user text,
      ADD COLUMN source_url text,
      ADD COLUMN image_created timestamptz,
      ADD COLUMN config_digest text,
      ADD COLUMN image_config jsonb,
      ADD COLUMN upstream_status text NOT NULL DEFAULT 'ACTIVE',
      ADD COLUMN deleted_upstream_at timestamptz,
      ADD CONSTRAINT ck_processing_instance_upstream_status CHECK (upstream_status IN ('ACTIVE', 'DELETED'))`);
    await q.query(`ALTER TABLE scrape_run
      ADD COLUMN instances_deleted integer NOT NULL DEFAULT 0,
      ADD COLUMN requests jsonb NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE scrape_run_result
      ADD COLUMN registry text NOT NULL DEFAULT 'docker.io',
      ADD COLUMN path text,
      ADD COLUMN instances_deleted integer NOT NULL DEFAULT 0,
      ADD COLUMN requests jsonb NOT NULL DEFAULT '{}'`);
    await q.query(`UPDATE scrape_run_result SET path = namespace || '/' || repository`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE scrape_run_result DROP COLUMN requests, DROP COLUMN instances_deleted, DROP COLUMN path, DROP COLUMN registry`);
    await q.query(`ALTER TABLE scrape_run DROP COLUMN requests, DROP COLUMN instances_deleted`);
    await q.query(`ALTER TABLE processing_instance
      DROP CONSTRAINT ck_processing_instance_upstream_status,
      DROP COLUMN deleted_upstream_at, DROP COLUMN upstream_status, DROP COLUMN image_config, DROP COLUMN config_digest, DROP COLUMN image_created,
      DROP COLUMN source_url, DROP COLUMN image_user, DROP COLUMN working_dir, DROP COLUMN image_env,
      DROP COLUMN exposed_ports, DROP COLUMN labels`);
    await q.query(`DROP INDEX ix_processing_resource_registry`);
    await q.query(`ALTER TABLE processing_resource DROP COLUMN registry`);
    await q.query(`ALTER TABLE tracked_image DROP COLUMN tag_exclude, DROP COLUMN tag_include, DROP COLUMN registry`);
  }
}
