import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import pg from 'pg';
import { getIntrospectionQuery, parse } from 'graphql';
import { requestScope } from '../../src/graphql/errors';
import { buildAppSchema } from '../../src/graphql/schema';
import { operationCost, operationDepth } from '../../src/graphql/limits';
import { createTestDatabase, TestDatabase } from '../support/db';
import { GqlResult, startTestApp, TestApp } from '../support/app';
import { insertResource } from '../support/catalog-fixtures';

/**
 * Counts the SQL statements sent while answering HTTP requests: every pg query made inside
 * a request's scope (src/http/server.ts runs each request in `requestScope`).
 */
const sql = { count: 0 };
const originalQuery = pg.Client.prototype.query;
function countStatements() {
  (pg.Client.prototype as any).query = function (this: pg.Client, ...args: unknown[]) {
    if (requestScope.getStore()) sql.count++;
    return (originalQuery as any).apply(this, args);
  };
}

async function counted<T>(fn: () => Promise<T>): Promise<{ result: T; statements: number }> {
  const start = sql.count;
  const result = await fn();
  return { result, statements: sql.count - start };
}

function refused(res: GqlResult<unknown>, limit: string, actual: number, maximum: number) {
  assert.equal(res.status, 400, JSON.stringify(res.errors));
  assert.equal(res.data, undefined);
  assert.equal(res.errors?.length, 1, JSON.stringify(res.errors));
  const [error] = res.errors!;
  assert.equal(error.extensions?.code, 'QUERY_TOO_COMPLEX', JSON.stringify(error));
  assert.equal(error.extensions?.limit, limit);
  assert.equal(error.extensions?.actual, actual);
  assert.equal(error.extensions?.maximum, maximum);
  assert.match(error.message, new RegExp(`\\b${actual}\\b`));
  assert.match(error.message, new RegExp(`\\b${maximum}\\b`));
}

function passed(res: GqlResult<unknown>) {
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  assert.equal(res.status, 200);
}

/** `n` fields nested below a root field: `resources { edges { node { …` cycling through a real path. */
const DEPTH_10 =
  '{ trackedImages(first: 1) { edges { node { resource { instances(first: 1) { edges { node { access { container { env { name } } } } } } } } } } }';
const DEPTH_11 =
  '{ trackedImages(first: 1) { edges { node { resource { instances(first: 1) { edges { node { resource { instances(first: 1) { edges { node { name } } } } } } } } } } } }';
/** Cost 1 + a·(3 + 3b): with a = 33 and b = 100, exactly 10,000. */
const COSTLY = 'query Costly($a: Int!, $b: Int!) { resources(first: $a) { edges { node { instances(first: $b) { edges { node { id } } } } } } }';
const COSTLY_PLUS_ONE =
  'query CostlyPlusOne($a: Int!, $b: Int!) { t: __typename resources(first: $a) { edges { node { instances(first: $b) { edges { node { id } } } } } } }';

const aliases = (n: number, inner = 'totalCount') => Array.from({ length: n }, (_, i) => `a${i}: ${inner}`).join(' ');
/** 10 distinct unaliased root fields (of the 8 Query fields, __typename, __schema, __type) plus `extra` aliased ones. */
const rootFields = (extra: number) =>
  `{ resources(first: 1) { totalCount } resource(name: "nginx") { id } instance(ref: "docker.io/nginx:none") { id } ` +
  `trackedImages(first: 1) { totalCount } scrapeRun(id: "none") { id } scrapeRuns(first: 1) { totalCount } scraper { enabled } ` +
  `__typename __schema { queryType { name } } __type(name: "Query") { name } ${aliases(extra, '__typename')} }`;

describe('abuse limits (default settings)', () => {
  let db: TestDatabase;
  let app: TestApp;

  before(async () => {
    db = await createTestDatabase();
    app = await startTestApp(db.url);
    await insertResource(db, { name: 'nginx', instances: [{ name: '1.27' }, { name: '1.26' }] });
    countStatements();
  });
  after(async () => {
    pg.Client.prototype.query = originalQuery;
    await app?.close();
    await db?.drop();
  });

  test('the statement counter sees the SQL of an accepted operation', async () => {
    const { result, statements } = await counted(() => app.gql('{ resources { totalCount edges { node { name } } } }'));
    passed(result);
    // One on the compiled read path (src/graphql/compiled/), more through the resolvers.
    assert.ok(statements >= 1, `counted ${statements} statements`);
  });

  test('depth: 10 levels pass, 11 are refused before any SQL', async () => {
    passed(await app.gql(DEPTH_10));
    const { result, statements } = await counted(() => app.gql(DEPTH_11));
    refused(result, 'depth', 11, 10);
    assert.match(result.errors![0].message, /GRAPHQL_MAX_DEPTH/);
    assert.equal(statements, 0);
  });

  test('depth counts through fragments and inline fragments', async () => {
    const query = `
      query Deep { trackedImages(first: 1) { edges { node { ...Img } } } }
      fragment Img on TrackedImage { resource { instances(first: 1) { edges { node { ... on ProcessingInstance { resource { ...Res } } } } } } }
      fragment Res on ProcessingResource { instances(first: 1) { edges { node { name } } } }`;
    const { result, statements } = await counted(() => app.gql(query));
    refused(result, 'depth', 11, 10);
    assert.match(result.errors![0].message, /Operation "Deep"/);
    assert.equal(statements, 0);
  });

  test('cost: exactly 10,000 passes, 10,001 is refused before any SQL; variables count, whatever the document cache', async () => {
    const schema = await buildAppSchema();
    const doc = parse(COSTLY);
    assert.equal(operationCost(schema, doc, doc.definitions[0] as any, { a: 33, b: 100 }), 10_000);

    passed(await app.gql(COSTLY, { a: 33, b: 100 }));
    let { result, statements } = await counted(() => app.gql(COSTLY_PLUS_ONE, { a: 33, b: 100 }));
    refused(result, 'cost', 10_001, 10_000);
    assert.match(result.errors![0].message, /GRAPHQL_MAX_COST/);
    assert.equal(statements, 0);

    // The same document as the accepted one (validated and cached by Apollo), with bigger variables.
    ({ result, statements } = await counted(() => app.gql(COSTLY, { a: 34, b: 100 })));
    refused(result, 'cost', 1 + 34 * 303, 10_000);
    assert.equal(statements, 0);
  });

  test('cost: an absent `first` counts as its default, a variable as its value or its default', async () => {
    const schema = await buildAppSchema();
    const cost = (q: string, vars?: Record<string, unknown>) => {
      const doc = parse(q);
      return operationCost(schema, doc, doc.definitions[0] as any, vars);
    };
    const nested = '{ resources { edges { node { instances { edges { node { id } } } } } } }';
    assert.equal(cost(nested), 1 + 20 * (3 + 3 * 20));
    assert.equal(cost('query($n: Int = 5) { resources(first: $n) { edges { node { id } } } }'), 1 + 5 * 3);
    assert.equal(cost('query($n: Int = 5) { resources(first: $n) { edges { node { id } } } }', { n: 7 }), 1 + 7 * 3);
    assert.equal(cost('query($n: Int) { resources(first: $n) { edges { node { id } } } }'), 1 + 20 * 3);
    assert.equal(cost('{ trackedImages { edges { node { name } } } }'), 1 + 50 * 3);
    const { result, statements } = await counted(() =>
      app.gql('query Wide($n: Int = 100) { resources(first: $n) { edges { node { instances(first: $n) { edges { node { id } } } } } } }'),
    );
    refused(result, 'cost', 1 + 100 * 303, 10_000);
    assert.equal(statements, 0);
  });

  test('aliases: 50 pass, 51 are refused before any SQL', async () => {
    passed(await app.gql(`{ resources(first: 1) { ${aliases(50)} } }`));
    const { result, statements } = await counted(() => app.gql(`{ resources(first: 1) { ${aliases(51)} } }`));
    refused(result, 'aliases', 51, 50);
    assert.match(result.errors![0].message, /GRAPHQL_MAX_ALIASES/);
    assert.equal(statements, 0);
  });

  test('aliases in a fragment count each time it is spread', async () => {
    const query = `{ resources(first: 1) { ...A } trackedImages(first: 1) { ...B } }
      fragment A on ResourceConnection { ${aliases(26)} }
      fragment B on TrackedImageConnection { ${aliases(25)} }`;
    refused(await app.gql(query), 'aliases', 51, 50);
  });

  test('root fields: 50 pass, 51 are refused before any SQL', async () => {
    passed(await app.gql(rootFields(40)));
    const { result, statements } = await counted(() => app.gql(rootFields(41)));
    refused(result, 'rootFields', 51, 50);
    assert.match(result.errors![0].message, /GRAPHQL_MAX_ROOT_FIELDS/);
    assert.equal(statements, 0);
  });

  test('the limits hold for mutations too', async () => {
    const adds = Array.from({ length: 51 }, (_, i) => `m${i}: addTrackedImages(input: {images: ["org/alias-${i}"]}) { __typename }`).join(' ');
    const { result, statements } = await counted(() => app.gql(`mutation { ${adds} }`));
    assert.equal(result.status, 400);
    assert.deepEqual(result.errors!.map((e) => e.extensions?.limit).sort(), ['aliases', 'rootFields']);
    assert.equal(statements, 0);
    const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tracked_image WHERE name LIKE 'org/alias-%'`);
    assert.equal(n, 0);
  });

  test("the Sandbox's introspection query passes the default limits", async () => {
    const query = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
    });
    const schema = await buildAppSchema();
    const doc = parse(query);
    const op = doc.definitions.find((d) => d.kind === 'OperationDefinition') as any;
    assert.ok(operationDepth(schema, doc, op) <= 10);
    assert.ok(operationCost(schema, doc, op) <= 10_000);
    const res = await app.gql<any>(query);
    passed(res);
    assert.ok(res.data.__schema.types.length > 20);
  });

  test('introspection that fans out is still refused', async () => {
    const res = await app.gql('{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }');
    assert.equal(res.status, 400);
    assert.ok(res.errors?.length);
  });

  describe('batches and bodies (HTTP server)', () => {
    const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
      fetch(app.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

    test('a batch of 10 operations is answered; 11 are refused before any SQL', async () => {
      const op = { query: '{ resources { totalCount } }' };
      const ten = await post(JSON.stringify(Array.from({ length: 10 }, () => op)));
      assert.equal(ten.status, 200);
      const answers = (await ten.json()) as any[];
      assert.equal(answers.length, 10);
      assert.ok(answers.every((a) => a.data.resources.totalCount === 1));

      const { result, statements } = await counted(() => post(JSON.stringify(Array.from({ length: 11 }, () => op))));
      assert.equal(result.status, 400);
      const body = (await result.json()) as any;
      assert.equal(body.errors[0].extensions.code, 'QUERY_TOO_COMPLEX');
      assert.match(body.errors[0].message, /at most 10 operations; this one holds 11/);
      assert.equal(statements, 0);
    });

    test('a body over 1 MiB is refused with 413; one just under is read', async () => {
      const query = '{ resources { totalCount } }';
      const padded = (size: number) => {
        const base = JSON.stringify({ query, variables: { pad: '' } });
        return JSON.stringify({ query, variables: { pad: 'x'.repeat(size - base.length) } });
      };
      const under = padded(1024 * 1024);
      assert.equal(Buffer.byteLength(under), 1024 * 1024);
      const okRes = await post(under);
      assert.equal(okRes.status, 200, await okRes.clone().text());

      const { result, statements } = await counted(() => post(padded(1024 * 1024 + 1)));
      assert.equal(result.status, 413);
      const body = (await result.json()) as any;
      assert.equal(body.errors[0].extensions.code, 'QUERY_TOO_COMPLEX');
      assert.equal(statements, 0);
    });

    test('a chunked body (no Content-Length) over 1 MiB is refused with 413 too', async () => {
      const url = new URL(app.graphqlUrl);
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request(
          { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json' } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        req.write('{"query": "{ resources { totalCount } }"');
        for (let i = 0; i < 20; i++) req.write(chunk);
        req.end('}');
      });
      assert.equal(status, 413);
    });
  });
});
