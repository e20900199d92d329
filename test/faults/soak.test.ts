import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, TestDatabase } from '../support/db';
import { faults, FakeDockerHub, hubPaths } from '../support/fake-docker-hub';
import { syntheticCatalog } from '../support/hub-data';
import { waitForRow } from '../support/scrape';
import { Child, startChild } from '../support/child';
import { canonicalName } from '../../src/shared/image-name';
import { catalogViolations, connectionCount, envInt, faultSeed, gql, processStats, seededRandom } from '../support/faults-harness';

/**
 * Soak: FAULT_SOAK_CYCLES short scrape cycles (60 by default, 300 for the full run) of one
 * service process against seeded random Hub faults and world changes, checked against an
 * in-test model of the catalog; memory, file descriptors and database connections stay flat.
 */
const CYCLES = envInt('FAULT_SOAK_CYCLES', 60);
const SEED = faultSeed();
const TOKEN = 'child-admin-token-0123456789';
// Ten images tracked at the start, six more on the Hub to be added later.
const WORLD = syntheticCatalog(16, { tagsPerImage: 2, namespace: (i) => (i % 4 === 0 ? 'library' : 'acme') });
const key = (i: { namespace: string; name: string }) => `${i.namespace}/${i.name}`;

let db: TestDatabase;
let hub: FakeDockerHub;
let child: Child | undefined;

before(async () => {
  db = await createTestDatabase('soak');
  hub = await FakeDockerHub.start({ maxPageSize: 100, latencyMs: 10 });
  hub.seed(WORLD);
});
after(async () => {
  if (child && child.proc.exitCode === null && child.proc.signalCode === null) child.kill('SIGKILL');
  await child?.exited;
  await hub?.close();
  await db?.drop();
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test(`soak: ${CYCLES} cycles of seeded faults and world changes (seed ${SEED}): the catalog equals the model, no leak`, { timeout: Math.max(300_000, CYCLES * 10_000) }, async (t) => {
  const rng = seededRandom(SEED);
  const tracked = new Set(WORLD.slice(0, 10).map(key));
  // The model: image → tag → digest, as the Hub has them (changed only through the model below).
  const model = new Map(WORLD.map((i) => [key(i), new Map(i.tags.map((x) => [x.name, x.digest ?? null]))]));
  child = startChild({
    DATABASE_URL: db.url,
    DOCKER_HUB_URL: hub.url,
    CATALOG_ADMIN_TOKEN: TOKEN,
    DOCKER_SCRAPER_IMAGES: [...tracked].join(','),
    DOCKER_SCRAPER_CONCURRENCY: '2',
    DOCKER_SCRAPER_MAX_TAGS: '1000',
    DOCKER_SCRAPER_POLL: '100ms',
    DOCKER_HUB_MAX_ATTEMPTS: '3',
    DOCKER_HUB_RETRY_BASE: '20ms',
    DOCKER_HUB_RETRY_MAX: '100ms',
    DOCKER_HUB_TIMEOUT: '800ms',
    DOCKER_HUB_MAX_RATE_LIMIT_WAIT: '1s',
    DOCKER_HUB_CIRCUIT_COOLDOWN: '300ms',
  });
  const url = (await child.waitForLog((l) => l.step === 'ready' && l.url, 60_000)).url as string;
  const pid = child.proc.pid!;
  await waitForRow(db, `SELECT id FROM scrape_run WHERE trigger = 'STARTUP' AND status NOT IN ('QUEUED', 'RUNNING')`, [], undefined, 60_000);

  const admin = async (query: string, variables?: unknown) => {
    const r = await gql(url, query, variables, TOKEN);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return r.data;
  };
  const samples: { rssKb: number; fds: number; conns: number }[] = [];
  const counts = { ok: 0, failed: 0, faults: 0, changes: 0, checked: 0 };
  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    // World changes.
    const inWorld = WORLD.filter((i) => tracked.has(key(i)));
    for (let n = rng.int(0, 2); n > 0; n--) {
      const image = rng.pick(inWorld);
      const roll = rng.next();
      if (roll < 0.4) {
        const tag = hub.pushTag(image.namespace, image.name, `c${cycle}-${n}`);
        model.get(key(image))!.set(tag.name, tag.digest ?? null);
      } else {
        const name = rng.pick([...model.get(key(image))!.keys()]);
        const tag = hub.moveTag(image.namespace, image.name, name);
        model.get(key(image))!.set(name, tag.digest ?? null);
      }
      counts.changes++;
    }
    if (rng.next() < 0.15) {
      const off = WORLD.filter((i) => !tracked.has(key(i)));
      if (off.length && (rng.next() < 0.5 || tracked.size <= 6)) {
        const image = rng.pick(off);
        await admin(`mutation($i: AddTrackedImagesInput!) { addTrackedImages(input: $i) { trackedImages { name } } }`, { i: { images: [key(image)] } });
        tracked.add(key(image));
      } else {
        const image = rng.pick(WORLD.filter((i) => tracked.has(key(i))));
        await admin(`mutation($i: RemoveTrackedImagesInput!) { removeTrackedImages(input: $i) { trackedImages { name } } }`, { i: { images: [key(image)] } });
        tracked.delete(key(image));
      }
      counts.changes++;
    }
    // Faults on one or two images' paths.
    for (let n = rng.int(0, 2); n > 0; n--) {
      const image = rng.pick(WORLD);
      const path = rng.next() < 0.5 ? hubPaths.repository(image.namespace, image.name) : hubPaths.tags(image.namespace, image.name);
      const fault = rng.pick([
        () => hub.inject(path, faults.serviceUnavailable(), { times: rng.int(1, 4) }),
        () => hub.inject(path, faults.reset(), { times: rng.int(1, 3) }),
        () => hub.inject(path, faults.delay(rng.int(200, 1200)), { times: 1 }),
        () => hub.inject(path, faults.rateLimited({ retryAfter: 1 }), { times: 1 }),
        () => hub.inject(path, faults.status(500), { times: rng.int(1, 3) }),
      ]);
      fault();
      counts.faults++;
    }

    const data = await admin(`mutation { triggerScrape { run { id } } }`);
    const runId = data.triggerScrape.run.id;
    await waitForRow(db, `SELECT status FROM scrape_run WHERE id = $1 AND status NOT IN ('QUEUED', 'RUNNING')`, [runId], undefined, 60_000);
    hub.clearFaults();

    // The catalog equals the model for every image whose scrape in this run was OK.
    const results = await db.query(`SELECT image, status, error FROM scrape_run_result WHERE run_id = $1`, [runId]);
    assert.deepEqual(results.map((r) => r.image).sort(), [...tracked].map((k) => canonicalName(k.split('/')[0], k.split('/')[1])).sort(), `cycle ${cycle}: the run covers the tracked images`);
    for (const r of results) {
      if (r.status !== 'OK') {
        assert.ok(r.error, `cycle ${cycle}: ${r.image} failed with a reason`);
        counts.failed++;
        continue;
      }
      counts.ok++;
      const image = WORLD.find((i) => canonicalName(i.namespace, i.name) === r.image)!;
      const rows = await db.query(
        `SELECT i.name, i.digest FROM processing_instance i JOIN processing_resource res ON res.id = i.resource_id WHERE res.name = $1`,
        [r.image],
      );
      const actual = Object.fromEntries(rows.map((x) => [x.name, x.digest]));
      assert.deepEqual(actual, Object.fromEntries(model.get(key(image))!), `cycle ${cycle} (seed ${SEED}): ${r.image}`);
      counts.checked++;
    }
    assert.deepEqual(await catalogViolations(db), [], `cycle ${cycle} (seed ${SEED})`);
    samples.push({ ...processStats(pid), conns: await connectionCount(db) });
  }

  // Leaks: after a warm-up half, the medians of the first and last five samples.
  const warm = Math.max(5, Math.floor(CYCLES / 2));
  const base = samples.slice(warm, warm + 5);
  const last = samples.slice(-5);
  const rss0 = median(base.map((s) => s.rssKb));
  const rss1 = median(last.map((s) => s.rssKb));
  const growth = (rss1 - rss0) / rss0;
  const fds0 = median(base.map((s) => s.fds));
  const fds1 = median(last.map((s) => s.fds));
  const conns0 = Math.max(...base.map((s) => s.conns));
  const conns1 = Math.max(...last.map((s) => s.conns));
  t.diagnostic(
    `seed ${SEED}: ${CYCLES} cycles, ${counts.faults} faults, ${counts.changes} world changes, ${counts.ok} image scrapes OK (${counts.checked} checked against the model), ${counts.failed} failed; ` +
      `RSS ${rss0} → ${rss1} kB (${(growth * 100).toFixed(1)} %), fds ${fds0} → ${fds1}, connections ${conns0} → ${conns1}`,
  );
  assert.ok(counts.ok > counts.failed, 'most image scrapes succeed despite the faults');
  assert.ok(growth < 0.1, `RSS grew ${(growth * 100).toFixed(1)} % after warm-up (${rss0} → ${rss1} kB)`);
  assert.ok(fds1 <= fds0 + 2, `file descriptors stable (${fds0} → ${fds1})`);
  assert.ok(conns1 <= conns0 + 1, `database connections stable (${conns0} → ${conns1})`);

  child.kill('SIGTERM');
  assert.equal((await child.exited).code, 0, child.stderr);
});
