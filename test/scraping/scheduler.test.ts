import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, TestDatabase } from '../support/db';
import { startTestApp, TestApp } from '../support/app';
import { FakeDockerHub, hubPaths } from '../support/fake-docker-hub';
import { syntheticCatalog } from '../support/hub-data';
import { waitForRow } from '../support/scrape';

const IMAGES = syntheticCatalog(12, { tagsPerImage: 3, namespace: () => 'acme' });
const IMAGE_LIST = IMAGES.map((i) => `${i.namespace}/${i.name}`).join(',');
const FAST = { DOCKER_SCRAPER_POLL: '100ms', DOCKER_SCRAPER_LEASE: '3s', DOCKER_SCRAPER_HEARTBEAT: '300ms' };

describe('scheduling lives in the database', () => {
  let db: TestDatabase;
  let hub: FakeDockerHub;
  const apps: TestApp[] = [];
  const start = async (env: Record<string, string> = {}) => {
    const app = await startTestApp(db.url, {
      DOCKER_HUB_URL: hub.url,
      DOCKER_SCRAPER_IMAGES: IMAGE_LIST,
      DOCKER_SCRAPER_ENABLED: 'true',
      ...FAST,
      ...env,
    });
    apps.push(app);
    return app;
  };
  const runs = () => db.query(`SELECT id, trigger, status, scope FROM scrape_run ORDER BY created_at`);

  before(async () => {
    hub = await FakeDockerHub.start({ maxPageSize: 100 });
    hub.seed(IMAGES);
  });
  beforeEach(async () => {
    db = await createTestDatabase();
    hub.clearRequests();
    hub.latencyMs = 0;
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await db.drop();
  });
  after(async () => {
    await hub.close();
  });

  test('a new database is scraped at startup; a restart within the interval does not scrape again', async () => {
    const a = await start();
    await waitForRow(db, `SELECT status FROM scrape_run WHERE status = 'SUCCEEDED'`);
    await a.close();
    assert.deepEqual((await runs()).map((r) => [r.trigger, r.status, r.scope]), [['STARTUP', 'SUCCEEDED', 'ALL']]);
    const requests = hub.countRequests();
    assert.equal(requests, 24, 'one repository and one tag page per image');

    await start();
    await new Promise((r) => setTimeout(r, 600)); // several polls
    assert.equal((await runs()).length, 1, 'no second run');
    assert.equal(hub.countRequests(), requests, 'no request reached Docker Hub');
  });

  test('DOCKER_SCRAPER_ON_STARTUP=always scrapes at every start, as the Go scraper did', async () => {
    const a = await start();
    await waitForRow(db, `SELECT 1 FROM scrape_run WHERE status = 'SUCCEEDED'`);
    await a.close();
    await start({ DOCKER_SCRAPER_ON_STARTUP: 'always' });
    await waitForRow(db, `SELECT count(*)::int AS n FROM scrape_run WHERE status = 'SUCCEEDED'`, [], (r: any) => r.n === 2);
    assert.deepEqual((await runs()).map((r) => r.trigger), ['STARTUP', 'STARTUP']);
  });

  test('a run is scheduled again once the interval has passed since the last one started', async () => {
    await start({ DOCKER_SCRAPER_INTERVAL: '1s' });
    await waitForRow(db, `SELECT count(*)::int AS n FROM scrape_run WHERE status = 'SUCCEEDED'`, [], (r: any) => r.n >= 2, 10_000);
    const list = await runs();
    assert.equal(list[0].trigger, 'STARTUP');
    assert.equal(list[1].trigger, 'SCHEDULE');
    const [gap] = await db.query(
      `SELECT extract(epoch FROM (SELECT started_at FROM scrape_run ORDER BY created_at OFFSET 1 LIMIT 1) - (SELECT started_at FROM scrape_run ORDER BY created_at LIMIT 1)) AS s`,
    );
    assert.ok(Number(gap.s) >= 1, `second run ${gap.s}s after the first`);
  });

  test('with the scheduler off no request reaches Docker Hub until a scrape is asked for', async () => {
    const app = await start({ DOCKER_SCRAPER_ENABLED: 'false' });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(hub.countRequests(), 0);
    assert.equal((await runs()).length, 0);
    const s = await app.gql(`{ scraper { enabled nextRunAt running } }`);
    assert.deepEqual(s.data.scraper, { enabled: false, nextRunAt: null, running: false });
    const t = await app.gql(`mutation { triggerScrape(input: { images: ["acme/img0"], wait: true }) { run { status imagesTotal } } }`);
    assert.deepEqual(t.data.triggerScrape.run, { status: 'SUCCEEDED', imagesTotal: 1 });
    assert.equal(hub.countRequests(), 2);
  });

  test('two replicas starting together on an empty database create one run and fetch each image once', async () => {
    // Slow enough (12 images × 2 requests × 100 ms over 4 slots: 0.6 s at least) for the
    // second replica to be up and take part even when it boots late on a loaded machine.
    hub.latencyMs = 100;
    await Promise.all([start({ DOCKER_SCRAPER_CONCURRENCY: '2' }), start({ DOCKER_SCRAPER_CONCURRENCY: '2' })]);
    await waitForRow(db, `SELECT 1 FROM scrape_run WHERE status = 'SUCCEEDED'`);
    assert.equal((await runs()).length, 1);
    for (const image of IMAGES) {
      assert.equal(hub.countRequests(hubPaths.repository(image.namespace, image.name)), 1, `${image.name} fetched once`);
    }
    const workers = await db.query(`SELECT DISTINCT claimed_by FROM scrape_run_result`);
    assert.equal(workers.length, 2, 'both replicas took part');
  });

  test('scraper status shows the run in progress with live progress, and the next due time', async () => {
    hub.latencyMs = 150;
    const app = await start({ DOCKER_SCRAPER_CONCURRENCY: '1', DOCKER_SCRAPER_INTERVAL: '2h' });
    await waitForRow(db, `SELECT (SELECT count(*) FROM scrape_run_result s WHERE s.run_id = r.id AND s.status NOT IN ('PENDING', 'RUNNING'))::int AS images_done FROM scrape_run r`, [], (r: any) => r?.images_done >= 2);
    const s = await app.gql(`{ scraper { enabled running interval currentRun { trigger status imagesTotal imagesDone } nextRunAt } }`);
    const st = s.data.scraper;
    assert.equal(st.running, true);
    assert.equal(st.interval, '2h');
    assert.equal(st.currentRun.status, 'RUNNING');
    assert.equal(st.currentRun.imagesTotal, 12);
    assert.ok(st.currentRun.imagesDone >= 2 && st.currentRun.imagesDone < 12);
    const [run] = await db.query(`SELECT started_at FROM scrape_run`);
    assert.equal(new Date(st.nextRunAt).getTime(), run.started_at.getTime() + 2 * 3600_000);
  });
});
