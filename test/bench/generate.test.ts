import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, TestDatabase } from '../support/db';
import { ok, startTestApp } from '../support/app';
import { BIG_RESOURCE, CatalogScale, generateCatalog, planResources } from '../../bench/generate';
import { parseImageName } from '../../src/shared/image-name';

// The benchmark data generator at a tiny scale: the rows it writes must stay what the
// service reads, so that the benchmarks cannot silently measure a broken catalog.
const TINY: CatalogScale = { resources: 40, instancesPerResource: 3, bigResourceInstances: 12, descriptionBytes: [2048, 4096], seed: 11 };

describe('benchmark data generator', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  test('fills a migrated database with the asked-for numbers of valid resources and instances', async () => {
    const r = await generateCatalog(db.url, TINY);
    assert.deepEqual([r.resources, r.instances], [40, 39 * 3 + 12]);
    const [counts] = await db.query(
      `SELECT (SELECT count(*)::int FROM processing_resource) AS resources, (SELECT count(*)::int FROM processing_instance) AS instances`,
    );
    assert.deepEqual(counts, { resources: 40, instances: 129 });

    const resources = await db.query(`SELECT * FROM processing_resource`);
    for (const row of resources) {
      const parsed = parseImageName(row.name);
      assert.deepEqual([parsed.namespace, parsed.repository], [row.namespace, row.repository], row.name);
      assert.ok(row.description.length >= 2048 && row.description.length <= 4096 + 2000, `${row.name}: ${row.description.length} bytes`);
      if (row.logo !== null) assert.ok(row.description.includes(`![logo](${row.logo})`), 'the logo is the first image of the description');
      assert.ok(row.short_description.length > 0 && row.short_description.length <= 100);
      assert.deepEqual(row.owners, [{ name: 'https://hub.docker.com/', logo: 'https://icones8.fr/icon/Wln8Z3PcXanx/logo-docker' }]);
    }

    const instances = await db.query(
      `SELECT i.*, r.name AS resource FROM processing_instance i JOIN processing_resource r ON r.id = i.resource_id`,
    );
    for (const row of instances) {
      assert.equal(row.origin_ref, `docker.io/${row.resource}:${row.name}`);
      assert.equal(row.access_image, row.origin_ref);
      assert.match(row.digest, /^sha256:[0-9a-f]{64}$/);
      assert.ok(row.upstream_last_updated instanceof Date);
      assert.ok(row.platforms.length >= 2 && row.platforms.length <= 4, `${row.platforms.length} platforms`);
      for (const p of row.platforms) assert.deepEqual(Object.keys(p).sort(), ['architecture', 'digest', 'os', 'size', 'variant']);
      assert.deepEqual(row.access_env, { ARCH: row.platforms[0].architecture });
    }
    const [big] = await db.query(
      `SELECT count(*)::int AS n FROM processing_instance i JOIN processing_resource r ON r.id = i.resource_id WHERE r.name = $1`,
      [BIG_RESOURCE],
    );
    assert.equal(big.n, 12);
    // Every non-constraint index the migrations made is back after the load.
    const [ix] = await db.query(`SELECT count(*)::int AS n FROM pg_indexes WHERE tablename IN ('processing_resource', 'processing_instance')`);
    assert.ok(ix.n >= 10, `${ix.n} indexes`);
  });

  test('is deterministic: the same seed gives the same rows, another seed others', async () => {
    const snapshot = async () =>
      (await db.query(`SELECT id, name, digest FROM processing_instance ORDER BY id`)).map((r) => `${r.id} ${r.name} ${r.digest}`).join('\n');
    const before = await snapshot();
    await generateCatalog(db.url, TINY);
    assert.equal(await snapshot(), before);
    assert.notDeepEqual(
      planResources({ ...TINY, seed: 12 }).map((r) => r.name),
      planResources(TINY).map((r) => r.name),
    );
  });

  test('the service reads the generated catalog', async () => {
    const app = await startTestApp(db.url);
    try {
      const data = ok(
        await app.gql(`{
          resources(first: 5, filter: { search: "a" }) { totalCount edges { node { name instances(first: 2) { edges { node { name platforms { architecture } } } } } } }
          resource(name: "${BIG_RESOURCE}") { instances(first: 100) { totalCount } }
        }`),
      ) as any;
      assert.ok(data.resources.totalCount > 0);
      assert.equal(data.resources.edges[0].node.instances.edges.length, 2);
      assert.equal(data.resource.instances.totalCount, 12);
    } finally {
      await app.close();
    }
  });
});
