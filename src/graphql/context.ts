import type { Logger } from '../shared/logger';
import { LoaderRegistry } from './loaders';
import type { Services } from './services';

/** What every resolver gets: services, per-request loaders, who is asking. */
export interface GraphQLContext {
  requestId: string;
  logger: Logger;
  services: Services;
  loaders: LoaderRegistry;
  /** True when the request carried the admin bearer token. */
  isAdmin: boolean;
  /** Whether the request had an `Authorization` header at all (a missing and a wrong token get different messages). */
  authorizationGiven?: boolean;
  /** Aborted when the client goes away or the server shuts down: long waits stop then. */
  signal?: AbortSignal;
}

export function createContext(opts: {
  requestId: string;
  logger: Logger;
  services: Services;
  isAdmin: boolean;
  authorizationGiven?: boolean;
  signal?: AbortSignal;
}): GraphQLContext {
  return { ...opts, loaders: new LoaderRegistry() };
}
