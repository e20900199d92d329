import { GraphQLDateTimeISO, GraphQLSafeInt } from 'graphql-scalars';

/** Integers up to 2^53 − 1: pull counts and image sizes pass 2^31. */
export const SafeInt = GraphQLSafeInt;
/** ISO 8601 date-time with offset, e.g. `2026-11-28T04:22:48.000Z`. */
export const DateTime = GraphQLDateTimeISO;
