/**
 * Loads the OCI Distribution client (src/scraping/registry/registry-client.ts) by path, so
 * that the real-registry tests compile on a branch that has only its contract
 * (registry-types.ts); `clientMissing` says why the tests skip when it is not there.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config/config';
import type { RegistryClient, RegistryObserver } from '../../src/scraping/registry/registry-types';
import { createLogger, Logger } from '../../src/shared/logger';

const CLIENT_MODULE = path.join(__dirname, '../../src/scraping/registry/registry-client.js');

export const clientMissing: string | null = fs.existsSync(CLIENT_MODULE)
  ? null
  : 'the registry client (src/scraping/registry/registry-client.ts) is not on this branch yet';

/** A client configured from `env` as the service would be (REGISTRY_* variables). */
export function makeClient(env: Record<string, string>, observer: RegistryObserver = {}): RegistryClient & { close(): Promise<void> } {
  const config = loadConfig({ DATABASE_URL: 'postgres://unused/unused', LOG_LEVEL: 'silent', ...env });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(CLIENT_MODULE) as {
    OciRegistryClient: new (opts: { config: typeof config.registry; logger: Logger; observer?: RegistryObserver }) => RegistryClient & { close(): Promise<void> };
  };
  return new mod.OciRegistryClient({ config: config.registry, logger: createLogger('silent'), observer });
}
