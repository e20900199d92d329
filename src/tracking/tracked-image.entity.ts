import { Check, Column, Entity, Generated, PrimaryColumn, Unique } from 'typeorm';

export type TrackedImageSource = 'DEFAULT' | 'CONFIG' | 'API';
export type ImageOutcome = 'OK' | 'NO_TAGS' | 'NOT_FOUND' | 'FAILED';

/**
 * One entry of the image list. Rows removed through the API keep a tombstone
 * (`removed_at`, `removed_by = 'API'`) so that the configured list cannot bring them back.
 */
@Entity('tracked_image')
@Unique('uq_tracked_image_name', ['name'])
@Unique('uq_tracked_image_position', ['position'])
@Check('ck_tracked_image_source', `source IN ('DEFAULT', 'CONFIG', 'API')`)
@Check('ck_tracked_image_removed_by', `removed_by IN ('API', 'CONFIG')`)
@Check('ck_tracked_image_max_tags', `max_tags BETWEEN 1 AND 10000`)
@Check('ck_tracked_image_last_status', `last_status IN ('OK', 'NO_TAGS', 'NOT_FOUND', 'FAILED')`)
export class TrackedImageEntity {
  @PrimaryColumn('uuid', { primaryKeyConstraintName: 'pk_tracked_image' })
  id: string;

  /** List order: configured images in their order, later additions after them. */
  @Column({ type: 'bigint', generatedIdentity: 'ALWAYS' })
  @Generated('increment')
  position: string;

  /** Canonical name: `nginx`, `org/name`. */
  @Column('text')
  name: string;

  /** Registry host: `docker.io` for Docker Hub, else e.g. `ghcr.io`, `127.0.0.1:5000`. */
  @Column('text', { default: 'docker.io' })
  registry: string;

  @Column('text')
  namespace: string;

  @Column('text')
  repository: string;

  @Column('boolean', { default: true })
  enabled: boolean;

  @Column('integer', { name: 'max_tags', nullable: true })
  maxTags: number | null;

  /** Tag filter: only tags this regular expression matches are imported (null: all). */
  @Column('text', { name: 'tag_include', nullable: true })
  tagInclude: string | null;

  /** Tag filter: tags this regular expression matches are skipped (null: none). */
  @Column('text', { name: 'tag_exclude', nullable: true })
  tagExclude: string | null;

  @Column('text')
  source: TrackedImageSource;

  @Column('timestamptz', { name: 'removed_at', nullable: true })
  removedAt: Date | null;

  @Column('text', { name: 'removed_by', nullable: true })
  removedBy: 'API' | 'CONFIG' | null;

  @Column('text', { name: 'last_status', nullable: true })
  lastStatus: ImageOutcome | null;

  @Column('text', { name: 'last_error', nullable: true })
  lastError: string | null;

  /** Last time a scrape of this image finished, whatever its outcome. */
  @Column('timestamptz', { name: 'last_scraped_at', nullable: true })
  lastScrapedAt: Date | null;

  /** Last time a scrape of this image succeeded (`OK` or `NO_TAGS`). */
  @Column('timestamptz', { name: 'last_synced_at', nullable: true })
  lastSyncedAt: Date | null;

  @Column('uuid', { name: 'last_run_id', nullable: true })
  lastRunId: string | null;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt: Date;
}
