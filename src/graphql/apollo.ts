import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError } from 'graphql';
import type { GraphQLSchema, ValidationRule } from 'graphql';
import type { Logger } from '../shared/logger';
import type { GraphQLLimits } from '../config/config';
import type { GraphQLContext } from './context';
import { ErrorCode, formatError, serviceUnavailablePlugin } from './errors';
import { chargeActualSizes, costLimitPlugin, limitRules } from './limits';
import { inputGuardPlugin } from './input-guard';
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
  chargeActualSizes(opts.schema);
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
    // The parser stops at GRAPHQL_MAX_TOKENS tokens; the HTTP server refuses deep nesting before (src/http/server.ts).
    parseOptions: { maxTokens: limits.maxTokens },
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
      subscriptionsOverWebSocketPlugin,
      inputGuardPlugin<GraphQLContext>(),
      costLimitPlugin<GraphQLContext>(limits.maxCost),
      noStoreMutationsPlugin,
      // No cache hints are used; without this Apollo wraps every field resolver to collect them.
      ApolloServerPluginCacheControlDisabled(),
      serviceUnavailablePlugin<GraphQLContext>(),
      getCacheControlPlugin<GraphQLContext>(limits.getMaxAgeSeconds),
      ...(opts.plugins ?? []),
    ],
  });
}

/** Mutation answers are never stored by a cache (`Cache-Control: no-store`). */
const noStoreMutationsPlugin: ApolloServerPlugin<GraphQLContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ operation, response }) {
        if (operation?.operation === 'mutation') response.http.headers.set('cache-control', 'no-store');
      },
    };
  },
};

/**
 * Subscriptions are served over WebSocket (graphql-ws, src/subscriptions/); one sent as an
 * HTTP request is the client's mistake, said so, not an internal error.
 */
const subscriptionsOverWebSocketPlugin: ApolloServerPlugin<GraphQLContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation }) {
        if (operation?.operation !== 'subscription') return;
        throw new GraphQLError(
          'Subscriptions are served over WebSocket (the graphql-ws protocol, as Apollo Sandbox and Apollo Client speak it) on /graphql; HTTP answers queries and mutations.',
          { extensions: { code: ErrorCode.BAD_USER_INPUT, http: { status: 400 } } },
        );
      },
    };
  },
};
