import 'reflect-metadata';
import { GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { AuthChecker, buildSchema, NonEmptyArray } from 'type-graphql';
import { InstanceResolver } from '../catalog/instance.resolver';
import { ResourceResolver } from '../catalog/resource.resolver';
import { InstanceCountResolver, ResourceCountResolver } from '../catalog/catalog.types';
import { ScrapeResultResolver, ScrapeRunResolver } from '../scraping/runs/scrape-run.resolver';
import { ScrapeRunCountResolver } from '../scraping/runs/scrape-run.type';
import { ScraperResolver } from '../scraping/scraper.resolver';
import { ScrapeResolver } from '../scraping/scrape.resolver';
import { TrackedImageResolver } from '../tracking/tracking.resolver';
import { TrackedImageCountResolver } from '../tracking/tracked-image.type';
import { TrackingMutationResolver } from '../tracking/tracking-mutations.resolver';
import { EnrichmentResolver } from '../catalog/enrichment.resolver';
import { NodeResolver } from './node.resolver';
import { LIVE_RESOLVERS, NO_TOPICS_PUBSUB } from '../subscriptions/resolvers';
import type { GraphQLContext } from './context';
import { UnauthenticatedError } from './errors';
import { DateTime } from './scalars';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const RESOLVERS: NonEmptyArray<Function> = [
  ResourceResolver,
  ResourceCountResolver,
  InstanceResolver,
  InstanceCountResolver,
  TrackedImageResolver,
  TrackedImageCountResolver,
  ScrapeRunResolver,
  ScrapeResultResolver,
  ScrapeRunCountResolver,
  ScraperResolver,
  ScrapeResolver,
  TrackingMutationResolver,
  EnrichmentResolver,
  NodeResolver,
  ...LIVE_RESOLVERS,
];

const TOKEN_HELP =
  'Send the header "Authorization: Bearer <token>" with the admin token: CATALOG_ADMIN_TOKEN, or, when that is unset, ' +
  'the token generated at first start (printed at startup and stored in the file admin-token of CATALOG_DATA_DIR).';

/**
 * Mutations (`@Authorized()`) are for holders of the admin token; queries are public. A
 * refusal is UNAUTHENTICATED and says how to authenticate, for a missing and a wrong token alike.
 */
const authChecker: AuthChecker<GraphQLContext> = ({ context }) => {
  if (context.isAdmin) return true;
  throw new UnauthenticatedError(
    context.authorizationGiven
      ? `The Authorization header does not hold the admin token. ${TOKEN_HELP}`
      : `This mutation needs the admin token. ${TOKEN_HELP}`,
  );
};

let built: Promise<GraphQLSchema> | undefined;

/** Descriptions of the root types, which type-graphql leaves without one. */
const ROOT_DESCRIPTIONS = {
  query: 'Reads of the catalog, the tracked image list and the scrape history. Public.',
  mutation: 'Changes to the tracked image list and the catalog, and manual scrapes. Need `Authorization: Bearer <admin token>`.',
  subscription: 'Live changes over graphql-ws on /graphql (ws:// or wss://). Public, like queries.',
} as const;

/** The executable schema (built once per process: type-graphql metadata is global). */
export function buildAppSchema(): Promise<GraphQLSchema> {
  return (built ??= buildSchema({
    resolvers: RESOLVERS,
    authChecker,
    authMode: 'error',
    pubSub: NO_TOPICS_PUBSUB,
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
