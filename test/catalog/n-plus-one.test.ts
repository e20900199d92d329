import 'reflect-metadata';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createTestDatabase, TestDatabase } from '../support/db';
import { startTestApp, TestApp } from '../support/app';
import { insertResource, InstanceFixture } from '../support/catalog-fixtures';

/**
 * Counts the statements the app sends, by wrapping `pg.Client.prototype.query`: the
 * in-process app uses this same `pg` module. Only statements sent while `capture` runs count.
 */
const statements: string[] = [];
let capturing = false;
const originalQuery = pg.Client.prototype.query;
(pg.Client.prototype as any).query = function (this: pg.Client, ...args: any[]) {
  if (capturing) {
    const text = typeof args[0] === 'string' ? args[0] : args[0]?.text;
    statements.push(String(text));
  }
  return (originalQuery as any).apply(this, args);
};

async function capture<T>(fn: () => Promise<T>): Promise<{ result: T; sql: string[] }> {
  statements.length = 0;
  capturing = true;
  try {
    const result = await fn();
    return { result, sql: [...statements] };
  } finally {
    capturing = false;
  }
}

const NESTED = `{
  resources(first: 50) {
    edges { node { id name instances(first: 10) { totalCount edges { node { id name resource { name } } } } } }
  }
}`;

let db: TestDatabase;
let app: TestApp;

before(async () => {
  db = await createTestDatabase('n_plus_one');
  // Long safety-net polls: only the statements of the request under test are counted.
  app = await startTestApp(db.url, { GRAPHQL_MAX_COST: '1000000', CATALOG_EVENTS_POLL: '1h', WEBHOOK_POLL: '1h' });
});
after(async () => {
  (pg.Client.prototype as any).query = originalQuery;
  await app?.close();
  await db?.drop();
});

function tags(n: number): InstanceFixture[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `1.${i}`,
    lastUpdated: new Date(Date.UTC(2025, 0, 1 + i)).toISOString(),
  }));
}

async function addResources(from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    await insertResource(db, { name: `bench/image-${String(i).padStart(3, '0')}`, pullCount: i, instances: tags(12) });
  }
}

async function measure(): Promise<{ count: number; resources: number; instances: number; sql: string[] }> {
  const { result, sql } = await capture(() => app.gql(NESTED));
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
  const edges = result.data.resources.edges;
  let instances = 0;
  for (const e of edges) {
    assert.equal(e.node.instances.totalCount, 12);
    assert.equal(e.node.instances.edges.length, 10);
    for (const i of e.node.instances.edges) assert.equal(i.node.resource.name, e.node.name, 'each instance resolves its own resource');
    instances += e.node.instances.edges.length;
  }
  return { count: sql.length, resources: edges.length, instances, sql };
}

test('the nested query costs the same number of statements for 5 and for 50 resources', async () => {
  await addResources(0, 5);
  const small = await measure();
  assert.equal(small.resources, 5);
  assert.equal(small.instances, 50);

  await addResources(5, 50);
  const large = await measure();
  assert.equal(large.resources, 50);
  assert.equal(large.instances, 500);

  console.log(
    `statements for resources(first: 50) > instances(first: 10) > resource: ${small.count} with 5 resources, ${large.count} with 50 resources`,
  );
  assert.equal(large.count, small.count, `statements with 50 resources:\n${large.sql.join('\n---\n')}`);
  // One for the page, one for all the instance pages, one for all the counts, one for all the parents.
  assert.ok(large.count <= 4, `a handful of statements, not one per resource: ${large.count}\n${large.sql.join('\n---\n')}`);
  assert.ok(large.count >= 1);
});

test('the counter sees per-row queries: it can catch an N+1', async () => {
  // The same counter around a naive loop counts one statement per row.
  const { sql } = await capture(async () => {
    for (let i = 0; i < 3; i++) await db.query('SELECT $1::int', [i]);
  });
  assert.equal(sql.length, 3);
});

test('resources reads only the columns a query asks for', async () => {
  const resourceSql = (sql: string[]) => sql.filter((s) => /FROM processing_resource r/.test(s) && !/count\(\*\)/.test(s));

  const lean = await capture(() => app.gql(`{ resources(first: 5) { edges { node { id name } } } }`));
  assert.equal(lean.result.errors, undefined);
  const [leanSql] = resourceSql(lean.sql);
  assert.ok(leanSql, `the page statement was seen: ${lean.sql.join('\n')}`);
  assert.doesNotMatch(leanSql, /r\.description/, 'the long description is not read');
  assert.doesNotMatch(leanSql, /short_description/);
  assert.doesNotMatch(leanSql, /r\.owners/);
  assert.match(leanSql, /r\.name/);

  const full = await capture(() =>
    app.gql(`{ resources(first: 5) { edges { node { id description shortDescription } } } }`),
  );
  assert.equal(full.result.errors, undefined);
  const [fullSql] = resourceSql(full.sql);
  assert.match(fullSql, /r\.description/, 'asked for, it is read');
  assert.match(fullSql, /r\.short_description/);

  // Through a fragment, too.
  const viaFragment = await capture(() =>
    app.gql(`{ resources(first: 5) { edges { node { ...F } } } } fragment F on ProcessingResource { id description }`),
  );
  assert.match(resourceSql(viaFragment.sql)[0], /r\.description/);

  // Nested instances: platforms only when asked for.
  const instanceSql = (sql: string[]) => sql.filter((s) => /FROM processing_instance i/.test(s) && !/count\(\*\)/.test(s));
  const leanNested = await capture(() => app.gql(`{ resource(name: "bench/image-000") { instances(first: 2) { edges { node { name } } } } }`));
  assert.equal(leanNested.result.errors, undefined);
  assert.doesNotMatch(instanceSql(leanNested.sql)[0], /i\.platforms/);
  const fullNested = await capture(() =>
    app.gql(`{ resource(name: "bench/image-000") { instances(first: 2) { edges { node { name platforms { architecture } } } } } }`),
  );
  assert.match(instanceSql(fullNested.sql)[0], /i\.platforms/);

  // totalCount costs a count only when asked for.
  assert.equal(lean.sql.filter((s) => /count\(\*\)/.test(s)).length, 0);
  const counted = await capture(() => app.gql(`{ resources(first: 5) { totalCount } }`));
  assert.equal(counted.sql.filter((s) => /count\(\*\)/.test(s)).length, 1);
});
