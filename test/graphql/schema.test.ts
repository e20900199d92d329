import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isSpecifiedScalarType,
  isIntrospectionType,
} from 'graphql';
import { buildAppSchema, emitSdl, SDL_HEADER } from '../../src/graphql/schema';

// dist/test/graphql → the project root
const SCHEMA_FILE = path.resolve(__dirname, '..', '..', '..', 'schema', 'schema.graphql');

test('the committed schema/schema.graphql is what the code emits', async () => {
  const emitted = emitSdl(await buildAppSchema());
  assert.ok(emitted.startsWith(SDL_HEADER), 'the emitted SDL starts with the generated header');
  assert.ok(fs.existsSync(SCHEMA_FILE), `${SCHEMA_FILE} is missing: run \`npm run schema:emit\` and commit the file`);
  const committed = fs.readFileSync(SCHEMA_FILE, 'utf8');
  if (committed !== emitted) {
    const a = committed.split('\n');
    const b = emitted.split('\n');
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    assert.fail(
      `schema/schema.graphql differs from the schema the code builds (first difference at line ${i + 1}:\n` +
        `  committed: ${JSON.stringify(a[i])}\n  emitted:   ${JSON.stringify(b[i])}).\n` +
        'Run `npm run schema:emit` and commit schema/schema.graphql.',
    );
  }
});

test('the schema holds the API that clients rely on', async () => {
  const schema = await buildAppSchema();
  const query = schema.getQueryType()!;
  const fields = query.getFields();
  for (const name of ['resources', 'resource', 'instance', 'trackedImages', 'scrapeRun', 'scrapeRuns', 'scraper', 'node', 'nodes']) {
    assert.ok(fields[name], `Query.${name} exists`);
  }
  assert.deepEqual(
    fields.resources.args.map((a) => a.name).sort(),
    ['after', 'before', 'filter', 'first', 'last', 'orderBy'],
  );
  assert.equal(fields.resources.args.find((a) => a.name === 'first')!.defaultValue, 20);
  assert.equal(String(fields.resources.type), 'ResourceConnection!');
  const instance = schema.getType('ProcessingInstance');
  assert.ok(isObjectType(instance));
  assert.equal(String(instance.getFields().fullSize.type), 'SafeInt');
  const resource = schema.getType('ProcessingResource');
  assert.ok(isObjectType(resource));
  assert.equal(String(resource.getFields().pullCount.type), 'SafeInt!');
});

/** Every type, field, argument, input field and enum value of ours without a description. */
function undescribed(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  const empty = (d: string | null | undefined) => d == null || d.trim() === '';
  for (const type of Object.values(schema.getTypeMap())) {
    if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
    if (empty(type.description)) missing.push(`type ${type.name}`);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (empty(field.description)) missing.push(`field ${type.name}.${field.name}`);
        for (const arg of field.args) {
          if (empty(arg.description)) missing.push(`argument ${type.name}.${field.name}(${arg.name})`);
        }
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (empty(field.description)) missing.push(`input field ${type.name}.${field.name}`);
      }
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) {
        if (empty(value.description)) missing.push(`enum value ${type.name}.${value.name}`);
      }
    }
  }
  for (const directive of schema.getDirectives()) {
    for (const arg of directive.args) {
      if (empty(arg.description)) missing.push(`argument @${directive.name}(${arg.name})`);
    }
  }
  return missing.sort();
}

test('every type, field, argument, input field and enum value has a description', async () => {
  const schema = await buildAppSchema();
  const missing = undescribed(schema);
  assert.deepEqual(missing, [], `${missing.length} schema element(s) without a description:\n  ${missing.join('\n  ')}`);
});

test('the description check finds what lacks one', async () => {
  // The walker itself must be able to fail: a schema with bare elements is reported in full.
  const { buildSchema } = await import('graphql');
  const bare = buildSchema(`
    """Root."""
    type Query { a(x: Int): E  """ok""" b(y: In): Int }
    enum E { ONE """two""" TWO }
    """In."""
    input In { f: Int }
  `);
  assert.deepEqual(undescribed(bare), [
    'argument Query.a(x)',
    'argument Query.b(y)',
    'enum value E.ONE',
    'field Query.a',
    'input field In.f',
    'type E',
  ]);
});
