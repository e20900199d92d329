import { ArgsType, Field, ID, InputType, registerEnumType } from 'type-graphql';
import { UpstreamStatus } from './catalog.types';
import { ArrayMaxSize, IsOptional, MaxLength, ValidateNested } from 'class-validator';
import { pageArgs } from '../graphql/connection';
import { OrderDirection } from '../graphql/order';

export enum ResourceOrderField {
  NAME = 'NAME',
  CREATED_AT = 'CREATED_AT',
  UPDATED_AT = 'UPDATED_AT',
  LAST_UPDATED = 'LAST_UPDATED',
  PULL_COUNT = 'PULL_COUNT',
  STAR_COUNT = 'STAR_COUNT',
}
registerEnumType(ResourceOrderField, {
  name: 'ResourceOrderField',
  description: 'What to sort resources by. Ties are broken by id, so pages never overlap.',
  valuesConfig: {
    NAME: { description: 'Canonical name.' },
    CREATED_AT: { description: 'When the resource entered the catalog.' },
    UPDATED_AT: { description: 'When the resource content last changed in the catalog.' },
    LAST_UPDATED: { description: 'When the repository was last updated on Docker Hub (unknown dates sort as oldest).' },
    PULL_COUNT: { description: 'Docker Hub pull count.' },
    STAR_COUNT: { description: 'Docker Hub star count.' },
  },
});

export enum InstanceOrderField {
  LAST_UPDATED = 'LAST_UPDATED',
  NAME = 'NAME',
}
registerEnumType(InstanceOrderField, {
  name: 'InstanceOrderField',
  description: 'What to sort instances by. Ties are broken by id.',
  valuesConfig: {
    LAST_UPDATED: { description: 'When the tag was last updated on Docker Hub (unknown dates sort as oldest).' },
    NAME: { description: 'Tag name.' },
  },
});

@InputType({ description: 'Conditions a resource must meet; all given conditions apply together.' })
export class ResourceFilter {
  @Field(() => String, { nullable: true, description: 'Case-insensitive substring of the name or the short description.' })
  @IsOptional()
  @MaxLength(200)
  search?: string | null;

  @Field(() => [String], { nullable: true, description: 'Exact image names (`nginx`, `library/nginx` or `org/name`).' })
  @IsOptional()
  @ArrayMaxSize(100)
  @MaxLength(300, { each: true })
  names?: string[] | null;

  @Field(() => Boolean, { nullable: true, description: 'Only drafts (true) or only published resources (false).' })
  @IsOptional()
  isDraft?: boolean | null;

  @Field(() => String, { nullable: true, description: 'Only resources with a tag built for this architecture (e.g. `arm64`).' })
  @IsOptional()
  @MaxLength(50)
  architecture?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'true: resources with at least one peerless instance; false: resources with none.',
  })
  @IsOptional()
  peerless?: boolean | null;

  @Field(() => [String], {
    nullable: true,
    description: 'Only resources on these registry hosts (`docker.io` for Docker Hub, `ghcr.io`, `127.0.0.1:5000`).',
  })
  @IsOptional()
  @ArrayMaxSize(50)
  @MaxLength(300, { each: true })
  registry?: string[] | null;
}

@InputType({ description: 'Sort order of resources.' })
export class ResourceOrder {
  @Field(() => ResourceOrderField, { defaultValue: ResourceOrderField.NAME, description: 'Sort key.' })
  field: ResourceOrderField;

  @Field(() => OrderDirection, { defaultValue: OrderDirection.ASC, description: 'Sort direction.' })
  direction: OrderDirection;
}

@InputType({ description: 'Conditions an instance must meet; all given conditions apply together.' })
export class InstanceFilter {
  @Field(() => String, { nullable: true, description: 'Case-insensitive substring of the tag.' })
  @IsOptional()
  @MaxLength(200)
  search?: string | null;

  @Field(() => [String], { nullable: true, description: 'Exact tags.' })
  @IsOptional()
  @ArrayMaxSize(100)
  @MaxLength(300, { each: true })
  names?: string[] | null;

  @Field(() => String, { nullable: true, description: 'Only tags built for this architecture (e.g. `arm64`).' })
  @IsOptional()
  @MaxLength(50)
  architecture?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Only peerless instances (true) or only the others (false).' })
  @IsOptional()
  peerless?: boolean | null;

  @Field(() => UpstreamStatus, { nullable: true, description: 'Only instances whose tag is ACTIVE, or DELETED, upstream.' })
  @IsOptional()
  upstreamStatus?: UpstreamStatus | null;
}

@InputType({ description: 'Sort order of instances.' })
export class InstanceOrder {
  @Field(() => InstanceOrderField, { defaultValue: InstanceOrderField.LAST_UPDATED, description: 'Sort key.' })
  field: InstanceOrderField;

  @Field(() => OrderDirection, { defaultValue: OrderDirection.DESC, description: 'Sort direction.' })
  direction: OrderDirection;
}

@ArgsType()
export class ResourcesArgs extends pageArgs(20) {
  @Field(() => ResourceFilter, { nullable: true, description: 'Conditions on the resources.' })
  @IsOptional()
  @ValidateNested()
  filter?: ResourceFilter | null;

  @Field(() => ResourceOrder, { nullable: true, description: 'Sort order; by name ascending when omitted.' })
  @IsOptional()
  @ValidateNested()
  orderBy?: ResourceOrder | null;
}

@ArgsType()
export class InstancesArgs extends pageArgs(20) {
  @Field(() => InstanceFilter, { nullable: true, description: 'Conditions on the instances.' })
  @IsOptional()
  @ValidateNested()
  filter?: InstanceFilter | null;

  @Field(() => InstanceOrder, { nullable: true, description: 'Sort order; newest upstream update first when omitted.' })
  @IsOptional()
  @ValidateNested()
  orderBy?: InstanceOrder | null;
}

@ArgsType()
export class ResourceLookupArgs {
  @Field(() => ID, { nullable: true, description: 'The resource id.' })
  @IsOptional()
  @MaxLength(100)
  id?: string | null;

  @Field(() => String, { nullable: true, description: 'The image name (`nginx`, `library/nginx`, `org/name`).' })
  @IsOptional()
  @MaxLength(300)
  name?: string | null;
}

@ArgsType()
export class InstanceLookupArgs {
  @Field(() => ID, { nullable: true, description: 'The instance id.' })
  @IsOptional()
  @MaxLength(100)
  id?: string | null;

  @Field(() => String, { nullable: true, description: 'The origin ref, e.g. `docker.io/nginx:1.27`.' })
  @IsOptional()
  @MaxLength(600)
  ref?: string | null;
}
