import 'reflect-metadata';
import { GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { AuthChecker, buildSchema, NonEmptyArray } from 'type-graphql';
import { InstanceResolver } from '../catalog/instance.resolver';
import { InstanceConnectionResolver, ResourceConnectionResolver, ResourceResolver } from '../catalog/resource.resolver';
import { ScrapeRunConnectionResolver, ScrapeRunResolver } from '../scraping/runs/scrape-run.resolver';
import { ScraperResolver } from '../scraping/scraper.resolver';
import { ScrapeResolver } from '../scraping/scrape.resolver';
import { TrackedImageConnectionResolver, TrackedImageResolver } from '../tracking/tracking.resolver';
import type { GraphQLContext } from './context';
import { DateTime } from './scalars';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const RESOLVERS: NonEmptyArray<Function> = [
  ResourceResolver,
  ResourceConnectionResolver,
  InstanceResolver,
  InstanceConnectionResolver,
  TrackedImageResolver,
  TrackedImageConnectionResolver,
  ScrapeRunResolver,
  ScrapeRunConnectionResolver,
  ScraperResolver,
  ScrapeResolver,
];

/** Mutations are for holders of the admin token; queries are public. */
const authChecker: AuthChecker<GraphQLContext> = ({ context }) => context.isAdmin;

let built: Promise<GraphQLSchema> | undefined;

/** Descriptions of the root types, which type-graphql leaves without one. */
const ROOT_DESCRIPTIONS = {
  query: 'Reads of the catalog, the tracked image list and the scrape history. Public.',
  mutation: 'Changes to the tracked image list and the catalog, and manual scrapes. Need `Authorization: Bearer <admin token>`.',
  subscription: 'Live updates.',
} as const;

/** The executable schema (built once per process: type-graphql metadata is global). */
export function buildAppSchema(): Promise<GraphQLSchema> {
  return (built ??= buildSchema({
    resolvers: RESOLVERS,
    authChecker,
    authMode: 'error',
    validate: { forbidUnknownValues: false, stopAtFirstError: false },
    scalarsMap: [{ type: Date, scalar: DateTime }],
  }).then((schema) => {
    for (const [root, type] of [
      ['query', schema.getQueryType()],
      ['mutation', schema.getMutationType()],
      ['subscription', schema.getSubscriptionType()],
    ] as const) {
      if (type && !type.description) type.description = ROOT_DESCRIPTIONS[root];
    }
    return schema;
  }));
}

export const SDL_HEADER = `# catalog-sync GraphQL schema.
# GENERATED from the code by \`npm run schema:emit\`: do not edit by hand.
# A test fails when this file differs from what the code emits.
`;

/** The committed form of the schema: sorted, with the generated header. */
export function emitSdl(schema: GraphQLSchema): string {
  return `${SDL_HEADER}\n${printSchema(lexicographicSortSchema(schema))}\n`;
}
