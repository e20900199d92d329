import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createTestDatabase, TestDatabase } from '../support/db';
import { GqlResult, startTestApp, TestApp, failure, ok } from '../support/app';
import { insertResource, InsertedResource } from '../support/catalog-fixtures';

const UPDATE_RESOURCE = `mutation UpdateResource($input: UpdateResourceInput!) {
  updateResource(input: $input) {
    resource { id name description shortDescription logo isDraft isService openSource editedFields updatedAt }
  }
}`;
const UPDATE_INSTANCE = `mutation UpdateInstance($input: UpdateInstanceInput!) {
  updateInstance(input: $input) {
    instance { id name origin { license ref } access { container { image command args env { name value } volumes } } editedFields updatedAt }
  }
}`;

const OLD = '2025-01-01T00:00:00.000Z';
const UPSTREAM_DESCRIPTION = '# nginx\n\n![logo](https://example.org/nginx.png)\n\nUpstream text.';


function invalidFields(res: GqlResult<unknown>): string[] {
  return (failure(res, 'BAD_USER_INPUT').extensions!.invalidFields as { field: string }[]).map((f) => f.field);
}

describe('manual enrichment (updateResource, updateInstance)', () => {
  let db: TestDatabase;
  let app: TestApp;
  let nginx: InsertedResource;
  let redis: InsertedResource;

  const resourceRow = async (id: string) =>
    (
      await db.query(
        `SELECT description, short_description, logo, is_draft, is_service, open_source, overridden, updated_at
         FROM processing_resource WHERE id = $1`,
        [id],
      )
    )[0];
  const instanceRow = async (id: string) =>
    (
      await db.query(
        `SELECT origin_license, access_command, access_args, access_env, access_volumes, overridden, updated_at
         FROM processing_instance WHERE id = $1`,
        [id],
      )
    )[0];

  before(async () => {
    db = await createTestDatabase();
    app = await startTestApp(db.url);
    nginx = await insertResource(db, {
      name: 'nginx',
      description: UPSTREAM_DESCRIPTION,
      shortDescription: 'Official build of Nginx.',
      logo: 'https://example.org/nginx.png',
      createdAt: OLD,
      updatedAt: OLD,
      instances: [
        { name: '1.27', platforms: [{ architecture: 'amd64' }, { architecture: 'arm64', variant: 'v8' }], updatedAt: OLD },
        { name: '1.26', platforms: [{ architecture: 'arm64' }], updatedAt: OLD },
      ],
    });
    redis = await insertResource(db, { name: 'bitnami/redis', createdAt: OLD, updatedAt: OLD, instances: [{ name: '7.4', updatedAt: OLD }] });
  });
  after(async () => {
    await app?.close();
    await db?.drop();
  });

  describe('updateResource', () => {
    test('setting a field keeps the hidden upstream value in overridden; setting it again changes only the column', async () => {
      const before = await resourceRow(nginx.id);
      const data = ok(await app.gql<any>(UPDATE_RESOURCE, { input: { id: nginx.id, description: 'Curated text.' } }));
      const r = data.updateResource.resource;
      assert.equal(r.description, 'Curated text.');
      assert.deepEqual(r.editedFields, ['description']);
      assert.equal(r.shortDescription, 'Official build of Nginx.', 'fields left out stay');
      let row = await resourceRow(nginx.id);
      assert.equal(row.description, 'Curated text.');
      assert.deepEqual(row.overridden, { description: UPSTREAM_DESCRIPTION });
      assert.ok(row.updated_at > before.updated_at, 'updated_at moves on a change');

      ok(await app.gql(UPDATE_RESOURCE, { input: { id: nginx.id, description: 'Curated text, v2.' } }));
      row = await resourceRow(nginx.id);
      assert.equal(row.description, 'Curated text, v2.');
      assert.deepEqual(row.overridden, { description: UPSTREAM_DESCRIPTION }, 'the upstream value is not replaced by the first edit');
    });

    test('clearing (null) hands the field back: the latest upstream value returns and the key goes', async () => {
      // A scrape found new upstream text: the engine writes it to overridden, not to the column.
      await db.query(`UPDATE processing_resource SET overridden = jsonb_set(overridden, '{description}', to_jsonb($2::text)) WHERE id = $1`, [
        nginx.id,
        'Newer upstream text.',
      ]);
      const data = ok(await app.gql<any>(UPDATE_RESOURCE, { input: { id: nginx.id, description: null } }));
      assert.equal(data.updateResource.resource.description, 'Newer upstream text.');
      assert.deepEqual(data.updateResource.resource.editedFields, []);
      const row = await resourceRow(nginx.id);
      assert.equal(row.description, 'Newer upstream text.');
      assert.deepEqual(row.overridden, {});
    });

    test('shortDescription and logo, together; clearing one leaves the other edited', async () => {
      ok(await app.gql(UPDATE_RESOURCE, { input: { id: nginx.id, shortDescription: 'Web server.', logo: 'https://cdn.example.org/n.svg' } }));
      let row = await resourceRow(nginx.id);
      assert.deepEqual(row.overridden, { shortDescription: 'Official build of Nginx.', logo: 'https://example.org/nginx.png' });
      const data = ok(await app.gql<any>(UPDATE_RESOURCE, { input: { id: nginx.id, logo: null } }));
      assert.deepEqual(data.updateResource.resource.editedFields, ['shortDescription']);
      row = await resourceRow(nginx.id);
      assert.equal(row.logo, 'https://example.org/nginx.png');
      assert.equal(row.short_description, 'Web server.');
      ok(await app.gql(UPDATE_RESOURCE, { input: { id: nginx.id, shortDescription: null } }));
      assert.deepEqual((await resourceRow(nginx.id)).overridden, {});
    });

    test('an edit that hides a null upstream value hands back null', async () => {
      await db.query('UPDATE processing_resource SET logo = NULL WHERE id = $1', [redis.id]);
      ok(await app.gql(UPDATE_RESOURCE, { input: { id: redis.id, logo: 'https://example.org/redis.png' } }));
      assert.deepEqual((await resourceRow(redis.id)).overridden, { logo: null });
      const data = ok(await app.gql<any>(UPDATE_RESOURCE, { input: { id: redis.id, logo: null } }));
      assert.equal(data.updateResource.resource.logo, null);
      assert.deepEqual((await resourceRow(redis.id)).overridden, {});
    });

    test('isDraft, isService and openSource change their column only', async () => {
      const data = ok(await app.gql<any>(UPDATE_RESOURCE, { input: { id: redis.id, isDraft: true, isService: true, openSource: false } }));
      const r = data.updateResource.resource;
      assert.deepEqual([r.isDraft, r.isService, r.openSource, r.editedFields], [true, true, false, []]);
      const row = await resourceRow(redis.id);
      assert.deepEqual([row.is_draft, row.is_service, row.open_source, row.overridden], [true, true, false, {}]);
      ok(await app.gql(UPDATE_RESOURCE, { input: { id: redis.id, isDraft: false, isService: false, openSource: true } }));
      const back = await resourceRow(redis.id);
      assert.deepEqual([back.is_draft, back.is_service, back.open_source], [false, false, true]);
    });

    test('an update that changes nothing writes nothing (updated_at stays)', async () => {
      await db.query(`UPDATE processing_resource SET updated_at = $2 WHERE id = $1`, [redis.id, OLD]);
      const before = await resourceRow(redis.id);
      ok(await app.gql(UPDATE_RESOURCE, { input: { id: redis.id } }));
      ok(await app.gql(UPDATE_RESOURCE, { input: { id: redis.id, isDraft: before.is_draft, openSource: before.open_source } }));
      ok(await app.gql(UPDATE_RESOURCE, { input: { id: redis.id, description: null } })); // not edited: nothing to hand back
      const data = ok(await app.gql<any>(UPDATE_RESOURCE, { input: { id: redis.id } }));
      assert.equal(data.updateResource.resource.updatedAt, OLD);
      assert.deepEqual(await resourceRow(redis.id), before);
    });

    test('an unknown id is NOT_FOUND', async () => {
      const id = randomUUID();
      const error = failure(await app.gql(UPDATE_RESOURCE, { input: { id, isDraft: true } }), 'NOT_FOUND');
      assert.match(error.message, new RegExp(id));
      failure(await app.gql(UPDATE_RESOURCE, { input: { id: 'not-a-uuid', description: 'x' } }), 'NOT_FOUND');
      failure(await app.gql(UPDATE_RESOURCE, { input: { id: nginx.instances[0].id, description: 'x' } }), 'NOT_FOUND');
    });

    test('each input field is validated; nothing is written', async () => {
      const before = await resourceRow(nginx.id);
      const cases: [Record<string, unknown>, string[]][] = [
        [{ id: 'x'.repeat(101) }, ['input.id']],
        [{ isDraft: null }, ['input.isDraft']],
        [{ isService: null }, ['input.isService']],
        [{ openSource: null }, ['input.openSource']],
        [{ description: 'x'.repeat(100_001) }, ['input.description']],
        [{ shortDescription: 'x'.repeat(1_001) }, ['input.shortDescription']],
        [{ logo: 'not a url' }, ['input.logo']],
        [{ logo: 'ftp://example.org/logo.png' }, ['input.logo']],
        [{ logo: `https://example.org/${'x'.repeat(2_048)}` }, ['input.logo']],
        [{ isDraft: null, logo: 'nope', shortDescription: 'y'.repeat(2_000) }, ['input.isDraft', 'input.shortDescription', 'input.logo']],
      ];
      for (const [fields, expected] of cases) {
        const res = await app.gql(UPDATE_RESOURCE, { input: { id: nginx.id, ...fields } });
        assert.deepEqual(invalidFields(res), expected, JSON.stringify(fields).slice(0, 100));
      }
      // The largest accepted values pass.
      ok(await app.gql(UPDATE_RESOURCE, { input: { id: redis.id, description: 'd'.repeat(100_000), shortDescription: 's'.repeat(1_000) } }));
      assert.deepEqual(await resourceRow(nginx.id), before);
    });
  });

  describe('optimistic concurrency (expectedUpdatedAt)', () => {
    let occ: InsertedResource;
    before(async () => {
      occ = await insertResource(db, { name: 'acme/occ', createdAt: OLD, updatedAt: OLD, instances: [{ name: '1.0', updatedAt: OLD }] });
    });

    test('with the updatedAt last read the update applies; with a stale one it is CONFLICT and nothing is written', async () => {
      const read = ok(await app.gql<any>(`query($id: ID!) { resource(id: $id) { updatedAt } }`, { id: occ.id }));
      const first = ok(
        await app.gql<any>(UPDATE_RESOURCE, { input: { id: occ.id, expectedUpdatedAt: read.resource.updatedAt, shortDescription: 'first' } }),
      );
      assert.equal(first.updateResource.resource.shortDescription, 'first');
      assert.notEqual(first.updateResource.resource.updatedAt, read.resource.updatedAt);
      const before = await resourceRow(occ.id);
      // A second client that read before the first one wrote:
      const stale = failure(
        await app.gql(UPDATE_RESOURCE, { input: { id: occ.id, expectedUpdatedAt: read.resource.updatedAt, shortDescription: 'second' } }),
        'CONFLICT',
      );
      assert.match(stale.message, /changed since/);
      assert.deepEqual(await resourceRow(occ.id), before);
      // Re-read, retry: applies.
      const again = ok(
        await app.gql<any>(UPDATE_RESOURCE, {
          input: { id: occ.id, expectedUpdatedAt: first.updateResource.resource.updatedAt, shortDescription: 'second' },
        }),
      );
      assert.equal(again.updateResource.resource.shortDescription, 'second');
    });

    test('instances too', async () => {
      const id = occ.instances[0].id;
      const read = ok(await app.gql<any>(`query($id: ID!) { instance(id: $id) { updatedAt } }`, { id }));
      ok(await app.gql(UPDATE_INSTANCE, { input: { id, expectedUpdatedAt: read.instance.updatedAt, license: 'MIT' } }));
      failure(await app.gql(UPDATE_INSTANCE, { input: { id, expectedUpdatedAt: read.instance.updatedAt, license: 'BSD-3-Clause' } }), 'CONFLICT');
      assert.equal((await instanceRow(id)).origin_license, 'MIT');
    });
  });

  describe('updateInstance', () => {
    test('sets licence, command, args, env and volumes; the hidden upstream values go to overridden', async () => {
      const id = nginx.instances[0].id;
      const before = await instanceRow(id);
      assert.deepEqual(before.access_env, { ARCH: 'amd64' });
      const data = ok(
        await app.gql<any>(UPDATE_INSTANCE, {
          input: {
            id,
            license: 'BSD-2-Clause',
            command: ['nginx'],
            args: ['-g', 'daemon off;'],
            env: [
              { name: 'ARCH', value: 'amd64' },
              { name: 'NGINX_PORT', value: '8080' },
              { name: 'EMPTY', value: '' },
            ],
            volumes: ['/usr/share/nginx/html', '/etc/nginx/conf.d'],
          },
        }),
      );
      const i = data.updateInstance.instance;
      assert.equal(i.origin.license, 'BSD-2-Clause');
      assert.deepEqual(i.access.container.command, ['nginx']);
      assert.deepEqual(i.access.container.args, ['-g', 'daemon off;']);
      assert.deepEqual(
        Object.fromEntries(i.access.container.env.map((e: any) => [e.name, e.value])),
        { ARCH: 'amd64', NGINX_PORT: '8080', EMPTY: '' },
      );
      assert.deepEqual(i.access.container.volumes, ['/usr/share/nginx/html', '/etc/nginx/conf.d']);
      assert.deepEqual(i.editedFields, ['args', 'command', 'env', 'license', 'volumes']);
      const row = await instanceRow(id);
      assert.deepEqual(row.overridden, { license: null, command: null, args: null, env: { ARCH: 'amd64' }, volumes: null });
      assert.ok(row.updated_at > before.updated_at);
    });

    test('clearing hands each field back to upstream (env: the scraped ARCH)', async () => {
      const id = nginx.instances[0].id;
      // A scrape saw the tag rebuilt for arm64 first: the engine updates overridden.env only.
      await db.query(`UPDATE processing_instance SET overridden = jsonb_set(overridden, '{env}', '{"ARCH": "arm64"}') WHERE id = $1`, [id]);
      const data = ok(await app.gql<any>(UPDATE_INSTANCE, { input: { id, env: null, command: null } }));
      const i = data.updateInstance.instance;
      assert.deepEqual(i.access.container.env, [{ name: 'ARCH', value: 'arm64' }]);
      assert.equal(i.access.container.command, null);
      assert.deepEqual(i.editedFields, ['args', 'license', 'volumes']);
      ok(await app.gql(UPDATE_INSTANCE, { input: { id, license: null, args: null, volumes: null } }));
      const row = await instanceRow(id);
      assert.deepEqual(
        [row.origin_license, row.access_command, row.access_args, row.access_env, row.access_volumes, row.overridden],
        [null, null, null, { ARCH: 'arm64' }, null, {}],
      );
    });

    test('an empty list is a value (no arguments), not a clear', async () => {
      const id = nginx.instances[1].id;
      ok(await app.gql(UPDATE_INSTANCE, { input: { id, args: [], env: [] } }));
      const row = await instanceRow(id);
      assert.deepEqual([row.access_args, row.access_env], [[], {}]);
      assert.deepEqual(row.overridden, { args: null, env: { ARCH: 'arm64' } });
    });

    test('an update that changes nothing writes nothing', async () => {
      const id = redis.instances[0].id;
      await db.query(`UPDATE processing_instance SET updated_at = $2 WHERE id = $1`, [id, OLD]);
      const before = await instanceRow(id);
      ok(await app.gql(UPDATE_INSTANCE, { input: { id } }));
      ok(await app.gql(UPDATE_INSTANCE, { input: { id, license: null, env: null } }));
      const data = ok(await app.gql<any>(UPDATE_INSTANCE, { input: { id } }));
      assert.equal(data.updateInstance.instance.updatedAt, OLD);
      assert.deepEqual(await instanceRow(id), before);
    });

    test('an unknown id is NOT_FOUND', async () => {
      const id = randomUUID();
      const error = failure(await app.gql(UPDATE_INSTANCE, { input: { id, license: 'MIT' } }), 'NOT_FOUND');
      assert.match(error.message, new RegExp(id));
      failure(await app.gql(UPDATE_INSTANCE, { input: { id: nginx.id, license: 'MIT' } }), 'NOT_FOUND');
    });

    test('each input field is validated, items named by index; nothing is written', async () => {
      const id = redis.instances[0].id;
      const before = await instanceRow(id);
      const many = (n: number, f: (i: number) => unknown) => Array.from({ length: n }, (_, i) => f(i));
      const cases: [Record<string, unknown>, string[]][] = [
        [{ id: 'y'.repeat(101) }, ['input.id']],
        [{ license: 'MIT; DROP TABLE' }, ['input.license']],
        [{ license: 'A'.repeat(201) }, ['input.license']],
        [{ command: many(101, () => 'x') }, ['input.command']],
        [{ command: ['ok', 'x'.repeat(4_097)] }, ['input.command[1]']],
        [{ args: many(101, () => 'x') }, ['input.args']],
        [{ args: ['x'.repeat(4_097), 'ok', 'y'.repeat(5_000)] }, ['input.args[0]', 'input.args[2]']],
        [{ env: [{ name: '1BAD', value: 'x' }] }, ['input.env[0].name']],
        [{ env: [{ name: 'A-B', value: 'x' }] }, ['input.env[0].name']],
        [{ env: [{ name: 'OK', value: 'x' }, { name: 'N'.repeat(257), value: 'x' }] }, ['input.env[1].name']],
        [{ env: [{ name: 'BIG', value: 'v'.repeat(32_769) }] }, ['input.env[0].value']],
        [{ env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }, { name: 'A', value: '3' }] }, ['input.env[2]']],
        [{ env: many(201, (i) => ({ name: `V${i}`, value: '' })) }, ['input.env']],
        [{ volumes: ['/data', 'relative/path'] }, ['input.volumes[1]']],
        [{ volumes: many(101, (i) => `/v${i}`) }, ['input.volumes']],
        [{ volumes: ['/' + 'x'.repeat(4_096)] }, ['input.volumes[0]']],
      ];
      for (const [fields, expected] of cases) {
        const res = await app.gql(UPDATE_INSTANCE, { input: { id, ...fields } });
        assert.deepEqual(invalidFields(res), expected, JSON.stringify(fields).slice(0, 100));
      }
      // Licence expressions pass.
      for (const license of ['MIT', 'Apache-2.0 OR MIT', 'GPL-2.0-only WITH Classpath-exception-2.0', 'LicenseRef-proprietary']) {
        ok(await app.gql(UPDATE_INSTANCE, { input: { id, license } }));
      }
      ok(await app.gql(UPDATE_INSTANCE, { input: { id, license: null } }));
      assert.deepEqual((await instanceRow(id)).overridden, {});
      assert.equal((await instanceRow(id)).origin_license, before.origin_license);
    });
  });

  test('an unexpected failure is INTERNAL_SERVER_ERROR with the request id, and no SQL or stack', async () => {
    // Break the table under the service, as a failing database would.
    await db.query('ALTER TABLE processing_resource RENAME COLUMN logo TO logo_moved');
    try {
      const res = await app.gql(UPDATE_RESOURCE, { input: { id: nginx.id, logo: 'https://example.org/x.png' } });
      const error = failure(res, 'INTERNAL_SERVER_ERROR');
      assert.equal(error.message, 'Internal server error');
      assert.equal(error.extensions!.requestId, res.headers.get('x-request-id'));
      assert.doesNotMatch(JSON.stringify(res.errors), /logo_moved|does not exist|SELECT|processing_resource|\.js:/);
    } finally {
      await db.query('ALTER TABLE processing_resource RENAME COLUMN logo_moved TO logo');
    }
  });
});
