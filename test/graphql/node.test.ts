import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase, TestDatabase } from '../support/db';
import { ok, startTestApp, TestApp } from '../support/app';
import { insertResource, insertRun, InsertedResource } from '../support/catalog-fixtures';

/** Statements the in-process app sends while `capture` runs (same wrapping as n-plus-one.test.ts). */
const statements: string[] = [];
let capturing = false;
const originalQuery = pg.Client.prototype.query;
(pg.Client.prototype as any).query = function (this: pg.Client, ...args: any[]) {
  if (capturing) statements.push(String(typeof args[0] === 'string' ? args[0] : args[0]?.text));
  return (originalQuery as any).apply(this, args);
};
async function capture<T>(fn: () => Promise<T>): Promise<{ result: T; sql: string[] }> {
  statements.length = 0;
  capturing = true;
  try {
    return { result: await fn(), sql: [...statements] };
  } finally {
    capturing = false;
  }
}

const NODE_FIELDS = `
  __typename id
  ... on ProcessingResource { name }
  ... on ProcessingInstance { name resource { name } }
  ... on TrackedImage { name enabled }
  ... on ScrapeRun { status }`;

describe('global object identification: node(id:) and nodes(ids:)', () => {
  let db: TestDatabase;
  let app: TestApp;
  let nginx: InsertedResource;
  let runId: string;
  let trackedId: string;

  before(async () => {
    db = await createTestDatabase('node');
    app = await startTestApp(db.url);
    nginx = await insertResource(db, { name: 'nginx', instances: [{ name: '1.27' }, { name: 'latest' }] });
    runId = await insertRun(db, { status: 'SUCCEEDED', results: [{ image: 'nginx', position: 0 }] });
    [{ id: trackedId }] = await db.query<{ id: string }>(`SELECT id FROM tracked_image WHERE name = 'nginx'`);
  });
  after(async () => {
    (pg.Client.prototype as any).query = originalQuery;
    await app?.close();
    await db?.drop();
  });

  test('node(id:) resolves every node type from its bare uuid', async () => {
    const instanceId = nginx.instances[0].id;
    const cases: [string, string, (n: any) => void][] = [
      [nginx.id, 'ProcessingResource', (n) => assert.equal(n.name, 'nginx')],
      [instanceId, 'ProcessingInstance', (n) => assert.deepEqual([n.name, n.resource.name], ['1.27', 'nginx'])],
      [trackedId, 'TrackedImage', (n) => assert.deepEqual([n.name, n.enabled], ['nginx', true])],
      [runId, 'ScrapeRun', (n) => assert.equal(n.status, 'SUCCEEDED')],
    ];
    for (const [id, type, check] of cases) {
      const { node } = ok(await app.gql(`query($id: ID!) { node(id: $id) { ${NODE_FIELDS} } }`, { id }));
      assert.equal(node.__typename, type);
      assert.equal(node.id, id);
      check(node);
    }
    // The same ids keep working with the typed lookups.
    const data = ok(await app.gql(`query($r: ID, $i: ID, $run: ID!) { resource(id: $r) { id } instance(id: $i) { id } scrapeRun(id: $run) { id } }`, {
      r: nginx.id,
      i: instanceId,
      run: runId,
    }));
    assert.deepEqual([data.resource.id, data.instance.id, data.scrapeRun.id], [nginx.id, instanceId, runId]);
  });

  test('nodes(ids:) answers in the order asked, null for unknown ids, with one statement per type', async () => {
    const unknown = randomUUID();
    const ids = [runId, nginx.instances[1].id, unknown, nginx.id, trackedId, nginx.instances[0].id, nginx.id];
    const { result, sql } = await capture(() => app.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { ${NODE_FIELDS} } }`, { ids }));
    const { nodes } = ok(result);
    assert.deepEqual(
      nodes.map((n: any) => n && [n.__typename, n.id]),
      [
        ['ScrapeRun', runId],
        ['ProcessingInstance', nginx.instances[1].id],
        null,
        ['ProcessingResource', nginx.id],
        ['TrackedImage', trackedId],
        ['ProcessingInstance', nginx.instances[0].id],
        ['ProcessingResource', nginx.id],
      ],
    );
    const reads = sql.filter((s) => /^\s*SELECT/i.test(s));
    // One per node type plus one for the instances' `resource` field, whatever the number of ids.
    assert.equal(reads.length, 5, reads.join('\n---\n'));
    // Aliased node fields share the batch too.
    const aliased = await capture(() =>
      app.gql(`query($a: ID!, $b: ID!) { a: node(id: $a) { id } b: node(id: $b) { id } }`, { a: nginx.id, b: runId }),
    );
    assert.deepEqual(ok(aliased.result), { a: { id: nginx.id }, b: { id: runId } });
    assert.equal(aliased.sql.filter((s) => /^\s*SELECT/i.test(s)).length, 4);
  });

  test('an unknown id is null; a malformed id is BAD_USER_INPUT naming it; more than 100 ids are refused', async () => {
    assert.equal(ok(await app.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: randomUUID() })).node, null);
    const bad = await app.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: 'UHJvY2Vzc2luZ1Jlc291cmNlOjE=' });
    assert.equal(bad.errors?.[0].extensions?.code, 'BAD_USER_INPUT');
    assert.match(bad.errors![0].message, /^id: /);
    const badList = await app.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: [nginx.id, 'nope'] });
    assert.equal(badList.errors?.[0].extensions?.code, 'BAD_USER_INPUT');
    assert.match(badList.errors![0].message, /^ids\[1\]: /);
    const many = await app.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: Array.from({ length: 101 }, () => randomUUID()) });
    assert.equal(many.errors?.[0].extensions?.code, 'BAD_USER_INPUT');
    assert.match(many.errors![0].message, /at most 100 ids/);
    // An image taken off the tracked list is no longer a node.
    ok(await app.gql(`mutation { removeTrackedImages(input: { images: ["bitnami/redis"] }) { trackedImages { id } } }`));
    const [{ id: removed }] = await db.query<{ id: string }>(`SELECT id FROM tracked_image WHERE name = 'bitnami/redis'`);
    assert.equal(ok(await app.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: removed })).node, null);
  });

  test('nodes(ids:) costs per id in the abuse limits', async () => {
    const capped = await startTestApp(db.url, { GRAPHQL_MAX_COST: '60' });
    try {
      const ids = Array.from({ length: 30 }, () => randomUUID());
      const res = await capped.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id ... on ProcessingResource { name } } }`, { ids });
      assert.equal(res.errors?.[0].extensions?.code, 'QUERY_TOO_COMPLEX');
      assert.equal(res.errors?.[0].extensions?.actual, 1 + 30 * 2);
      ok(await capped.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: ids.slice(0, 20) }));
    } finally {
      await capped.close();
    }
  });
});
