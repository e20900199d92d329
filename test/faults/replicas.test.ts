import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, TestDatabase } from '../support/db';
import { FakeDockerHub, hubPaths } from '../support/fake-docker-hub';
import { syntheticCatalog } from '../support/hub-data';
import { waitForRow } from '../support/scrape';
import { Child, startChild } from '../support/child';
import { canonicalName } from '../../src/shared/image-name';
import { catalogViolations, envInt, faultSeed, seededRandom } from '../support/faults-harness';

/**
 * Replicas: three service processes on one database with a short interval, for
 * FAULT_REPLICA_SECONDS (60 s by default; 300 for the five-minute trial), while the Hub changes.
 */
const SECONDS = envInt('FAULT_REPLICA_SECONDS', 60);
const SEED = faultSeed();
const IMAGES = syntheticCatalog(15, { tagsPerImage: 2, namespace: (i) => (i % 5 === 0 ? 'library' : 'acme') });

let db: TestDatabase;
let hub: FakeDockerHub;
const replicas: Child[] = [];

before(async () => {
  db = await createTestDatabase('replicas_faults');
  hub = await FakeDockerHub.start({ maxPageSize: 100, latencyMs: 60 });
  hub.seed(IMAGES);
});
after(async () => {
  for (const r of replicas) {
    if (r.proc.exitCode === null && r.proc.signalCode === null) r.kill('SIGKILL');
    await r.exited;
  }
  await hub?.close();
  await db?.drop();
});

test(`three replicas, interval 3 s, ${SECONDS} s (seed ${SEED}): each image fetched once per run, every run ends, no duplicate rows`, { timeout: SECONDS * 1000 + 240_000 }, async (t) => {
  const rng = seededRandom(SEED);
  const env = {
    DATABASE_URL: db.url,
    DOCKER_HUB_URL: hub.url,
    DOCKER_SCRAPER_IMAGES: IMAGES.map((i) => `${i.namespace}/${i.name}`).join(','),
    DOCKER_SCRAPER_INTERVAL: '3s',
    DOCKER_SCRAPER_CONCURRENCY: '2',
    DOCKER_SCRAPER_MAX_TAGS: '100',
    DOCKER_SCRAPER_POLL: '100ms',
    DOCKER_SCRAPER_LEASE: '5s',
    DOCKER_SCRAPER_HEARTBEAT: '500ms',
  };
  for (let i = 0; i < 3; i++) replicas.push(startChild(env));
  await Promise.all(replicas.map((r) => r.waitForLog((l) => l.step === 'ready', 60_000)));

  // The world changes while the replicas work: a new tag or a re-pushed one every ~2 s.
  const end = Date.now() + SECONDS * 1000;
  let changes = 0;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, rng.int(1000, 3000)));
    const image = rng.pick(IMAGES);
    if (rng.next() < 0.5) hub.pushTag(image.namespace, image.name, `r${++changes}`);
    else {
      hub.moveTag(image.namespace, image.name, rng.pick(hub.getTags(image.namespace, image.name)).name);
      changes++;
    }
  }
  // One more run, started after the last change, brings the catalog up to date; then stop.
  const lastChange = new Date();
  await waitForRow(db, `SELECT id FROM scrape_run WHERE started_at > $1 AND status NOT IN ('QUEUED', 'RUNNING')`, [lastChange], undefined, 60_000);
  for (const r of replicas) r.kill('SIGTERM');
  for (const r of replicas) assert.equal((await r.exited).code, 0, r.stderr);
  const stoppedAt = Date.now();

  const runs = await db.query(
    `SELECT id, trigger, status, error, images_total, images_done, started_at, finished_at FROM scrape_run ORDER BY created_at`,
  );
  // Every run ended, except the one a shutdown may have left to the next process.
  const open = runs.filter((r) => r.status === 'QUEUED' || r.status === 'RUNNING');
  assert.ok(open.length <= 1, `at most the last run is left open: ${JSON.stringify(open)}`);
  if (open.length) assert.equal(open[0].id, runs[runs.length - 1].id);
  const ended = runs.filter((r) => !open.includes(r));
  for (const r of ended) assert.equal(r.status, 'SUCCEEDED', JSON.stringify(r));
  assert.ok(ended.length >= Math.max(3, Math.floor(SECONDS / 10)), `runs kept coming (${ended.length} in ${SECONDS} s)`);

  // Each image exactly once per run: one result each, one attempt, one read at the Hub inside the run.
  const results = await db.query(`SELECT run_id, image, status, attempts, claimed_by FROM scrape_run_result`);
  const workers = new Set<string>();
  for (const run of ended) {
    const mine = results.filter((r) => r.run_id === run.id);
    assert.equal(mine.length, IMAGES.length, `run ${run.id} covers every image`);
    for (const r of mine) {
      assert.equal(r.status, 'OK', `${r.image} in ${run.id}`);
      assert.equal(r.attempts, 1, `${r.image} claimed once in ${run.id}`);
      workers.add(r.claimed_by);
    }
  }
  assert.ok(workers.size >= 2, `the replicas shared the work (${workers.size} workers)`);
  const windows = ended.map((r) => ({ id: r.id, from: new Date(r.started_at).getTime() - 20, to: new Date(r.finished_at).getTime() + 20 }));
  const lastOpen = open[0] ? new Date(open[0].started_at ?? stoppedAt).getTime() - 20 : Infinity;
  for (const image of IMAGES) {
    const reads = hub.requestsTo(hubPaths.repository(image.namespace, image.name));
    const perRun = new Map<string, number>();
    for (const req of reads) {
      if (req.timestamp >= lastOpen) continue;
      const w = windows.find((x) => req.timestamp >= x.from && req.timestamp <= x.to);
      assert.ok(w, `${image.namespace}/${image.name} read at ${new Date(req.timestamp).toISOString()}, outside every run`);
      perRun.set(w.id, (perRun.get(w.id) ?? 0) + 1);
    }
    for (const w of windows) assert.equal(perRun.get(w.id) ?? 0, 1, `${image.namespace}/${image.name} fetched once in run ${w.id}`);
  }

  // No deadlock or other error logged, no duplicate rows, and the catalog is the Hub's.
  for (const r of replicas) {
    const errors = r.logs.filter((l) => l.level >= 50 || /deadlock/i.test(JSON.stringify(l)));
    assert.deepEqual(errors, [], 'no error logged');
  }
  assert.deepEqual(await catalogViolations(db), []);
  for (const image of IMAGES) {
    const name = canonicalName(image.namespace, image.name);
    const tags = await db.query(
      `SELECT i.name, i.digest FROM processing_instance i JOIN processing_resource r ON r.id = i.resource_id WHERE r.name = $1 ORDER BY 1`,
      [name],
    );
    const expected = hub.getTags(image.namespace, image.name).map((x) => ({ name: x.name, digest: x.digest ?? null })).sort((x, y) => (x.name < y.name ? -1 : 1));
    assert.deepEqual(tags, expected, name);
  }
  t.diagnostic(`seed ${SEED}: ${ended.length} runs in ${SECONDS} s, ${changes} Hub changes, ${workers.size} workers, ${hub.requests.length} Hub requests`);
});
