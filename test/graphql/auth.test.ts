import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  GraphQLArgument,
  GraphQLInputType,
  GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
} from 'graphql';
import { buildAppSchema } from '../../src/graphql/schema';
import { createTestDatabase, TestDatabase } from '../support/db';
import { startTestApp, TestApp, TEST_ADMIN_TOKEN } from '../support/app';
import { insertResource, InsertedResource } from '../support/catalog-fixtures';

/** Values for the required parts of an input type, with overrides per input type name. */
function sample(type: GraphQLInputType, overrides: Record<string, Record<string, unknown>>): unknown {
  if (isNonNullType(type)) return sample(type.ofType, overrides);
  if (isListType(type)) return [sample(type.ofType, overrides)];
  if (isInputObjectType(type)) {
    const out: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      if (isNonNullType(field.type) && field.defaultValue === undefined) out[field.name] = sample(field.type, overrides);
    }
    return { ...out, ...overrides[type.name] };
  }
  if (isEnumType(type)) return type.getValues()[0].value;
  if (isScalarType(type)) {
    switch (type.name) {
      case 'Int':
      case 'SafeInt':
      case 'Float':
        return 1;
      case 'Boolean':
        return false;
      case 'ID':
        return randomUUID();
      case 'DateTimeISO':
        return new Date().toISOString();
      default:
        return 'x';
    }
  }
  throw new Error(`no sample for ${String(type)}`);
}

/** `mutation($input: T!) { field(input: $input) { __typename } }` with variables for the required arguments. */
function operationFor(schema: GraphQLSchema, field: string, overrides: Record<string, Record<string, unknown>>) {
  const def = schema.getMutationType()!.getFields()[field];
  const args = def.args.filter((a: GraphQLArgument) => isNonNullType(a.type) || overrides[String(a.type).replace(/!$/, '')]);
  const variables = Object.fromEntries(args.map((a) => [a.name, sample(a.type, overrides)]));
  const decl = args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
  const pass = args.map((a) => `${a.name}: $${a.name}`).join(', ');
  const query = `mutation${decl ? `(${decl})` : ''} { ${field}${pass ? `(${pass})` : ''} { __typename } }`;
  return { query, variables };
}

describe('every mutation needs the admin token', () => {
  let db: TestDatabase;
  let app: TestApp;
  let schema: GraphQLSchema;
  let resource: InsertedResource;
  let overrides: Record<string, Record<string, unknown>>;

  /** Everything a mutation could change. */
  const snapshot = async () =>
    JSON.stringify([
      await db.query('SELECT * FROM tracked_image ORDER BY position'),
      await db.query('SELECT * FROM processing_resource ORDER BY id'),
      await db.query('SELECT * FROM processing_instance ORDER BY id'),
      await db.query('SELECT * FROM scrape_run ORDER BY id'),
      await db.query('SELECT * FROM scrape_run_result ORDER BY run_id, image'),
    ]);

  before(async () => {
    db = await createTestDatabase();
    app = await startTestApp(db.url);
    schema = await buildAppSchema();
    resource = await insertResource(db, { name: 'nginx', instances: [{ name: '1.27' }] });
    // Inputs that would change something if they were let through.
    overrides = {
      AddTrackedImagesInput: { images: ['alpine'] },
      RemoveTrackedImagesInput: { images: ['bitnami/redis'], purge: true },
      SetTrackedImagesInput: { images: ['alpine'] },
      UpdateTrackedImageInput: { image: 'nginx', enabled: false },
      UpdateResourceInput: { id: resource.id, description: 'changed', isDraft: true },
      UpdateInstanceInput: { id: resource.instances[0].id, license: 'MIT' },
    };
  });
  after(async () => {
    await app?.close();
    await db?.drop();
  });

  test('the schema has the mutations of DESIGN.md', () => {
    const names = Object.keys(schema.getMutationType()!.getFields());
    for (const name of ['addTrackedImages', 'removeTrackedImages', 'setTrackedImages', 'updateTrackedImage', 'updateResource', 'updateInstance']) {
      assert.ok(names.includes(name), `Mutation.${name} exists`);
    }
  });

  test('each mutation refuses a missing and a wrong token with UNAUTHENTICATED and changes nothing', async () => {
    const fields = Object.keys(schema.getMutationType()!.getFields());
    const before = await snapshot();
    const attempts: [string, string | null, Record<string, string>?][] = [
      ['missing', null],
      ['wrong', 'not-the-admin-token-0123456789'],
      ['wrong scheme', null, { authorization: `Basic ${Buffer.from(`admin:${TEST_ADMIN_TOKEN}`).toString('base64')}` }],
      ['token with a suffix', `${TEST_ADMIN_TOKEN}x`],
      ['empty bearer', null, { authorization: 'Bearer ' }],
    ];
    for (const field of fields) {
      const { query, variables } = operationFor(schema, field, overrides);
      for (const [what, token, headers] of attempts) {
        const res = await app.gql(query, variables, { token, headers });
        assert.ok(res.errors?.length, `${field} (${what} token) answered without an error: ${JSON.stringify(res.data)}`);
        assert.equal(res.errors[0].extensions?.code, 'UNAUTHENTICATED', `${field} (${what} token): ${JSON.stringify(res.errors)}`);
        assert.equal(res.data?.[field] ?? null, null);
        assert.match(res.errors[0].message, /Authorization: Bearer <token>/);
        assert.match(res.errors[0].message, /CATALOG_ADMIN_TOKEN/);
      }
    }
    assert.equal(await snapshot(), before, 'no refused mutation changed anything');
  });

  test('a missing and a wrong token get different messages', async () => {
    const { query, variables } = operationFor(schema, 'addTrackedImages', overrides);
    const missing = await app.gql(query, variables, { token: null });
    const wrong = await app.gql(query, variables, { token: 'wrong-token-0123456789abcdef' });
    assert.match(missing.errors![0].message, /needs the admin token/);
    assert.match(wrong.errors![0].message, /does not hold the admin token/);
  });

  test('with the token, the same requests go through (the refusals above were about the token)', async () => {
    for (const field of ['addTrackedImages', 'updateTrackedImage', 'updateResource', 'updateInstance', 'removeTrackedImages', 'setTrackedImages']) {
      const before = await snapshot();
      const { query, variables } = operationFor(schema, field, overrides);
      const res = await app.gql(query, variables, { headers: { authorization: `bearer ${TEST_ADMIN_TOKEN}` } });
      assert.equal(res.errors, undefined, `${field}: ${JSON.stringify(res.errors)}`);
      assert.notEqual(await snapshot(), before, `${field} changed something`);
    }
  });

  test('queries stay public', async () => {
    for (const token of [null, 'wrong-token-0123456789abcdef']) {
      const res = await app.gql<any>('{ trackedImages { totalCount } resources { totalCount } scraper { enabled } }', undefined, { token });
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      assert.ok(res.data.trackedImages.totalCount >= 1);
    }
  });
});
