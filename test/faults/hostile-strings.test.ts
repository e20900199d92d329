import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, TestDatabase } from '../support/db';
import { startTestApp, TestApp } from '../support/app';
import { insertResource } from '../support/catalog-fixtures';
import { encodeCursor } from '../../src/graphql/connection';

/**
 * Issue 9, items 4 and 12: NUL bytes and lone surrogates in any string argument or
 * variable are BAD_USER_INPUT naming the field (they were INTERNAL_SERVER_ERROR with an
 * error-level stack in the log), checked in one place before anything runs; explicit
 * nulls where null means nothing and cursors no page produced are refused the same way.
 */

const NUL = 'x\u0000y';
const LONE_HIGH = 'x\uD800y';
const LONE_LOW = '\uDC00';

function refusedField(res: { status: number; errors?: any[]; data?: any }, field: string) {
  assert.ok(res.errors?.length, `expected an error, got ${JSON.stringify(res.data)}`);
  const [error] = res.errors!;
  assert.equal(error.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(res.errors));
  const fields = (error.extensions?.invalidFields ?? []).map((f: any) => f.field);
  assert.ok(fields.includes(field), `${field} not in ${JSON.stringify(fields)}`);
  assert.doesNotMatch(JSON.stringify(res.errors), /\n\s+at |INTERNAL_SERVER_ERROR|SELECT|invalid byte sequence/);
}

describe('hostile strings and nulls', () => {
  let db: TestDatabase;
  let app: TestApp;

  before(async () => {
    db = await createTestDatabase('faults_strings');
    app = await startTestApp(db.url);
    await insertResource(db, { name: 'nginx', instances: [{ name: '1.27' }, { name: '1.26' }] });
  });
  after(async () => {
    await app?.close();
    await db?.drop();
  });

  for (const [label, bad] of [
    ['a NUL', NUL],
    ['a lone high surrogate', LONE_HIGH],
    ['a lone low surrogate', LONE_LOW],
  ] as const) {
    test(`${label} in a variable is BAD_USER_INPUT naming the argument path, before any SQL`, async () => {
      refusedField(await app.gql('query($s: String) { resources(filter: {search: $s}) { totalCount } }', { s: bad }), 'filter.search');
      refusedField(await app.gql('query($f: ResourceFilter) { resources(filter: $f) { totalCount } }', { f: { architecture: bad } }), 'filter.architecture');
      refusedField(await app.gql('query($f: ResourceFilter) { resources(filter: $f) { totalCount } }', { f: { names: ['nginx', bad] } }), 'filter.names[1]');
      refusedField(await app.gql('query($r: String) { instance(ref: $r) { id } }', { r: `docker.io/nginx:${bad}` }), 'ref');
      refusedField(await app.gql('query($i: ID) { instance(id: $i) { id } }', { i: bad }), 'id');
      refusedField(await app.gql('query($n: String) { resource(name: $n) { id } }', { n: bad }), 'name');
      refusedField(
        await app.gql('query($f: InstanceFilter) { resources { edges { node { instances(filter: $f) { totalCount } } } } }', { f: { search: bad, architecture: bad } }),
        'filter.search',
      );
      refusedField(await app.gql('query($a: String) { resources(after: $a) { totalCount } }', { a: bad }), 'after');
    });
  }

  test('a NUL in a literal argument, in a fragment too, is refused the same way', async () => {
    refusedField(await app.gql('{ resources(filter: {search: "a\\u0000b"}) { totalCount } }'), 'filter.search');
    refusedField(await app.gql('{ ...F } fragment F on Query { instance(ref: "\\u0000") { id } }'), 'ref');
    refusedField(await app.gql('query($s: String = "\\u0000") { resources(filter: {search: $s}) { totalCount } }'), 'filter.search');
  });

  test('mutations: every string of the input, with the admin token', async () => {
    refusedField(await app.gql('mutation($i: AddTrackedImagesInput!) { addTrackedImages(input: $i) { trackedImages { name } } }', { i: { images: ['nginx', NUL] } }), 'input.images[1]');
    refusedField(
      await app.gql('mutation($i: UpdateInstanceInput!) { updateInstance(input: $i) { instance { id } } }', {
        i: { id: '00000000-0000-0000-0000-000000000000', env: [{ name: 'A', value: LONE_HIGH }] },
      }),
      'input.env[0].value',
    );
    const [{ n }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM tracked_image');
    assert.equal(n, 3, 'nothing was written');
  });

  test('the error says what is wrong and answers HTTP 400', async () => {
    const res = await app.gql('query($s: String) { resources(filter: {search: $s}) { totalCount } }', { s: NUL });
    assert.equal(res.status, 400);
    assert.match(res.errors![0].message, /filter\.search: must not contain NUL/);
    const surrogate = await app.gql('query($s: String) { resources(filter: {search: $s}) { totalCount } }', { s: LONE_HIGH });
    assert.match(surrogate.errors![0].message, /lone surrogate/);
  });

  test('ordinary Unicode passes: emoji (surrogate pairs), accents, CJK', async () => {
    const res = await app.gql('query($s: String) { resources(filter: {search: $s}) { totalCount } }', { s: 'ngïnx 🐳 容器' });
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    assert.equal(res.data.resources.totalCount, 0);
  });

  test('a cursor whose key holds a NUL or a lone surrogate is BAD_USER_INPUT naming `after`', async () => {
    for (const key of ['ngi\u0000nx', '\uD800']) {
      const after = encodeCursor('resources:name:asc', { key, id: '00000000-0000-0000-0000-000000000000' });
      refusedField(await app.gql('query($a: String) { resources(after: $a) { totalCount } }', { a: after }), 'after');
      const id = Buffer.from(JSON.stringify(['resources:name:asc', 'nginx', `\u0000${key}`])).toString('base64url');
      refusedField(await app.gql('query($a: String) { resources(after: $a) { totalCount } }', { a: id }), 'after');
    }
  });

  test('a cursor with `infinity` as its timestamp key is refused; `-infinity` (no date) pages on', async () => {
    const first = await app.gql('{ scrapeRuns { pageInfo { endCursor } } resources(orderBy: {field: LAST_UPDATED, direction: DESC}, first: 1) { pageInfo { endCursor } } }');
    assert.equal(first.errors, undefined, JSON.stringify(first.errors));
    const resCursor = first.data.resources.pageInfo.endCursor;
    const [ordering, , id] = JSON.parse(Buffer.from(resCursor, 'base64url').toString('utf8'));
    const forged = (key: string) => Buffer.from(JSON.stringify([ordering, key, id])).toString('base64url');
    const q = 'query($a: String) { resources(orderBy: {field: LAST_UPDATED, direction: DESC}, first: 1, after: $a) { totalCount } }';
    refusedField(await app.gql(q, { a: forged('infinity') }), 'after');
    const minus = await app.gql(q, { a: forged('-infinity') });
    assert.equal(minus.errors, undefined, JSON.stringify(minus.errors));
    const runs = Buffer.from(JSON.stringify(['runs:created:desc', 'infinity', id])).toString('base64url');
    refusedField(await app.gql('query($a: String) { scrapeRuns(after: $a) { totalCount } }', { a: runs }), 'after');
  });

  test('`first: null` (a nullable variable) is BAD_USER_INPUT naming `first`, on every connection', async () => {
    refusedField(await app.gql('query($n: Int) { resources(first: $n) { totalCount } }', { n: null }), 'first');
    refusedField(await app.gql('query($n: Int) { trackedImages(first: $n) { totalCount } }', { n: null }), 'first');
    refusedField(await app.gql('query($n: Int) { scrapeRuns(first: $n) { totalCount } }', { n: null }), 'first');
    refusedField(await app.gql('query($n: Int) { resources { edges { node { instances(first: $n) { totalCount } } } } }', { n: null }), 'first');
    // Absent, the default applies.
    const absent = await app.gql('query($n: Int) { resources(first: $n) { totalCount } }', {});
    assert.equal(absent.errors, undefined, JSON.stringify(absent.errors));
  });
});

describe('free-text arguments have a bounded length', () => {
  let db: TestDatabase;
  let app: TestApp;

  before(async () => {
    db = await createTestDatabase('faults_lengths');
    app = await startTestApp(db.url);
    await insertResource(db, { name: 'nginx', instances: [{ name: '1.27' }] });
  });
  after(async () => {
    await app?.close();
    await db?.drop();
  });

  const long = (n: number) => 'n'.repeat(n);

  test('filter.search past 200 characters is BAD_USER_INPUT naming the field (resources and instances, literal and variable)', async () => {
    for (const n of [201, 10_000, 500_000]) {
      refusedField(await app.gql('query($s: String) { resources(filter: {search: $s}) { totalCount } }', { s: long(n) }), 'filter.search');
      refusedField(await app.gql('query($s: String) { resources(first: 1, filter: {search: $s}) { edges { node { name } } } }', { s: long(n) }), 'filter.search');
      refusedField(
        await app.gql('query($s: String) { resources { edges { node { instances(filter: {search: $s}) { totalCount } } } } }', { s: long(n) }),
        'filter.search',
      );
    }
    refusedField(await app.gql(`{ resources(filter: {search: "${long(201)}"}) { edges { node { name } } } }`), 'filter.search');
    const res = await app.gql('query($s: String) { resources(filter: {search: $s}) { totalCount } }', { s: long(201) });
    assert.equal(res.status, 400);
    assert.match(res.errors![0].message, /filter\.search.*200 characters/);
  });

  test('10,000 bad list items name the first 20 and count the rest: the error stays small (it was 1.5 MB)', async () => {
    const res = await app.gql('query($t: [CatalogEventType!]) { catalogEvents(filter: {types: $t}) { totalCount } }', { t: Array.from({ length: 10_000 }, () => NUL) });
    refusedField(res, 'filter.types[0]');
    const [error] = res.errors!;
    assert.equal(error.extensions!.invalidFields.length, 20);
    assert.equal(error.extensions!.invalidFieldsOmitted, 9_980);
    assert.match(error.message, /; and 9980 more invalid fields$/);
    assert.ok(JSON.stringify(res.errors).length < 10_000, `${JSON.stringify(res.errors).length} characters`);
  });

  test('exactly 200 characters is answered', async () => {
    const res = await app.gql('query($s: String) { resources(filter: {search: $s}) { totalCount edges { node { name } } } }', { s: long(200) });
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    assert.equal(res.data.resources.totalCount, 0);
  });

  test('the other free-text arguments of the read API are bounded too', async () => {
    const s = long(20_000);
    refusedField(await app.gql('query($v: String) { resources(filter: {architecture: $v}) { totalCount } }', { v: s }), 'filter.architecture');
    refusedField(await app.gql('query($v: [String!]) { resources(filter: {names: $v}) { totalCount } }', { v: [s] }), 'filter.names[0]');
    refusedField(await app.gql('query($v: String) { resource(name: $v) { id } }', { v: s }), 'name');
    refusedField(await app.gql('query($v: String) { instance(ref: $v) { id } }', { v: s }), 'ref');
    refusedField(await app.gql('query($v: ID) { instance(id: $v) { id } }', { v: s }), 'id');
    refusedField(await app.gql('query($v: String) { resources(after: $v) { totalCount } }', { v: s }), 'after');
    refusedField(await app.gql('query($v: String) { resources(before: $v) { totalCount } }', { v: s }), 'before');
    refusedField(await app.gql('query($v: ID!) { node(id: $v) { id } }', { v: s }), 'id');
  });
});
