
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTime, SafeInt } from '../graphql/scalars';
import { connectionTypes } from '../graphql/connection';
import { Node } from '../graphql/node';

export enum Infrastructure {
  DOCKER = 'DOCKER',
}
registerEnumType(Infrastructure, {
  name: 'Infrastructure',
  description: 'Where a resource runs.',
  valuesConfig: { DOCKER: { description: 'A container image run by a Docker-compatible runtime.' } },
});

export enum OriginType {
  PUBLIC = 'PUBLIC',
  PRIVATE = 'PRIVATE',
}
registerEnumType(OriginType, {
  name: 'OriginType',
  description: 'Where an instance comes from.',
  valuesConfig: {
    PUBLIC: { description: 'A public registry anyone can pull from (Docker Hub).' },
    PRIVATE: { description: 'A private source that needs credentials.' },
  },
});

@ObjectType({ description: 'Who publishes a resource.' })
export class Owner {
  @Field({ description: 'Owner name or address, e.g. `https://hub.docker.com/`.' })
  name: string;

  @Field(() => String, { nullable: true, description: 'URL of the owner logo.' })
  logo: string | null;
}

@ObjectType({ description: 'Where an instance comes from and under which licence.' })
export class Origin {
  @Field(() => OriginType, { description: 'Kind of origin.' })
  type: OriginType;

  @Field({ description: 'Pull reference, e.g. `docker.io/nginx:1.27` or `docker.io/org/name:tag`; unique.' })
  ref: string;

  @Field(() => String, {
    nullable: true,
    description:
      'Licence (SPDX expression): the image label `org.opencontainers.image.licenses` (or `org.label-schema.license`), ' +
      'unless set through the API.',
  })
  license: string | null;

  @Field({ description: 'Whether the origin is verified (Docker Hub images are).' })
  verified: boolean;
}

@ObjectType({ description: 'An environment variable.' })
export class EnvVar {
  @Field({ description: 'Variable name.' })
  name: string;

  @Field({ description: 'Variable value.' })
  value: string;
}

@ObjectType({ description: 'A port the image declares (`ExposedPorts` of its config).' })
export class ExposedPort {
  @Field(() => Int, { description: 'Port number, 1 to 65535.' })
  port: number;

  @Field({ description: 'Protocol: `tcp`, `udp` or `sctp`.' })
  protocol: string;
}

@ObjectType({ description: 'A label of the image (config `Labels`, and OCI annotations of its manifest).' })
export class Label {
  @Field({ description: 'Label key, e.g. `org.opencontainers.image.source`.' })
  key: string;

  @Field({ description: 'Label value.' })
  value: string;
}

@ObjectType({ description: 'How to run an instance as a container.' })
export class Container {
  @Field({ description: 'Image reference to pull (the origin ref).' })
  image: string;

  @Field(() => [String], {
    nullable: true,
    description: 'Entrypoint: the image config `Entrypoint` unless set through the API; null when neither sets one.',
  })
  command: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Arguments: the image config `Cmd` unless set through the API; null when neither sets them.' })
  args: string[] | null;

  @Field(() => [EnvVar], { description: 'Environment variables of the catalog; `ARCH` is the first platform architecture unless edited.' })
  env: EnvVar[];

  @Field(() => [EnvVar], {
    nullable: true,
    description: 'The image’s own default environment (config `Env`, in order), apart from `env`; null before the image config was read.',
  })
  imageEnv: EnvVar[] | null;

  @Field(() => [String], { nullable: true, description: 'Volume mount points: the image config `Volumes` unless set through the API; null when none are declared.' })
  volumes: string[] | null;

  @Field(() => [ExposedPort], {
    nullable: true,
    description: 'Ports the image exposes (config `ExposedPorts`) unless set through the API; null when none are declared.',
  })
  exposedPorts: ExposedPort[] | null;

  @Field(() => String, { nullable: true, description: 'Working directory (config `WorkingDir`); null when unset.' })
  workingDir: string | null;

  @Field(() => String, { nullable: true, description: 'User the container runs as (config `User`); null when unset.' })
  user: string | null;
}

@ObjectType({ description: 'Access information of an instance.' })
export class Access {
  @Field(() => Container, { nullable: true, description: 'Container run settings.' })
  container: Container | null;
}

@ObjectType({ description: 'One platform (OS/architecture) a tag is built for.' })
export class Platform {
  @Field({ description: 'CPU architecture, e.g. `amd64`, `arm64`.' })
  architecture: string;

  @Field({ description: 'Operating system, e.g. `linux`.' })
  os: string;

  @Field(() => String, { nullable: true, description: 'Architecture variant, e.g. `v8`; often null.' })
  variant: string | null;

  @Field(() => String, { nullable: true, description: 'Digest of the platform manifest; null when Docker Hub gives none.' })
  digest: string | null;

  @Field(() => SafeInt, { nullable: true, description: 'Compressed size in bytes.' })
  size: number | null;
}

export enum UpstreamStatus {
  ACTIVE = 'ACTIVE',
  DELETED = 'DELETED',
}
registerEnumType(UpstreamStatus, {
  name: 'UpstreamStatus',
  description: 'Whether the tag still exists upstream.',
  valuesConfig: {
    ACTIVE: { description: 'The tag was seen upstream at the last scrape that could tell.' },
    DELETED: { description: 'The tag is gone: missing from a complete tag listing, or 404 on its manifest. The instance is kept.' },
  },
});

@ObjectType({
  implements: Node,
  description:
    'A container image tracked from Docker Hub. Its instances are its tags. Upstream fields follow Docker Hub; fields edited through the API are kept.',
})
export class ProcessingResource {
  @Field(() => ID, { description: 'Stable identifier (UUID); never changes.' })
  id: string;

  @Field({ description: 'Canonical image name: `nginx` for official images, `org/name` otherwise. Unique.' })
  name: string;

  @Field({ description: 'Registry host: `docker.io` for Docker Hub, else e.g. `ghcr.io` or `127.0.0.1:5000`.' })
  registry: string;

  @Field({ description: 'Docker Hub namespace (`library` for official images); on another registry the path without its last part.' })
  namespace: string;

  @Field({ description: 'Repository name inside the namespace.' })
  repository: string;

  @Field(() => String, { nullable: true, description: 'Long description (Docker Hub `full_description`, Markdown).' })
  description: string | null;

  @Field(() => String, { nullable: true, description: 'One-line description (Docker Hub `description`).' })
  shortDescription: string | null;

  @Field(() => String, { nullable: true, description: 'Logo URL: the first Markdown image of the description.' })
  logo: string | null;

  @Field(() => [Owner], { description: 'Publishers of the resource.' })
  owners: Owner[];

  @Field(() => Infrastructure, { description: 'Where the resource runs.' })
  infrastructure: Infrastructure;

  @Field({ description: 'Whether the resource is open source.' })
  openSource: boolean;

  @Field({ description: 'Whether the resource is a long-running service.' })
  isService: boolean;

  @Field({ description: 'Whether the resource is an unpublished draft.' })
  isDraft: boolean;

  @Field(() => SafeInt, { description: 'Docker Hub star count.' })
  starCount: number;

  @Field(() => SafeInt, { description: 'Docker Hub pull count (can exceed 2^31).' })
  pullCount: number;

  @Field(() => DateTime, { nullable: true, description: 'When the repository was last updated on Docker Hub.' })
  lastUpdated: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'When a scrape last succeeded for this image.' })
  lastSyncedAt: Date | null;

  @Field(() => [String], { description: 'Fields set through the API, which scrapes never overwrite.' })
  editedFields: string[];

  @Field(() => DateTime, { description: 'When the resource entered the catalog.' })
  createdAt: Date;

  @Field(() => DateTime, { description: 'When the resource content last changed.' })
  updatedAt: Date;
}

@ObjectType({ implements: Node, description: 'One tag of a resource: a peerless instance any peer may use without negotiation.' })
export class ProcessingInstance {
  @Field(() => ID, { description: 'Stable identifier (UUID); never changes.' })
  id: string;

  @Field({ description: 'The tag, e.g. `1.27` or `latest`.' })
  name: string;

  @Field({ description: 'Owning peer; empty for catalog instances (no owner).' })
  creatorId: string;

  @Field({ description: 'True when the instance has no owner, no partnerships and a non-empty origin ref.' })
  isPeerless: boolean;

  @Field(() => Origin, { description: 'Where the instance comes from.' })
  origin: Origin;

  @Field(() => Access, { description: 'How to run the instance.' })
  access: Access;

  @Field(() => String, { nullable: true, description: 'Tag digest; null when Docker Hub gives none.' })
  digest: string | null;

  @Field(() => SafeInt, { nullable: true, description: 'Compressed size of all platforms in bytes.' })
  fullSize: number | null;

  @Field(() => DateTime, { nullable: true, description: 'When the tag was last updated on Docker Hub.' })
  lastUpdated: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'When the tag was last pushed.' })
  lastPushed: Date | null;

  @Field(() => String, { nullable: true, description: 'Docker Hub tag status, e.g. `active`.' })
  tagStatus: string | null;

  @Field(() => [Label], { description: 'Labels of the image config and OCI annotations of the manifest, by key; empty before the config was read.' })
  labels: Label[];

  @Field(() => String, {
    nullable: true,
    description: 'Source code URL: the label `org.opencontainers.image.source` (or `org.label-schema.vcs-url`); null when absent.',
  })
  sourceUrl: string | null;

  @Field(() => DateTime, {
    nullable: true,
    description: 'When the image was built: the config `created` (or the `org.opencontainers.image.created` label); null when unknown.',
  })
  imageCreatedAt: Date | null;

  @Field(() => UpstreamStatus, { description: 'Whether the tag still exists upstream (DELETED instances are kept).' })
  upstreamStatus: UpstreamStatus;

  @Field(() => DateTime, { nullable: true, description: 'When the tag was found deleted upstream; null while it is ACTIVE.' })
  deletedUpstreamAt: Date | null;

  @Field(() => [Platform], { description: 'Every platform of the tag (attestation entries excluded).' })
  platforms: Platform[];

  @Field(() => [String], { description: 'Fields set through the API, which scrapes never overwrite.' })
  editedFields: string[];

  @Field(() => DateTime, { description: 'When the instance entered the catalog.' })
  createdAt: Date;

  @Field(() => DateTime, { description: 'When the instance content last changed.' })
  updatedAt: Date;

  /** Resolved by a field resolver (the parent resource). */
  resourceId: string;
}

export const {
  EdgeType: ProcessingResourceEdge,
  ConnectionType: ResourceConnection,
  CountResolver: ResourceCountResolver,
} = connectionTypes(ProcessingResource, 'Resource', 'resource', 'How many resources pass the filter, on all pages.');
export type ResourceConnection = InstanceType<typeof ResourceConnection>;
export const {
  EdgeType: ProcessingInstanceEdge,
  ConnectionType: ProcessingInstanceConnection,
  CountResolver: InstanceCountResolver,
} = connectionTypes(ProcessingInstance, 'ProcessingInstance', 'instance', 'How many instances pass the filter, on all pages.');
export type ProcessingInstanceConnection = InstanceType<typeof ProcessingInstanceConnection>;
