import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema, ValidationRule } from 'graphql';
import type { Logger } from '../shared/logger';
import type { GraphQLLimits } from '../config/config';
import type { GraphQLContext } from './context';
import { formatError } from './errors';

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
    allowBatchedHttpRequests: limits.maxBatch > 1,
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: !limits.introspection,
    formatError: formatError(logger),
    validationRules: opts.validationRules,
    logger: {
      debug: (m) => logger.debug(m),
      info: (m) => logger.info(m),
      warn: (m) => logger.warn(m),
      error: (m) => logger.error(m),
    },
    plugins: [
      limits.landingPage
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false, footer: false })
        : ApolloServerPluginLandingPageDisabled(),
      ...(opts.plugins ?? []),
    ],
  });
}
