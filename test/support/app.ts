import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { loadConfig } from '../../src/config/config';
import { startApp, App, StartOptions } from '../../src/app';
import { createLogger, Logger } from '../../src/shared/logger';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface TestApp extends App {
  graphqlUrl: string;
  /** POSTs a GraphQL operation and returns the parsed body. */
  gql<T = any>(query: string, variables?: Record<string, unknown>, opts?: { token?: string | null; headers?: Record<string, string> }): Promise<GqlResult<T>>;
}

export interface GqlResult<T> {
  status: number;
  data?: T;
  errors?: { message: string; path?: string[]; extensions?: Record<string, any> }[];
  headers: Headers;
}

/**
 * Starts the real app in this process on a random port against `databaseUrl`, with the
 * scheduler off and a fixed admin token unless `env` says otherwise.
 */
export async function startTestApp(
  databaseUrl: string,
  env: Record<string, string> = {},
  opts: { logger?: Logger; clock?: () => Date; registry?: StartOptions['registry'] } = {},
): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-sync-app-'));
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    CATALOG_DATA_DIR: dataDir,
    CATALOG_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    DOCKER_SCRAPER_ENABLED: 'false',
    DOCKER_HUB_URL: 'http://127.0.0.1:9', // nothing listens there: a test that needs the Hub sets a fake one
    DOCKER_SCRAPER_IMAGES: 'nginx,bitnami/redis,scratch',
    ...(opts.registry ? { DOCKER_HUB_REGISTRY_URL: NO_HUB_REGISTRY.DOCKER_HUB_REGISTRY_URL } : NO_HUB_REGISTRY),
    LOG_LEVEL: process.env.LOG_LEVEL || 'silent',
    ...env,
  });
  const app = await startApp(config, { logger: opts.logger ?? createLogger(config.logLevel), clock: opts.clock, registry: opts.registry });
  const graphqlUrl = `http://127.0.0.1:${app.http!.port}/graphql`;
  return Object.assign(app, {
    graphqlUrl,
    async gql(query: string, variables?: Record<string, unknown>, opts: { token?: string | null; headers?: Record<string, string> } = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
      const token = opts.token === undefined ? TEST_ADMIN_TOKEN : opts.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      const res = await fetch(graphqlUrl, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      const body = (await res.json()) as { data?: any; errors?: any[] };
      return { status: res.status, data: body.data, errors: body.errors, headers: res.headers };
    },
  });
}

/** The data of an answer that must have no error. */
export function ok<T>(res: GqlResult<T>): T {
  assert.equal(res.errors, undefined, `unexpected errors: ${JSON.stringify(res.errors)}`);
  return res.data as T;
}

/** The first error of an answer that must fail with `code`. */
export function failure(res: GqlResult<unknown>, code: string) {
  assert.ok(res.errors?.length, `expected a ${code} error, got data ${JSON.stringify(res.data)}`);
  assert.equal(res.errors[0].extensions?.code, code, JSON.stringify(res.errors));
  return res.errors[0];
}

/**
 * Keeps a test's service off the real `registry-1.docker.io`: Docker Hub images' image
 * configs are not read (DOCKER_SCRAPER_IMAGE_CONFIG, on by default in production), and the
 * registry URL points where nothing listens. Tests of the image config pass a registry.
 */
export const NO_HUB_REGISTRY = { DOCKER_SCRAPER_IMAGE_CONFIG: 'false', DOCKER_HUB_REGISTRY_URL: 'http://127.0.0.1:9' } as const;
