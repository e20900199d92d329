import { Check, Column, Entity, Index, JoinColumn, ManyToOne, OneToMany, PrimaryColumn } from 'typeorm';

export type ScrapeTrigger = 'STARTUP' | 'SCHEDULE' | 'MANUAL' | 'RECOVERY';
export type ScrapeRunStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'PARTIAL' | 'FAILED' | 'INTERRUPTED';
export type ScrapeScope = 'ALL' | 'SUBSET';
export type ScrapeResultStatus = 'PENDING' | 'RUNNING' | 'OK' | 'NO_TAGS' | 'NOT_FOUND' | 'FAILED' | 'INTERRUPTED';

/** One scrape: its trigger, status and counts. Mirrors migrations/*InitialSchema. */
@Entity('scrape_run')
@Check('ck_scrape_run_trigger', `trigger IN ('STARTUP', 'SCHEDULE', 'MANUAL', 'RECOVERY')`)
@Check('ck_scrape_run_status', `status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'PARTIAL', 'FAILED', 'INTERRUPTED')`)
@Check('ck_scrape_run_scope', `scope IN ('ALL', 'SUBSET')`)
@Index('ix_scrape_run_created_at', { synchronize: false })
@Index('ix_scrape_run_active', { synchronize: false })
@Index('ix_scrape_run_recovery_of', ['recoveryOf'])
export class ScrapeRunEntity {
  @PrimaryColumn('uuid', { primaryKeyConstraintName: 'pk_scrape_run' })
  id: string;

  @Column('text')
  trigger: ScrapeTrigger;

  @Column('text')
  status: ScrapeRunStatus;

  /** `ALL`: the whole tracked list; `SUBSET`: named images. */
  @Column('text')
  scope: ScrapeScope;

  @Column('text', { nullable: true })
  error: string | null;

  @Column('uuid', { name: 'recovery_of', nullable: true })
  recoveryOf: string | null;

  @ManyToOne('ScrapeRunEntity', { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'recovery_of', foreignKeyConstraintName: 'fk_scrape_run_recovery_of' })
  recovered?: ScrapeRunEntity;

  @Column('text', { name: 'requested_by', nullable: true })
  requestedBy: string | null;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  @Column('timestamptz', { name: 'started_at', nullable: true })
  startedAt: Date | null;

  @Column('timestamptz', { name: 'finished_at', nullable: true })
  finishedAt: Date | null;

  /** Renewed by every process working on the run; past it, the run's owners are gone. */
  @Column('timestamptz', { name: 'lease_expires_at', nullable: true })
  leaseExpiresAt: Date | null;

  @Column('integer', { name: 'images_total', default: 0 })
  imagesTotal: number;

  @Column('integer', { name: 'images_done', default: 0 })
  imagesDone: number;

  @Column('integer', { name: 'images_failed', default: 0 })
  imagesFailed: number;

  @Column('integer', { name: 'resources_created', default: 0 })
  resourcesCreated: number;

  @Column('integer', { name: 'instances_added', default: 0 })
  instancesAdded: number;

  @Column('integer', { name: 'instances_updated', default: 0 })
  instancesUpdated: number;

  @Column('integer', { name: 'instances_deleted', default: 0 })
  instancesDeleted: number;

  /** Registry host → HTTP requests sent. */
  @Column('jsonb', { default: () => `'{}'` })
  requests: Record<string, number>;

  @OneToMany('ScrapeRunResultEntity', (r: ScrapeRunResultEntity) => r.run)
  results?: ScrapeRunResultEntity[];
}

/** One image of a run: a queue entry while pending or running, its outcome afterwards. */
@Entity('scrape_run_result')
@Check(
  'ck_scrape_run_result_status',
  `status IN ('PENDING', 'RUNNING', 'OK', 'NO_TAGS', 'NOT_FOUND', 'FAILED', 'INTERRUPTED')`,
)
@Index('ix_scrape_run_result_unfinished', { synchronize: false })
@Index('uq_scrape_run_result_running_image', { synchronize: false })
export class ScrapeRunResultEntity {
  @PrimaryColumn('uuid', { name: 'run_id', primaryKeyConstraintName: 'pk_scrape_run_result' })
  runId: string;

  @ManyToOne('ScrapeRunEntity', (r: ScrapeRunEntity) => r.results, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'run_id', foreignKeyConstraintName: 'fk_scrape_run_result_run' })
  run?: ScrapeRunEntity;

  /** Canonical image name. */
  @PrimaryColumn('text', { primaryKeyConstraintName: 'pk_scrape_run_result' })
  image: string;

  @Column('text', { default: 'docker.io' })
  registry: string;

  /** Repository path inside the registry (`library/nginx`, `acme/app`); null on rows written before it existed. */
  @Column('text', { nullable: true })
  path: string | null;

  @Column('text')
  namespace: string;

  @Column('text')
  repository: string;

  @Column('integer')
  position: number;

  @Column('integer', { name: 'max_tags' })
  maxTags: number;

  @Column('text', { default: 'PENDING' })
  status: ScrapeResultStatus;

  @Column('text', { nullable: true })
  error: string | null;

  /** A non-fatal problem, e.g. paging stopped at the anonymous offset limit. */
  @Column('text', { nullable: true })
  warning: string | null;

  @Column('text', { name: 'claimed_by', nullable: true })
  claimedBy: string | null;

  @Column('timestamptz', { name: 'lease_expires_at', nullable: true })
  leaseExpiresAt: Date | null;

  @Column('integer', { default: 0 })
  attempts: number;

  @Column('timestamptz', { name: 'started_at', nullable: true })
  startedAt: Date | null;

  @Column('timestamptz', { name: 'finished_at', nullable: true })
  finishedAt: Date | null;

  @Column('integer', { name: 'tags_seen', nullable: true })
  tagsSeen: number | null;

  @Column('boolean', { name: 'resource_created', default: false })
  resourceCreated: boolean;

  @Column('integer', { name: 'instances_added', default: 0 })
  instancesAdded: number;

  @Column('integer', { name: 'instances_updated', default: 0 })
  instancesUpdated: number;

  @Column('integer', { name: 'instances_deleted', default: 0 })
  instancesDeleted: number;

  /** Registry host → HTTP requests sent. */
  @Column('jsonb', { default: () => `'{}'` })
  requests: Record<string, number>;
}
