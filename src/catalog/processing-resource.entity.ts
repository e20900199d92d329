import { Check, Column, Entity, Index, OneToMany, PrimaryColumn, Unique } from 'typeorm';
import type { ProcessingInstanceEntity } from './processing-instance.entity';

/** A tracked Docker Hub repository as a catalog resource. Mirrors migrations/*InitialSchema. */
@Entity('processing_resource')
@Unique('uq_processing_resource_name', ['name'])
@Check('ck_processing_resource_infrastructure', `infrastructure IN ('DOCKER')`)
@Index('ix_processing_resource_name_trgm', { synchronize: false })
@Index('ix_processing_resource_short_description_trgm', { synchronize: false })
@Index('ix_processing_resource_updated_at', ['updatedAt', 'id'])
@Index('ix_processing_resource_created_at', ['createdAt', 'id'])
@Index('ix_processing_resource_pull_count', ['pullCount', 'id'])
@Index('ix_processing_resource_name_id', ['name', 'id'])
@Index('ix_processing_resource_registry', ['registry', 'id'])
export class ProcessingResourceEntity {
  @PrimaryColumn('uuid', { primaryKeyConstraintName: 'pk_processing_resource' })
  id: string;

  @Column('text')
  name: string;

  /** Registry host: `docker.io` for Docker Hub. */
  @Column('text', { default: 'docker.io' })
  registry: string;

  @Column('text')
  namespace: string;

  @Column('text')
  repository: string;

  @Column('text', { nullable: true })
  description: string | null;

  @Column('text', { name: 'short_description', nullable: true })
  shortDescription: string | null;

  @Column('text', { nullable: true })
  logo: string | null;

  @Column('jsonb', { default: () => `'[]'` })
  owners: { name: string; logo: string }[];

  @Column('text', { default: 'DOCKER' })
  infrastructure: string;

  @Column('boolean', { name: 'open_source', default: true })
  openSource: boolean;

  @Column('boolean', { name: 'is_service', default: false })
  isService: boolean;

  @Column('boolean', { name: 'is_draft', default: true })
  isDraft: boolean;

  @Column('bigint', { name: 'star_count', default: 0 })
  starCount: string;

  @Column('bigint', { name: 'pull_count', default: 0 })
  pullCount: string;

  @Column('timestamptz', { name: 'upstream_last_updated', nullable: true })
  upstreamLastUpdated: Date | null;

  /** Hash of the upstream-owned content last written; an unchanged hash means no write. */
  @Column('text', { name: 'content_hash', nullable: true })
  contentHash: string | null;

  /** Fields set through the API, each with the latest upstream value it hides. */
  @Column('jsonb', { default: () => `'{}'` })
  overridden: Record<string, unknown>;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt: Date;

  @OneToMany('ProcessingInstanceEntity', (i: ProcessingInstanceEntity) => i.resource)
  instances?: ProcessingInstanceEntity[];
}
