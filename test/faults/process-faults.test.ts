import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, TestDatabase } from '../support/db';
import { FakeDockerHub } from '../support/fake-docker-hub';
import { syntheticCatalog } from '../support/hub-data';
import { waitForRow } from '../support/scrape';
import { Child, startChild } from '../support/child';
import { canonicalName } from '../../src/shared/image-name';
import { catalogIds, catalogViolations, changedIds, envInt, faultSeed, gql, seededRandom } from '../support/faults-harness';

/**
 * Process faults: a real service process (node dist/src/main.js) is killed with SIGKILL at a
 * seeded random point of a run; a second process on the same database finishes the work.
 * FAULT_TRIALS=10 runs the full matrix (3 trials by default); FAULT_SEED replays one.
 */
const TRIALS = envInt('FAULT_TRIALS', 3);
const SEED = faultSeed();
const IMAGES = syntheticCatalog(12, { tagsPerImage: 2, namespace: (i) => (i % 4 === 0 ? 'library' : 'acme') });
const TOKEN = 'child-admin-token-0123456789';

let db: TestDatabase;
let hub: FakeDockerHub;
const children: Child[] = [];

function start(): Child {
  const c = startChild({
    DATABASE_URL: db.url,
    DOCKER_HUB_URL: hub.url,
    CATALOG_ADMIN_TOKEN: TOKEN,
    DOCKER_SCRAPER_IMAGES: IMAGES.map((i) => `${i.namespace}/${i.name}`).join(','),
    DOCKER_SCRAPER_CONCURRENCY: '2',
    DOCKER_SCRAPER_MAX_TAGS: '100',
    DOCKER_SCRAPER_POLL: '100ms',
    DOCKER_SCRAPER_LEASE: '2s',
    DOCKER_SCRAPER_HEARTBEAT: '200ms',
  });
  children.push(c);
  return c;
}

before(async () => {
  db = await createTestDatabase('process_faults');
  // Each Hub answer takes a while, so that a run lasts a few seconds and a kill lands inside it.
  hub = await FakeDockerHub.start({ maxPageSize: 100, latencyMs: 120 });
  hub.seed(IMAGES);
});
after(async () => {
  for (const c of children) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) c.kill('SIGKILL');
    await c.exited;
  }
  await hub?.close();
  await db?.drop();
});

test(`kill -9 at seeded random points of a run (${TRIALS} trials, seed ${SEED}): the catalog invariants hold and the run history says what happened`, async (t) => {
  const rng = seededRandom(SEED);
  const outcomes: string[] = [];
  for (let trial = 1; trial <= TRIALS; trial++) {
    // The world changes between runs, so that every run writes: a new tag, a re-pushed one.
    const a = rng.pick(IMAGES);
    hub.pushTag(a.namespace, a.name, `p${trial}`);
    const b = rng.pick(IMAGES);
    hub.moveTag(b.namespace, b.name, hub.getTags(b.namespace, b.name)[0].name);

    const killer = start();
    const url = (await killer.waitForLog((l) => l.step === 'ready' && l.url, 60_000)).url as string;
    let runId: string;
    if (trial === 1) {
      runId = (await waitForRow<any>(db, `SELECT id FROM scrape_run WHERE trigger = 'STARTUP'`, [], undefined, 30_000)).id;
    } else {
      const r = await gql(url, `mutation { triggerScrape { created run { id } } }`, undefined, TOKEN);
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      runId = r.data.triggerScrape.run.id;
    }
    // A seeded kill point: after k finished images (0 … all but one), plus up to 250 ms.
    const k = rng.int(0, IMAGES.length - 1);
    await waitForRow(
      db,
      `SELECT count(*)::int AS n FROM scrape_run_result WHERE run_id = $1 AND status NOT IN ('PENDING', 'RUNNING')`,
      [runId],
      (row: any) => row?.n >= k,
      60_000,
    );
    await new Promise((r) => setTimeout(r, rng.int(0, 250)));
    const idsBefore = await catalogIds(db);
    killer.kill('SIGKILL');
    assert.equal((await killer.exited).signal, 'SIGKILL');
    const [atKill] = await db.query(`SELECT status, images_total FROM scrape_run WHERE id = $1`, [runId]);
    const doneAtKill = (await db.query(`SELECT image FROM scrape_run_result WHERE run_id = $1 AND status = 'OK'`, [runId])).map((r) => r.image);

    const heir = start();
    await heir.waitForLog((l) => l.step === 'ready', 60_000);
    const killed = await waitForRow<any>(
      db,
      `SELECT status, error FROM scrape_run WHERE id = $1 AND status NOT IN ('QUEUED', 'RUNNING')`,
      [runId],
      undefined,
      60_000,
    );
    // Whatever the heir started (a RECOVERY run) ends too.
    await waitForRow(db, `SELECT count(*)::int AS n FROM scrape_run WHERE status IN ('QUEUED', 'RUNNING')`, [], (r: any) => r?.n === 0, 60_000);

    let outcome: string;
    if (atKill.status !== 'RUNNING' && atKill.status !== 'QUEUED') {
      // The kill came after the last image: nothing to take over.
      assert.equal(killed.status, 'SUCCEEDED');
      outcome = 'finished before the kill';
    } else if (killed.status === 'SUCCEEDED') {
      // The heir found the run still leased and joined it, taking over the dead process's claims.
      const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM scrape_run WHERE recovery_of = $1`, [runId]);
      assert.equal(n, 0, 'joined: no RECOVERY run');
      outcome = 'joined by the heir';
    } else {
      assert.equal(killed.status, 'INTERRUPTED', JSON.stringify(killed));
      assert.match(killed.error, /every process working on this run stopped \(last heartbeat at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\); \d+ of \d+ image\(s\) were unfinished/);
      const interrupted = (await db.query(`SELECT image, error FROM scrape_run_result WHERE run_id = $1 AND status <> 'OK' ORDER BY position`, [runId]));
      for (const i of interrupted) assert.match(i.error, /interrupted: every process working on the run stopped/, i.image);
      const unfinished = Number(/; (\d+) of/.exec(killed.error)![1]);
      assert.equal(unfinished, interrupted.length, 'the error counts the unfinished images');
      const [recovery] = await db.query(`SELECT id, status, trigger FROM scrape_run WHERE recovery_of = $1`, [runId]);
      assert.ok(recovery, 'a RECOVERY run took over');
      assert.equal(recovery.trigger, 'RECOVERY');
      assert.equal(recovery.status, 'SUCCEEDED');
      const recovered = (await db.query(`SELECT image FROM scrape_run_result WHERE run_id = $1 AND status = 'OK' ORDER BY position`, [recovery.id])).map((r) => r.image);
      assert.deepEqual(recovered, interrupted.map((i) => i.image), 'the RECOVERY run resumed exactly the unfinished images');
      outcome = `INTERRUPTED, RECOVERY of ${recovered.length}`;
    }
    for (const image of doneAtKill) {
      const [r] = await db.query(`SELECT status FROM scrape_run_result WHERE run_id = $1 AND image = $2`, [runId, image]);
      assert.equal(r.status, 'OK', `${image}, finished before the kill, stays OK`);
    }

    assert.deepEqual(await catalogViolations(db), [], `trial ${trial} (seed ${SEED})`);
    const idsAfter = await catalogIds(db);
    assert.deepEqual(changedIds(idsBefore, idsAfter), [], 'ids of rows that existed before the kill are unchanged');
    // The catalog has what the Hub has: the work was finished.
    for (const image of IMAGES) {
      const name = canonicalName(image.namespace, image.name);
      const tags = (await db.query(`SELECT i.name, i.digest FROM processing_instance i JOIN processing_resource r ON r.id = i.resource_id WHERE r.name = $1 ORDER BY 1`, [name]));
      const expected = hub.getTags(image.namespace, image.name).map((x) => ({ name: x.name, digest: x.digest ?? null })).sort((x, y) => (x.name < y.name ? -1 : 1));
      assert.deepEqual(tags, expected, `${name} after trial ${trial}`);
    }
    outcomes.push(`trial ${trial}: killed after ${doneAtKill.length}/${atKill.images_total} images → ${outcome}`);

    heir.kill('SIGTERM');
    assert.equal((await heir.exited).code, 0, heir.stderr);
  }
  t.diagnostic(`seed ${SEED}; ${outcomes.join('; ')}`);
});
