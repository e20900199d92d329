import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Live changes: the change feed (an outbox written in the transaction of every catalog
 * change) and webhooks with their deliveries and every delivery attempt.
 */
export class LiveChanges1764600000000 implements MigrationInterface {
  name = 'LiveChanges1764600000000';

  async up(q: QueryRunner): Promise<void> {
    // Ids are handed out under an advisory lock held until commit (src/events/outbox.ts), so
    // they are in commit order: a reader that reads past id N never misses an id below N later.
    await q.query(`
      CREATE TABLE catalog_event (
        id bigint GENERATED ALWAYS AS IDENTITY,
        type text NOT NULL,
        occurred_at timestamptz NOT NULL DEFAULT now(),
        image text,
        resource_id uuid,
        instance_id uuid,
        run_id uuid,
        data jsonb NOT NULL DEFAULT '{}',
        CONSTRAINT pk_catalog_event PRIMARY KEY (id),
        CONSTRAINT ck_catalog_event_type CHECK (type IN ('RESOURCE_CREATED', 'RESOURCE_UPDATED', 'INSTANCE_ADDED', 'INSTANCE_UPDATED',
          'INSTANCE_DELETED_UPSTREAM', 'SCRAPE_RUN_STARTED', 'SCRAPE_RUN_FINISHED'))
      )`);
    await q.query(`CREATE INDEX ix_catalog_event_occurred_at ON catalog_event (occurred_at)`);
    await q.query(`CREATE INDEX ix_catalog_event_image ON catalog_event (image, id)`);

    await q.query(`
      CREATE TABLE webhook (
        id uuid NOT NULL,
        url text NOT NULL,
        description text NOT NULL DEFAULT '',
        events text[] NOT NULL DEFAULT '{}',
        images text[] NOT NULL DEFAULT '{}',
        secret text NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        disabled_reason text,
        failing_since timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_webhook PRIMARY KEY (id)
      )`);

    await q.query(`
      CREATE TABLE webhook_delivery (
        id uuid NOT NULL,
        webhook_id uuid NOT NULL,
        event_id bigint,
        event_type text NOT NULL,
        payload jsonb,
        status text NOT NULL DEFAULT 'PENDING',
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        claimed_by text,
        lease_expires_at timestamptz,
        last_response_status integer,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        CONSTRAINT pk_webhook_delivery PRIMARY KEY (id),
        CONSTRAINT uq_webhook_delivery_event UNIQUE (webhook_id, event_id),
        CONSTRAINT ck_webhook_delivery_status CHECK (status IN ('PENDING', 'SENDING', 'SUCCEEDED', 'FAILED')),
        CONSTRAINT fk_webhook_delivery_webhook FOREIGN KEY (webhook_id) REFERENCES webhook (id) ON DELETE CASCADE
      )`);
    // The delivery queue: what is due, or claimed by a process whose lease may have expired.
    await q.query(`CREATE INDEX ix_webhook_delivery_due ON webhook_delivery (next_attempt_at) WHERE status IN ('PENDING', 'SENDING')`);
    await q.query(`CREATE INDEX ix_webhook_delivery_webhook ON webhook_delivery (webhook_id, created_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE webhook_delivery_attempt (
        delivery_id uuid NOT NULL,
        attempt integer NOT NULL,
        started_at timestamptz NOT NULL,
        duration_ms integer NOT NULL,
        response_status integer,
        error text,
        outcome text NOT NULL,
        worker text NOT NULL,
        CONSTRAINT pk_webhook_delivery_attempt PRIMARY KEY (delivery_id, attempt),
        CONSTRAINT ck_webhook_delivery_attempt_outcome CHECK (outcome IN ('SUCCEEDED', 'RETRY', 'FAILED')),
        CONSTRAINT fk_webhook_delivery_attempt_delivery FOREIGN KEY (delivery_id) REFERENCES webhook_delivery (id) ON DELETE CASCADE
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_delivery_attempt`);
    await q.query(`DROP TABLE webhook_delivery`);
    await q.query(`DROP TABLE webhook`);
    await q.query(`DROP TABLE catalog_event`);
  }
}
