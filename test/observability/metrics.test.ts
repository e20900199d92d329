import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics } from '../../src/observability/metrics';
import { createTestDatabase, TestDatabase } from '../support/db';
import { startTestApp, TestApp } from '../support/app';
import { insertResource, insertRun } from '../support/catalog-fixtures';
import { FakeDockerHub, faults, hubPaths } from '../support/fake-docker-hub';
import { syntheticTags } from '../support/hub-data';

/** The value of one sample line (`name{labels} value`), or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v) && Object.keys(got).length === Object.keys(labels).length) return Number(m[3]);
  }
  return undefined;
}

describe('GET /metrics', () => {
  let db: TestDatabase;
  let app: TestApp;
  const scrape = async () => {
    const res = await fetch(`${app.url.replace('localhost', '127.0.0.1')}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return res.text();
  };

  before(async () => {
    db = await createTestDatabase();
    // The scheduler loop sleeps for an hour: runs inserted below stay as they are.
    app = await startTestApp(db.url, { DOCKER_SCRAPER_POLL: '1h' });
    await insertResource(db, { name: 'nginx', instances: [{ name: '1.27' }, { name: '1.26' }, { name: 'latest' }] });
    await insertResource(db, { name: 'bitnami/redis', instances: [{ name: '7.4' }] });
  });
  after(async () => {
    await app?.close();
    await db?.drop();
  });

  test('process metrics, prefixed', async () => {
    const text = await scrape();
    assert.ok(sample(text, 'catalog_sync_process_cpu_seconds_total')! > 0);
    assert.match(text, /^# TYPE catalog_sync_nodejs_heap_size_used_bytes gauge$/m);
  });

  test('GraphQL operations by name, type and outcome; HTTP requests by route and status', async () => {
    const before = await scrape();
    const okCount = (t: string) => sample(t, 'catalog_sync_graphql_operations_total', { operation_name: 'ListResources', operation_type: 'query', outcome: 'ok' }) ?? 0;
    for (let i = 0; i < 3; i++) assert.equal((await app.gql('query ListResources { resources { totalCount } }')).errors, undefined);
    await app.gql('mutation Sneaky { updateTrackedImage(input: {image: "nginx", enabled: false}) { __typename } }', undefined, { token: null });
    await app.gql('mutation BadAdd { addTrackedImages(input: {images: ["Nope"]}) { __typename } }');
    ok(await app.gql('mutation { addTrackedImages(input: {images: ["alpine"]}) { __typename } }'));
    await app.gql('query TooDeep { trackedImages { edges { node { resource { instances { edges { node { resource { instances { edges { node { name } } } } } } } } } } } }');
    await app.gql('{ nope }');

    const text = await scrape();
    assert.equal(okCount(text) - okCount(before), 3);
    const ops = (labels: Record<string, string>) => sample(text, 'catalog_sync_graphql_operations_total', labels);
    assert.equal(ops({ operation_name: 'Sneaky', operation_type: 'mutation', outcome: 'UNAUTHENTICATED' }), 1);
    assert.equal(ops({ operation_name: 'BadAdd', operation_type: 'mutation', outcome: 'BAD_USER_INPUT' }), 1);
    assert.equal(ops({ operation_name: 'anonymous', operation_type: 'mutation', outcome: 'ok' }), 1);
    assert.equal(ops({ operation_name: 'TooDeep', operation_type: 'query', outcome: 'QUERY_TOO_COMPLEX' }), 1);
    assert.equal(ops({ operation_name: 'anonymous', operation_type: 'query', outcome: 'GRAPHQL_VALIDATION_FAILED' }), 1);
    assert.ok(
      sample(text, 'catalog_sync_graphql_operation_duration_seconds_count', { operation_type: 'query', outcome: 'ok' })! >= 3,
      'the latency histogram counts the operations',
    );
    assert.ok(sample(text, 'catalog_sync_http_requests_total', { route: '/graphql', status: '200' })! >= 6);
    assert.equal(sample(text, 'catalog_sync_http_requests_total', { route: '/graphql', status: '400' }), 2);
    assert.ok(sample(text, 'catalog_sync_http_request_duration_seconds_count', { route: '/graphql', status: '200' })! >= 6);
    assert.ok(sample(text, 'catalog_sync_http_requests_total', { route: '/metrics', status: '200' })! >= 1);
  });

  test('catalog sizes, tracked images by last status and active runs are read from the database when scraped', async () => {
    let text = await scrape();
    assert.equal(sample(text, 'catalog_sync_catalog_resources'), 2);
    assert.equal(sample(text, 'catalog_sync_catalog_instances'), 4);
    const tracked = (t: string, s: string) => sample(t, 'catalog_sync_tracked_images', { last_status: s });
    const [{ n }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM tracked_image WHERE removed_at IS NULL');
    assert.equal(tracked(text, 'NONE'), n);
    assert.equal(tracked(text, 'OK'), 0);
    assert.equal(sample(text, 'catalog_sync_scrape_runs_active', { status: 'RUNNING' }), 0);

    await db.query(`UPDATE tracked_image SET last_status = 'OK' WHERE name = 'nginx'`);
    await db.query(`UPDATE tracked_image SET last_status = 'NOT_FOUND' WHERE name = 'bitnami/redis'`);
    await insertResource(db, { name: 'org/third', instances: [{ name: 'v1' }] });
    await insertRun(db, { status: 'RUNNING', results: [] });
    text = await scrape();
    assert.equal(sample(text, 'catalog_sync_catalog_resources'), 3);
    assert.equal(sample(text, 'catalog_sync_catalog_instances'), 5);
    assert.equal(tracked(text, 'OK'), 1);
    assert.equal(tracked(text, 'NOT_FOUND'), 1);
    assert.equal(tracked(text, 'NONE'), n - 2);
    assert.equal(sample(text, 'catalog_sync_scrape_runs_active', { status: 'RUNNING' }), 1);
    assert.equal(sample(text, 'catalog_sync_scrape_runs_active', { status: 'QUEUED' }), 0);
  });

  test('scraper metric families are exposed, and record what the engine and the Docker Hub client report', async () => {
    let text = await scrape();
    for (const family of [
      'catalog_sync_hub_requests_total',
      'catalog_sync_hub_request_duration_seconds',
      'catalog_sync_hub_retries_total',
      'catalog_sync_hub_rate_limit_pauses_total',
      'catalog_sync_hub_rate_limit_pause_seconds_total',
      'catalog_sync_scrape_runs_total',
      'catalog_sync_scrape_run_duration_seconds',
      'catalog_sync_scrape_images_total',
      'catalog_sync_scrape_image_duration_seconds',
    ]) {
      assert.match(text, new RegExp(`^# HELP ${family} `, 'm'), `${family} is exposed`);
    }
    const hub = app.metrics.hubObserver();
    hub.request({ status: 200, durationMs: 120, endpoint: 'tags' });
    hub.request({ status: 200, durationMs: 80, endpoint: 'tags' });
    hub.request({ status: 'timeout', durationMs: 30_000, endpoint: 'repository' });
    hub.retry({ reason: 'HTTP 503', attempt: 1, delayMs: 500 });
    hub.retry({ reason: 'network error', attempt: 2, delayMs: 900 });
    hub.rateLimitPause({ ms: 1_500, source: 'retry-after' });
    hub.rateLimitPause({ ms: 2_500, source: 'retry-after' });
    app.metrics.scrapeRunFinished({ trigger: 'MANUAL', status: 'PARTIAL', durationSeconds: 42 });
    app.metrics.imageFinished({ outcome: 'OK', durationSeconds: 1.5 });
    app.metrics.imageFinished({ outcome: 'NOT_FOUND' });

    text = await scrape();
    assert.equal(sample(text, 'catalog_sync_hub_requests_total', { endpoint: 'tags', status: '200' }), 2);
    assert.equal(sample(text, 'catalog_sync_hub_requests_total', { endpoint: 'repository', status: 'timeout' }), 1);
    assert.ok(Math.abs(sample(text, 'catalog_sync_hub_request_duration_seconds_sum', { endpoint: 'tags' })! - 0.2) < 1e-9);
    assert.equal(sample(text, 'catalog_sync_hub_retries_total', { reason: 'http_503' }), 1);
    assert.equal(sample(text, 'catalog_sync_hub_retries_total', { reason: 'network_error' }), 1);
    assert.equal(sample(text, 'catalog_sync_hub_rate_limit_pauses_total', { source: 'retry_after' }), 2);
    assert.equal(sample(text, 'catalog_sync_hub_rate_limit_pause_seconds_total', { source: 'retry_after' }), 4);
    assert.equal(sample(text, 'catalog_sync_scrape_runs_total', { trigger: 'MANUAL', status: 'PARTIAL' }), 1);
    assert.equal(sample(text, 'catalog_sync_scrape_run_duration_seconds_sum', { trigger: 'MANUAL', status: 'PARTIAL' }), 42);
    assert.equal(sample(text, 'catalog_sync_scrape_images_total', { outcome: 'OK' }), 1);
    assert.equal(sample(text, 'catalog_sync_scrape_images_total', { outcome: 'NOT_FOUND' }), 1);
    assert.equal(sample(text, 'catalog_sync_scrape_image_duration_seconds_count', { outcome: 'OK' }), 1);
  });

  test('each app has its own registry: a second app in the same process starts from zero', async () => {
    const other = await startTestApp(db.url, { DOCKER_SCRAPER_POLL: '1h' });
    try {
      const res = await fetch(`http://127.0.0.1:${other.http!.port}/metrics`);
      const text = await res.text();
      assert.equal(sample(text, 'catalog_sync_hub_requests_total', { endpoint: 'tags', status: '200' }), undefined);
      assert.equal(sample(text, 'catalog_sync_graphql_operations_total', { operation_name: 'ListResources', operation_type: 'query', outcome: 'ok' }), undefined);
      assert.equal(sample(text, 'catalog_sync_catalog_resources'), 3, 'it reads the same database');
    } finally {
      await other.close();
    }
  });
});

describe('Metrics', () => {
  test('client-chosen operation names cannot grow the label set without bound', async () => {
    const metrics = new Metrics({ processMetrics: false });
    for (let i = 0; i < 150; i++) metrics.observeGraphql({ operationName: `Op${i}`, operationType: 'query', outcome: 'ok', seconds: 0.01 });
    metrics.observeGraphql({ operationName: 'bad name {', operationType: 'query', outcome: 'weird code!', seconds: 0.01 });
    const text = await metrics.registry.metrics();
    const names = new Set([...text.matchAll(/graphql_operations_total\{operation_name="([^"]+)"/g)].map((m) => m[1]));
    assert.equal(names.size, 102); // 100 names, __other__, __invalid__
    assert.ok(names.has('__other__') && names.has('__invalid__'));
    assert.equal(sample(text, 'catalog_sync_graphql_operations_total', { operation_name: '__other__', operation_type: 'query', outcome: 'ok' }), 50);
    assert.match(text, /outcome="OTHER"/);
  });
});

function ok(res: { errors?: unknown[] }) {
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
}

describe('GET /metrics after a real scrape', () => {
  test('Docker Hub requests, retries, runs and images are recorded by the engine and the client', async () => {
    const db = await createTestDatabase();
    const hub = await FakeDockerHub.start();
    hub.setRepository('library', 'nginx', { tags: syntheticTags(3) });
    hub.inject(hubPaths.tags('library', 'nginx'), faults.serviceUnavailable(), { times: 1 });
    const app = await startTestApp(db.url, {
      DOCKER_HUB_URL: hub.url,
      DOCKER_SCRAPER_IMAGES: 'nginx,ghost',
      DOCKER_HUB_RETRY_BASE: '1ms',
    });
    try {
      const t = await app.gql(`mutation { triggerScrape(input: { wait: true }) { run { status } } }`);
      assert.equal(t.data.triggerScrape.run.status, 'PARTIAL');
      const text = await (await fetch(`${app.url.replace('localhost', '127.0.0.1')}/metrics`)).text();
      assert.equal(sample(text, 'catalog_sync_hub_requests_total', { endpoint: 'repository', status: '200' }), 1);
      assert.equal(sample(text, 'catalog_sync_hub_requests_total', { endpoint: 'repository', status: '404' }), 1);
      assert.equal(sample(text, 'catalog_sync_hub_requests_total', { endpoint: 'tags', status: '503' }), 1);
      assert.equal(sample(text, 'catalog_sync_hub_requests_total', { endpoint: 'tags', status: '200' }), 1);
      assert.equal(sample(text, 'catalog_sync_hub_retries_total', { reason: 'http_503' }), 1);
      assert.equal(sample(text, 'catalog_sync_scrape_runs_total', { trigger: 'MANUAL', status: 'PARTIAL' }), 1);
      assert.equal(sample(text, 'catalog_sync_scrape_images_total', { outcome: 'OK' }), 1);
      assert.equal(sample(text, 'catalog_sync_scrape_images_total', { outcome: 'NOT_FOUND' }), 1);
      assert.equal(sample(text, 'catalog_sync_catalog_instances'), 3);
      assert.equal(sample(text, 'catalog_sync_tracked_images', { last_status: 'NOT_FOUND' }), 1);
    } finally {
      await app.close();
      await hub.close();
      await db.drop();
    }
  });
});
