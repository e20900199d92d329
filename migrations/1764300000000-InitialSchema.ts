import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The catalog (processing_resource, processing_instance), the tracked image list and the
 * scrape run history with its per-image results, which double as the work queue that
 * replicas claim from.
 */
export class InitialSchema1764300000000 implements MigrationInterface {
  name = 'InitialSchema1764300000000';

  async up(q: QueryRunner): Promise<void> {
    // Trigram indexes make case-insensitive substring search (ILIKE '%x%') index-backed.
    await q.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);

    await q.query(`
      CREATE TABLE processing_resource (
        id uuid NOT NULL,
        name text NOT NULL,
        namespace text NOT NULL,
        repository text NOT NULL,
        description text,
        short_description text,
        logo text,
        owners jsonb NOT NULL DEFAULT '[]',
        infrastructure text NOT NULL DEFAULT 'DOCKER',
        open_source boolean NOT NULL DEFAULT true,
        is_service boolean NOT NULL DEFAULT false,
        is_draft boolean NOT NULL DEFAULT true,
        star_count bigint NOT NULL DEFAULT 0,
        pull_count bigint NOT NULL DEFAULT 0,
        upstream_last_updated timestamptz,
        content_hash text,
        overridden jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_processing_resource PRIMARY KEY (id),
        CONSTRAINT uq_processing_resource_name UNIQUE (name),
        CONSTRAINT ck_processing_resource_infrastructure CHECK (infrastructure IN ('DOCKER'))
      )`);
    await q.query(`CREATE INDEX ix_processing_resource_name_trgm ON processing_resource USING gin (name gin_trgm_ops)`);
    await q.query(
      `CREATE INDEX ix_processing_resource_short_description_trgm ON processing_resource USING gin (short_description gin_trgm_ops)`,
    );
    await q.query(`CREATE INDEX ix_processing_resource_updated_at ON processing_resource (updated_at, id)`);
    await q.query(`CREATE INDEX ix_processing_resource_created_at ON processing_resource (created_at, id)`);
    await q.query(`CREATE INDEX ix_processing_resource_pull_count ON processing_resource (pull_count, id)`);

    await q.query(`
      CREATE TABLE processing_instance (
        id uuid NOT NULL,
        resource_id uuid NOT NULL,
        name text NOT NULL,
        creator_id text NOT NULL DEFAULT '',
        partnerships jsonb NOT NULL DEFAULT '[]',
        origin_type text NOT NULL DEFAULT 'PUBLIC',
        origin_ref text NOT NULL,
        origin_license text,
        origin_verified boolean NOT NULL DEFAULT true,
        access_image text NOT NULL,
        access_command text[],
        access_args text[],
        access_env jsonb NOT NULL DEFAULT '{}',
        access_volumes text[],
        digest text,
        full_size bigint,
        upstream_last_updated timestamptz,
        tag_status text,
        tag_last_pushed timestamptz,
        platforms jsonb NOT NULL DEFAULT '[]',
        content_hash text,
        overridden jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_processing_instance PRIMARY KEY (id),
        CONSTRAINT uq_processing_instance_origin_ref UNIQUE (origin_ref),
        CONSTRAINT uq_processing_instance_resource_name UNIQUE (resource_id, name),
        CONSTRAINT ck_processing_instance_origin_type CHECK (origin_type IN ('PUBLIC', 'PRIVATE')),
        CONSTRAINT fk_processing_instance_resource FOREIGN KEY (resource_id)
          REFERENCES processing_resource (id) ON DELETE CASCADE
      )`);
    // Newest tags first within a resource; NULL dates sort last (as -infinity).
    await q.query(`
      CREATE INDEX ix_processing_instance_resource_last_updated ON processing_instance
        (resource_id, (coalesce(upstream_last_updated, '-infinity'::timestamptz)) DESC, id DESC)`);
    await q.query(`CREATE INDEX ix_processing_instance_platforms ON processing_instance USING gin (platforms jsonb_path_ops)`);

    await q.query(`
      CREATE TABLE tracked_image (
        id uuid NOT NULL,
        position bigint GENERATED ALWAYS AS IDENTITY,
        name text NOT NULL,
        namespace text NOT NULL,
        repository text NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        max_tags integer,
        source text NOT NULL,
        removed_at timestamptz,
        removed_by text,
        last_status text,
        last_error text,
        last_scraped_at timestamptz,
        last_synced_at timestamptz,
        last_run_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_tracked_image PRIMARY KEY (id),
        CONSTRAINT uq_tracked_image_name UNIQUE (name),
        CONSTRAINT uq_tracked_image_position UNIQUE (position),
        CONSTRAINT ck_tracked_image_source CHECK (source IN ('DEFAULT', 'CONFIG', 'API')),
        CONSTRAINT ck_tracked_image_removed_by CHECK (removed_by IN ('API', 'CONFIG')),
        CONSTRAINT ck_tracked_image_max_tags CHECK (max_tags BETWEEN 1 AND 10000),
        CONSTRAINT ck_tracked_image_last_status CHECK (last_status IN ('OK', 'NO_TAGS', 'NOT_FOUND', 'FAILED'))
      )`);

    await q.query(`
      CREATE TABLE scrape_run (
        id uuid NOT NULL,
        trigger text NOT NULL,
        status text NOT NULL,
        scope text NOT NULL,
        error text,
        recovery_of uuid,
        requested_by text,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        lease_expires_at timestamptz,
        images_total integer NOT NULL DEFAULT 0,
        images_done integer NOT NULL DEFAULT 0,
        images_failed integer NOT NULL DEFAULT 0,
        resources_created integer NOT NULL DEFAULT 0,
        instances_added integer NOT NULL DEFAULT 0,
        instances_updated integer NOT NULL DEFAULT 0,
        CONSTRAINT pk_scrape_run PRIMARY KEY (id),
        CONSTRAINT ck_scrape_run_trigger CHECK (trigger IN ('STARTUP', 'SCHEDULE', 'MANUAL', 'RECOVERY')),
        CONSTRAINT ck_scrape_run_status CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'PARTIAL', 'FAILED', 'INTERRUPTED')),
        CONSTRAINT ck_scrape_run_scope CHECK (scope IN ('ALL', 'SUBSET')),
        CONSTRAINT fk_scrape_run_recovery_of FOREIGN KEY (recovery_of) REFERENCES scrape_run (id) ON DELETE SET NULL
      )`);
    await q.query(`CREATE INDEX ix_scrape_run_created_at ON scrape_run (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX ix_scrape_run_active ON scrape_run (created_at) WHERE status IN ('QUEUED', 'RUNNING')`);
    await q.query(`CREATE INDEX ix_scrape_run_recovery_of ON scrape_run (recovery_of)`);

    await q.query(`
      CREATE TABLE scrape_run_result (
        run_id uuid NOT NULL,
        image text NOT NULL,
        namespace text NOT NULL,
        repository text NOT NULL,
        position integer NOT NULL,
        max_tags integer NOT NULL,
        status text NOT NULL DEFAULT 'PENDING',
        error text,
        warning text,
        claimed_by text,
        lease_expires_at timestamptz,
        attempts integer NOT NULL DEFAULT 0,
        started_at timestamptz,
        finished_at timestamptz,
        tags_seen integer,
        resource_created boolean NOT NULL DEFAULT false,
        instances_added integer NOT NULL DEFAULT 0,
        instances_updated integer NOT NULL DEFAULT 0,
        CONSTRAINT pk_scrape_run_result PRIMARY KEY (run_id, image),
        CONSTRAINT ck_scrape_run_result_status CHECK (status IN ('PENDING', 'RUNNING', 'OK', 'NO_TAGS', 'NOT_FOUND', 'FAILED', 'INTERRUPTED')),
        CONSTRAINT fk_scrape_run_result_run FOREIGN KEY (run_id) REFERENCES scrape_run (id) ON DELETE CASCADE
      )`);
    // The work queue: unfinished images of a run, in list order.
    await q.query(`
      CREATE INDEX ix_scrape_run_result_unfinished ON scrape_run_result (run_id, position)
        WHERE status IN ('PENDING', 'RUNNING')`);
    // An image is scraped by one run at a time: at most one RUNNING claim per image, in any run.
    await q.query(`CREATE UNIQUE INDEX uq_scrape_run_result_running_image ON scrape_run_result (image) WHERE status = 'RUNNING'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE scrape_run_result`);
    await q.query(`DROP TABLE scrape_run`);
    await q.query(`DROP TABLE tracked_image`);
    await q.query(`DROP TABLE processing_instance`);
    await q.query(`DROP TABLE processing_resource`);
    // pg_trgm stays: other schemas in the database may use it.
  }
}
