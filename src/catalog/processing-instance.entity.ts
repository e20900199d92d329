import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Unique } from 'typeorm';
import type { ProcessingResourceEntity } from './processing-resource.entity';

export interface PlatformRow {
  architecture: string;
  os: string;
  variant: string | null;
  digest: string | null;
  size: number | null;
  /**
   * What this platform's image config says, only where it differs from the instance's
   * (the first real platform's): absent when it is the same.
   */
  config?: Partial<ImageConfigColumns>;
}

/** The image config's values as the instance stores them (see sync/image-config.ts). */
export interface ImageConfigColumns {
  labels: Record<string, string>;
  command: string[] | null;
  args: string[] | null;
  volumes: string[] | null;
  exposedPorts: { port: number; protocol: string }[] | null;
  env: string[] | null;
  workingDir: string | null;
  user: string | null;
}

/** One tag of a resource: a peerless instance any peer may use. Mirrors migrations/*InitialSchema. */
@Entity('processing_instance')
@Unique('uq_processing_instance_origin_ref', ['originRef'])
@Unique('uq_processing_instance_resource_name', ['resourceId', 'name'])
@Check('ck_processing_instance_origin_type', `origin_type IN ('PUBLIC', 'PRIVATE')`)
@Check('ck_processing_instance_upstream_status', `upstream_status IN ('ACTIVE', 'DELETED')`)
@Index('ix_processing_instance_resource_last_updated', { synchronize: false })
@Index('ix_processing_instance_platforms', { synchronize: false })
export class ProcessingInstanceEntity {
  @PrimaryColumn('uuid', { primaryKeyConstraintName: 'pk_processing_instance' })
  id: string;

  @Column('uuid', { name: 'resource_id' })
  resourceId: string;

  @ManyToOne('ProcessingResourceEntity', (r: ProcessingResourceEntity) => r.instances, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'resource_id', foreignKeyConstraintName: 'fk_processing_instance_resource' })
  resource?: ProcessingResourceEntity;

  /** The tag. */
  @Column('text')
  name: string;

  /** '' — no owning peer. */
  @Column('text', { name: 'creator_id', default: '' })
  creatorId: string;

  @Column('jsonb', { default: () => `'[]'` })
  partnerships: unknown[];

  @Column('text', { name: 'origin_type', default: 'PUBLIC' })
  originType: string;

  @Column('text', { name: 'origin_ref' })
  originRef: string;

  @Column('text', { name: 'origin_license', nullable: true })
  originLicense: string | null;

  @Column('boolean', { name: 'origin_verified', default: true })
  originVerified: boolean;

  @Column('text', { name: 'access_image' })
  accessImage: string;

  @Column('text', { name: 'access_command', array: true, nullable: true })
  accessCommand: string[] | null;

  @Column('text', { name: 'access_args', array: true, nullable: true })
  accessArgs: string[] | null;

  @Column('jsonb', { name: 'access_env', default: () => `'{}'` })
  accessEnv: Record<string, string>;

  @Column('text', { name: 'access_volumes', array: true, nullable: true })
  accessVolumes: string[] | null;

  @Column('text', { nullable: true })
  digest: string | null;

  @Column('bigint', { name: 'full_size', nullable: true })
  fullSize: string | null;

  @Column('timestamptz', { name: 'upstream_last_updated', nullable: true })
  upstreamLastUpdated: Date | null;

  @Column('text', { name: 'tag_status', nullable: true })
  tagStatus: string | null;

  @Column('timestamptz', { name: 'tag_last_pushed', nullable: true })
  tagLastPushed: Date | null;

  @Column('jsonb', { default: () => `'[]'` })
  platforms: PlatformRow[];

  /** Image labels (and OCI annotations) of the tag, key → value. */
  @Column('jsonb', { default: () => `'{}'` })
  labels: Record<string, string>;

  @Column('jsonb', { name: 'exposed_ports', nullable: true })
  exposedPorts: { port: number; protocol: string }[] | null;

  /** The image config's `Env` (`KEY=value`, in order), apart from the catalog's own `access_env`. */
  @Column('jsonb', { name: 'image_env', nullable: true })
  imageEnv: string[] | null;

  @Column('text', { name: 'working_dir', nullable: true })
  workingDir: string | null;

  @Column('text', { name: 'image_user', nullable: true })
  imageUser: string | null;

  @Column('text', { name: 'source_url', nullable: true })
  sourceUrl: string | null;

  /** The image's own creation time (config `created` or the `created` label). */
  @Column('timestamptz', { name: 'image_created', nullable: true })
  imageCreated: Date | null;

  /** The manifest digest whose image config was last read: the same digest again needs no config fetch. */
  @Column('text', { name: 'config_digest', nullable: true })
  configDigest: string | null;

  /** The image-config values as last read upstream (before API edits): reused while the digest stays. */
  @Column('jsonb', { name: 'image_config', nullable: true })
  imageConfig: Record<string, unknown> | null;

  @Column('text', { name: 'upstream_status', default: 'ACTIVE' })
  upstreamStatus: 'ACTIVE' | 'DELETED';

  @Column('timestamptz', { name: 'deleted_upstream_at', nullable: true })
  deletedUpstreamAt: Date | null;

  @Column('text', { name: 'content_hash', nullable: true })
  contentHash: string | null;

  @Column('jsonb', { default: () => `'{}'` })
  overridden: Record<string, unknown>;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt: Date;
}
