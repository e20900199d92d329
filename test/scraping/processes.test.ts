import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, TestDatabase } from '../support/db';
import { FakeDockerHub, hubPaths } from '../support/fake-docker-hub';
import { syntheticCatalog } from '../support/hub-data';
import { waitForRow } from '../support/scrape';
import { Child, startChild } from '../support/child';

const IMAGES = syntheticCatalog(8, { tagsPerImage: 2, namespace: () => 'acme' });

/** Real processes (node dist/src/main.js) on one database: crashes and signals. */
describe('scraper processes', () => {
  let db: TestDatabase;
  let hub: FakeDockerHub;
  const children: Child[] = [];
  const start = (env: Record<string, string> = {}) => {
    const c = startChild({
      DATABASE_URL: db.url,
      DOCKER_HUB_URL: hub.url,
      DOCKER_SCRAPER_IMAGES: IMAGES.map((i) => `${i.namespace}/${i.name}`).join(','),
      DOCKER_SCRAPER_CONCURRENCY: '1',
      DOCKER_SCRAPER_POLL: '100ms',
      DOCKER_SCRAPER_LEASE: '2s',
      DOCKER_SCRAPER_HEARTBEAT: '200ms',
      ...env,
    });
    children.push(c);
    return c;
  };

  before(async () => {
    hub = await FakeDockerHub.start({ maxPageSize: 100 });
    hub.seed(IMAGES);
  });
  beforeEach(async () => {
    db = await createTestDatabase();
    hub.clearRequests();
    hub.latencyMs = 150;
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.proc.exitCode === null && c.proc.signalCode === null) {
        c.kill('SIGKILL');
        await c.exited;
      }
    }
    await db.drop();
  });
  after(async () => hub.close());

  test('kill -9 mid-run: once the lease expires the run is INTERRUPTED and a RECOVERY run scrapes what was left', async () => {
    const a = start();
    const [run] = [await waitForRow<any>(db, `SELECT r.id, (SELECT count(*) FROM scrape_run_result s WHERE s.run_id = r.id AND s.status NOT IN ('PENDING', 'RUNNING'))::int AS images_done FROM scrape_run r`, [], (r) => r?.images_done >= 2)];
    a.kill('SIGKILL');
    await a.exited;
    const doneBefore = (await db.query(`SELECT image FROM scrape_run_result WHERE run_id = $1 AND status = 'OK'`, [run.id])).map((r) => r.image);
    // Wait until nobody renews the run's lease: every owner is gone.
    await waitForRow(db, `SELECT 1 FROM scrape_run WHERE id = $1 AND lease_expires_at < now()`, [run.id], undefined, 10_000);
    const requestsBefore = new Map(IMAGES.map((i) => [i.name, hub.countRequests(hubPaths.repository(i.namespace, i.name))]));

    start();
    const recovery = await waitForRow<any>(db, `SELECT id, status, images_total FROM scrape_run WHERE trigger = 'RECOVERY' AND status NOT IN ('QUEUED', 'RUNNING')`, [], undefined, 20_000);
    const [old] = await db.query(`SELECT status, error, recovery_of FROM scrape_run WHERE id = $1`, [run.id]);
    assert.equal(old.status, 'INTERRUPTED');
    assert.match(old.error, /every process working on this run stopped/);
    const [rec] = await db.query(`SELECT recovery_of, status FROM scrape_run WHERE id = $1`, [recovery.id]);
    assert.equal(rec.recovery_of, run.id);
    assert.equal(rec.status, 'SUCCEEDED');
    assert.equal(recovery.images_total, IMAGES.length - doneBefore.length, 'the recovery covers exactly the unfinished images');
    const interrupted = (await db.query(`SELECT image FROM scrape_run_result WHERE run_id = $1 AND status = 'INTERRUPTED' ORDER BY position`, [run.id])).map((r) => r.image);
    const recovered = (await db.query(`SELECT image FROM scrape_run_result WHERE run_id = $1 ORDER BY position`, [recovery.id])).map((r) => r.image);
    assert.deepEqual(recovered, interrupted);
    for (const image of doneBefore) {
      const i = IMAGES.find((x) => `${x.namespace}/${x.name}` === image)!;
      assert.equal(hub.countRequests(hubPaths.repository(i.namespace, i.name)), requestsBefore.get(i.name), `${image} not fetched again`);
    }
    // No run was scheduled on top: the interrupted run started within the interval.
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM scrape_run`);
    assert.equal(n, 2);
    const [{ resources }] = await db.query(`SELECT count(*)::int AS resources FROM processing_resource`);
    assert.equal(resources, IMAGES.length);
  });

  test('a process started while the run is still leased joins it instead', async () => {
    // A lease long enough that the second process, even slow to boot, finds the run still leased.
    const a = start({ DOCKER_SCRAPER_LEASE: '10s' });
    const run = await waitForRow<any>(db, `SELECT r.id, (SELECT count(*) FROM scrape_run_result s WHERE s.run_id = r.id AND s.status NOT IN ('PENDING', 'RUNNING'))::int AS images_done FROM scrape_run r`, [], (r) => r?.images_done >= 2);
    a.kill('SIGKILL');
    await a.exited;
    start({ DOCKER_SCRAPER_LEASE: '10s' });
    const done = await waitForRow<any>(db, `SELECT status FROM scrape_run WHERE id = $1 AND status NOT IN ('QUEUED', 'RUNNING')`, [run.id], undefined, 20_000);
    assert.equal(done.status, 'SUCCEEDED');
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM scrape_run`);
    assert.equal(n, 1, 'joined, no RECOVERY run');
    const [{ reclaimed }] = await db.query(`SELECT count(*)::int AS reclaimed FROM scrape_run_result WHERE run_id = $1 AND attempts > 1`, [run.id]);
    // The dead process held one image in flight (concurrency 1) and two claims ready (PREFETCH).
    assert.ok(reclaimed >= 1 && reclaimed <= 3, `only the dead process's claims were taken over (${reclaimed})`);
  });

  test('SIGTERM: stops claiming, hands unfinished images back and exits 0; another process finishes the run', async () => {
    hub.latencyMs = 300;
    // A lease long enough that the second process, even slow to boot, finds the run still leased.
    const a = start({ SHUTDOWN_GRACE: '100ms', DOCKER_SCRAPER_LEASE: '10s' });
    const run = await waitForRow<any>(db, `SELECT r.id, (SELECT count(*) FROM scrape_run_result s WHERE s.run_id = r.id AND s.status NOT IN ('PENDING', 'RUNNING'))::int AS images_done FROM scrape_run r`, [], (r) => r?.images_done >= 1);
    a.kill('SIGTERM');
    const exit = await a.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, a.stderr + JSON.stringify(a.logs.slice(-5)));
    await a.waitForLog((l) => l.msg === 'stopped', 1000);
    const states = await db.query(`SELECT status, count(*)::int AS n FROM scrape_run_result WHERE run_id = $1 GROUP BY 1 ORDER BY 1`, [run.id]);
    assert.ok(!states.some((s) => s.status === 'RUNNING'), `nothing left claimed: ${JSON.stringify(states)}`);
    assert.ok(states.some((s) => s.status === 'PENDING'));
    hub.latencyMs = 0;
    start({ DOCKER_SCRAPER_LEASE: '10s' });
    const done = await waitForRow<any>(db, `SELECT status FROM scrape_run WHERE id = $1 AND status NOT IN ('QUEUED', 'RUNNING')`, [run.id], undefined, 20_000);
    assert.equal(done.status, 'SUCCEEDED');
  });
});

describe('scraper processes: replicas and logs', () => {
  let db: TestDatabase;
  let hub: FakeDockerHub;
  const children: Child[] = [];

  before(async () => {
    db = await createTestDatabase();
    hub = await FakeDockerHub.start({ maxPageSize: 100, latencyMs: 100 });
    hub.seed(IMAGES);
  });
  after(async () => {
    for (const c of children) {
      if (c.proc.exitCode === null && c.proc.signalCode === null) {
        c.kill('SIGKILL');
        await c.exited;
      }
    }
    await hub.close();
    await db.drop();
  });

  test('two processes starting together on an empty database: one run, each image fetched once, one log line per image and per run', async () => {
    const env = {
      DATABASE_URL: db.url,
      DOCKER_HUB_URL: hub.url,
      DOCKER_SCRAPER_IMAGES: IMAGES.map((i) => `${i.namespace}/${i.name}`).join(','),
      DOCKER_SCRAPER_CONCURRENCY: '2',
      DOCKER_SCRAPER_POLL: '100ms',
    };
    children.push(startChild(env), startChild(env));
    const run = await waitForRow<any>(db, `SELECT id, status FROM scrape_run WHERE status NOT IN ('QUEUED', 'RUNNING')`, [], undefined, 30_000);
    assert.equal(run.status, 'SUCCEEDED');
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM scrape_run`);
    assert.equal(n, 1);
    for (const image of IMAGES) assert.equal(hub.countRequests(hubPaths.repository(image.namespace, image.name)), 1, `${image.name} fetched once`);

    // Logs: every image once, across both processes, with its outcome; the run once.
    await Promise.all(children.map((c) => c.waitForLog((l) => l.step === 'ready')));
    const deadline = Date.now() + 5_000;
    let lines: any[] = [];
    while (Date.now() < deadline) {
      lines = children.flatMap((c) => c.logs);
      if (lines.some((l) => l.msg === 'scrape run finished')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const images = lines.filter((l) => l.msg === 'image scraped');
    assert.deepEqual(images.map((l) => l.image).sort(), IMAGES.map((i) => `${i.namespace}/${i.name}`).sort());
    for (const l of images) {
      assert.equal(l.run, run.id);
      assert.equal(l.status, 'OK');
      assert.equal(typeof l.ms, 'number');
      assert.equal(l.added, 2);
    }
    const finished = lines.filter((l) => l.msg === 'scrape run finished');
    assert.equal(finished.length, 1);
    assert.equal(finished[0].status, 'SUCCEEDED');
    assert.equal(finished[0].images, IMAGES.length);
    assert.equal(finished[0].instancesAdded, IMAGES.length * 2);
    assert.ok(!lines.some((l) => l.raw && /scrap/i.test(l.raw)), 'no unstructured scraper output');
  });
});
