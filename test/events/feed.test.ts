import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from 'graphql-ws';
import { createTestDatabase, TestDatabase } from '../support/db';
import { ok, startTestApp, TestApp } from '../support/app';
import { FakeDockerHub } from '../support/fake-docker-hub';
import { syntheticCatalog } from '../support/hub-data';
import { scrape } from '../support/scrape';
import { collect, wsClient } from '../support/ws';
import { appendEvents, EVENT_LOCK_KEY } from '../../src/events/outbox';

const IMAGES = syntheticCatalog(4, { tagsPerImage: 2, namespace: () => 'acme', multiArch: () => false });
const NAMES = IMAGES.map((i) => `acme/${i.name}`);

const EVENT_FIELDS = `id cursor type occurredAt image resourceId instanceId runId source tag ref digest previousDigest fields
  run { trigger status imagesTotal imagesDone imagesFailed resourcesCreated instancesAdded instancesUpdated }`;
const CHANGED = `subscription($filter: CatalogEventFilter) { catalogChanged(filter: $filter) { ${EVENT_FIELDS} } }`;
const PROGRESS = `subscription($id: ID) { scrapeRunProgress(id: $id) { id status imagesTotal imagesDone instancesAdded results { image status } } }`;

/** Waits until the app's feed has at least `n` listeners (a subscription is registered once it has one). */
async function listening(app: TestApp, n: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (app.live.feed.listenerCount < n) {
    if (Date.now() > deadline) throw new Error(`only ${app.live.feed.listenerCount} feed listeners`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function until(pred: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the change feed across two replicas', () => {
  let db: TestDatabase;
  let hub: FakeDockerHub;
  let a: TestApp; // subscribers connect here
  let b: TestApp; // scrapes run here
  const clients: Client[] = [];
  const client = () => {
    const c = wsClient(a.graphqlUrl);
    clients.push(c);
    return c;
  };
  const baseListeners = () => a.live.feed.listenerCount;

  before(async () => {
    db = await createTestDatabase('events');
    hub = await FakeDockerHub.start({ maxPageSize: 100 });
    hub.seed(IMAGES);
    // A long poll: only NOTIFY can deliver within the tests' time limits.
    const env = { DOCKER_HUB_URL: hub.url, DOCKER_SCRAPER_IMAGES: NAMES.join(','), CATALOG_EVENTS_POLL: '10m', SUBSCRIPTIONS_MAX_PER_CONNECTION: '3' };
    a = await startTestApp(db.url, env);
    b = await startTestApp(db.url, env);
  });
  after(async () => {
    for (const c of clients) await c.dispose();
    await a?.close();
    await b?.close();
    await hub?.close();
    await db?.drop();
  });

  test('a subscriber on replica A sees a first scrape on replica B tag by tag, in commit order', async () => {
    const c = client();
    const n = baseListeners();
    const events = collect(c, CHANGED, {}, 'catalogChanged');
    const progress = collect(c, PROGRESS, {}, 'scrapeRunProgress');
    await listening(a, n + 2);

    const run = await scrape(b);
    assert.equal(run.status, 'SUCCEEDED');
    const seen = await events.until((v) => v.some((e) => e.type === 'SCRAPE_RUN_FINISHED'));
    assert.equal(seen[0].type, 'SCRAPE_RUN_STARTED');
    assert.equal(seen[0].runId, run.id);
    assert.equal(seen[0].run.imagesTotal, 4);
    const last = seen[seen.length - 1];
    assert.equal(last.type, 'SCRAPE_RUN_FINISHED');
    assert.deepEqual(
      { status: last.run.status, resourcesCreated: last.run.resourcesCreated, instancesAdded: last.run.instancesAdded, imagesDone: last.run.imagesDone },
      { status: 'SUCCEEDED', resourcesCreated: 4, instancesAdded: 8, imagesDone: 4 },
    );
    // Ids increase strictly in delivery order.
    const ids = seen.map((e) => BigInt(e.id));
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i] > ids[i - 1], `ids increase: ${ids.join(',')}`);
    // Per image: the resource, then each of its tags.
    for (const name of NAMES) {
      const own = seen.filter((e) => e.image === name);
      assert.deepEqual(
        own.map((e) => e.type),
        ['RESOURCE_CREATED', 'INSTANCE_ADDED', 'INSTANCE_ADDED'],
        name,
      );
      const tags = own.slice(1).map((e) => e.tag).sort();
      assert.deepEqual(tags, ['1.1', 'latest']);
      for (const e of own.slice(1)) {
        assert.equal(e.ref, `docker.io/${name}:${e.tag}`);
        assert.match(e.digest, /^sha256:/);
        assert.equal(e.source, 'SCRAPE');
        assert.equal(e.resourceId, own[0].resourceId);
      }
    }
    assert.equal(seen.length, 1 + 4 * 3 + 1);

    // The catch-up query returns the same events, in the same order.
    const page = ok(await a.gql(`{ catalogEvents(first: 100) { edges { cursor node { id type } } pageInfo { hasNextPage } totalCount } }`));
    assert.deepEqual(
      page.catalogEvents.edges.map((e: any) => e.node.id),
      seen.map((e) => e.id),
    );
    assert.equal(page.catalogEvents.totalCount, seen.length);
    assert.equal(page.catalogEvents.edges[0].cursor, seen[0].cursor);

    // Progress: the run from its start, an update as images finish, the final state, then completion.
    await progress.done;
    assert.deepEqual(progress.errors, []);
    const p = progress.values;
    assert.ok(p.length >= 2, `at least a first and a last update: ${JSON.stringify(p)}`);
    assert.ok(p.every((r) => r.id === run.id));
    const done = p.map((r) => r.imagesDone);
    assert.deepEqual([...done].sort((x, y) => x - y), done, 'imagesDone never goes back');
    assert.equal(p[p.length - 1].status, 'SUCCEEDED');
    assert.equal(p[p.length - 1].imagesDone, 4);
    assert.equal(p[p.length - 1].results.length, 4);
    events.stop();
  });

  test('a scrape that changes nothing writes no catalog event (only its run starts and finishes)', async () => {
    const [{ max }] = await db.query<{ max: string }>(`SELECT max(id)::text AS max FROM catalog_event`);
    const run = await scrape(b);
    assert.equal(run.instancesAdded + run.instancesUpdated + run.resourcesCreated, 0);
    const rows = await db.query<{ type: string }>(`SELECT type FROM catalog_event WHERE id > $1 ORDER BY id`, [max]);
    assert.deepEqual(
      rows.map((r) => r.type),
      ['SCRAPE_RUN_STARTED', 'SCRAPE_RUN_FINISHED'],
    );
  });

  test('a moved tag is INSTANCE_UPDATED with the old and new digest; filters by type and image hold', async () => {
    const c = client();
    const n = baseListeners();
    const moved = collect(c, CHANGED, { filter: { types: ['INSTANCE_UPDATED'], images: ['acme/img1'] } }, 'catalogChanged');
    const added = collect(c, CHANGED, { filter: { types: ['INSTANCE_ADDED'] } }, 'catalogChanged');
    await listening(a, n + 2);
    const [before] = await db.query<{ digest: string }>(`SELECT digest FROM processing_instance WHERE origin_ref = 'docker.io/acme/img1:latest'`);
    hub.moveTag('acme', 'img1', 'latest');
    hub.moveTag('acme', 'img2', 'latest');
    hub.pushTag('acme', 'img3', '2.0');
    await scrape(b);

    const [update] = await moved.until((v) => v.length >= 1);
    const [after] = await db.query<{ digest: string }>(`SELECT digest FROM processing_instance WHERE origin_ref = 'docker.io/acme/img1:latest'`);
    assert.equal(update.type, 'INSTANCE_UPDATED');
    assert.equal(update.image, 'acme/img1');
    assert.equal(update.tag, 'latest');
    assert.equal(update.previousDigest, before.digest);
    assert.equal(update.digest, after.digest);
    assert.notEqual(update.digest, update.previousDigest);
    const [add] = await added.until((v) => v.length >= 1);
    assert.equal(add.image, 'acme/img3');
    assert.equal(add.tag, '2.0');
    // Nothing else matched the filters (img2's move is another image; wait for the run's end to be sure).
    await collect(c, `{ catalogEvents(first: 1) { totalCount } }`).done;
    const all = await db.query<{ type: string; image: string }>(`SELECT type, image FROM catalog_event WHERE type = 'INSTANCE_UPDATED'`);
    assert.equal(all.length, 2, 'img1 and img2 moved');
    assert.equal(moved.values.length, 1, 'only img1 passed the image filter');
    assert.equal(added.values.length, 1);
  });

  test('catch-up after a disconnect: catalogEvents(after:) returns exactly what was missed, page by page', async () => {
    const c = client();
    const n = baseListeners();
    const events = collect(c, CHANGED, {}, 'catalogChanged');
    await listening(a, n + 1);
    const r = ok(await a.gql(`{ resource(name: "acme/img0") { id } }`));
    ok(await a.gql(`mutation($id: ID!) { updateResource(input: { id: $id, description: "edited" }) { resource { id } } }`, { id: r.resource.id }));
    const [edit] = await events.until((v) => v.length >= 1);
    assert.equal(edit.type, 'RESOURCE_UPDATED');
    assert.equal(edit.source, 'API');
    assert.deepEqual(edit.fields, ['description']);
    await c.dispose(); // away

    hub.pushTag('acme', 'img0', '3.0');
    hub.pushTag('acme', 'img1', '3.0');
    await scrape(b);
    const missed = await db.query<{ id: string; type: string }>(`SELECT id::text, type FROM catalog_event WHERE id > $1 ORDER BY id`, [edit.id]);
    assert.deepEqual(
      missed.map((m) => m.type),
      ['SCRAPE_RUN_STARTED', 'INSTANCE_ADDED', 'INSTANCE_ADDED', 'SCRAPE_RUN_FINISHED'],
    );
    const got: string[] = [];
    let after: string | null = edit.cursor;
    for (let pages = 0; ; pages++) {
      assert.ok(pages < 5);
      const page: any = ok(
        await a.gql(`query($after: String) { catalogEvents(first: 3, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`, { after }),
      ).catalogEvents;
      got.push(...page.edges.map((e: any) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    assert.deepEqual(got, missed.map((m) => m.id));
    const bad = await a.gql(`{ catalogEvents(after: "nope") { totalCount } }`);
    assert.equal(bad.errors?.[0].extensions?.code, 'BAD_USER_INPUT');
  });

  test('subscribers of the same operation and variables share one execution; each gets every event; one leaving ends no other', async () => {
    const doc = `subscription($types: [CatalogEventType!]) { catalogChanged(filter: { types: $types }) { id type fields } }`;
    const subs = a.live.subscriptions!;
    const c1 = client();
    const c2 = client();
    const n = baseListeners();
    const active0 = subs.active();
    const executions0 = subs.executions();
    const one = collect(c1, doc, { types: ['RESOURCE_UPDATED'] }, 'catalogChanged');
    const two = collect(c2, doc, { types: ['RESOURCE_UPDATED'] }, 'catalogChanged');
    const other = collect(c2, doc, { types: ['RESOURCE_UPDATED', 'INSTANCE_ADDED'] }, 'catalogChanged');
    await listening(a, n + 2); // two distinct executions, not three
    await until(() => subs.active() === active0 + 3);
    assert.equal(subs.executions(), executions0 + 2);
    assert.equal(a.live.feed.listenerCount, n + 2);

    const r = ok(await a.gql(`{ resource(name: "acme/img2") { id } }`));
    const edit = (description: string) =>
      a.gql(`mutation($id: ID!, $d: String) { updateResource(input: { id: $id, description: $d }) { resource { id } } }`, { id: r.resource.id, d: description });
    ok(await edit('shared 1'));
    const [e1] = await one.until((v) => v.length >= 1);
    assert.equal(e1.type, 'RESOURCE_UPDATED');
    assert.deepEqual((await two.until((v) => v.length >= 1))[0], e1);
    assert.deepEqual((await other.until((v) => v.length >= 1))[0], e1);

    one.stop();
    await until(() => subs.active() === active0 + 2);
    assert.equal(subs.executions(), executions0 + 2, 'the shared execution goes on for the other subscriber');
    ok(await edit('shared 2'));
    const got = await two.until((v) => v.length >= 2);
    assert.equal(BigInt(got[1].id) > BigInt(e1.id), true);
    await other.until((v) => v.length >= 2);
    assert.equal(one.values.length, 1, 'the one that left got nothing more');

    two.stop();
    other.stop();
    await until(() => subs.executions() === executions0 && a.live.feed.listenerCount === n);
    assert.equal(subs.active(), active0);
  });

  test('commit order: an appender waits for the lock before it draws an id, so ids become visible in commit order', async () => {
    let releaseFirst!: () => void;
    const held = new Promise<void>((r) => (releaseFirst = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const order: string[] = [];
    // The first transaction holds the lock but draws its id only later, just before it commits.
    const first = a.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [EVENT_LOCK_KEY]);
      locked();
      await held;
      await appendEvents(tx, [{ type: 'RESOURCE_UPDATED', image: 'acme/order-1', data: { source: 'API', fields: [] } }]);
      order.push('first commits');
    });
    await isLocked;
    const second = b.db.transaction(async (tx) => {
      await appendEvents(tx, [{ type: 'RESOURCE_UPDATED', image: 'acme/order-2', data: { source: 'API', fields: [] } }]);
      order.push('second appended');
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(order, [], 'the second append waits for the lock');
    releaseFirst();
    await Promise.all([first, second]);
    assert.deepEqual(order, ['first commits', 'second appended']);
    const rows = await db.query<{ image: string }>(`SELECT image FROM catalog_event WHERE image IN ('acme/order-1', 'acme/order-2') ORDER BY id`);
    assert.deepEqual(
      rows.map((r) => r.image),
      ['acme/order-1', 'acme/order-2'],
      'the id of the later commit is the higher one: none was drawn before the lock',
    );
  });

  test('limits: depth and cost apply to subscription documents; per-connection cap; no mutations over WebSocket', async () => {
    const c = client();
    const deep = collect(
      c,
      `subscription { scrapeRunProgress { results { image } id } catalogChanged { id } }`,
    );
    await deep.done;
    assert.ok(deep.errors.length > 0, 'two root fields in a subscription are refused by graphql validation');

    const aliases = Array.from({ length: 60 }, (_, i) => `a${i}: id`).join(' ');
    const tooManyAliases = collect(c, `subscription { catalogChanged { ${aliases} } }`);
    await tooManyAliases.done;
    assert.match(JSON.stringify(tooManyAliases.errors), /QUERY_TOO_COMPLEX/, 'the alias limit applies to a subscription');
    assert.match(JSON.stringify(tooManyAliases.errors), /60 aliases; at most 50/);
    const deeper = collect(c, `query { resources { edges { node { instances { edges { node { resource { instances { edges { node { resource { name } } } } } } } } } } } }`);
    await deeper.done;
    assert.equal((deeper.errors[0] as any)[0]?.extensions?.code ?? (deeper.errors[0] as any).extensions?.code, 'QUERY_TOO_COMPLEX', JSON.stringify(deeper.errors));

    const mutation = collect(c, `mutation { triggerScrape { created } }`);
    await mutation.done;
    assert.match(JSON.stringify(mutation.errors), /Mutations are not accepted over WebSocket/);

    const held = [collect(c, CHANGED), collect(c, CHANGED), collect(c, CHANGED)];
    const fourth = collect(c, CHANGED);
    await fourth.done;
    assert.match(JSON.stringify(fourth.errors), /TOO_MANY_SUBSCRIPTIONS/);
    held[0].stop();
    await new Promise((r) => setTimeout(r, 100));
    const again = collect(c, CHANGED);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(again.errors, [], 'a slot freed by completing one is usable again');
    for (const h of [...held, again]) h.stop();
  });

  test('an unknown run id is NOT_FOUND', async () => {
    const c = client();
    const p = collect(c, PROGRESS, { id: '0190a000-0000-7000-8000-00000000abcd' });
    await p.done;
    assert.match(JSON.stringify(p.errors), /NOT_FOUND/);
  });

  test('retention: old events are pruned in batches, newer ones stay', async () => {
    const [{ n: total }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM catalog_event`);
    await db.query(`UPDATE catalog_event SET occurred_at = now() - interval '40 days' WHERE id IN (SELECT id FROM catalog_event ORDER BY id LIMIT 5)`);
    const deleted = await a.services.events.prune(30 * 86_400_000, 2);
    assert.equal(deleted, 5);
    const [{ n: left }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM catalog_event`);
    assert.equal(left, total - 5);
  });
});

describe('shutdown', () => {
  test('closing the app closes subscription sockets with 1001', async () => {
    const db = await createTestDatabase('events_shutdown');
    const app = await startTestApp(db.url);
    let code = 0;
    const c = wsClient(app.graphqlUrl, { onClose: (cc) => (code = cc) });
    const n = app.live.feed.listenerCount;
    const s = collect(c, CHANGED, {}, 'catalogChanged');
    await listening(app, n + 1);
    await app.close();
    await s.done;
    assert.equal(code, 1001);
    await c.dispose();
    await db.drop();
  });
});
