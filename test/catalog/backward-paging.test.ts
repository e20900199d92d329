import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, TestDatabase } from '../support/db';
import { ok, startTestApp, TestApp } from '../support/app';
import { insertResource, insertRun, InsertedResource } from '../support/catalog-fixtures';

const RESOURCES = `query($first: Int, $after: String, $last: Int, $before: String, $orderBy: ResourceOrder, $filter: ResourceFilter) {
  resources(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy, filter: $filter) {
    totalCount
    edges { cursor node { id name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

interface PageOf {
  edges: { cursor: string; node: { id: string; name: string } }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

describe('backward paging (last/before) on every connection', () => {
  let db: TestDatabase;
  let app: TestApp;
  let all: InsertedResource[];
  const page = async (vars: Record<string, unknown>): Promise<PageOf> => ok(await app.gql(RESOURCES, vars)).resources;

  /** Every page from the end to the start with `last`, in list order. */
  async function walkBackward(size: number, vars: Record<string, unknown> = {}): Promise<string[]> {
    const names: string[] = [];
    let before: string | null = null;
    for (let guard = 0; guard < 100; guard++) {
      const p = await page({ ...vars, last: size, before });
      names.unshift(...p.edges.map((e) => e.node.name));
      assert.equal(p.pageInfo.hasNextPage, before !== null, 'hasNextPage is true exactly when `before` bounds the page');
      if (!p.pageInfo.hasPreviousPage) return names;
      assert.equal(p.edges.length, size);
      before = p.pageInfo.startCursor;
    }
    throw new Error('no end');
  }
  async function walkForward(size: number, vars: Record<string, unknown> = {}): Promise<string[]> {
    const names: string[] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 100; guard++) {
      const p = await page({ ...vars, first: size, after });
      names.push(...p.edges.map((e) => e.node.name));
      if (!p.pageInfo.hasNextPage) return names;
      after = p.pageInfo.endCursor;
    }
    throw new Error('no end');
  }

  before(async () => {
    db = await createTestDatabase('backward_paging');
    app = await startTestApp(db.url);
    all = [];
    for (let i = 0; i < 23; i++) {
      // Pull counts tie in threes: ties are broken by id, in both directions.
      all.push(await insertResource(db, { name: `acme/r${String(i).padStart(2, '0')}`, pullCount: Math.floor(i / 3) * 10, instances: [] }));
    }
  });
  after(async () => {
    await app?.close();
    await db?.drop();
  });

  test('last/before walks the whole list from the end: the same items, in the same order, as first/after', async () => {
    const expected = all.map((r) => r.name).sort();
    assert.deepEqual(await walkForward(5), expected);
    assert.deepEqual(await walkBackward(5), expected);
    assert.deepEqual(await walkBackward(100), expected);
    for (const orderBy of [{ field: 'PULL_COUNT', direction: 'DESC' }, { field: 'PULL_COUNT', direction: 'ASC' }, { field: 'CREATED_AT', direction: 'DESC' }]) {
      assert.deepEqual(await walkBackward(4, { orderBy }), await walkForward(4, { orderBy }), JSON.stringify(orderBy));
    }
    assert.deepEqual(await walkBackward(2, { filter: { search: 'r1' } }), expected.filter((n) => n.includes('r1')));
  });

  test('pageInfo follows the Relay cursor spec in both directions', async () => {
    const last = await page({ last: 3 });
    assert.deepEqual(last.edges.map((e) => e.node.name), ['acme/r20', 'acme/r21', 'acme/r22']);
    assert.deepEqual([last.pageInfo.hasPreviousPage, last.pageInfo.hasNextPage], [true, false]);
    assert.equal(last.pageInfo.startCursor, last.edges[0].cursor);
    assert.equal(last.pageInfo.endCursor, last.edges[2].cursor);
    const prev = await page({ last: 3, before: last.pageInfo.startCursor });
    assert.deepEqual(prev.edges.map((e) => e.node.name), ['acme/r17', 'acme/r18', 'acme/r19']);
    assert.deepEqual([prev.pageInfo.hasPreviousPage, prev.pageInfo.hasNextPage], [true, true]);
    const start = await page({ last: 30 });
    assert.equal(start.edges.length, 23);
    assert.deepEqual([start.pageInfo.hasPreviousPage, start.pageInfo.hasNextPage], [false, false]);
    // A forward page after a backward one continues where it ended, and vice versa.
    const next = await page({ first: 2, after: prev.pageInfo.endCursor });
    assert.deepEqual(next.edges.map((e) => e.node.name), ['acme/r20', 'acme/r21']);
    // `first` with `before`: the first items of the range before the cursor.
    const bounded = await page({ first: 30, before: prev.pageInfo.startCursor });
    assert.equal(bounded.edges.length, 17);
    assert.equal(bounded.pageInfo.hasNextPage, false);
    // `after` and `before` together: the items between.
    const between = await page({ last: 30, after: next.pageInfo.startCursor, before: last.pageInfo.endCursor });
    assert.deepEqual(between.edges.map((e) => e.node.name), ['acme/r21']);
    // An empty page has no cursors.
    const empty = await page({ last: 5, filter: { search: 'nothing-matches' } });
    assert.deepEqual(empty, { totalCount: 0, edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } } as any);
  });

  test('backward pages are stable under inserts between pages', async () => {
    const first = await page({ last: 4 });
    // New rows before, inside and after the remaining range.
    const added = [];
    for (const name of ['acme/a-before', 'acme/r105', 'acme/zz-after']) added.push(await insertResource(db, { name, instances: [] }));
    try {
      const second = await page({ last: 4, before: first.pageInfo.startCursor });
      assert.deepEqual(second.edges.map((e) => e.node.name), ['acme/r15', 'acme/r16', 'acme/r17', 'acme/r18']);
      assert.equal(second.pageInfo.hasNextPage, true);
      const third = await page({ last: 4, before: second.pageInfo.startCursor });
      assert.deepEqual(third.edges.map((e) => e.node.name), ['acme/r11', 'acme/r12', 'acme/r13', 'acme/r14']);
      // The newcomer that sorts into the range already read shows up only on a page that covers it.
      const again = await page({ last: 2, before: second.pageInfo.endCursor });
      assert.deepEqual(again.edges.map((e) => e.node.name), ['acme/r16', 'acme/r17']);
    } finally {
      await db.query(`DELETE FROM processing_resource WHERE id = ANY($1::uuid[])`, [added.map((a) => a.id)]);
    }
  });

  test('bad paging arguments are BAD_USER_INPUT naming the argument', async () => {
    const codeOf = async (query: string, vars: Record<string, unknown> = {}) => {
      const res = await app.gql(query, vars);
      return [res.errors?.[0]?.extensions?.code, res.errors?.[0]?.message];
    };
    const both = await codeOf(`{ resources(first: 5, last: 5) { totalCount } }`);
    assert.equal(both[0], 'BAD_USER_INPUT');
    assert.match(String(both[1]), /`first`.*`last`.*not both/);
    assert.equal((await codeOf(RESOURCES, { first: 5, last: 5 }))[0], 'BAD_USER_INPUT');
    // `first: null` with `last` (what Relay sends when paging backward) is backward paging.
    assert.equal((await page({ first: null, last: 2 })).edges.length, 2);
    assert.equal((await codeOf(RESOURCES, { first: null }))[0], 'BAD_USER_INPUT');
    assert.equal((await codeOf(RESOURCES, { last: 0 }))[0], 'BAD_USER_INPUT');
    assert.equal((await codeOf(RESOURCES, { last: 101 }))[0], 'BAD_USER_INPUT');
    const badBefore = await codeOf(RESOURCES, { last: 2, before: 'garbage' });
    assert.deepEqual([badBefore[0], String(badBefore[1]).split(':')[0]], ['BAD_USER_INPUT', 'before']);
    // A cursor of another ordering is refused on the `before` side too.
    const byName = await page({ last: 2 });
    const foreign = await codeOf(RESOURCES, { last: 2, before: byName.pageInfo.startCursor, orderBy: { field: 'PULL_COUNT', direction: 'DESC' } });
    assert.match(String(foreign[1]), /^before: this cursor belongs to another ordering/);
  });

  test('instances, trackedImages and scrapeRuns page backward too', async () => {
    const nginx = await insertResource(db, {
      name: 'nginx',
      instances: Array.from({ length: 7 }, (_, i) => ({ name: `1.${i}`, lastUpdated: new Date(Date.UTC(2025, 0, 1 + i)).toISOString() })),
    });
    const instances = async (vars: Record<string, unknown>) =>
      ok(
        await app.gql(
          `query($id: ID, $first: Int, $last: Int, $before: String, $after: String) { resource(id: $id) { instances(first: $first, last: $last, before: $before, after: $after) { edges { node { name } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`,
          { id: nginx.id, ...vars },
        ),
      ).resource.instances;
    const lastThree = await instances({ last: 3 });
    assert.deepEqual(lastThree.edges.map((e: any) => e.node.name), ['1.2', '1.1', '1.0']); // newest first: the oldest are last
    assert.equal(lastThree.pageInfo.hasPreviousPage, true);
    const before = await instances({ last: 3, before: lastThree.pageInfo.startCursor });
    assert.deepEqual(before.edges.map((e: any) => e.node.name), ['1.5', '1.4', '1.3']);
    const rest = await instances({ last: 3, before: before.pageInfo.startCursor });
    assert.deepEqual([rest.edges.map((e: any) => e.node.name), rest.pageInfo.hasPreviousPage], [['1.6'], false]);
    assert.equal((await app.gql(`{ resource(name: "nginx") { instances(first: 2, last: 2) { totalCount } } }`)).errors?.[0].extensions?.code, 'BAD_USER_INPUT');

    const tracked = `query($last: Int, $before: String) { trackedImages(last: $last, before: $before) { edges { node { name } } pageInfo { hasPreviousPage hasNextPage startCursor } } }`;
    const t1 = ok(await app.gql(tracked, { last: 2 })).trackedImages;
    assert.deepEqual(t1.edges.map((e: any) => e.node.name), ['bitnami/redis', 'scratch']);
    assert.deepEqual([t1.pageInfo.hasPreviousPage, t1.pageInfo.hasNextPage], [true, false]);
    const t2 = ok(await app.gql(tracked, { last: 2, before: t1.pageInfo.startCursor })).trackedImages;
    assert.deepEqual([t2.edges.map((e: any) => e.node.name), t2.pageInfo.hasPreviousPage, t2.pageInfo.hasNextPage], [['nginx'], false, true]);

    const runIds: string[] = [];
    for (let i = 0; i < 5; i++) runIds.push(await insertRun(db, { createdAt: new Date(Date.UTC(2025, 1, 1 + i)) }));
    const runs = `query($last: Int, $before: String) { scrapeRuns(last: $last, before: $before) { edges { node { id } } pageInfo { hasPreviousPage startCursor } } }`;
    const r1 = ok(await app.gql(runs, { last: 2 })).scrapeRuns;
    assert.deepEqual(r1.edges.map((e: any) => e.node.id), [runIds[1], runIds[0]]); // newest first: the oldest come last
    const r2 = ok(await app.gql(runs, { last: 10, before: r1.pageInfo.startCursor })).scrapeRuns;
    assert.deepEqual([r2.edges.map((e: any) => e.node.id), r2.pageInfo.hasPreviousPage], [[runIds[4], runIds[3], runIds[2]], false]);
  });
});
