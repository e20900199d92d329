import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, TestDatabase } from '../support/db';
import { ok, startTestApp, TestApp } from '../support/app';
import { insertResource } from '../support/catalog-fixtures';

/** Mutation payloads carry what a normalised client cache needs: changed objects with ids, removed ids. */
describe('mutation payloads for client caches', () => {
  let db: TestDatabase;
  let app: TestApp;
  before(async () => {
    db = await createTestDatabase('payload_ids');
    app = await startTestApp(db.url, { DOCKER_SCRAPER_IMAGES: 'nginx,bitnami/redis,acme/one,acme/two' });
  });
  after(async () => {
    await app?.close();
    await db?.drop();
  });
  const idOf = async (name: string) => (await db.query<{ id: string }>('SELECT id FROM tracked_image WHERE name = $1', [name]))[0].id;

  test('removeTrackedImages returns the removed ids, and with purge the deleted resource and instance ids', async () => {
    const redis = await insertResource(db, { name: 'bitnami/redis', instances: [{ name: '7.4' }, { name: '7.2' }] });
    const redisTracked = await idOf('bitnami/redis');
    const res = ok(
      await app.gql(`mutation { removeTrackedImages(input: { images: ["bitnami/redis"], purge: true }) {
        __typename trackedImages { __typename id } removedIds removedResourceIds removedInstanceIds } }`),
    ).removeTrackedImages;
    assert.deepEqual(res.trackedImages, [{ __typename: 'TrackedImage', id: redisTracked }]);
    assert.deepEqual(res.removedIds, [redisTracked]);
    assert.deepEqual(res.removedResourceIds, [redis.id]);
    assert.deepEqual([...res.removedInstanceIds].sort(), redis.instances.map((i) => i.id).sort());
    assert.equal((await db.query('SELECT 1 FROM processing_instance WHERE id = ANY($1::uuid[])', [res.removedInstanceIds])).length, 0);
    // Without purge nothing is deleted from the catalog.
    const nginx = await insertResource(db, { name: 'nginx', instances: [{ name: 'latest' }] });
    const kept = ok(await app.gql(`mutation { removeTrackedImages(input: { images: ["nginx"] }) { removedIds removedResourceIds removedInstanceIds } }`))
      .removeTrackedImages;
    assert.deepEqual(kept, { removedIds: [await idOf('nginx')], removedResourceIds: [], removedInstanceIds: [] });
    assert.equal((await db.query('SELECT 1 FROM processing_resource WHERE id = $1', [nginx.id])).length, 1);
    // addTrackedImages removes nothing.
    const added = ok(await app.gql(`mutation { addTrackedImages(input: { images: ["nginx"] }) { trackedImages { id name } removedIds } }`)).addTrackedImages;
    assert.deepEqual(added, { trackedImages: [{ id: await idOf('nginx'), name: 'nginx' }], removedIds: [] });
  });

  test('setTrackedImages returns the removed ids; updates return the changed object with its id', async () => {
    const [one, two] = [await idOf('acme/one'), await idOf('acme/two')];
    const set = ok(await app.gql(`mutation { setTrackedImages(input: { images: ["nginx", "acme/new"] }) { removed { id } removedIds added { name } } }`))
      .setTrackedImages;
    assert.deepEqual([...set.removedIds].sort(), [one, two].sort());
    assert.deepEqual(set.removed.map((r: any) => r.id).sort(), [one, two].sort());
    const upd = ok(await app.gql(`mutation { updateTrackedImage(input: { image: "nginx", enabled: false }) { trackedImage { __typename id enabled } } }`))
      .updateTrackedImage;
    assert.deepEqual(upd.trackedImage, { __typename: 'TrackedImage', id: await idOf('nginx'), enabled: false });
  });
});
