import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, TestDatabase } from '../support/db';
import { GqlResult, startTestApp, TestApp, failure, ok } from '../support/app';
import { insertResource } from '../support/catalog-fixtures';
import { FakeDockerHub, hubPaths } from '../support/fake-docker-hub';
import { syntheticTags } from '../support/hub-data';
import { waitForRun } from '../support/scrape';

const IMAGE_FIELDS = 'id name namespace repository enabled maxTags maxTagsOverride source removedAt';

const ADD = `mutation Add($input: AddTrackedImagesInput!) {
  addTrackedImages(input: $input) { trackedImages { ${IMAGE_FIELDS} } scrapeRun { id status } }
}`;
const REMOVE = `mutation Remove($input: RemoveTrackedImagesInput!) {
  removeTrackedImages(input: $input) { trackedImages { ${IMAGE_FIELDS} resource { id } } }
}`;
const SET = `mutation Set($input: SetTrackedImagesInput!) {
  setTrackedImages(input: $input) { added { name source } removed { name removedAt } trackedImages { name source } }
}`;
const UPDATE = `mutation Update($input: UpdateTrackedImageInput!) {
  updateTrackedImage(input: $input) { trackedImage { ${IMAGE_FIELDS} } }
}`;
const LIST = `{ trackedImages(first: 100) { edges { node { name source enabled maxTags } } } }`;

interface Row {
  name: string;
  source: string;
  enabled: boolean;
  max_tags: number | null;
  removed_at: Date | null;
  removed_by: string | null;
  updated_at: Date;
}


async function listed(app: TestApp): Promise<string[]> {
  const data = ok(await app.gql<any>(LIST));
  return data.trackedImages.edges.map((e: any) => e.node.name);
}

describe('tracked image mutations', () => {
  let db: TestDatabase;
  let app: TestApp;
  const rows = async (): Promise<Row[]> =>
    db.query<Row>('SELECT name, source, enabled, max_tags, removed_at, removed_by, updated_at FROM tracked_image ORDER BY position');
  const row = async (name: string): Promise<Row | undefined> => (await rows()).find((r) => r.name === name);

  before(async () => {
    db = await createTestDatabase();
    // The configured list: nginx, bitnami/redis, scratch (test/support/app.ts).
    app = await startTestApp(db.url);
  });
  after(async () => {
    await app?.close();
    await db?.drop();
  });

  describe('addTrackedImages', () => {
    test('adds images in either name form, merges duplicates and answers in the order given', async () => {
      const data = ok(await app.gql<any>(ADD, { input: { images: ['library/alpine', 'grafana/grafana', 'alpine', ' grafana/grafana '], maxTags: 3 } }));
      const images = data.addTrackedImages.trackedImages;
      assert.deepEqual(
        images.map((i: any) => [i.name, i.namespace, i.repository, i.source, i.maxTags, i.maxTagsOverride, i.enabled, i.removedAt]),
        [
          ['alpine', 'library', 'alpine', 'API', 3, 3, true, null],
          ['grafana/grafana', 'grafana', 'grafana', 'API', 3, 3, true, null],
        ],
      );
      assert.equal(data.addTrackedImages.scrapeRun, null);
      const alpine = await row('alpine');
      assert.equal(alpine?.source, 'API');
      assert.equal(alpine?.max_tags, 3);
      assert.ok((await listed(app)).includes('grafana/grafana'));
    });

    test('an image already tracked is not an error: kept as it is, maxTags changed only when given', async () => {
      const before = await row('nginx');
      let data = ok(await app.gql<any>(ADD, { input: { images: ['nginx'] } }));
      assert.equal(data.addTrackedImages.trackedImages[0].source, 'CONFIG');
      assert.equal(data.addTrackedImages.trackedImages[0].maxTags, 10);
      assert.deepEqual(await row('nginx'), before, 'an add without maxTags writes nothing');

      data = ok(await app.gql<any>(ADD, { input: { images: ['library/nginx'], maxTags: 7 } }));
      assert.equal(data.addTrackedImages.trackedImages[0].maxTags, 7);
      assert.equal((await row('nginx'))?.max_tags, 7);
      assert.equal((await row('nginx'))?.source, 'CONFIG', 'the source stays');

      data = ok(await app.gql<any>(ADD, { input: { images: ['nginx'], maxTags: null } }));
      assert.equal(data.addTrackedImages.trackedImages[0].maxTagsOverride, null);
      assert.equal(data.addTrackedImages.trackedImages[0].maxTags, 10, 'null follows DOCKER_SCRAPER_MAX_TAGS');
    });

    test('scrapeNow: true starts a scrape of the added images (canonical names) and returns its run', async () => {
      const hub = await FakeDockerHub.start();
      hub.setRepository('library', 'busybox', { tags: syntheticTags(2) });
      const scraping = await startTestApp(db.url, { DOCKER_HUB_URL: hub.url });
      try {
        const data = ok(
          await scraping.gql<any>(
            `mutation($input: AddTrackedImagesInput!) { addTrackedImages(input: $input) { trackedImages { name } scrapeRun { id scope trigger imagesTotal } } }`,
            { input: { images: ['library/busybox', 'busybox'], scrapeNow: true } },
          ),
        );
        const run = data.addTrackedImages.scrapeRun;
        assert.deepEqual({ ...run, id: undefined }, { id: undefined, scope: 'SUBSET', trigger: 'MANUAL', imagesTotal: 1 });
        const done = await waitForRun(scraping, run.id);
        assert.deepEqual(done.results.map((r: any) => [r.image, r.status, r.instancesAdded]), [['busybox', 'OK', 2]]);
        const quiet = ok(await scraping.gql<any>(ADD, { input: { images: ['busybox'] } }));
        assert.equal(quiet.addTrackedImages.scrapeRun, null, 'scrapeNow defaults to false');
        assert.equal(hub.countRequests(hubPaths.repository('library', 'busybox')), 1);
      } finally {
        await scraping.close();
        await hub.close();
      }
    });

    test('concurrent adds of the same new images all succeed, once each (the list lock)', async () => {
      const images = ['org/concurrent-a', 'org/concurrent-b', 'org/concurrent-c'];
      const results = await Promise.all(Array.from({ length: 6 }, () => app.gql<any>(ADD, { input: { images } })));
      for (const r of results) ok(r);
      const [{ n }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM tracked_image WHERE name = ANY($1)', [images]);
      assert.equal(n, 3);
    });

    test('invalid names are BAD_USER_INPUT naming input.images[i] and the reason; nothing is written', async () => {
      const before = await rows();
      const res = await app.gql(ADD, { input: { images: ['ok-image', 'Nginx', 'a/b/c', 'x:1.0', '', 'good/one', '-bad'] } });
      const error = failure(res, 'BAD_USER_INPUT');
      const fields = error.extensions!.invalidFields as { field: string; reason: string }[];
      assert.deepEqual(
        fields.map((f) => f.field),
        ['input.images[1]', 'input.images[2]', 'input.images[3]', 'input.images[4]', 'input.images[6]'],
      );
      assert.match(fields[0].reason, /"Nginx" .*lowercase/);
      assert.match(fields[1].reason, /at most one "\/"/);
      assert.match(fields[2].reason, /without a tag/);
      assert.match(fields[3].reason, /empty/);
      assert.match(error.message, /input\.images\[1\]/);
      assert.deepEqual(await rows(), before);
    });

    test('the list must have 1 to 500 names; maxTags must be 1 to 10000', async () => {
      const before = await rows();
      const cases: [unknown, string][] = [
        [{ images: [] }, 'input.images'],
        [{ images: Array.from({ length: 501 }, (_, i) => `org/img-${i}`) }, 'input.images'],
        [{ images: ['alpine'], maxTags: 0 }, 'input.maxTags'],
        [{ images: ['alpine'], maxTags: 10_001 }, 'input.maxTags'],
      ];
      for (const [input, field] of cases) {
        const error = failure(await app.gql(ADD, { input }), 'BAD_USER_INPUT');
        assert.deepEqual(
          (error.extensions!.invalidFields as any[]).map((f) => f.field),
          [field],
          JSON.stringify(error),
        );
      }
      ok(await app.gql(ADD, { input: { images: Array.from({ length: 500 }, (_, i) => `org/many-${i}`), maxTags: 10_000 } }));
      const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tracked_image WHERE name LIKE 'org/many-%'`);
      assert.equal(n, 500);
      assert.equal(before.some((r) => r.name.startsWith('org/many-')), false);
      ok(await app.gql(REMOVE, { input: { images: Array.from({ length: 500 }, (_, i) => `org/many-${i}`) } }));
    });
  });

  describe('removeTrackedImages', () => {
    test('removes, leaves a tombstone and keeps the catalog resource without purge', async () => {
      ok(await app.gql(ADD, { input: { images: ['org/keep-resource'] } }));
      const resource = await insertResource(db, { name: 'org/keep-resource', instances: [{ name: 'v1' }] });
      const data = ok(await app.gql<any>(REMOVE, { input: { images: ['org/keep-resource'] } }));
      const [removed] = data.removeTrackedImages.trackedImages;
      assert.equal(removed.name, 'org/keep-resource');
      assert.ok(removed.removedAt, 'removedAt is set');
      assert.equal(removed.resource.id, resource.id, 'the resource is still there');
      const r = await row('org/keep-resource');
      assert.equal(r?.removed_by, 'API');
      assert.ok(r?.removed_at);
      assert.equal((await listed(app)).includes('org/keep-resource'), false);
      const [{ n }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM processing_instance WHERE resource_id = $1', [resource.id]);
      assert.equal(n, 1);
    });

    test('purge: true also deletes the resources and their instances', async () => {
      ok(await app.gql(ADD, { input: { images: ['org/purge-me', 'org/purge-too'] } }));
      const a = await insertResource(db, { name: 'org/purge-me', instances: [{ name: 'v1' }, { name: 'v2' }] });
      const b = await insertResource(db, { name: 'org/other', instances: [{ name: 'v1' }] });
      const data = ok(await app.gql<any>(REMOVE, { input: { images: ['org/purge-me', 'org/purge-too'], purge: true } }));
      assert.deepEqual(
        data.removeTrackedImages.trackedImages.map((i: any) => [i.name, i.resource]),
        [
          ['org/purge-me', null],
          ['org/purge-too', null],
        ],
      );
      assert.deepEqual(await db.query('SELECT id FROM processing_resource WHERE id = $1', [a.id]), []);
      assert.deepEqual(await db.query('SELECT id FROM processing_instance WHERE resource_id = $1', [a.id]), []);
      assert.equal((await db.query('SELECT id FROM processing_resource WHERE id = $1', [b.id])).length, 1, 'other resources stay');
    });

    test('a name that is not tracked is NOT_FOUND naming it, and nothing is removed', async () => {
      ok(await app.gql(ADD, { input: { images: ['org/stays-1'] } }));
      const before = await rows();
      const error = failure(await app.gql(REMOVE, { input: { images: ['org/stays-1', 'org/never-tracked', 'library/nope'] } }), 'NOT_FOUND');
      assert.match(error.message, /org\/never-tracked, nope/);
      assert.deepEqual(error.extensions!.images, ['org/never-tracked', 'nope']);
      assert.deepEqual(await rows(), before);
      // An image removed already is not tracked either.
      ok(await app.gql(REMOVE, { input: { images: ['org/stays-1'] } }));
      failure(await app.gql(REMOVE, { input: { images: ['org/stays-1'] } }), 'NOT_FOUND');
    });

    test('names are validated as for addTrackedImages', async () => {
      const error = failure(await app.gql(REMOVE, { input: { images: ['nginx', 'NGINX'] } }), 'BAD_USER_INPUT');
      assert.deepEqual((error.extensions!.invalidFields as any[]).map((f) => f.field), ['input.images[1]']);
      failure(await app.gql(REMOVE, { input: { images: [] } }), 'BAD_USER_INPUT');
      assert.equal((await row('nginx'))?.removed_at, null);
    });
  });

  describe('setTrackedImages', () => {
    test('replaces the list and reports what was added and removed; resources stay', async () => {
      const fresh = await createTestDatabase();
      const other = await startTestApp(fresh.url, { DOCKER_SCRAPER_IMAGES: 'nginx,bitnami/redis,scratch' });
      try {
        await insertResource(fresh, { name: 'bitnami/redis', instances: [{ name: '7' }] });
        const data = ok(await other.gql<any>(SET, { input: { images: ['library/nginx', 'alpine', 'grafana/grafana', 'alpine'] } }));
        const p = data.setTrackedImages;
        assert.deepEqual(p.added.map((i: any) => [i.name, i.source]), [
          ['alpine', 'API'],
          ['grafana/grafana', 'API'],
        ]);
        assert.deepEqual(p.removed.map((i: any) => i.name), ['bitnami/redis', 'scratch']);
        assert.ok(p.removed.every((i: any) => i.removedAt));
        assert.deepEqual(p.trackedImages.map((i: any) => [i.name, i.source]), [
          ['nginx', 'CONFIG'],
          ['alpine', 'API'],
          ['grafana/grafana', 'API'],
        ]);
        assert.deepEqual(await listed(other), ['nginx', 'alpine', 'grafana/grafana']);
        const tomb = await fresh.query('SELECT removed_by FROM tracked_image WHERE name = $1', ['bitnami/redis']);
        assert.equal(tomb[0].removed_by, 'API');
        assert.equal((await fresh.query(`SELECT 1 FROM processing_resource WHERE name = 'bitnami/redis'`)).length, 1);

        // Setting the same list again changes nothing; a removed image comes back.
        const again = ok(await other.gql<any>(SET, { input: { images: ['nginx', 'alpine', 'grafana/grafana'] } }));
        assert.deepEqual([again.setTrackedImages.added, again.setTrackedImages.removed], [[], []]);
        const back = ok(await other.gql<any>(SET, { input: { images: ['nginx', 'bitnami/redis'] } }));
        assert.deepEqual(back.setTrackedImages.added.map((i: any) => [i.name, i.source]), [['bitnami/redis', 'API']]);
        assert.deepEqual(back.setTrackedImages.removed.map((i: any) => i.name), ['alpine', 'grafana/grafana']);
      } finally {
        await other.close();
        await fresh.drop();
      }
    });

    test('an empty list or a bad name is BAD_USER_INPUT and nothing changes', async () => {
      const before = await rows();
      const empty = failure(await app.gql(SET, { input: { images: [] } }), 'BAD_USER_INPUT');
      assert.match(empty.message, /removeTrackedImages/);
      const bad = failure(await app.gql(SET, { input: { images: ['nginx', 'UPPER/case'] } }), 'BAD_USER_INPUT');
      assert.deepEqual((bad.extensions!.invalidFields as any[]).map((f) => f.field), ['input.images[1]']);
      assert.deepEqual(await rows(), before);
    });
  });

  describe('updateTrackedImage', () => {
    test('changes enabled and maxTags; null maxTags follows the default; fields left out stay', async () => {
      ok(await app.gql(ADD, { input: { images: ['org/updatable'] } }));
      let data = ok(await app.gql<any>(UPDATE, { input: { image: 'org/updatable', enabled: false, maxTags: 25 } }));
      assert.deepEqual(
        [data.updateTrackedImage.trackedImage.enabled, data.updateTrackedImage.trackedImage.maxTags],
        [false, 25],
      );
      data = ok(await app.gql<any>(UPDATE, { input: { image: 'org/updatable', maxTags: null } }));
      assert.deepEqual(
        [data.updateTrackedImage.trackedImage.enabled, data.updateTrackedImage.trackedImage.maxTags, data.updateTrackedImage.trackedImage.maxTagsOverride],
        [false, 10, null],
      );
      data = ok(await app.gql<any>(UPDATE, { input: { image: 'org/updatable', enabled: true } }));
      assert.equal(data.updateTrackedImage.trackedImage.enabled, true);
      const r = await row('org/updatable');
      assert.deepEqual([r?.enabled, r?.max_tags], [true, null]);
    });

    test('an update that changes nothing writes nothing', async () => {
      ok(await app.gql(ADD, { input: { images: ['org/noop'] } }));
      const before = await row('org/noop');
      ok(await app.gql(UPDATE, { input: { image: 'org/noop', enabled: true } }));
      ok(await app.gql(UPDATE, { input: { image: 'org/noop' } }));
      assert.deepEqual(await row('org/noop'), before);
    });

    test('an image that is not tracked (or removed) is NOT_FOUND naming it', async () => {
      let error = failure(await app.gql(UPDATE, { input: { image: 'org/unknown', enabled: false } }), 'NOT_FOUND');
      assert.match(error.message, /org\/unknown/);
      ok(await app.gql(ADD, { input: { images: ['org/gone'] } }));
      ok(await app.gql(REMOVE, { input: { images: ['org/gone'] } }));
      error = failure(await app.gql(UPDATE, { input: { image: 'org/gone', enabled: true } }), 'NOT_FOUND');
      assert.match(error.message, /org\/gone/);
      assert.ok((await row('org/gone'))?.removed_at, 'still removed');
    });

    test('each input field is validated', async () => {
      const before = await rows();
      const cases: [unknown, string[]][] = [
        [{ image: 'Bad Name', enabled: false }, ['input.image']],
        [{ image: 'nginx', enabled: null }, ['input.enabled']],
        [{ image: 'nginx', maxTags: 0 }, ['input.maxTags']],
        [{ image: 'nginx', maxTags: 10_001 }, ['input.maxTags']],
        [{ image: 'a/b/c', enabled: null, maxTags: -1 }, ['input.image', 'input.enabled', 'input.maxTags']],
      ];
      for (const [input, fields] of cases) {
        const error = failure(await app.gql(UPDATE, { input }), 'BAD_USER_INPUT');
        assert.deepEqual((error.extensions!.invalidFields as any[]).map((f) => f.field), fields, JSON.stringify(error));
      }
      assert.deepEqual(await rows(), before);
    });
  });
});

describe('an image removed through the API stays removed across restarts', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  test('DOCKER_SCRAPER_IMAGES and the default list cannot bring it back; addTrackedImages can', async () => {
    let app = await startTestApp(db.url, { DOCKER_SCRAPER_IMAGES: 'nginx,bitnami/redis' });
    try {
      assert.deepEqual(await listed(app), ['nginx', 'bitnami/redis']);
      ok(await app.gql(REMOVE, { input: { images: ['nginx'] } }));
    } finally {
      await app.close();
    }

    // A new process on the same database, configured with the removed image.
    app = await startTestApp(db.url, { DOCKER_SCRAPER_IMAGES: 'nginx,bitnami/redis,alpine' });
    try {
      assert.deepEqual(await listed(app), ['bitnami/redis', 'alpine']);
    } finally {
      await app.close();
    }

    // The default list names nginx too (DOCKER_SCRAPER_IMAGES unset).
    app = await startTestApp(db.url, { DOCKER_SCRAPER_IMAGES: '' });
    try {
      const names = await listed(app);
      assert.ok(names.includes('alpine') && names.length > 5, 'the default list is in force');
      assert.equal(names.includes('nginx'), false);
      // Re-added through the API: back, as an API image, tombstone cleared.
      const data = ok(await app.gql<any>(ADD, { input: { images: ['nginx'] } }));
      assert.equal(data.addTrackedImages.trackedImages[0].source, 'API');
      const [r] = await db.query('SELECT removed_at, removed_by, source FROM tracked_image WHERE name = $1', ['nginx']);
      assert.deepEqual(r, { removed_at: null, removed_by: null, source: 'API' });
    } finally {
      await app.close();
    }

    // And it stays on the list at the next start, even with a configuration that does not name it.
    app = await startTestApp(db.url, { DOCKER_SCRAPER_IMAGES: 'bitnami/redis' });
    try {
      assert.deepEqual(await listed(app), ['nginx', 'bitnami/redis']);
    } finally {
      await app.close();
    }
  });
});
