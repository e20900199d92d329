import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createTestDatabase, TestDatabase } from '../support/db';
import { startTestApp, TestApp } from '../support/app';
import { insertResource, InsertedResource } from '../support/catalog-fixtures';

/**
 * The compiled read path (src/graphql/compiled/) against the resolvers: two apps on one
 * database, one as configured by default, one with GRAPHQL_COMPILED_READS=false, receive the
 * same requests over HTTP and must give the same answers (status, content type, body).
 */

const statements: string[] = [];
let capturing = false;
const originalQuery = pg.Client.prototype.query;
(pg.Client.prototype as any).query = function (this: pg.Client, ...args: any[]) {
  if (capturing) statements.push(String(typeof args[0] === 'string' ? args[0] : args[0]?.text));
  return (originalQuery as any).apply(this, args);
};

const BIG = 9_007_199_254_740_991; // Number.MAX_SAFE_INTEGER, the largest SafeInt
const CANONICAL = `resources(first: 50, orderBy: { field: NAME, direction: ASC }) { totalCount pageInfo { hasNextPage endCursor }
  edges { node { id name shortDescription logo isDraft
    instances(first: 10) { edges { node { id name digest origin { ref } platforms { architecture os } } } } } } }`;

const ALL_RESOURCE = `id name namespace repository description shortDescription logo owners { name logo } infrastructure openSource
  isService isDraft starCount pullCount lastUpdated lastSyncedAt editedFields createdAt updatedAt`;
const ALL_INSTANCE = `id name creatorId isPeerless origin { type ref license verified }
  access { container { image command args env { name value } volumes } } digest fullSize lastUpdated lastPushed tagStatus
  platforms { architecture os variant digest size } editedFields createdAt updatedAt`;
const PAGE_INFO = 'pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';

let db: TestDatabase;
let fast: TestApp;
let slow: TestApp;
let nginx: InsertedResource;

interface Raw {
  status: number;
  type: string | null;
  body: any;
}

async function post(app: TestApp, payload: unknown, headers: Record<string, string> = {}): Promise<Raw> {
  const res = await fetch(app.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(payload),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), body: JSON.parse(text) };
}

/** Sends the request to both apps; asserts equal answers; says whether the compiled path answered. */
async function both(query: string, variables?: Record<string, unknown>, operationName?: string): Promise<{ body: any; compiled: boolean }> {
  const payload = { query, variables, operationName };
  const before = fast.compiledReads!.stats.answered;
  const a = await post(fast, payload);
  const compiled = fast.compiledReads!.stats.answered === before + 1;
  const b = await post(slow, payload);
  assert.deepEqual(a, b, `answers differ for ${query} ${JSON.stringify(variables ?? {})}`);
  // Same keys in the same order, as graphql-js orders them.
  assert.equal(JSON.stringify(a.body), JSON.stringify(b.body), 'key order');
  return { body: a.body, compiled };
}

async function same(query: string, variables?: Record<string, unknown>, operationName?: string): Promise<any> {
  const { body, compiled } = await both(query, variables, operationName);
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  assert.ok(compiled, `the compiled path answered ${query}`);
  return body.data;
}

before(async () => {
  db = await createTestDatabase('compiled_reads');
  fast = await startTestApp(db.url);
  slow = await startTestApp(db.url, { GRAPHQL_COMPILED_READS: 'false' });
  assert.ok(fast.compiledReads, 'on by default');
  assert.equal(slow.compiledReads, undefined, 'GRAPHQL_COMPILED_READS=false turns it off');
  nginx = await insertResource(db, {
    name: 'library/nginx',
    shortDescription: 'Official build of "Nginx" — \\ ünïcode \n newline',
    pullCount: BIG,
    starCount: 21_000,
    lastUpdated: '2025-09-01T12:34:56.789123Z',
    createdAt: '2025-01-01T00:00:00.000999Z',
    updatedAt: '2025-06-01T00:00:00.5Z',
    instances: [
      {
        name: '1.27',
        lastUpdated: '2025-10-05T10:00:00.000Z',
        license: 'BSD-2-Clause',
        command: ['nginx'],
        args: ['-g', 'daemon off;'],
        env: { ARCH: 'amd64', NGINX_PORT: '8080', Z_LAST: 'x "quoted"' },
        volumes: ['/usr/share/nginx/html'],
        fullSize: 2_500_000_000,
        platforms: [
          { architecture: 'amd64', os: 'linux', variant: null, digest: null, size: 2_400_000_000 },
          { architecture: 'arm64', os: 'linux', variant: 'v8', digest: 'sha256:abc', size: null },
        ],
      },
      { name: 'latest', lastUpdated: '2025-10-05T10:00:00.000Z' },
      { name: '1.26', lastUpdated: '2025-04-01T00:00:00.000Z', platforms: [{ architecture: 'arm64' }] },
      { name: '1.25', lastUpdated: null, digest: null, fullSize: null, tagStatus: null, platforms: [] },
    ],
  });
  await insertResource(db, {
    name: 'bitnami/redis',
    shortDescription: 'Bitnami Secure Image for redis',
    pullCount: 5_000_000_000,
    lastUpdated: null,
    owners: [{ name: 'https://bitnami.com/', logo: null }, { name: 'second', logo: 'https://example.org/l.png' }],
    instances: [
      { name: '7.4', creatorId: 'peer-7', originType: 'PRIVATE' },
      { name: '7.2', partnerships: [{ peerId: 'p' }] },
    ],
  });
  await insertResource(db, { name: 'acme/draft-app', isDraft: true, description: null, shortDescription: null, logo: null, instances: [] });
  for (let i = 0; i < 12; i++) {
    await insertResource(db, { name: `org${i % 3}/img-${String(i).padStart(2, '0')}`, pullCount: i * 1000, starCount: i % 4, instances: [{ name: 'v1' }, { name: 'v2' }] });
  }
  await db.query(`UPDATE tracked_image SET last_synced_at = '2025-11-28T04:22:48.123456Z' WHERE name = 'nginx'`);
  await db.query(`UPDATE processing_resource SET overridden = '{"shortDescription": true, "description": true}' WHERE name = 'nginx'`);
  await db.query(`UPDATE processing_instance SET overridden = '{"license": true}' WHERE name = '1.27'`);
});

after(async () => {
  (pg.Client.prototype as any).query = originalQuery;
  await fast?.close();
  await slow?.close();
  await db?.drop();
});

describe('the compiled read path answers as the resolvers do', () => {
  test('the canonical query, in ONE statement', async () => {
    statements.length = 0;
    capturing = true;
    let data;
    try {
      const res = await post(fast, { query: `{ ${CANONICAL} }` });
      data = res.body.data;
    } finally {
      capturing = false;
    }
    // Background workers (webhook deliveries, the outbox) may query meanwhile: count the catalog's.
    const reads = statements.filter((s) => s.includes('processing_'));
    assert.equal(reads.length, 1, `one statement:\n${reads.join('\n---\n')}`);
    // Page sizes are literals: with `LIMIT $n` PostgreSQL re-plans the prepared statement on
    // every execution (its generic plan is costed for an unknown limit and never chosen).
    assert.match(reads[0], /LIMIT 51\b/);
    assert.match(reads[0], /LIMIT 11\b/);
    assert.doesNotMatch(reads[0], /LIMIT \$/);
    assert.equal(data.resources.totalCount, 15);
    assert.equal(data.resources.edges.length, 15);
    await same(`{ ${CANONICAL} }`);
  });

  test('every scalar: big SafeInts, null dates and counts, DateTimes with microseconds, enums, lists, edited fields', async () => {
    const data = await same(`{ resources(first: 20) { edges { cursor node { ${ALL_RESOURCE} instances(first: 3) { totalCount ${PAGE_INFO} edges { cursor node { ${ALL_INSTANCE} } } } } } } }`);
    const n = data.resources.edges.find((e: any) => e.node.name === 'nginx').node;
    assert.equal(n.pullCount, BIG);
    assert.equal(n.lastUpdated, '2025-09-01T12:34:56.789Z', 'milliseconds, truncated as a JS Date');
    assert.equal(n.lastSyncedAt, '2025-11-28T04:22:48.123Z');
    assert.deepEqual(n.editedFields, ['description', 'shortDescription']);
  });

  test('search, filters and every ordering, with cursors to the next page', async () => {
    await same(`{ resources(filter: { search: "IMG" }) { totalCount ${PAGE_INFO} edges { cursor node { name } } } }`);
    await same(`{ resources(filter: { search: "100%_" }) { totalCount edges { node { name } } } }`);
    await same(`{ resources(filter: { names: ["library/nginx", "bitnami/redis"], isDraft: false }) { totalCount edges { node { name } } } }`);
    await same(`{ resources(filter: { architecture: "arm64", peerless: true }) { totalCount edges { node { name } } } }`);
    await same(`{ resources(filter: { peerless: false }) { totalCount edges { node { name } } } }`);
    for (const field of ['NAME', 'CREATED_AT', 'UPDATED_AT', 'LAST_UPDATED', 'PULL_COUNT', 'STAR_COUNT']) {
      for (const direction of ['ASC', 'DESC']) {
        const q = `query($after: String) { resources(first: 4, after: $after, orderBy: { field: ${field}, direction: ${direction} }) {
          ${PAGE_INFO} edges { cursor node { name } } } }`;
        let after: string | null = null;
        let pages = 0;
        do {
          const data = await same(q, { after });
          after = data.resources.pageInfo.hasNextPage ? data.resources.pageInfo.endCursor : null;
          pages++;
        } while (after);
        assert.equal(pages, 4, `${field} ${direction}: 15 resources in pages of 4`);
      }
    }
  });

  test('a deep page by cursor, and an empty result', async () => {
    const first = await same(`{ resources(first: 13) { edges { cursor } } }`);
    const cursor = first.resources.edges[12].cursor;
    const deep = await same(`query Deep($c: String) { ${CANONICAL.replace('first: 50,', 'first: 50, after: $c,')} }`, { c: cursor }, 'Deep');
    assert.equal(deep.resources.edges.length, 2);
    const empty = await same(`{ resources(filter: { search: "no such thing" }) { totalCount ${PAGE_INFO} edges { cursor node { name } } } }`);
    assert.deepEqual(empty.resources, {
      totalCount: 0,
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
      edges: [],
    });
    await same(`{ resources(after: "") { ${PAGE_INFO} } }`);
  });

  test('aliases, merged fields, fragments, inline fragments, __typename, variables with defaults, @include and @skip', async () => {
    await same(`{ a: resources(first: 2) { edges { node { n: name id } } } b: resources(first: 1, orderBy: { field: PULL_COUNT, direction: DESC }) { totalCount } __typename }`);
    await same(`{ resources(first: 3) { edges { node { name } } } resources(first: 3) { edges { node { id name } } totalCount } }`);
    await same(`
      query Frag($n: Int = 2, $withCount: Boolean!, $skipLogo: Boolean = true) {
        ...Root
        resources(first: $n) { __typename totalCount @include(if: $withCount) edges { __typename node { ...R ... on ProcessingResource { logo @skip(if: $skipLogo) } } } }
      }
      fragment Root on Query { __typename resource(name: "nginx") { ...R instances(first: 1) { edges { node { ...I } } } } }
      fragment R on ProcessingResource { __typename id name owners { __typename name } ... { isDraft } ...R2 ...R3 }
      fragment R2 on ProcessingResource { name pullCount ...R3 }
      fragment R3 on ProcessingResource { starCount owners { logo } }
      fragment I on ProcessingInstance { __typename name origin { __typename ref } access { __typename container { __typename image env { __typename name } } } platforms { __typename size } }
    `, { withCount: true });
    await same(`query Frag($withCount: Boolean!) { resources { totalCount @include(if: $withCount) } }`, { withCount: false });
    await same(`query A { resources(first: 1) { totalCount } } query B { resource(name: "nginx") { name } }`, {}, 'B');
  });

  test('resource(id:/name:) and instance(id:/ref:), found and not found, with nested paging and filters', async () => {
    await same(`{ resource(name: "library/nginx") { ${ALL_RESOURCE} instances(first: 2, orderBy: { field: NAME, direction: ASC }) { totalCount ${PAGE_INFO} edges { cursor node { name } } } } }`);
    await same(`query($id: ID) { resource(id: $id) { name } }`, { id: nginx.id });
    await same(`{ a: resource(id: "not-a-uuid") { name } b: resource(name: "nobody/nothing") { name } c: instance(id: "00000000-0000-0000-0000-000000000000") { name } }`);
    await same(`{ instance(ref: "nginx:1.27") { ${ALL_INSTANCE} resource { name pullCount instances(first: 1) { edges { node { name } } } } } }`);
    await same(`query($id: ID) { instance(id: $id) { name resource { id } } }`, { id: nginx.instances[0].id });
    await same(`{ instance(ref: "docker.io/library/nginx:none") { name } }`);
    await same(`{ resource(name: "nginx") { instances(first: 10, filter: { architecture: "arm64" }) { totalCount edges { node { name } } } } }`);
    await same(`{ resource(name: "nginx") { instances(filter: { search: "1.2", names: ["1.27", "1.26", "x"], peerless: true }) { totalCount edges { node { name } } } } }`);
    const page = await same(`{ resource(name: "nginx") { instances(first: 2, orderBy: { field: LAST_UPDATED, direction: ASC }) { ${PAGE_INFO} } } }`);
    await same(`query($c: String) { resource(name: "nginx") { instances(first: 2, after: $c, orderBy: { field: LAST_UPDATED, direction: ASC }) { ${PAGE_INFO} edges { node { name lastUpdated } } } } }`, {
      c: page.resource.instances.pageInfo.endCursor,
    });
    await same(`{ resources(first: 20) { edges { node { name instances(first: 1, orderBy: { field: NAME, direction: DESC }) { totalCount edges { cursor node { name } } } } } } }`);
  });
});

describe('anything else goes through Apollo, with the same answers and errors', () => {
  const refused = async (query: string, variables?: Record<string, unknown>, code = 'BAD_USER_INPUT') => {
    const { body, compiled } = await both(query, variables);
    assert.equal(compiled, false, `left to Apollo: ${query}`);
    assert.equal(body.errors?.[0]?.extensions?.code, code, JSON.stringify(body));
    return body.errors[0];
  };

  test('invalid arguments give the resolvers’ BAD_USER_INPUT errors', async () => {
    await refused(`{ resources(first: 0) { totalCount } }`);
    await refused(`{ resources(first: 101) { totalCount } }`);
    await refused(`query($n: Int) { resources(first: $n) { totalCount } }`, { n: 500 });
    await refused(`{ resources(after: "garbage") { totalCount } }`);
    const first = await same(`{ resources(first: 1, orderBy: { field: PULL_COUNT, direction: ASC }) { pageInfo { endCursor } } }`);
    const foreign = await refused(`query($c: String) { resources(after: $c) { totalCount } }`, { c: first.resources.pageInfo.endCursor });
    assert.match(foreign.message, /another ordering/);
    await refused(`{ resources(filter: { names: ["Not A Name!"] }) { totalCount } }`);
    await refused(`query($s: String) { resources(filter: { search: $s }) { totalCount } }`, { s: 'x'.repeat(201) });
    await refused(`{ resource(id: "x", name: "nginx") { name } }`);
    await refused(`{ resource { name } }`);
    await refused(`{ resource(name: "BAD NAME") { name } }`);
    await refused(`{ instance { name } }`);
    await refused(`{ resource(name: "nginx") { instances(first: 0) { totalCount } } }`);
    await refused(`{ resource(name: "nginx") { instances(after: "garbage") { totalCount } } }`);
    await refused(`{ resources(first: 1) { nope } }`, undefined, 'GRAPHQL_VALIDATION_FAILED');
    // An explicit null page size is the resolvers' to interpret, whatever they answer.
    const nullFirst = await both(`{ resources(first: null) { totalCount pageInfo { hasNextPage } edges { node { name } } } }`);
    assert.equal(nullFirst.compiled, false);
    await refused(`query($n: Int!) { resources(first: $n) { totalCount } }`, {}, 'BAD_USER_INPUT');
  });

  test('abuse limits: the cost depends on the variables and is checked per request', async () => {
    const q = `query($n: Int, $m: Int) { resources(first: $n) { edges { node { instances(first: $m) { edges { node { platforms { os } } } } } } } }`;
    await same(q, { n: 10, m: 10 });
    await refused(q, { n: 100, m: 100 }, 'QUERY_TOO_COMPLEX');
    await refused(`{ ${Array.from({ length: 51 }, (_, i) => `a${i}: __typename`).join(' ')} }`, undefined, 'QUERY_TOO_COMPLEX');
  });

  test('other root fields, mutations, introspection and batches are not compiled', async () => {
    const other = await both(`{ resources(first: 1) { totalCount } scraper { enabled } }`);
    assert.equal(other.compiled, false);
    assert.equal(other.body.errors, undefined);
    const intro = await both(`{ __schema { queryType { name } } }`);
    assert.equal(intro.compiled, false);
    const mutation = await both(`mutation { updateResource(input: { id: "${nginx.id}" }) { resource { name } } }`);
    assert.equal(mutation.compiled, false);
    const before = fast.compiledReads!.stats.answered;
    const batch = [{ query: '{ resources(first: 1) { totalCount } }' }, { query: '{ __typename }' }];
    assert.deepEqual(await post(fast, batch), await post(slow, batch));
    assert.equal(fast.compiledReads!.stats.answered, before);
  });

  test('GET, CSRF and content negotiation stay Apollo’s', async () => {
    const url = `?query=${encodeURIComponent('{ resources(first: 1) { totalCount } }')}`;
    for (const headers of [{}, { 'apollo-require-preflight': 'true' }] as Record<string, string>[]) {
      const [a, b] = await Promise.all([fetch(fast.graphqlUrl + url, { headers }), fetch(slow.graphqlUrl + url, { headers })]);
      assert.equal(a.status, b.status);
      assert.deepEqual(await a.json(), await b.json());
    }
    const before = fast.compiledReads!.stats.answered;
    for (const accept of ['application/graphql-response+json', 'application/json;q=0.9, application/graphql-response+json']) {
      const a = await post(fast, { query: '{ resources(first: 1) { totalCount } }' }, { accept });
      const b = await post(slow, { query: '{ resources(first: 1) { totalCount } }' }, { accept });
      assert.deepEqual(a, b);
    }
    assert.equal(fast.compiledReads!.stats.answered, before);
    const text = await fetch(fast.graphqlUrl, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: '{ __typename }' }) });
    assert.equal(text.status, 400, 'CSRF prevention refuses a simple request');
  });
});

test('answers on the compiled path carry the request id and are counted in the metrics', async () => {
  const res = await fetch(fast.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'compiled-read-1' },
    body: JSON.stringify({ query: 'query CatalogPage { resources(first: 1) { totalCount } }' }),
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-request-id'), 'compiled-read-1');
  assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
  const metrics = await (await fetch(`${fast.url}/metrics`)).text();
  assert.match(metrics, /catalog_sync_graphql_operations_total\{operation_name="CatalogPage",operation_type="query",outcome="ok"\} 1/);
});
