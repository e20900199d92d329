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
}

export function createContext(opts: { requestId: string; logger: Logger; services: Services; isAdmin: boolean }): GraphQLContext {
  return { ...opts, loaders: new LoaderRegistry() };
}
