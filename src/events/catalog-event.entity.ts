import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One committed catalog change (the outbox). Mirrors migrations/*LiveChanges. */
@Entity('catalog_event')
@Check(
  'ck_catalog_event_type',
  `type IN ('RESOURCE_CREATED', 'RESOURCE_UPDATED', 'INSTANCE_ADDED', 'INSTANCE_UPDATED', 'INSTANCE_DELETED_UPSTREAM', 'SCRAPE_RUN_STARTED', 'SCRAPE_RUN_FINISHED')`,
)
@Index('ix_catalog_event_occurred_at', ['occurredAt'])
@Index('ix_catalog_event_image', ['image', 'id'])
export class CatalogEventEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_catalog_event' })
  id: string;

  @Column('text')
  type: string;

  @Column('timestamptz', { name: 'occurred_at', default: () => 'now()' })
  occurredAt: Date;

  @Column('text', { nullable: true })
  image: string | null;

  @Column('uuid', { name: 'resource_id', nullable: true })
  resourceId: string | null;

  @Column('uuid', { name: 'instance_id', nullable: true })
  instanceId: string | null;

  @Column('uuid', { name: 'run_id', nullable: true })
  runId: string | null;

  @Column('jsonb', { default: {} })
  data: Record<string, unknown>;
}
