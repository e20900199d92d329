/**
 * Whole runs against a failing or slow Docker Hub: backoff after failed full runs, the
 * circuit breaker on the default list, manual subset runs beside a full run (priority),
 * currentRun/activeRuns, deadlines, and pacing from the rate-limit headers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { createTestDatabase, TestDatabase } from '../support/db';
import { ok, startTestApp, TestApp } from '../support/app';
import { FakeDockerHub, faults, hubPaths } from '../support/fake-docker-hub';
import { syntheticCatalog } from '../support/hub-data';
import { waitForRow, waitForRun } from '../support/scrape';
import { DEFAULT_IMAGES } from '../../src/config/default-images';
import { createLogger } from '../../src/shared/logger';

const FAST = { DOCKER_SCRAPER_POLL: '100ms', DOCKER_SCRAPER_LEASE: '3s', DOCKER_SCRAPER_HEARTBEAT: '300ms' };

/** A port nothing listens on (taken, then given back). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function hubRequests(app: TestApp): Promise<number> {
  const metric = await app.metrics.registry.getSingleMetric('catalog_sync_hub_requests_total')!.get();
  return metric.values.reduce((n, v) => n + v.value, 0);
}

const trigger = (app: TestApp, input: unknown) =>
  app.gql(`mutation($input: TriggerScrapeInput) { triggerScrape(input: $input) { created run { id status scope } } }`, { input });

describe('a failed full run does not count as the last scrape: backoff, across restarts', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  test('1 min, doubling per failed run in a row, capped at the interval; a good run puts it back on the interval', async () => {
    const env = { ...FAST, DOCKER_SCRAPER_ENABLED: 'true', DOCKER_SCRAPER_INTERVAL: '3m', DOCKER_HUB_MAX_ATTEMPTS: '1', DOCKER_HUB_URL: `http://127.0.0.1:${await closedPort()}` };
    const nextRunAt = async (app: TestApp) => new Date(ok(await app.gql(`{ scraper { nextRunAt } }`)).scraper.nextRunAt).getTime();
    const lastFull = async () =>
      (await db.query<{ id: string; finished_at: Date; started_at: Date }>(`SELECT id, finished_at, started_at FROM scrape_run WHERE scope = 'ALL' ORDER BY created_at DESC LIMIT 1`))[0];

    // Offline at first start: the STARTUP run fails.
    let app = await startTestApp(db.url, env);
    await waitForRow(db, `SELECT 1 FROM scrape_run WHERE status = 'FAILED'`);
    let failed = await lastFull();
    assert.ok(Math.abs((await nextRunAt(app)) - (failed.finished_at.getTime() + 60_000)) < 5, 'next attempt 1 min after the failed run ended');
    await app.close();

    // A restart within the backoff does not scrape (the state is in PostgreSQL) …
    app = await startTestApp(db.url, env);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await db.query(`SELECT 1 FROM scrape_run`)).length, 1, 'no run at the restart');
    // … and once the backoff has passed, a scheduled run comes.
    await db.query(
      `UPDATE scrape_run SET created_at = created_at - interval '61 s', started_at = started_at - interval '61 s', finished_at = finished_at - interval '61 s'`,
    );
    await waitForRow(db, `SELECT 1 FROM scrape_run WHERE trigger = 'SCHEDULE' AND status = 'FAILED'`);
    failed = await lastFull();
    assert.ok(Math.abs((await nextRunAt(app)) - (failed.finished_at.getTime() + 120_000)) < 5, 'two failures in a row: 2 min');

    // A third failed run: 4 min, capped at the 3 min interval.
    await db.query(
      `INSERT INTO scrape_run (id, trigger, status, scope, created_at, started_at, finished_at) VALUES ($1, 'SCHEDULE', 'FAILED', 'ALL', now(), now(), now())`,
      [randomUUID()],
    );
    failed = await lastFull();
    assert.ok(Math.abs((await nextRunAt(app)) - (failed.finished_at.getTime() + 180_000)) < 5, 'capped at the interval');

    // A run that read something (PARTIAL) counts: the interval from its start.
    await db.query(
      `INSERT INTO scrape_run (id, trigger, status, scope, created_at, started_at, finished_at) VALUES ($1, 'SCHEDULE', 'PARTIAL', 'ALL', now(), now(), now())`,
      [randomUUID()],
    );
    const good = await lastFull();
    assert.ok(Math.abs((await nextRunAt(app)) - (good.started_at.getTime() + 180_000)) < 5, 'back on the interval');
    await app.close();
  });
});

describe('circuit breaker: the whole default list against an unreachable host', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  test('175 images end FAILED fast, with a handful of requests and one warning per breaker change', async () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (l: string) => void lines.push(l) });
    const port = await closedPort();
    // Default retry settings (5 attempts, 500 ms backoff base), the default concurrency.
    const app = await startTestApp(db.url, { DOCKER_HUB_URL: `http://127.0.0.1:${port}`, DOCKER_SCRAPER_IMAGES: DEFAULT_IMAGES.join(',') }, { logger });
    try {
      const started = Date.now();
      const t = ok(await trigger(app, { wait: true }));
      const seconds = (Date.now() - started) / 1000;
      const run = await waitForRun(app, t.triggerScrape.run.id);
      const requests = await hubRequests(app);
      console.log(`# offline default list: ${run.imagesTotal} images FAILED in ${seconds.toFixed(2)} s with ${requests} requests`);
      assert.equal(run.imagesTotal, 175);
      assert.equal(run.status, 'FAILED');
      assert.ok(requests < 20, `${requests} requests`);
      assert.ok(seconds < 60, `${seconds} s`);
      const skipped = run.results.filter((r: any) => /^Docker Hub unreachable since \d{4}-[\d-]+T[\d:.]+Z, skipped/.test(r.error));
      assert.ok(skipped.length >= 170, `${skipped.length} skipped`);
      assert.ok(run.results.every((r: any) => r.status === 'FAILED' && r.error));

      const warnings = lines.map((l) => JSON.parse(l)).filter((l) => l.level >= 40);
      assert.ok(warnings.length < 20, `${warnings.length} warning lines`);
      assert.equal(warnings.filter((w) => /circuit breaker open/.test(w.msg)).length, 1);

      const status = ok(await app.gql(`{ scraper { hub { host circuit { state unreachableSince retryAt consecutiveFailures lastFailure } } } }`));
      assert.equal(status.scraper.hub.host, `127.0.0.1:${port}`);
      assert.equal(status.scraper.hub.circuit.state, 'OPEN');
      assert.match(status.scraper.hub.circuit.lastFailure, /ECONNREFUSED/);
      const metrics = await (await fetch(`${app.url}/metrics`)).text();
      assert.match(metrics, new RegExp(`catalog_sync_hub_circuit_state\\{host="127.0.0.1:${port}"\\} 2`));
    } finally {
      await app.close();
    }
  });
});

describe('manual subset runs beside a full run', () => {
  let db: TestDatabase;
  let hub: FakeDockerHub;
  let app: TestApp;
  const IMAGES = syntheticCatalog(16, { tagsPerImage: 2, namespace: () => 'acme' });

  before(async () => {
    db = await createTestDatabase();
    hub = await FakeDockerHub.start({ maxPageSize: 100 });
    hub.seed(IMAGES);
    app = await startTestApp(db.url, {
      DOCKER_HUB_URL: hub.url,
      DOCKER_SCRAPER_IMAGES: IMAGES.map((i) => `acme/${i.name}`).join(','),
      DOCKER_SCRAPER_CONCURRENCY: '2',
      ...FAST,
    });
  });
  after(async () => {
    await app?.close();
    await hub?.close();
    await db?.drop();
  });

  test('start at once in the reserved slot, never fetch an image twice at once; currentRun/activeRuns order', async () => {
    // Every repository request takes 1.5 s: the full run holds both ordinary slots.
    hub.inject(hubPaths.api, faults.delay(1_500), { times: Infinity });
    const full = ok(await trigger(app, null)).triggerScrape.run.id;
    // The first image is being fetched (its request reached the Hub, it answers in 1.5 s).
    await hub.waitForRequests(1, hubPaths.repository('acme', 'img0'));

    const asked = Date.now();
    const subset = ok(await trigger(app, { images: ['acme/img10'] })).triggerScrape.run.id;
    const [first] = await waitForRow<{ started_at: Date }>(db, `SELECT started_at FROM scrape_run_result WHERE run_id = $1 AND started_at IS NOT NULL`, [subset]).then((r) => [r]);
    const waitMs = first.started_at.getTime() - asked;
    console.log(`# subset run behind a 16-image full run (2 slots busy, 1.5 s per request): first image started ${waitMs} ms after the trigger`);
    assert.ok(waitMs < 1_000, `${waitMs} ms`);

    // An image the full run is fetching right now: its subset run waits (QUEUED).
    const busy = 'acme/img0';
    const queued = ok(await trigger(app, { images: [busy] })).triggerScrape.run.id;
    const active = ok(await app.gql(`{ scraper { currentRun { id status } activeRuns { id status } } }`)).scraper;
    assert.deepEqual(
      active.activeRuns.map((r: any) => [r.id, r.status]),
      [
        [full, 'RUNNING'],
        [subset, 'RUNNING'],
        [queued, 'QUEUED'],
      ],
      'RUNNING first, oldest first; then QUEUED',
    );
    assert.equal(active.currentRun.id, full);

    const done = await waitForRun(app, queued, 60_000);
    assert.equal(done.status, 'SUCCEEDED');
    const [fullResult] = await db.query<{ finished_at: Date }>(`SELECT finished_at FROM scrape_run_result WHERE run_id = $1 AND image = $2`, [full, busy]);
    const [subsetResult] = await db.query<{ started_at: Date }>(`SELECT started_at FROM scrape_run_result WHERE run_id = $1`, [queued]);
    assert.ok(subsetResult.started_at.getTime() >= fullResult.finished_at.getTime(), 'the same image was not fetched twice at once');
    // Never more than concurrency + the reserved slot at once.
    const reqs = hub.requestsTo(hubPaths.api);
    let peak = 0;
    for (const r of reqs) peak = Math.max(peak, reqs.filter((o) => o.timestamp <= r.timestamp && (o.respondedAt ?? Infinity) > r.timestamp).length);
    assert.ok(peak <= 3, `peak ${peak}`);
    hub.clearFaults();
    await waitForRun(app, full, 60_000);
  });
});

describe('deadlines and rate-limit pacing', () => {
  let db: TestDatabase;
  let hub: FakeDockerHub;
  before(async () => {
    db = await createTestDatabase();
    hub = await FakeDockerHub.start({ maxPageSize: 100 });
  });
  after(async () => {
    await hub?.close();
    await db?.drop();
  });

  test('a slow drip is cut by the request deadline, and the image by its deadline; wait: true answers within them', async () => {
    hub.reset();
    hub.seed(syntheticCatalog(2, { tagsPerImage: 2, namespace: () => 'acme', name: (i) => ['drip', 'fine'][i] }));
    const app = await startTestApp(db.url, {
      DOCKER_HUB_URL: hub.url,
      DOCKER_SCRAPER_IMAGES: 'acme/drip,acme/fine',
      DOCKER_HUB_TIMEOUT: '500ms',
      DOCKER_HUB_REQUEST_DEADLINE: '1s',
      DOCKER_HUB_MAX_ATTEMPTS: '2',
      DOCKER_HUB_RETRY_BASE: '10ms',
      DOCKER_SCRAPER_IMAGE_DEADLINE: '5s',
    });
    try {
      // One byte every 100 ms: each chunk within the 500 ms timeout, the whole far beyond 1 s.
      hub.inject(hubPaths.image('acme', 'drip'), faults.drip(100), { times: Infinity });
      let started = Date.now();
      let r = ok(await app.gql(`mutation { triggerScrape(input: { images: ["acme/drip", "acme/fine"], wait: true }) { run { id status } } }`));
      let ms = Date.now() - started;
      let run = await waitForRun(app, r.triggerScrape.run.id);
      const drip = run.results.find((x: any) => x.image === 'acme/drip');
      assert.equal(drip.status, 'FAILED');
      assert.match(drip.error, /1 s request deadline \(DOCKER_HUB_REQUEST_DEADLINE\)/);
      assert.equal(run.results.find((x: any) => x.image === 'acme/fine').status, 'OK');
      assert.ok(ms < 5_000, `answered after ${ms} ms`);
    } finally {
      await app.close();
    }

    const app2 = await startTestApp(db.url, {
      DOCKER_HUB_URL: hub.url,
      DOCKER_SCRAPER_IMAGES: 'acme/drip,acme/fine',
      DOCKER_HUB_TIMEOUT: '500ms',
      DOCKER_HUB_REQUEST_DEADLINE: '1m',
      DOCKER_SCRAPER_IMAGE_DEADLINE: '1500ms',
    });
    try {
      const started = Date.now();
      const r = ok(await app2.gql(`mutation { triggerScrape(input: { images: ["acme/drip"], wait: true }) { run { id status } } }`));
      const ms = Date.now() - started;
      const run = await waitForRun(app2, r.triggerScrape.run.id);
      assert.equal(run.status, 'FAILED');
      assert.match(run.results[0].error, /image deadline of 1s500ms \(DOCKER_SCRAPER_IMAGE_DEADLINE\)/);
      assert.ok(ms < 4_000, `answered after ${ms} ms`);
    } finally {
      await app2.close();
    }
  });

  test('against a budget of 20 requests per second, a scrape of 40 images paces itself and sees at most one 429', async () => {
    hub.reset();
    const images = syntheticCatalog(40, { tagsPerImage: 2, namespace: () => 'acme' });
    hub.seed(images);
    hub.rateBudget = { limit: 20, windowMs: 1_000 };
    const app = await startTestApp(db.url, {
      DOCKER_HUB_URL: hub.url,
      DOCKER_SCRAPER_IMAGES: images.map((i) => `acme/${i.name}`).join(','),
      DOCKER_SCRAPER_CONCURRENCY: '4',
    });
    try {
      const r = ok(await trigger(app, { wait: true }));
      const run = await waitForRun(app, r.triggerScrape.run.id, 60_000);
      const tooMany = hub.requests.filter((x) => x.status === 429).length;
      console.log(`# rate budget 20/s: 40 images, ${hub.requests.length} requests, ${tooMany} answered 429, run ${run.status}`);
      assert.equal(run.status, 'SUCCEEDED');
      assert.ok(tooMany <= 1, `${tooMany} requests answered 429`);
      assert.equal(hub.requests.length - tooMany, 80, 'repository + one tag page per image');
    } finally {
      hub.rateBudget = undefined;
      await app.close();
    }
  });
});
