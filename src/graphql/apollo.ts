import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema, ValidationRule } from 'graphql';
import type { Logger } from '../shared/logger';
import type { GraphQLLimits } from '../config/config';
import type { GraphQLContext } from './context';
import { formatError } from './errors';
import { costLimitPlugin, limitRules } from './limits';
import { getCacheControlPlugin, persistedQueries } from './persisted';

export interface ApolloOptions {
  schema: GraphQLSchema;
  logger: Logger;
  limits: GraphQLLimits;
  validationRules?: ValidationRule[];
  plugins?: ApolloServerPlugin<GraphQLContext>[];
}

export function createApollo(opts: ApolloOptions): ApolloServer<GraphQLContext> {
  const { limits, logger } = opts;
  return new ApolloServer<GraphQLContext>({
    schema: opts.schema,
    introspection: limits.introspection,
    csrfPrevention: true,
    // The process owns shutdown (src/main.ts): Apollo must not stop itself and re-raise the signal.
    stopOnTerminationSignals: false,
    allowBatchedHttpRequests: limits.maxBatch > 1,
    includeStacktraceInErrorResponses: false,
    // Automatic persisted queries (the protocol of Apollo Client's persisted-queries link), in a bounded LRU.
    persistedQueries: persistedQueries(limits.apqCacheBytes),
    hideSchemaDetailsFromClientErrors: !limits.introspection,
    formatError: formatError(logger),
    // Abuse limits (src/graphql/limits.ts): depth, aliases and root fields as validation rules,
    // the cost (which depends on the variables) just before execution.
    validationRules: [...limitRules(limits), ...(opts.validationRules ?? [])],
    logger: {
      debug: (m) => logger.debug(m),
      info: (m) => logger.info(m),
      warn: (m) => logger.warn(m),
      error: (m) => logger.error(m),
    },
    plugins: [
      limits.landingPage
        ? // The page runs in the browser and loads Apollo's Sandbox from Apollo's CDN; its telemetry
          // to Apollo stays off unless GRAPHQL_SANDBOX_TELEMETRY=true.
          ApolloServerPluginLandingPageLocalDefault({ embed: { runTelemetry: limits.sandboxTelemetry }, includeCookies: false, footer: false })
        : ApolloServerPluginLandingPageDisabled(),
      costLimitPlugin<GraphQLContext>(limits.maxCost),
      // No cache hints are used; without this Apollo wraps every field resolver to collect them.
      ApolloServerPluginCacheControlDisabled(),
      getCacheControlPlugin<GraphQLContext>(limits.getMaxAgeSeconds),
      ...(opts.plugins ?? []),
    ],
  });
}
