import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, TestDatabase } from '../support/db';
import { startTestApp, TestApp } from '../support/app';
import { FakeDockerHub, faults, hubPaths } from '../support/fake-docker-hub';
import { syntheticMultiArchTag, syntheticRepository, syntheticTag, syntheticTags } from '../support/hub-data';
import { scrape } from '../support/scrape';

describe('sync engine: one scrape', () => {
  let db: TestDatabase;
  let hub: FakeDockerHub;
  let app: TestApp;

  before(async () => {
    db = await createTestDatabase();
    hub = await FakeDockerHub.start({ maxPageSize: 5 });
    hub.setRepository('library', 'nginx', {
      info: syntheticRepository('library', 'nginx', {
        description: 'Official build of Nginx.',
        full_description: '# Nginx\n![logo](https://example.com/nginx.png)\n![second](https://example.com/2.png)',
        pull_count: 12_345_678_901,
        star_count: 20_000,
      }),
      tags: [syntheticMultiArchTag('1.27', { lastUpdated: '2026-11-01T00:00:00.000001Z' }), ...syntheticTags(20, { newest: '2026-10-01T00:00:00Z' })],
    });
    hub.setRepository('bitnami', 'redis', { tags: [syntheticTag('7.4', { withoutDigest: true, fullSize: 0, lastUpdated: null })] });
    hub.setRepository('library', 'scratch', { tags: [] });
    app = await startTestApp(db.url, {
      DOCKER_HUB_URL: hub.url,
      DOCKER_SCRAPER_IMAGES: 'nginx,bitnami/redis,scratch,sparl',
      DOCKER_SCRAPER_MAX_TAGS: '12',
    });
  });
  after(async () => {
    await app?.close();
    await hub?.close();
    await db?.drop();
  });

  test('creates published resources with peerless instances, records every outcome', async () => {
    const run = await scrape(app);
    assert.equal(run.status, 'PARTIAL');
    assert.equal(run.trigger, 'MANUAL');
    assert.deepEqual(
      run.results.map((r: any) => [r.image, r.status]),
      [
        ['nginx', 'OK'],
        ['bitnami/redis', 'OK'],
        ['scratch', 'NO_TAGS'],
        ['sparl', 'NOT_FOUND'],
      ],
    );
    assert.equal(run.resourcesCreated, 2);
    assert.equal(run.instancesAdded, 13);
    assert.equal(run.imagesFailed, 1);
    // paging: 12 tags with a page size of 5 is three pages
    assert.equal(hub.countRequests(hubPaths.tags('library', 'nginx')), 3);

    const r = await app.gql(`{ resource(name: "library/nginx") { name namespace repository isDraft logo shortDescription pullCount owners { name logo }
      infrastructure openSource isService instances(first: 20) { totalCount edges { node { name creatorId isPeerless digest lastUpdated
      origin { type ref license verified } access { container { image env { name value } } } platforms { architecture os variant digest size } } } } } }`);
    const res = r.data.resource;
    assert.equal(res.name, 'nginx');
    assert.equal(res.isDraft, false);
    assert.equal(res.logo, 'https://example.com/nginx.png');
    assert.equal(res.pullCount, 12_345_678_901);
    assert.deepEqual(res.owners, [{ name: 'https://hub.docker.com/', logo: 'https://icones8.fr/icon/Wln8Z3PcXanx/logo-docker' }]);
    assert.equal(res.instances.totalCount, 12);
    const newest = res.instances.edges[0].node;
    assert.equal(newest.name, '1.27');
    assert.equal(newest.creatorId, '');
    assert.equal(newest.isPeerless, true);
    assert.deepEqual(newest.origin, { type: 'PUBLIC', ref: 'docker.io/nginx:1.27', license: null, verified: true });
    assert.equal(newest.access.container.image, 'docker.io/nginx:1.27');
    assert.deepEqual(newest.access.container.env, [{ name: 'ARCH', value: 'amd64' }]);
    assert.equal(newest.platforms.length, 6, 'attestation entries dropped');
    assert.ok(newest.platforms.every((p: any) => p.architecture !== 'unknown'));

    const redis = await app.gql(`{ instance(ref: "docker.io/bitnami/redis:7.4") { digest lastUpdated resource { name } } }`);
    assert.deepEqual(redis.data.instance, { digest: null, lastUpdated: null, resource: { name: 'bitnami/redis' } });
    const [scratch] = await db.query(`SELECT count(*)::int AS n FROM processing_resource WHERE name = 'scratch'`);
    assert.equal(scratch.n, 0);
    const tracked = await app.gql(`{ trackedImages(first: 10) { edges { node { name lastStatus lastError lastScrapedAt } } } }`);
    const sparl = tracked.data.trackedImages.edges.find((e: any) => e.node.name === 'sparl').node;
    assert.equal(sparl.lastStatus, 'NOT_FOUND');
    assert.match(sparl.lastError, /sparl/);
  });
});

describe('sync engine: re-scrapes', () => {
  let db: TestDatabase;
  let hub: FakeDockerHub;
  let app: TestApp;

  const rowVersions = async () =>
    db.query<{ id: string; xmin: string; updated_at: Date }>(
      `SELECT id, xmin::text, updated_at FROM processing_resource UNION ALL SELECT id, xmin::text, updated_at FROM processing_instance ORDER BY id`,
    );

  before(async () => {
    db = await createTestDatabase();
    hub = await FakeDockerHub.start({ maxPageSize: 3 });
    hub.setRepository('library', 'nginx', {
      info: syntheticRepository('library', 'nginx', { full_description: 'Nginx ![l](https://example.com/a.png)', description: 'web server' }),
      tags: syntheticTags(6, { options: () => ({ platforms: ['linux/amd64', 'linux/arm64/v8'] }) }),
    });
    hub.setRepository('library', 'alpine', { tags: syntheticTags(2) });
    app = await startTestApp(db.url, { DOCKER_HUB_URL: hub.url, DOCKER_SCRAPER_IMAGES: 'nginx,alpine', DOCKER_SCRAPER_MAX_TAGS: '4' });
    await scrape(app);
  });
  after(async () => {
    await app?.close();
    await hub?.close();
    await db?.drop();
  });

  test('a scrape that finds nothing new writes no catalog row', async () => {
    const before = await rowVersions();
    assert.equal(before.length, 2 + 4 + 2);
    const run = await scrape(app);
    assert.equal(run.status, 'SUCCEEDED');
    assert.equal(run.instancesAdded, 0);
    assert.equal(run.instancesUpdated, 0);
    assert.deepEqual(await rowVersions(), before, 'xmin and updated_at of every resource and instance row unchanged');
  });

  test('a moved tag updates its digest in place and counts as updated; ids never change', async () => {
    const [old] = await db.query(`SELECT id, digest, created_at FROM processing_instance WHERE origin_ref = 'docker.io/nginx:t1'`);
    const others = await db.query(`SELECT id, xmin::text FROM processing_instance WHERE origin_ref <> 'docker.io/nginx:t1' ORDER BY id`);
    hub.moveTag('library', 'nginx', 't1');
    const run = await scrape(app, ['nginx']);
    assert.equal(run.instancesUpdated, 1);
    assert.equal(run.instancesAdded, 0);
    assert.equal(run.results[0].instancesUpdated, 1);
    const [now] = await db.query(`SELECT id, digest, created_at, updated_at FROM processing_instance WHERE origin_ref = 'docker.io/nginx:t1'`);
    assert.equal(now.id, old.id);
    assert.notEqual(now.digest, old.digest);
    assert.equal(now.digest, hub.getTags('library', 'nginx').find((t) => t.name === 't1')!.digest);
    assert.ok(now.updated_at > old.created_at);
    assert.deepEqual(await db.query(`SELECT id, xmin::text FROM processing_instance WHERE origin_ref <> 'docker.io/nginx:t1' ORDER BY id`), others);
  });

  test('new tags are added; tags that leave the newest-N window are kept', async () => {
    hub.pushTag('library', 'nginx', 'new1');
    hub.pushTag('library', 'nginx', 'new2');
    const run = await scrape(app, ['nginx']);
    assert.equal(run.instancesAdded, 2);
    const names = (await db.query(`SELECT i.name FROM processing_instance i JOIN processing_resource r ON r.id = i.resource_id WHERE r.name = 'nginx' ORDER BY i.name`)).map((r) => r.name);
    assert.deepEqual(names, ['new1', 'new2', 't1', 't2', 't3', 't4']);
  });

  test('fields edited through the API survive a scrape that changes upstream, and follow upstream once cleared', async () => {
    const [res] = await db.query(`SELECT id FROM processing_resource WHERE name = 'nginx'`);
    // An API edit as the enrichment mutations store it: effective value in the column, upstream in `overridden`.
    await db.query(
      `UPDATE processing_resource SET description = 'our text', overridden = jsonb_build_object('description', description), is_draft = true WHERE id = $1`,
      [res.id],
    );
    await db.query(
      `UPDATE processing_instance SET access_env = '{"MODE":"edited"}', origin_license = 'MIT',
       overridden = jsonb_build_object('env', access_env, 'license', NULL) WHERE origin_ref = 'docker.io/nginx:t2'`,
    );
    hub.setRepository('library', 'nginx', { info: { full_description: 'New upstream text ![n](https://example.com/new.png)', star_count: 99 } });
    hub.moveTag('library', 'nginx', 't2');
    const run = await scrape(app, ['nginx']);
    assert.equal(run.instancesUpdated, 1);
    const [after] = await db.query(`SELECT description, logo, star_count, is_draft, overridden FROM processing_resource WHERE id = $1`, [res.id]);
    assert.equal(after.description, 'our text');
    assert.equal(after.overridden.description, 'New upstream text ![n](https://example.com/new.png)', 'hidden upstream value kept up to date');
    assert.equal(after.logo, 'https://example.com/new.png', 'not edited: follows upstream');
    assert.equal(after.star_count, 99);
    assert.equal(after.is_draft, true, 'draft state set through the API is kept');
    const [inst] = await db.query(`SELECT access_env, origin_license, overridden FROM processing_instance WHERE origin_ref = 'docker.io/nginx:t2'`);
    assert.deepEqual(inst.access_env, { MODE: 'edited' });
    assert.equal(inst.origin_license, 'MIT');
    assert.deepEqual(inst.overridden.env, { ARCH: 'amd64' });
  });

  test('an upstream change hidden by an API edit updates the hidden value but not updated_at', async () => {
    await db.query(`UPDATE processing_resource SET short_description = 'edited', overridden = overridden || jsonb_build_object('shortDescription', short_description) WHERE name = 'alpine'`);
    const [before] = await db.query(`SELECT updated_at, short_description FROM processing_resource WHERE name = 'alpine'`);
    hub.setRepository('library', 'alpine', { info: { description: 'a new upstream one-liner' } });
    const run = await scrape(app, ['alpine']);
    assert.equal(run.results[0].status, 'OK');
    const [after] = await db.query(`SELECT updated_at, short_description, overridden FROM processing_resource WHERE name = 'alpine'`);
    assert.equal(after.short_description, 'edited');
    assert.equal(after.overridden.shortDescription, 'a new upstream one-liner');
    assert.deepEqual(after.updated_at, before.updated_at, 'what readers see did not change');
  });

  test('a failing image leaves its catalog rows as they were and the run goes on', async () => {
    const before = await rowVersions();
    hub.inject(hubPaths.repository('library', 'alpine'), faults.status(400, { body: { message: 'bad request' } }), { times: Infinity });
    hub.pushTag('library', 'nginx', 'new3');
    const run = await scrape(app);
    hub.clearFaults();
    assert.equal(run.status, 'PARTIAL');
    const alpine = run.results.find((r: any) => r.image === 'alpine');
    assert.equal(alpine.status, 'FAILED');
    assert.match(alpine.error, /library\/alpine/);
    assert.match(alpine.error, /400/);
    const after = await rowVersions();
    const alpineIds = (await db.query(`SELECT i.id FROM processing_instance i JOIN processing_resource r ON r.id = i.resource_id WHERE r.name = 'alpine' UNION SELECT id FROM processing_resource WHERE name = 'alpine'`)).map((r) => r.id);
    for (const id of alpineIds) assert.deepEqual(after.find((r) => r.id === id), before.find((r) => r.id === id));
  });
});

describe('sync engine: the anonymous paging limit and authentication', () => {
  let db: TestDatabase;
  let hub: FakeDockerHub;
  let apps: TestApp[] = [];

  before(async () => {
    db = await createTestDatabase();
    // Synthetic: a tiny anonymous limit stands for Docker Hub's offset 1000.
    hub = await FakeDockerHub.start({ maxPageSize: 2, anonymousOffsetLimit: 4, credentials: { username: 'robot', token: 'dckr_pat_secret-token-123' } });
    hub.setRepository('library', 'busybox', { tags: syntheticTags(9) });
  });
  after(async () => {
    for (const a of apps) await a.close();
    await hub?.close();
    await db?.drop();
  });

  test('anonymous paging stops at the limit, keeps what was read and says a token is needed', async () => {
    const app = await startTestApp(db.url, { DOCKER_HUB_URL: hub.url, DOCKER_SCRAPER_IMAGES: 'busybox', DOCKER_SCRAPER_MAX_TAGS: '8' });
    apps.push(app);
    const run = await scrape(app);
    assert.equal(run.status, 'SUCCEEDED');
    const r = run.results[0];
    assert.equal(r.status, 'OK');
    assert.equal(r.tagsSeen, 4);
    assert.equal(r.instancesAdded, 4);
    assert.match(r.warning, /DOCKER_HUB_USERNAME/);
    assert.match(r.warning, /DOCKER_HUB_TOKEN/);
  });

  test('with a token, every request is authenticated and paging goes on; the token never shows', async () => {
    const app = await startTestApp(db.url, {
      DOCKER_HUB_URL: hub.url,
      DOCKER_SCRAPER_IMAGES: 'busybox',
      DOCKER_SCRAPER_MAX_TAGS: '8',
      DOCKER_HUB_USERNAME: 'robot',
      DOCKER_HUB_TOKEN: 'dckr_pat_secret-token-123',
    });
    apps.push(app);
    hub.clearRequests();
    const run = await scrape(app);
    const r = run.results[0];
    assert.equal(r.status, 'OK');
    assert.equal(r.tagsSeen, 8);
    assert.equal(r.warning, null);
    assert.equal(r.instancesAdded, 4, 'the four tags past the anonymous limit');
    const api = hub.requestsTo((q) => q.path.startsWith('/v2/namespaces/'));
    assert.ok(api.length > 0 && api.every((q) => q.bearerValid), 'bearer token on every Hub request');
    assert.equal(hub.countRequests((q) => q.path === '/v2/auth/token'), 1, 'one sign-in');
    const status = await app.gql(`{ scraper { authenticated } }`);
    assert.equal(status.data.scraper.authenticated, true);
    assert.doesNotMatch(JSON.stringify(status), /secret-token/);
  });
});
