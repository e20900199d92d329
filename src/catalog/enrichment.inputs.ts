import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { ArrayMaxSize, IsIn, IsInt, IsOptional, IsUrl, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { listCheckDecorator, NotNull } from '../graphql/validation';
import { DateTime } from '../graphql/scalars';
import { ProcessingInstance, ProcessingResource } from './catalog.types';

/** Limits of what enrichment accepts. */
export const ENRICHMENT_LIMITS = {
  descriptionChars: 100_000,
  shortDescriptionChars: 1_000,
  urlChars: 2_048,
  licenseChars: 200,
  listItems: 100,
  listItemChars: 4_096,
  envVars: 200,
  envNameChars: 256,
  envValueChars: 32_768,
} as const;

const L = ENRICHMENT_LIMITS;
const CLEAR = 'null hands the field back to Docker Hub (the scraped value comes back); omitted: unchanged.';

/** SPDX identifiers and expressions: `MIT`, `Apache-2.0 OR MIT`, `GPL-2.0-only WITH Classpath-exception-2.0`, `LicenseRef-x`. */
export const LICENSE_RE = /^[A-Za-z0-9][A-Za-z0-9.+\-:() ]*$/;
/** POSIX environment variable names. */
export const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** No two variables share a name. */
const UniqueEnvNames = listCheckDecorator(
  'uniqueEnvNames',
  (list) => {
    const seen = new Map<string, number>();
    const out: [number, string][] = [];
    list.forEach((item, i) => {
      const name = (item as { name?: unknown } | null)?.name;
      if (typeof name !== 'string') return;
      const first = seen.get(name);
      if (first === undefined) seen.set(name, i);
      else out.push([i, `the name "${name}" is already used by item ${first}`]);
    });
    return out;
  },
  'holds variables with the same name',
);

/** Items of a list of strings: length, and an optional pattern; refusals name the item. */
function stringItems(maxChars: number, pattern?: RegExp, patternMessage?: string) {
  return (list: readonly unknown[]) =>
    list.flatMap((item, i): [number, string][] => {
      if (typeof item !== 'string') return [[i, 'must be a string']];
      if (item.length > maxChars) return [[i, `must be at most ${maxChars} characters long`]];
      if (pattern && !pattern.test(item)) return [[i, patternMessage ?? `must match ${pattern}`]];
      return [];
    });
}
const ArgvItems = listCheckDecorator('argvItems', stringItems(L.listItemChars), `holds items longer than ${L.listItemChars} characters`);
const VolumeItems = listCheckDecorator(
  'volumeItems',
  stringItems(L.listItemChars, /^\//, 'must be an absolute path (starting with /)'),
  'holds items that are not absolute paths',
);

/** The optimistic-concurrency guard both enrichment inputs share. */
@InputType({ description: 'Not part of the schema: the fields both enrichment inputs share.' })
abstract class GuardedUpdate {
  @Field(() => DateTime, {
    nullable: true,
    description:
      'Optimistic concurrency: the `updatedAt` you read. When the row has changed since (a scrape or another client), nothing is written and the answer is CONFLICT. Omitted: no check.',
  })
  @IsOptional()
  expectedUpdatedAt?: Date | null;
}

@InputType({ description: 'Manual enrichment of a resource; scrapes never overwrite what is set here.' })
export class UpdateResourceInput extends GuardedUpdate {
  @Field(() => ID, { description: 'The resource id.' })
  @MaxLength(100, { message: 'is not a resource id' })
  id: string;

  @Field(() => Boolean, { nullable: true, description: 'true: hide the resource as a draft; false: publish it. Omitted: unchanged.' })
  @NotNull()
  isDraft?: boolean;

  @Field(() => String, { nullable: true, description: `Long description (Markdown), at most ${L.descriptionChars} characters; ${CLEAR}` })
  @IsOptional()
  @MaxLength(L.descriptionChars, { message: `must be at most ${L.descriptionChars} characters long` })
  description?: string | null;

  @Field(() => String, { nullable: true, description: `One-line description, at most ${L.shortDescriptionChars} characters; ${CLEAR}` })
  @IsOptional()
  @MaxLength(L.shortDescriptionChars, { message: `must be at most ${L.shortDescriptionChars} characters long` })
  shortDescription?: string | null;

  @Field(() => String, { nullable: true, description: `Logo URL (http or https), at most ${L.urlChars} characters; ${CLEAR}` })
  @IsOptional()
  @MaxLength(L.urlChars, { message: `must be at most ${L.urlChars} characters long` })
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }, { message: 'must be an http:// or https:// URL' })
  logo?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Whether the resource is a long-running service. Omitted: unchanged.' })
  @NotNull()
  isService?: boolean;

  @Field(() => Boolean, { nullable: true, description: 'Whether the resource is open source. Omitted: unchanged.' })
  @NotNull()
  openSource?: boolean;
}

@InputType({ description: 'A port the container exposes.' })
export class ExposedPortInput {
  @Field(() => Int, { description: 'Port number, 1 to 65535.' })
  @IsInt({ message: 'must be a whole number from 1 to 65535' })
  @Min(1, { message: 'must be a whole number from 1 to 65535' })
  @Max(65535, { message: 'must be a whole number from 1 to 65535' })
  port: number;

  @Field({ defaultValue: 'tcp', description: 'Protocol: `tcp` (default), `udp` or `sctp`.' })
  @IsIn(['tcp', 'udp', 'sctp'], { message: 'must be tcp, udp or sctp' })
  protocol: string;
}

@InputType({ description: 'An environment variable.' })
export class EnvVarInput {
  @Field({ description: `Name: letters, digits and underscores, not starting with a digit; at most ${L.envNameChars} characters.` })
  @MaxLength(L.envNameChars, { message: `must be at most ${L.envNameChars} characters long` })
  @Matches(ENV_NAME_RE, { message: 'must be letters, digits and underscores, not starting with a digit (e.g. JAVA_OPTS)' })
  name: string;

  @Field({ description: `Value, at most ${L.envValueChars} characters (may be empty).` })
  @MaxLength(L.envValueChars, { message: `must be at most ${L.envValueChars} characters long` })
  value: string;
}

const listMessage = `at most ${L.listItems} items of at most ${L.listItemChars} characters each`;

@InputType({ description: 'Manual enrichment of an instance; scrapes never overwrite what is set here.' })
export class UpdateInstanceInput extends GuardedUpdate {
  @Field(() => ID, { description: 'The instance id.' })
  @MaxLength(100, { message: 'is not an instance id' })
  id: string;

  @Field(() => String, {
    nullable: true,
    description: `SPDX licence identifier or expression (\`MIT\`, \`Apache-2.0 OR MIT\`), at most ${L.licenseChars} characters; ${CLEAR}`,
  })
  @IsOptional()
  @MaxLength(L.licenseChars, { message: `must be at most ${L.licenseChars} characters long` })
  @Matches(LICENSE_RE, { message: 'must be an SPDX licence identifier or expression, such as MIT or "Apache-2.0 OR MIT"' })
  license?: string | null;

  @Field(() => [String], { nullable: true, description: `Entrypoint (exec form), ${listMessage}; ${CLEAR}` })
  @IsOptional()
  @ArrayMaxSize(L.listItems, { message: `must have at most ${L.listItems} items` })
  @ArgvItems()
  command?: string[] | null;

  @Field(() => [String], { nullable: true, description: `Arguments, ${listMessage}; ${CLEAR}` })
  @IsOptional()
  @ArrayMaxSize(L.listItems, { message: `must have at most ${L.listItems} items` })
  @ArgvItems()
  args?: string[] | null;

  @Field(() => [EnvVarInput], {
    nullable: true,
    description:
      `The whole environment (it replaces the scraped \`ARCH\` variable too; include it to keep it), at most ${L.envVars} variables ` +
      `with distinct names; ${CLEAR}`,
  })
  @IsOptional()
  @ArrayMaxSize(L.envVars, { message: `must have at most ${L.envVars} variables` })
  @ValidateNested({ each: true })
  @UniqueEnvNames()
  env?: EnvVarInput[] | null;

  @Field(() => [String], { nullable: true, description: `Volume mount points (absolute paths such as /data), ${listMessage}; ${CLEAR}` })
  @IsOptional()
  @ArrayMaxSize(L.listItems, { message: `must have at most ${L.listItems} items` })
  @VolumeItems()
  volumes?: string[] | null;

  @Field(() => [ExposedPortInput], { nullable: true, description: `Exposed ports, at most ${L.listItems}; ${CLEAR}` })
  @IsOptional()
  @ArrayMaxSize(L.listItems, { message: `must have at most ${L.listItems} items` })
  @ValidateNested({ each: true })
  exposedPorts?: ExposedPortInput[] | null;
}

@ObjectType({ description: 'A resource after a change.' })
export class ResourcePayload {
  @Field(() => ProcessingResource, { description: 'The resource, as it is now.' })
  resource: ProcessingResource;
}

@ObjectType({ description: 'An instance after a change.' })
export class InstancePayload {
  @Field(() => ProcessingInstance, { description: 'The instance, as it is now.' })
  instance: ProcessingInstance;
}
