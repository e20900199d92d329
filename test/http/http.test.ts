import { MIGRATIONS } from '../../migrations';
import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Writable } from 'node:stream';
import { GraphQLError } from 'graphql';
import { createTestDatabase, TestDatabase } from '../support/db';
import { startTestApp, TestApp } from '../support/app';
import { BadUserInputError, formatError, requestScope } from '../../src/graphql/errors';
import { createLogger } from '../../src/shared/logger';

const MAX_BODY = 4096;

function base(app: TestApp): string {
  return `http://127.0.0.1:${app.http!.port}`;
}

async function json(res: Response): Promise<any> {
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  return res.json();
}

/** A raw request, for bodies sent in chunks without a content-length. */
function rawRequest(
  url: string,
  opts: { method: string; headers: Record<string, string>; chunks: Buffer[] },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method, headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    for (const c of opts.chunks) req.write(c);
    req.end();
  });
}

describe('HTTP front', () => {
  let db: TestDatabase;
  let app: TestApp;

  before(async () => {
    db = await createTestDatabase('http');
    app = await startTestApp(db.url, { GRAPHQL_MAX_BODY_BYTES: String(MAX_BODY) });
  });
  after(async () => {
    await app?.close();
    await db?.drop();
  });

  test('/healthz answers 200 with JSON', async () => {
    const res = await fetch(`${base(app)}/healthz`);
    assert.equal(res.status, 200);
    const body = await json(res);
    assert.equal(body.status, 'ok');
    assert.equal(typeof body.uptimeSeconds, 'number');
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  test('/readyz answers 200 with JSON when the database is there and migrated', async () => {
    const res = await fetch(`${base(app)}/readyz`);
    assert.equal(res.status, 200);
    const body = await json(res);
    assert.equal(body.status, 'ready');
    assert.equal(body.database, 'ok');
    assert.equal(body.migrations, MIGRATIONS.length);
  });

  test('/readyz answers 503 with JSON when the database is gone', async () => {
    const doomed = await createTestDatabase('http_doomed');
    const other = await startTestApp(doomed.url);
    try {
      assert.equal((await fetch(`${base(other)}/readyz`)).status, 200);
      await doomed.drop(); // DROP DATABASE … WITH (FORCE): its connections are terminated
      let res: Response | undefined;
      let body: any;
      // The pool notices the terminated connections on first use; one probe is enough, a few are allowed.
      for (let i = 0; i < 5; i++) {
        res = await fetch(`${base(other)}/readyz`);
        body = await json(res);
        if (res.status === 503) break;
      }
      assert.equal(res!.status, 503, JSON.stringify(body));
      assert.equal(body.status, 'unavailable');
      assert.equal(typeof body.reason, 'string');
      assert.ok(body.reason.length > 0);
      // Liveness does not depend on the database.
      assert.equal((await fetch(`${base(other)}/healthz`)).status, 200);
      // GraphQL keeps answering, with a masked internal error.
      const gql = await other.gql(`{ resources(first: 1) { totalCount } }`);
      assert.equal(gql.errors?.[0]?.extensions?.code, 'INTERNAL_SERVER_ERROR');
      assert.equal(gql.errors?.[0]?.message, 'Internal server error');
      assert.doesNotMatch(JSON.stringify(gql.errors), /database|terminat|SELECT|catalog_test|http_doomed/i);
    } finally {
      await other.close();
    }
  });

  test('unknown paths answer 404 with JSON', async () => {
    for (const path of ['/nope', '/graphql/extra', '/healthz/x']) {
      const res = await fetch(`${base(app)}${path}`);
      assert.equal(res.status, 404, path);
      const body = await json(res);
      assert.equal(body.error, 'not found');
      assert.equal(body.graphql, '/graphql');
    }
  });

  test('GET / without text/html answers 200 with a JSON index of the endpoints', async () => {
    for (const accept of ['application/json', '*/*', undefined]) {
      const root = await fetch(`${base(app)}/`, { headers: accept ? { accept } : {} });
      assert.equal(root.status, 200, String(accept));
      assert.match(root.headers.get('content-type') ?? '', /application\/json/);
      const index = await json(root);
      assert.equal(index.service, 'catalog-sync');
      assert.equal(index.graphql, '/graphql');
      assert.equal(index.sandbox, '/');
      assert.equal(index.health, '/healthz');
      assert.equal(index.ready, '/readyz');
      // Every link answers.
      for (const link of ['graphql', 'health', 'ready', 'metrics'].filter((k) => index[k])) {
        const target = await fetch(`${base(app)}${index[link]}${link === 'graphql' ? '?query=%7B__typename%7D' : ''}`, {
          headers: { 'apollo-require-preflight': 'true' },
        });
        assert.equal(target.status, 200, link);
      }
    }
    assert.equal((await fetch(`${base(app)}/`, { method: 'HEAD' })).status, 200);
  });

  test('the Sandbox landing page on GET / and GET /graphql for browsers', async () => {
    for (const path of ['/', '/graphql']) {
      const res = await fetch(`${base(app)}${path}`, { headers: { accept: 'text/html,application/xhtml+xml' } });
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/);
      const html = await res.text();
      assert.match(html, /embeddable-sandbox\.cdn\.apollographql\.com/, path);
      assert.match(html, /new window\.EmbeddedSandbox\(/, path);
      assert.match(html, /"runTelemetry":false/, 'the page sends no telemetry to Apollo unless GRAPHQL_SANDBOX_TELEMETRY=true');
      assert.doesNotMatch(html, /"runTelemetry":true/);
      // Offline, the fallback text stays on screen: it says what works without Apollo's CDN.
      assert.match(html, /this page loads it from Apollo's CDN/);
      assert.match(html, /schema\/schema\.graphql/);
      assert.doesNotMatch(html, /it appears that you might be offline/);
    }
  });

  test('queries work over POST, and over GET with a preflight header', async () => {
    const post = await app.gql(`{ __typename }`);
    assert.deepEqual(post.data, { __typename: 'Query' });
    const get = await fetch(`${app.graphqlUrl}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    assert.equal(get.status, 200);
    assert.deepEqual(((await get.json()) as { data: unknown }).data, { __typename: 'Query' });
    const introspection = await app.gql(`{ __schema { types { name } } }`);
    assert.ok(introspection.data.__schema.types.some((t: { name: string }) => t.name === 'ProcessingResource'));
  });

  test('a subscription over HTTP is BAD_USER_INPUT pointing to the WebSocket, not an internal error', async () => {
    const res = await app.gql(`subscription { catalogChanged { id type } }`);
    assert.equal(res.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(res));
    assert.match(res.errors![0].message, /WebSocket/);
  });

  test('CSRF prevention: a GET without a preflight header and a text/plain POST are refused', async () => {
    const get = await fetch(`${app.graphqlUrl}?query=${encodeURIComponent('{ __typename }')}`);
    assert.equal(get.status, 400);
    assert.match(await get.text(), /CSRF/i);

    const plain = await fetch(app.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    assert.equal(plain.status, 400);
    const text = await plain.text();
    assert.match(text, /CSRF/i);
    assert.doesNotMatch(text, /"__typename":"Query"/);

    const form = await fetch(app.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'query=%7B__typename%7D',
    });
    assert.equal(form.status, 400);
  });

  test('request bodies over GRAPHQL_MAX_BODY_BYTES answer 413', async () => {
    const padding = 'x'.repeat(MAX_BODY);
    const res = await fetch(app.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ __typename } # ${padding}` }),
    });
    assert.equal(res.status, 413);
    const body = await json(res);
    assert.match(body.errors[0].message, new RegExp(`larger than ${MAX_BODY} bytes`));

    // Without a content-length (chunked), the limit holds too.
    const chunked = await rawRequest(app.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      chunks: [Buffer.from('{"query":"{ __typename } #'), Buffer.from('y'.repeat(MAX_BODY)), Buffer.from('"}')],
    });
    assert.equal(chunked.status, 413);

    // Just under the limit is fine.
    const small = JSON.stringify({ query: `{ __typename } # ${'z'.repeat(MAX_BODY - 100)}` });
    assert.ok(Buffer.byteLength(small) < MAX_BODY);
    const fine = await fetch(app.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: small });
    assert.equal(fine.status, 200);
  });

  test('bad JSON is a 400 with JSON', async () => {
    const res = await fetch(app.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    assert.equal(res.status, 400);
    const body = await json(res);
    assert.equal(body.errors[0].extensions.code, 'BAD_USER_INPUT');
  });

  test('x-request-id is echoed, or made up when absent or unusable', async () => {
    const given = await fetch(`${base(app)}/healthz`, { headers: { 'x-request-id': 'trace-abc.123' } });
    assert.equal(given.headers.get('x-request-id'), 'trace-abc.123');
    const onGraphql = await app.gql(`{ __typename }`, undefined, { headers: { 'x-request-id': 'req-42' } });
    assert.equal(onGraphql.headers.get('x-request-id'), 'req-42');
    const made = await fetch(`${base(app)}/healthz`);
    assert.match(made.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const unusable = await fetch(`${base(app)}/healthz`, { headers: { 'x-request-id': 'has spaces <script>' } });
    assert.match(unusable.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });
});

describe('production mode', () => {
  let db: TestDatabase;
  let app: TestApp;

  before(async () => {
    db = await createTestDatabase('http_prod');
    app = await startTestApp(db.url, { NODE_ENV: 'production' });
  });
  after(async () => {
    await app?.close();
    await db?.drop();
  });

  test('no landing page', async () => {
    const root = await fetch(`${base(app)}/`, { headers: { accept: 'text/html' } });
    assert.equal(root.status, 200, 'GET / answers with the JSON index instead');
    const text = await root.text();
    assert.doesNotMatch(text, /EmbeddedSandbox|embeddable-sandbox/);
    const index = JSON.parse(text);
    assert.equal(index.graphql, '/graphql');
    assert.equal(index.sandbox, undefined, 'no Sandbox link when it is off');
    const gql = await fetch(app.graphqlUrl, { headers: { accept: 'text/html' } });
    assert.notEqual(gql.status, 200);
    assert.doesNotMatch(await gql.text(), /EmbeddedSandbox|embeddable-sandbox/);
  });

  test('no introspection, but queries work', async () => {
    const res = await app.gql(`{ __schema { types { name } } }`);
    assert.ok(res.errors && res.errors.length > 0, 'introspection is refused');
    assert.match(res.errors[0].message, /introspection/i);
    assert.equal(res.data, undefined);
    const ok = await app.gql(`{ resources(first: 1) { totalCount } }`);
    assert.deepEqual(ok.data, { resources: { totalCount: 0 } });
  });
});

describe('formatError masks internal errors', () => {
  function capturingLogger() {
    const lines: any[] = [];
    const dest = new Writable({
      write(chunk, _enc, cb) {
        for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
        cb();
      },
    });
    return { logger: createLogger('info', dest as any), lines };
  }

  const secret = 'relation "processing_resource" does not exist at SELECT password FROM admin';

  test('an unexpected error: no message, no stack; INTERNAL_SERVER_ERROR; logged in full', () => {
    const { logger, lines } = capturingLogger();
    const format = formatError(logger);
    const err = new Error(secret);
    const wrapped = new GraphQLError(secret, { originalError: err, path: ['resources'] });
    const out = format({ message: secret, path: ['resources'], extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: err.stack!.split('\n') } }, wrapped);
    assert.equal(out.message, 'Internal server error');
    assert.deepEqual(out.extensions, { code: 'INTERNAL_SERVER_ERROR' });
    assert.deepEqual(out.path, ['resources']);
    const text = JSON.stringify(out);
    assert.doesNotMatch(text, /relation|password|SELECT/);
    assert.doesNotMatch(text, /at .*\.js/, 'no stack');
    assert.equal(lines.length, 1, 'logged once');
    assert.equal(lines[0].level, 50);
    assert.match(lines[0].err.message, /does not exist/);
    assert.ok(lines[0].err.stack, 'the log keeps the stack');
  });

  test('inside a request, the answer carries the request id and the log names it', () => {
    const { logger, lines } = capturingLogger();
    const format = formatError(createLogger('silent'));
    const out = requestScope.run({ requestId: 'req-7f3', logger }, () =>
      format({ message: secret, extensions: {} }, new GraphQLError(secret, { originalError: new TypeError(secret), path: ['x'] })),
    );
    assert.equal(out.message, 'Internal server error');
    assert.deepEqual(out.extensions, { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-7f3' });
    assert.equal(lines.length, 1, 'logged through the request logger');
    assert.equal(lines[0].requestId, 'req-7f3');
  });

  test('a plain Error (not wrapped) is masked as well', () => {
    const { logger } = capturingLogger();
    const out = formatError(logger)({ message: secret }, new Error(secret));
    assert.equal(out.message, 'Internal server error');
    assert.equal(out.extensions?.code, 'INTERNAL_SERVER_ERROR');
  });

  test('errors meant for the client pass as they are', () => {
    const { logger, lines } = capturingLogger();
    const format = formatError(logger);
    const domain = format(
      { message: 'x', path: ['resources'] },
      new GraphQLError('x', { originalError: BadUserInputError.field('filter.names[0]', 'not a name'), path: ['resources'] }),
    );
    assert.equal(domain.message, 'filter.names[0]: not a name');
    assert.equal(domain.extensions?.code, 'BAD_USER_INPUT');
    assert.deepEqual(domain.extensions?.invalidFields, [{ field: 'filter.names[0]', reason: 'not a name' }]);
    const syntax = format({ message: 'Syntax Error: Expected Name, found <EOF>.', extensions: { code: 'GRAPHQL_PARSE_FAILED' } }, new GraphQLError('Syntax Error: Expected Name, found <EOF>.'));
    assert.equal(syntax.message, 'Syntax Error: Expected Name, found <EOF>.');
    assert.equal(syntax.extensions?.code, 'GRAPHQL_PARSE_FAILED');
    assert.equal(lines.length, 0, 'client errors are not logged as internal errors');
  });
});
