import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, TestDatabase } from '../support/db';
import { startTestApp, TestApp } from '../support/app';
import { FakeDockerHub, faults, hubPaths } from '../support/fake-docker-hub';
import { syntheticCatalog, syntheticTags } from '../support/hub-data';
import { waitForRun } from '../support/scrape';

const IMAGES = syntheticCatalog(8, { tagsPerImage: 2, namespace: () => 'acme' });

describe('triggerScrape and concurrency', () => {
  let db: TestDatabase;
  let hub: FakeDockerHub;
  let app: TestApp;
  const trigger = (input: unknown) =>
    app.gql(`mutation($input: TriggerScrapeInput) { triggerScrape(input: $input) { created run { id status scope trigger imagesTotal } } }`, {
      input,
    });

  before(async () => {
    db = await createTestDatabase();
    hub = await FakeDockerHub.start({ maxPageSize: 100 });
    hub.seed(IMAGES);
    app = await startTestApp(db.url, {
      DOCKER_HUB_URL: hub.url,
      DOCKER_SCRAPER_IMAGES: IMAGES.map((i) => `acme/${i.name}`).join(','),
      DOCKER_SCRAPER_CONCURRENCY: '3',
    });
  });
  after(async () => {
    await app?.close();
    await hub?.close();
    await db?.drop();
  });

  test('a full trigger while a full run is in progress returns that run', async () => {
    hub.latencyMs = 100;
    const first = await trigger(null);
    const second = await trigger({ images: [] });
    assert.equal(first.data.triggerScrape.created, true);
    assert.equal(second.data.triggerScrape.created, false);
    assert.equal(second.data.triggerScrape.run.id, first.data.triggerScrape.run.id);
    assert.ok(['QUEUED', 'RUNNING'].includes(first.data.triggerScrape.run.status));
    const run = await waitForRun(app, first.data.triggerScrape.run.id);
    assert.equal(run.status, 'SUCCEEDED');
    hub.latencyMs = 0;
  });

  test('images are fetched DOCKER_SCRAPER_CONCURRENCY at a time', async () => {
    hub.clearRequests();
    hub.latencyMs = 80;
    const t = await trigger({ wait: true });
    hub.latencyMs = 0;
    assert.equal(t.data.triggerScrape.run.status, 'SUCCEEDED');
    const reqs = hub.requestsTo(/\/repositories\/[^/]+$/);
    let peak = 0;
    for (const r of reqs) {
      const overlapping = reqs.filter((o) => o.timestamp <= r.timestamp && (o.respondedAt ?? Infinity) > r.timestamp).length;
      peak = Math.max(peak, overlapping);
    }
    assert.equal(peak, 3, 'three repository requests in flight at the peak, never more');
  });

  test('wait: true answers with the finished run; subset runs cover the named images only', async () => {
    const t = await trigger({ images: ['acme/img1', 'acme/img3', 'acme/img1'], wait: true });
    assert.deepEqual(t.data.triggerScrape.run, {
      id: t.data.triggerScrape.run.id,
      status: 'SUCCEEDED',
      scope: 'SUBSET',
      trigger: 'MANUAL',
      imagesTotal: 2,
    });
    const run = await waitForRun(app, t.data.triggerScrape.run.id);
    assert.deepEqual(run.results.map((r: any) => r.image), ['acme/img1', 'acme/img3']);
  });

  test('untracked or invalid names are refused, naming them', async () => {
    const runsBefore = (await db.query(`SELECT count(*)::int AS n FROM scrape_run`))[0].n;
    const a = await trigger({ images: ['acme/img1', 'acme/nope'] });
    assert.equal(a.errors?.[0].extensions?.code, 'BAD_USER_INPUT');
    assert.match(a.errors![0].message, /acme\/nope/);
    const b = await trigger({ images: ['Acme/Img1'] });
    assert.equal(b.errors?.[0].extensions?.code, 'BAD_USER_INPUT');
    assert.match(b.errors![0].message, /input\.images\[0\].*lowercase/);
    assert.equal((await db.query(`SELECT count(*)::int AS n FROM scrape_run`))[0].n, runsBefore, 'no run was created');
  });

  test('an image being scraped by one run is not scraped by another at the same time', async () => {
    hub.clearRequests();
    hub.latencyMs = 150;
    const [a, b] = await Promise.all([trigger({ images: ['acme/img2'] }), trigger({ images: ['acme/img2'] })]);
    const [ra, rb] = await Promise.all([waitForRun(app, a.data.triggerScrape.run.id), waitForRun(app, b.data.triggerScrape.run.id)]);
    hub.latencyMs = 0;
    assert.equal(ra.status, 'SUCCEEDED');
    assert.equal(rb.status, 'SUCCEEDED');
    const reqs = hub.requestsTo(hubPaths.repository('acme', 'img2'));
    assert.equal(reqs.length, 2);
    const [first, second] = reqs.sort((x, y) => x.timestamp - y.timestamp);
    const firstTags = hub.requestsTo(hubPaths.tags('acme', 'img2')).sort((x, y) => x.timestamp - y.timestamp)[0];
    assert.ok(second.timestamp >= (firstTags.respondedAt ?? Infinity), 'the second scrape started after the first one finished');
    assert.ok(first.timestamp < second.timestamp);
  });

  test('a database failure mid-image leaves nothing half-written', async () => {
    hub.setRepository('acme', 'img5', { tags: syntheticTags(4, { prefix: 'fresh' }) });
    await db.query(`DELETE FROM processing_resource WHERE name = 'acme/img5'`);
    // Fail the insert of the third new instance: the resource and the first two must vanish with it.
    await db.query(`CREATE FUNCTION fail_fresh3() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.name = 'fresh3' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$`);
    await db.query(`CREATE TRIGGER fail_fresh3 BEFORE INSERT ON processing_instance FOR EACH ROW EXECUTE FUNCTION fail_fresh3()`);
    try {
      const t = await trigger({ images: ['acme/img5'], wait: true });
      const run = await waitForRun(app, t.data.triggerScrape.run.id);
      assert.equal(run.results[0].status, 'FAILED');
      assert.match(run.results[0].error, /internal error/);
      assert.doesNotMatch(run.results[0].error, /injected failure|INSERT|processing_instance/, 'no SQL detail leaks into public results');
      const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM processing_resource WHERE name = 'acme/img5'`);
      assert.equal(n, 0);
      const [{ m }] = await db.query(`SELECT count(*)::int AS m FROM processing_instance WHERE origin_ref LIKE 'docker.io/acme/img5:%'`);
      assert.equal(m, 0);
    } finally {
      await db.query(`DROP TRIGGER fail_fresh3 ON processing_instance; DROP FUNCTION fail_fresh3()`);
    }
    const again = await trigger({ images: ['acme/img5'], wait: true });
    assert.equal(again.data.triggerScrape.run.status, 'SUCCEEDED');
  });

  test('Docker Hub trouble is retried, then recorded per image with a clear message', async () => {
    hub.inject(hubPaths.tags('acme', 'img6'), faults.serviceUnavailable(), { times: 2 });
    hub.inject(hubPaths.repository('acme', 'img7'), faults.html(), { times: Infinity });
    const t = await trigger({ images: ['acme/img6', 'acme/img7'], wait: true });
    hub.clearFaults();
    const run = await waitForRun(app, t.data.triggerScrape.run.id);
    assert.equal(run.status, 'PARTIAL');
    assert.equal(run.results[0].status, 'OK');
    assert.equal(run.results[1].status, 'FAILED');
    assert.match(run.results[1].error, /acme\/img7/);
    assert.match(run.results[1].error, /HTML|not JSON/i);
  });
});

describe('removal during a scrape', () => {
  test('an image removed (and purged) while it is being read is not re-created', async () => {
    const db = await createTestDatabase();
    const hub = await FakeDockerHub.start();
    hub.setRepository('acme', 'gone', { tags: syntheticTags(2) });
    const app = await startTestApp(db.url, { DOCKER_HUB_URL: hub.url, DOCKER_SCRAPER_IMAGES: 'acme/gone' });
    try {
      // Remove the image between the repository request and the tag request.
      hub.inject(hubPaths.tags('acme', 'gone'), faults.before(async () => {
        const r = await app.gql(`mutation { removeTrackedImages(input: { images: ["acme/gone"], purge: true }) { trackedImages { name } } }`);
        assert.equal(r.errors, undefined);
      }));
      const t = await app.gql(`mutation { triggerScrape(input: { wait: true }) { run { id status } } }`);
      const run = await waitForRun(app, t.data.triggerScrape.run.id);
      assert.equal(run.results[0].status, 'OK');
      assert.match(run.results[0].warning, /removed from the tracked list/);
      const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM processing_resource WHERE name = 'acme/gone'`);
      assert.equal(n, 0);
    } finally {
      await app.close();
      await hub.close();
      await db.drop();
    }
  });
});

describe('triggerScrape from several clients at once', () => {
  test('concurrent full-list triggers start one run; every image is fetched once', async () => {
    const db = await createTestDatabase();
    const hub = await FakeDockerHub.start();
    hub.seed(IMAGES);
    const env = { DOCKER_HUB_URL: hub.url, DOCKER_SCRAPER_IMAGES: IMAGES.map((i) => `acme/${i.name}`).join(',') };
    // Two replicas (scheduler off): each gets triggers of its own.
    const [a, b] = await Promise.all([startTestApp(db.url, env), startTestApp(db.url, env)]);
    try {
      hub.latencyMs = 30;
      const mutation = `mutation { triggerScrape { created run { id } } }`;
      const answers = await Promise.all([a.gql(mutation), b.gql(mutation), a.gql(mutation), b.gql(mutation)]);
      const ids = new Set(answers.map((r) => r.data.triggerScrape.run.id));
      assert.equal(ids.size, 1, 'one run for all four triggers');
      assert.equal(answers.filter((r) => r.data.triggerScrape.created).length, 1);
      const run = await waitForRun(a, [...ids][0]);
      assert.equal(run.status, 'SUCCEEDED');
      for (const image of IMAGES) assert.equal(hub.countRequests(hubPaths.repository('acme', image.name)), 1);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await hub.close();
      await db.drop();
    }
  });
});

describe('enrichment and scrapes, through the API', () => {
  test('values set with updateResource/updateInstance survive a scrape that changes upstream; null hands them back', async () => {
    const db = await createTestDatabase();
    const hub = await FakeDockerHub.start();
    hub.setRepository('library', 'redis', {
      info: { description: 'upstream short', full_description: 'upstream long ![l](https://example.com/r.png)' },
      tags: syntheticTags(2, { options: () => ({ platforms: ['linux/arm64/v8'] }) }),
    });
    const app = await startTestApp(db.url, { DOCKER_HUB_URL: hub.url, DOCKER_SCRAPER_IMAGES: 'redis' });
    try {
      await waitForRun(app, (await app.gql(`mutation { triggerScrape { run { id } } }`)).data.triggerScrape.run.id);
      const { data } = await app.gql(`{ resource(name: "redis") { id instances(first: 1, filter: { names: ["t1"] }) { edges { node { id } } } } }`);
      const resourceId = data.resource.id;
      const instanceId = data.resource.instances.edges[0].node.id;
      const r1 = await app.gql(`mutation($id: ID!) { updateResource(input: { id: $id, shortDescription: "ours", isDraft: true }) { resource { editedFields } } }`, { id: resourceId });
      assert.deepEqual(r1.data.updateResource.resource.editedFields, ['shortDescription']);
      const r2 = await app.gql(
        `mutation($id: ID!) { updateInstance(input: { id: $id, license: "MIT", env: [{ name: "MODE", value: "x" }], args: ["--fast"] }) { instance { editedFields } } }`,
        { id: instanceId },
      );
      assert.deepEqual(r2.data.updateInstance.instance.editedFields, ['args', 'env', 'license']);

      hub.setRepository('library', 'redis', { info: { description: 'upstream short v2', full_description: 'upstream long v2' } });
      hub.moveTag('library', 'redis', 't1');
      const run = await waitForRun(app, (await app.gql(`mutation { triggerScrape(input: { wait: true }) { run { id } } }`)).data.triggerScrape.run.id);
      assert.equal(run.instancesUpdated, 1);

      const after = await app.gql(`query($id: ID!, $i: ID!) {
        resource(id: $id) { shortDescription description isDraft editedFields }
        instance(id: $i) { origin { license } access { container { env { name value } args } } editedFields } }`, { id: resourceId, i: instanceId });
      assert.deepEqual(after.data.resource, { shortDescription: 'ours', description: 'upstream long v2', isDraft: true, editedFields: ['shortDescription'] });
      assert.deepEqual(after.data.instance.origin, { license: 'MIT' });
      assert.deepEqual(after.data.instance.access.container, { env: [{ name: 'MODE', value: 'x' }], args: ['--fast'] });

      const back = await app.gql(
        `mutation($id: ID!, $i: ID!) {
          r: updateResource(input: { id: $id, shortDescription: null }) { resource { shortDescription editedFields } }
          i: updateInstance(input: { id: $i, env: null }) { instance { access { container { env { name value } } } editedFields } } }`,
        { id: resourceId, i: instanceId },
      );
      assert.deepEqual(back.data.r.resource, { shortDescription: 'upstream short v2', editedFields: [] });
      assert.deepEqual(back.data.i.instance.access.container.env, [{ name: 'ARCH', value: 'arm64' }]);
      assert.deepEqual(back.data.i.instance.editedFields, ['args', 'license']);
    } finally {
      await app.close();
      await hub.close();
      await db.drop();
    }
  });
});
