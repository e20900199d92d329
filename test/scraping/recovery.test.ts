import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { NO_HUB_REGISTRY } from '../support/app';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import path from 'node:path';
import os from 'node:os';
import fs from 'node:fs';
import { createTestDatabase, TestDatabase } from '../support/db';
import { startTestApp, TestApp } from '../support/app';
import { FakeDockerHub } from '../support/fake-docker-hub';
import { syntheticCatalog } from '../support/hub-data';
import { waitForRow, waitForRun } from '../support/scrape';

const IMAGES = syntheticCatalog(4, { tagsPerImage: 2, namespace: () => 'acme' });
const LIST = IMAGES.map((i) => `acme/${i.name}`);

/** Runs whose processes died, written as they would have left them. */
async function abandonedRun(
  db: TestDatabase,
  opts: { scope?: 'ALL' | 'SUBSET'; results: { image: string; status: 'OK' | 'PENDING' | 'RUNNING'; attempts?: number }[] },
): Promise<string> {
  const id = randomUUID();
  // One statement: a run is never visible without its results (as the engine creates them),
  // or a live process could find it empty and finish it before the results exist.
  const rows = opts.results.map((r, i) => ({ image: r.image, position: i + 1, status: r.status, attempts: r.attempts ?? (r.status === 'PENDING' ? 0 : 1) }));
  await db.query(
    `WITH run AS (
       INSERT INTO scrape_run (id, trigger, status, scope, images_total, started_at, lease_expires_at, created_at)
       VALUES ($1, 'SCHEDULE', 'RUNNING', $2, $3, now() - interval '5 minutes', now() - interval '1 minute', now() - interval '5 minutes')
       RETURNING id)
     INSERT INTO scrape_run_result (run_id, image, namespace, repository, position, max_tags, status, attempts, claimed_by, lease_expires_at, finished_at)
     SELECT run.id, r.image, split_part(r.image, '/', 1), split_part(r.image, '/', 2), r.position, 10, r.status, r.attempts,
            CASE WHEN r.status <> 'PENDING' THEN 'dead:1:x' END,
            CASE WHEN r.status = 'RUNNING' THEN now() - interval '1 minute' END,
            CASE WHEN r.status = 'OK' THEN now() END
     FROM run, jsonb_to_recordset($4::jsonb) AS r(image text, position int, status text, attempts int)`,
    [id, opts.scope ?? 'ALL', opts.results.length, JSON.stringify(rows)],
  );
  return id;
}

describe('abandoned runs, retries and who may touch what', () => {
  let db: TestDatabase;
  let hub: FakeDockerHub;
  const apps: TestApp[] = [];
  const start = async (env: Record<string, string> = {}) => {
    const app = await startTestApp(db.url, { DOCKER_HUB_URL: hub.url, DOCKER_SCRAPER_IMAGES: LIST.join(','), DOCKER_SCRAPER_POLL: '100ms', ...env });
    apps.push(app);
    return app;
  };

  before(async () => {
    hub = await FakeDockerHub.start();
    hub.seed(IMAGES);
  });
  beforeEach(async () => {
    db = await createTestDatabase();
    hub.clearRequests();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await db.drop();
  });
  after(async () => hub.close());

  test('a replica with the scheduler off leaves abandoned runs alone; one with it on recovers them', async () => {
    await start(); // the test apps' scheduler is off; this one also seeds the list
    const id = await abandonedRun(db, {
      results: [
        { image: LIST[0], status: 'OK' },
        { image: LIST[1], status: 'RUNNING' },
        { image: LIST[2], status: 'PENDING' },
      ],
    });
    await new Promise((r) => setTimeout(r, 500)); // several polls
    const [still] = await db.query(`SELECT status FROM scrape_run WHERE id = $1`, [id]);
    assert.equal(still.status, 'RUNNING', 'not touched by a process with the scheduler off');
    assert.equal(hub.countRequests(), 0);

    await start({ DOCKER_SCRAPER_ENABLED: 'true' });
    const recovery = await waitForRow<any>(db, `SELECT id FROM scrape_run WHERE recovery_of = $1`, [id]);
    const [old] = await db.query(`SELECT status, error, images_done FROM scrape_run WHERE id = $1`, [id]);
    assert.equal(old.status, 'INTERRUPTED');
    assert.match(old.error, /last heartbeat at \d{4}-\d\d-\d\dT/);
    assert.match(old.error, /2 of 3 image\(s\) were unfinished/);
    assert.equal(old.images_done, 1);
    const done = await waitForRun(apps[1], recovery.id);
    assert.equal(done.trigger, 'RECOVERY');
    assert.deepEqual(done.results.map((r: any) => [r.image, r.status]), [[LIST[1], 'OK'], [LIST[2], 'OK']]);
    assert.equal(done.results[0].attempts, 2, 'the claim count carries over into the recovery');
  });

  test('an image whose every claim ended with its process is given up after 3 claims, not recovered again', async () => {
    await start();
    const id = await abandonedRun(db, {
      scope: 'SUBSET',
      results: [
        { image: LIST[0], status: 'RUNNING', attempts: 3 },
        { image: LIST[1], status: 'PENDING' },
      ],
    });
    // A full run finished recently: no scrape is due when the scheduler starts.
    await db.query(
      `INSERT INTO scrape_run (id, trigger, status, scope, started_at, finished_at, created_at) VALUES ($1, 'SCHEDULE', 'SUCCEEDED', 'ALL', now(), now(), now())`,
      [randomUUID()],
    );
    await start({ DOCKER_SCRAPER_ENABLED: 'true' });
    const recovery = await waitForRow<any>(db, `SELECT id FROM scrape_run WHERE recovery_of = $1`, [id]);
    const [given] = await db.query(`SELECT status, error FROM scrape_run_result WHERE run_id = $1 AND image = $2`, [id, LIST[0]]);
    assert.equal(given.status, 'FAILED');
    assert.match(given.error, /gave up after 3 claims/);
    const done = await waitForRun(apps[1], recovery.id);
    assert.deepEqual(done.results.map((r: any) => r.image), [LIST[1]]);
    const [tracked] = await db.query(`SELECT last_status, last_error FROM tracked_image WHERE name = $1`, [LIST[0]]);
    assert.equal(tracked.last_status, 'FAILED');
  });

  test('a full trigger replaces an abandoned full run instead of returning it', { timeout: 60_000 }, async () => {
    const app = await start();
    const id = await abandonedRun(db, { results: [{ image: LIST[0], status: 'PENDING' }] });
    const t = await app.gql(`mutation { triggerScrape(input: { wait: true }) { created run { id status imagesTotal } } }`);
    assert.equal(t.data.triggerScrape.created, true);
    assert.notEqual(t.data.triggerScrape.run.id, id);
    assert.equal(t.data.triggerScrape.run.status, 'SUCCEEDED');
    assert.equal(t.data.triggerScrape.run.imagesTotal, 4);
    const [old] = await db.query(`SELECT status, error FROM scrape_run WHERE id = $1`, [id]);
    assert.equal(old.status, 'INTERRUPTED');
    assert.match(old.error, /a new full run replaced it/);
  });

  for (const scope of ['full', 'subset'] as const) {
    test(`a ${scope} run triggered while housekeeping reads the active runs is still worked on (scheduler off)`, { timeout: 60_000 }, async () => {
      // Housekeeping prunes the runs this process works on from a snapshot of the active ones.
      // A run created while that snapshot is read is missing from it: it must not be pruned,
      // or a process with the scheduler off never claims it and the run stays QUEUED for ever.
      const app = await start();
      const queue = app.engine.queue;
      const active = queue.active.bind(queue);
      let entered!: () => void;
      const inSnapshot = new Promise<void>((r) => (entered = r));
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      queue.active = async () => {
        const snapshot = await active(); // read before the trigger commits
        queue.active = active;
        entered();
        await gate;
        return snapshot;
      };
      await inSnapshot;
      const images = scope === 'subset' ? `images: ["${LIST[1]}"]` : '';
      const t = await app.gql(`mutation { triggerScrape(input: { ${images} }) { created run { id status } } }`);
      assert.equal(t.data.triggerScrape.created, true, JSON.stringify(t));
      release();
      const done = await waitForRun(app, t.data.triggerScrape.run.id, 15_000);
      assert.equal(done.status, 'SUCCEEDED');
      assert.equal(done.imagesDone, scope === 'subset' ? 1 : 4);
    });
  }

  test('the loop moves from one image to the next on wake-ups, not on the poll interval', async () => {
    // One slot and an hour-long poll: only wake-ups can move from one image to the next.
    const app = await start({ DOCKER_SCRAPER_POLL: '1h', DOCKER_SCRAPER_CONCURRENCY: '1' });
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const t = await app.gql(`mutation { triggerScrape(input: { wait: true }) { run { status imagesDone } } }`);
      assert.deepEqual(t.data.triggerScrape.run, { status: 'SUCCEEDED', imagesDone: 4 });
      assert.ok(Date.now() - started < 30_000);
    }
  });

  test('the scrape command seeds a new database but never edits an existing list', async () => {
    await start();
    const before = await db.query(`SELECT name, removed_at FROM tracked_image ORDER BY position`);
    const code = await new Promise<number>((resolve) =>
      execFile(
        process.execPath,
        [path.resolve(__dirname, '../../src/cli/scrape.js'), LIST[0]],
        {
          env: {
            PATH: process.env.PATH,
            ...NO_HUB_REGISTRY,
            DATABASE_URL: db.url,
            DOCKER_HUB_URL: hub.url,
            DOCKER_SCRAPER_IMAGES: 'nginx,redis', // another configuration than the service's
            CATALOG_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-sync-cli-')),
            LOG_LEVEL: 'warn',
          },
        },
        (err) => resolve(err ? ((err as any).code ?? 1) : 0),
      ),
    );
    assert.equal(code, 0);
    assert.deepEqual(await db.query(`SELECT name, removed_at FROM tracked_image ORDER BY position`), before);
  });
});
