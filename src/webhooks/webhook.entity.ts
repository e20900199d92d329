import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Unique } from 'typeorm';

/** A webhook subscription. Mirrors migrations/*LiveChanges. */
@Entity('webhook')
export class WebhookEntity {
  @PrimaryColumn('uuid', { primaryKeyConstraintName: 'pk_webhook' })
  id: string;

  @Column('text')
  url: string;

  @Column('text', { default: '' })
  description: string;

  /** Event types delivered; empty: all. */
  @Column('text', { array: true, default: '{}' })
  events: string[];

  /** Canonical image names; empty: all. */
  @Column('text', { array: true, default: '{}' })
  images: string[];

  @Column('text')
  secret: string;

  @Column('boolean', { default: true })
  enabled: boolean;

  @Column('text', { name: 'disabled_reason', nullable: true })
  disabledReason: string | null;

  /** Since when every attempt failed; null after a success. */
  @Column('timestamptz', { name: 'failing_since', nullable: true })
  failingSince: Date | null;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt: Date;
}

/** One event (or PING) to deliver to one webhook: a queue entry, then its outcome. */
@Entity('webhook_delivery')
@Unique('uq_webhook_delivery_event', ['webhookId', 'eventId'])
@Check('ck_webhook_delivery_status', `status IN ('PENDING', 'SENDING', 'SUCCEEDED', 'FAILED')`)
@Index('ix_webhook_delivery_due', { synchronize: false })
@Index('ix_webhook_delivery_webhook', { synchronize: false })
export class WebhookDeliveryEntity {
  @PrimaryColumn('uuid', { primaryKeyConstraintName: 'pk_webhook_delivery' })
  id: string;

  @Column('uuid', { name: 'webhook_id' })
  webhookId: string;

  @ManyToOne(() => WebhookEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'webhook_id', foreignKeyConstraintName: 'fk_webhook_delivery_webhook' })
  webhook?: WebhookEntity;

  /** The catalog event; null for a PING. */
  @Column('bigint', { name: 'event_id', nullable: true })
  eventId: string | null;

  @Column('text', { name: 'event_type' })
  eventType: string;

  /** The body of a PING (events are read from catalog_event at send time). */
  @Column('jsonb', { nullable: true })
  payload: Record<string, unknown> | null;

  @Column('text', { default: 'PENDING' })
  status: string;

  @Column('integer', { default: 0 })
  attempts: number;

  @Column('timestamptz', { name: 'next_attempt_at', default: () => 'now()' })
  nextAttemptAt: Date;

  @Column('text', { name: 'claimed_by', nullable: true })
  claimedBy: string | null;

  @Column('timestamptz', { name: 'lease_expires_at', nullable: true })
  leaseExpiresAt: Date | null;

  @Column('integer', { name: 'last_response_status', nullable: true })
  lastResponseStatus: number | null;

  @Column('text', { name: 'last_error', nullable: true })
  lastError: string | null;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  @Column('timestamptz', { name: 'finished_at', nullable: true })
  finishedAt: Date | null;
}

/** Every attempt of a delivery. */
@Entity('webhook_delivery_attempt')
@Check('ck_webhook_delivery_attempt_outcome', `outcome IN ('SUCCEEDED', 'RETRY', 'FAILED')`)
export class WebhookDeliveryAttemptEntity {
  @PrimaryColumn('uuid', { name: 'delivery_id', primaryKeyConstraintName: 'pk_webhook_delivery_attempt' })
  deliveryId: string;

  @ManyToOne(() => WebhookDeliveryEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'delivery_id', foreignKeyConstraintName: 'fk_webhook_delivery_attempt_delivery' })
  delivery?: WebhookDeliveryEntity;

  @PrimaryColumn('integer', { primaryKeyConstraintName: 'pk_webhook_delivery_attempt' })
  attempt: number;

  @Column('timestamptz', { name: 'started_at' })
  startedAt: Date;

  @Column('integer', { name: 'duration_ms' })
  durationMs: number;

  @Column('integer', { name: 'response_status', nullable: true })
  responseStatus: number | null;

  @Column('text', { nullable: true })
  error: string | null;

  @Column('text')
  outcome: string;

  @Column('text')
  worker: string;
}
