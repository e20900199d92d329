import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createTestDatabase, TestDatabase } from '../support/db';
import { GqlResult, startTestApp, TestApp } from '../support/app';
import { insertResource, insertRun, InsertedResource, ResourceFixture, DOCKER_OWNERS } from '../support/catalog-fixtures';

const T1 = '2025-01-01T00:00:00.000Z';
const T2 = '2025-06-01T00:00:00.000Z';
const T3 = '2025-09-01T00:00:00.000Z';
const BIG_PULLS = 12_345_678_901; // > 2^31, < 2^53
const BIG_SIZE = 2_500_000_000;

const amd64 = (size = 30_000_000) => ({ architecture: 'amd64', os: 'linux', variant: null, digest: `sha256:${'a'.repeat(64)}`, size });
const arm64 = (size = 29_000_000) => ({ architecture: 'arm64', os: 'linux', variant: 'v8', digest: `sha256:${'b'.repeat(64)}`, size });
const plat = (architecture: string, variant: string | null = null) => ({ architecture, os: 'linux', variant, digest: null, size: 1_000 });

/** The catalog every read test runs against. Keys tie on purpose: ties are broken by id. */
const FIXTURES: ResourceFixture[] = [
  {
    name: 'library/nginx',
    shortDescription: 'Official build of Nginx.',
    description: '# Quick reference\n\n![logo](https://raw.githubusercontent.com/docker-library/docs/master/nginx/logo.png)\n\nNginx is a web server.',
    pullCount: BIG_PULLS,
    starCount: 21_000,
    lastUpdated: T3,
    createdAt: T1,
    updatedAt: T2,
    instances: [
      {
        name: '1.27',
        lastUpdated: '2025-10-05T10:00:00.000Z',
        platforms: [amd64(BIG_SIZE), arm64(70_000_000)],
        license: 'BSD-2-Clause',
        command: ['nginx'],
        args: ['-g', 'daemon off;'],
        env: { ARCH: 'amd64', NGINX_PORT: '8080' },
        volumes: ['/usr/share/nginx/html'],
        digest: `sha256:${'c'.repeat(64)}`,
      },
      { name: 'latest', lastUpdated: '2025-10-05T10:00:00.000Z', platforms: [amd64(), arm64()] },
      { name: '1.26', lastUpdated: '2025-04-01T00:00:00.000Z', platforms: [amd64(), arm64()] },
      { name: 'mainline-alpine', lastUpdated: '2025-09-01T00:00:00.000Z', platforms: [amd64()] },
      { name: '1.25', lastUpdated: null, platforms: [amd64(), plat('arm', 'v7')], digest: null, fullSize: null, tagStatus: 'inactive' },
    ],
  },
  {
    name: 'bitnami/redis',
    shortDescription: 'Bitnami Secure Image for redis',
    pullCount: 5_000_000_000,
    starCount: 300,
    lastUpdated: T2,
    createdAt: T1,
    updatedAt: T1,
    instances: [
      { name: '7.4', lastUpdated: '2025-05-01T00:00:00.000Z', platforms: [amd64(), arm64()] },
      { name: '7.2', lastUpdated: '2025-03-01T00:00:00.000Z', platforms: [amd64()] },
    ],
  },
  {
    name: 'postgres',
    shortDescription: 'The PostgreSQL object-relational database system provides reliability and data integrity.',
    pullCount: 1_000_000_000,
    starCount: 14_000,
    lastUpdated: T3,
    createdAt: T2,
    updatedAt: T2,
    instances: [
      { name: '17', lastUpdated: '2025-08-01T00:00:00.000Z', platforms: [amd64(), arm64(), plat('ppc64le'), plat('s390x')] },
      { name: '16', lastUpdated: '2025-07-01T00:00:00.000Z', platforms: [amd64(), arm64()] },
    ],
  },
  {
    name: 'acme/pct-tool',
    shortDescription: 'Makes builds 100% faster.',
    pullCount: 300,
    starCount: 0,
    lastUpdated: null,
    createdAt: T2,
    updatedAt: T3,
    instances: [{ name: 'v1', platforms: [amd64()] }],
  },
  {
    name: 'acme/snake_case',
    shortDescription: 'Underscores in its name.',
    pullCount: 300,
    starCount: 0,
    lastUpdated: null,
    createdAt: T2,
    updatedAt: T3,
    instances: [{ name: 'v1', platforms: [amd64()] }],
  },
  {
    name: 'acme/draft-app',
    shortDescription: 'Work in progress.',
    isDraft: true,
    pullCount: 0,
    starCount: 5,
    lastUpdated: T1,
    createdAt: T3,
    updatedAt: T3,
    instances: [{ name: 'dev', platforms: [amd64()], partnerships: [{ peerId: 'peer-2', since: '2025-01-01' }] }],
  },
  {
    name: 'acme/private-tool',
    shortDescription: 'Internal tooling.',
    pullCount: 0,
    starCount: 5,
    lastUpdated: T1,
    createdAt: T3,
    updatedAt: T1,
    instances: [
      { name: 'v2', platforms: [amd64()], creatorId: 'peer-7', originType: 'PRIVATE' },
      // No owner and no partnership, but no origin ref either: not peerless.
      { name: 'v3', platforms: [amd64()], originRef: '' },
    ],
  },
  {
    name: 'empty/thing',
    shortDescription: null,
    description: null,
    pullCount: 0,
    starCount: 0,
    lastUpdated: null,
    createdAt: T1,
    updatedAt: T1,
    instances: [],
  },
];

const ALL_NAMES = FIXTURES.map((f) => f.name.replace(/^library\//, ''));

type Field = 'NAME' | 'CREATED_AT' | 'UPDATED_AT' | 'LAST_UPDATED' | 'PULL_COUNT' | 'STAR_COUNT';
const FIELDS: Field[] = ['NAME', 'CREATED_AT', 'UPDATED_AT', 'LAST_UPDATED', 'PULL_COUNT', 'STAR_COUNT'];

function expectError(res: GqlResult<unknown>, code: string, message?: RegExp): void {
  assert.ok(res.errors && res.errors.length > 0, `expected an error, got ${JSON.stringify(res.data)}`);
  assert.equal(res.errors[0].extensions?.code, code, JSON.stringify(res.errors));
  if (message) assert.match(res.errors[0].message, message);
}

function ok<T>(res: GqlResult<T>): T {
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  assert.equal(res.status, 200);
  return res.data as T;
}

const RESOURCES = `query($first: Int, $after: String, $filter: ResourceFilter, $orderBy: ResourceOrder) {
  resources(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount
    edges { cursor node { id name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

interface ResourcesPage {
  resources: {
    totalCount: number;
    edges: { cursor: string; node: { id: string; name: string } }[];
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  };
}

describe('catalog queries', () => {
  let db: TestDatabase;
  let app: TestApp;
  let inserted: InsertedResource[];
  const byName = (name: string) => inserted.find((r) => r.name === name)!;

  before(async () => {
    db = await createTestDatabase('resources');
    app = await startTestApp(db.url, { DOCKER_SCRAPER_IMAGES: 'nginx,bitnami/redis,scratch,postgres,library/alpine' });
    inserted = [];
    for (const f of FIXTURES) inserted.push(await insertResource(db, f));
  });
  after(async () => {
    await app?.close();
    await db?.drop();
  });

  async function names(filter?: Record<string, unknown>, orderBy?: Record<string, unknown>): Promise<{ names: string[]; total: number }> {
    const data = ok(await app.gql<ResourcesPage>(RESOURCES, { first: 100, filter, orderBy }));
    return { names: data.resources.edges.map((e) => e.node.name), total: data.resources.totalCount };
  }

  /** Walks every page with `first` and returns the names in order. */
  async function walk(first: number, orderBy?: Record<string, unknown>, filter?: Record<string, unknown>): Promise<string[]> {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 50; page++) {
      const r: ResourcesPage = ok(await app.gql<ResourcesPage>(RESOURCES, { first, after, orderBy, filter }));
      const c = r.resources;
      assert.ok(c.edges.length <= first);
      assert.equal(c.pageInfo.hasPreviousPage, after !== null);
      assert.equal(c.pageInfo.startCursor, c.edges[0]?.cursor ?? null);
      assert.equal(c.pageInfo.endCursor, c.edges.at(-1)?.cursor ?? null);
      seen.push(...c.edges.map((e) => e.node.name));
      if (!c.pageInfo.hasNextPage) return seen;
      assert.equal(c.edges.length, first, 'a page before the last is full');
      after = c.pageInfo.endCursor;
    }
    return assert.fail('pagination did not end');
  }

  describe('resources: filters', () => {
    test('no filter: every resource, by name, with totalCount', async () => {
      const r = await names();
      assert.deepEqual(r.names, [...ALL_NAMES].sort());
      assert.equal(r.total, 8);
    });

    test('the default page size is 20 and `first` limits the page', async () => {
      const all = ok(await app.gql<ResourcesPage>(`{ resources { totalCount edges { node { name } } pageInfo { hasNextPage } } }`));
      assert.equal(all.resources.edges.length, 8);
      assert.equal(all.resources.pageInfo.hasNextPage, false);
      const three = ok(await app.gql<ResourcesPage>(RESOURCES, { first: 3 }));
      assert.deepEqual(
        three.resources.edges.map((e) => e.node.name),
        ['acme/draft-app', 'acme/pct-tool', 'acme/private-tool'],
      );
      assert.equal(three.resources.pageInfo.hasNextPage, true);
      assert.equal(three.resources.pageInfo.hasPreviousPage, false);
      assert.equal(three.resources.totalCount, 8, 'totalCount counts every page');
    });

    test('search: case-insensitive substring of the name and of the short description', async () => {
      assert.deepEqual(await names({ search: 'NGINX' }), { names: ['nginx'], total: 1 });
      assert.deepEqual(await names({ search: 'gin' }), { names: ['nginx'], total: 1 });
      assert.deepEqual(await names({ search: 'postgresql' }), { names: ['postgres'], total: 1 }, 'short description');
      assert.deepEqual(await names({ search: 'BITNAMI SECURE' }), { names: ['bitnami/redis'], total: 1 });
      assert.deepEqual((await names({ search: 'acme/' })).names, ['acme/draft-app', 'acme/pct-tool', 'acme/private-tool', 'acme/snake_case']);
      assert.deepEqual((await names({ search: 'tool' })).names, ['acme/pct-tool', 'acme/private-tool']);
      assert.deepEqual(await names({ search: 'web server' }), { names: [], total: 0 }, 'the long description is not searched');
      assert.deepEqual(await names({ search: 'zzz-nothing' }), { names: [], total: 0 });
      assert.equal((await names({ search: '' })).total, 8, 'an empty search matches everything');
    });

    test('search: `%` and `_` are literal characters, not wildcards', async () => {
      assert.deepEqual(await names({ search: '%' }), { names: ['acme/pct-tool'], total: 1 });
      assert.deepEqual(await names({ search: '100%' }), { names: ['acme/pct-tool'], total: 1 });
      assert.deepEqual(await names({ search: '_' }), { names: ['acme/snake_case'], total: 1 });
      assert.deepEqual(await names({ search: 'n_me' }), { names: [], total: 0 }, '`_` does not match the "a" of "name"');
      assert.deepEqual(await names({ search: 'b%d' }), { names: [], total: 0 }, '`%` does not match "uil" of "builds"');
      assert.deepEqual(await names({ search: '\\' }), { names: [], total: 0 });
    });

    test('names: both forms of an official image, org images, unknown names', async () => {
      assert.deepEqual(await names({ names: ['library/nginx', 'postgres', 'bitnami/redis', 'nope/nothing'] }), {
        names: ['bitnami/redis', 'nginx', 'postgres'],
        total: 3,
      });
      assert.deepEqual((await names({ names: ['nginx'] })).names, ['nginx']);
      assert.deepEqual((await names({ names: ['library/nginx'] })).names, ['nginx']);
      assert.deepEqual(await names({ names: [] }), { names: [], total: 0 });
    });

    test('names: a bad name is BAD_USER_INPUT naming filter.names[i]', async () => {
      const res = await app.gql(RESOURCES, { first: 5, filter: { names: ['nginx', 'Not/Valid'] } });
      expectError(res, 'BAD_USER_INPUT', /filter\.names\[1\]/);
      assert.equal(res.data, null);
      assert.deepEqual(
        res.errors![0].extensions!.invalidFields.map((f: { field: string }) => f.field),
        ['filter.names[1]'],
      );
      expectError(await app.gql(RESOURCES, { filter: { names: ['nginx:1.27'] } }), 'BAD_USER_INPUT', /filter\.names\[0\]/);
    });

    test('isDraft', async () => {
      assert.deepEqual(await names({ isDraft: true }), { names: ['acme/draft-app'], total: 1 });
      const published = await names({ isDraft: false });
      assert.equal(published.total, 7);
      assert.ok(!published.names.includes('acme/draft-app'));
    });

    test('architecture: resources with at least one tag built for it', async () => {
      assert.deepEqual(await names({ architecture: 'arm64' }), { names: ['bitnami/redis', 'nginx', 'postgres'], total: 3 });
      assert.deepEqual(await names({ architecture: 's390x' }), { names: ['postgres'], total: 1 });
      assert.deepEqual(await names({ architecture: 'arm' }), { names: ['nginx'], total: 1 }, 'exact architecture, not a prefix');
      assert.deepEqual(await names({ architecture: 'riscv64' }), { names: [], total: 0 });
      assert.equal((await names({ architecture: 'amd64' })).total, 7, 'every resource with a tag');
    });

    test('peerless: with at least one peerless instance, or with none', async () => {
      assert.deepEqual(await names({ peerless: true }), {
        names: ['acme/pct-tool', 'acme/snake_case', 'bitnami/redis', 'nginx', 'postgres'],
        total: 5,
      });
      assert.deepEqual(await names({ peerless: false }), {
        names: ['acme/draft-app', 'acme/private-tool', 'empty/thing'],
        total: 3,
      });
    });

    test('filters combine (all conditions apply)', async () => {
      assert.deepEqual(await names({ search: 'acme', isDraft: false, peerless: false }), { names: ['acme/private-tool'], total: 1 });
      assert.deepEqual(await names({ search: 'redis', architecture: 'arm64' }), { names: ['bitnami/redis'], total: 1 });
      assert.deepEqual(await names({ names: ['nginx', 'postgres'], architecture: 's390x' }), { names: ['postgres'], total: 1 });
      assert.deepEqual(await names({ search: 'acme', isDraft: true, peerless: true }), { names: [], total: 0 });
      // A filtered walk sees the filtered set once, and totalCount counts the filtered set.
      assert.deepEqual(await walk(2, undefined, { peerless: true }), ['acme/pct-tool', 'acme/snake_case', 'bitnami/redis', 'nginx', 'postgres']);
    });
  });

  describe('resources: ordering', () => {
    function expectedOrder(field: Field, direction: 'ASC' | 'DESC'): string[] {
      const ms = (v: string | Date | null | undefined) => (v == null ? -Infinity : new Date(v).getTime());
      const key = (f: ResourceFixture): number | bigint | string => {
        switch (field) {
          case 'NAME':
            return f.name.replace(/^library\//, '');
          case 'CREATED_AT':
            return ms(f.createdAt);
          case 'UPDATED_AT':
            return ms(f.updatedAt);
          case 'LAST_UPDATED':
            return ms(f.lastUpdated);
          case 'PULL_COUNT':
            return BigInt(f.pullCount ?? 0);
          case 'STAR_COUNT':
            return Number(f.starCount ?? 0);
        }
      };
      const rows = FIXTURES.map((f) => ({ name: f.name.replace(/^library\//, ''), key: key(f), id: byName(f.name.replace(/^library\//, '')).id }));
      rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      if (direction === 'DESC') rows.reverse();
      return rows.map((r) => r.name);
    }

    test('the fixtures tie on every key but the name', () => {
      for (const field of FIELDS.filter((f) => f !== 'NAME')) {
        const keys = FIXTURES.map((f) =>
          String(
            { CREATED_AT: f.createdAt, UPDATED_AT: f.updatedAt, LAST_UPDATED: f.lastUpdated, PULL_COUNT: f.pullCount, STAR_COUNT: f.starCount }[
              field as Exclude<Field, 'NAME'>
            ],
          ),
        );
        assert.ok(new Set(keys).size < keys.length, `${field} has ties`);
      }
    });

    for (const field of FIELDS) {
      for (const direction of ['ASC', 'DESC'] as const) {
        test(`${field} ${direction}: one page and page by page, ties broken by id`, async () => {
          const expected = expectedOrder(field, direction);
          const whole = await names(undefined, { field, direction });
          assert.deepEqual(whole.names, expected);
          assert.equal(whole.total, 8);
          assert.deepEqual(await walk(2, { field, direction }), expected);
          assert.deepEqual(await walk(3, { field, direction }), expected);
        });
      }
    }

    test('orderBy defaults: field NAME, direction ASC', async () => {
      assert.deepEqual((await names(undefined, { direction: 'DESC' })).names, expectedOrder('NAME', 'DESC'));
      assert.deepEqual((await names(undefined, { field: 'PULL_COUNT' })).names, expectedOrder('PULL_COUNT', 'ASC'));
    });
  });

  describe('resources: cursors and page sizes', () => {
    test('a cursor of one ordering is refused by another', async () => {
      const byNameAsc = ok(await app.gql<ResourcesPage>(RESOURCES, { first: 2 }));
      const cursor = byNameAsc.resources.pageInfo.endCursor;
      for (const orderBy of [
        { field: 'NAME', direction: 'DESC' },
        { field: 'PULL_COUNT', direction: 'ASC' },
        { field: 'CREATED_AT', direction: 'DESC' },
      ]) {
        expectError(await app.gql(RESOURCES, { first: 2, after: cursor, orderBy }), 'BAD_USER_INPUT', /after: .*another ordering/);
      }
      // The same ordering accepts it.
      const next = ok(await app.gql<ResourcesPage>(RESOURCES, { first: 2, after: cursor, orderBy: { field: 'NAME', direction: 'ASC' } }));
      assert.deepEqual(
        next.resources.edges.map((e) => e.node.name),
        ['acme/private-tool', 'acme/snake_case'],
      );
    });

    test('garbage and forged cursors are BAD_USER_INPUT', async () => {
      const forged = (parts: unknown) => Buffer.from(JSON.stringify(parts)).toString('base64url');
      const bad = [
        'garbage',
        '',
        forged({ a: 1 }),
        forged(['resources:NAME:ASC', 'nginx']),
        forged(['resources:PULL_COUNT:ASC', 'not-a-number', randomUUID()]),
        forged(['resources:CREATED_AT:ASC', 'yesterday', randomUUID()]),
        forged(['resources:NAME:ASC', 'nginx', 'not-a-uuid']),
        forged(['resources:NAME:ASC', null, randomUUID()]),
      ];
      for (const after of bad) {
        const orderBy = after.length > 20 ? { field: JSON.parse(Buffer.from(after, 'base64url').toString())[0]?.split?.(':')[1] ?? 'NAME' } : undefined;
        const res = await app.gql(RESOURCES, { first: 2, after, orderBy });
        if (after === '') {
          // An empty cursor is no cursor: the first page, with nothing before it.
          const page = ok(res as GqlResult<ResourcesPage>).resources;
          assert.deepEqual(
            page.edges.map((e) => e.node.name),
            ['acme/draft-app', 'acme/pct-tool'],
          );
          assert.equal(page.pageInfo.hasPreviousPage, false);
          continue;
        }
        expectError(res, 'BAD_USER_INPUT', /after/);
      }
      // A cursor of the nested instances is not a resources cursor.
      const nested = ok(
        await app.gql<{ resource: { instances: { pageInfo: { endCursor: string } } } }>(
          `{ resource(name: "nginx") { instances(first: 1) { pageInfo { endCursor } } } }`,
        ),
      );
      expectError(await app.gql(RESOURCES, { first: 2, after: nested.resource.instances.pageInfo.endCursor }), 'BAD_USER_INPUT', /after/);
    });

    test('first must be 1 to 100', async () => {
      for (const first of [0, 101, -1]) {
        const res = await app.gql(RESOURCES, { first });
        expectError(res, 'BAD_USER_INPUT', /first/);
        assert.equal(res.data, null);
      }
      assert.equal(ok(await app.gql<ResourcesPage>(RESOURCES, { first: 100 })).resources.edges.length, 8);
      assert.equal(ok(await app.gql<ResourcesPage>(RESOURCES, { first: 1 })).resources.edges.length, 1);
      expectError(await app.gql(`{ resource(name: "nginx") { instances(first: 101) { totalCount } } }`), 'BAD_USER_INPUT', /first/);
      expectError(await app.gql(`{ resource(name: "nginx") { instances(first: 0) { totalCount } } }`), 'BAD_USER_INPUT', /first/);
      expectError(await app.gql(`{ trackedImages(first: 0) { totalCount } }`), 'BAD_USER_INPUT', /first/);
      expectError(await app.gql(`{ scrapeRuns(first: 101) { totalCount } }`), 'BAD_USER_INPUT', /first/);
    });
  });

  describe('resource and instance lookups', () => {
    const RESOURCE = `query($id: ID, $name: String) { resource(id: $id, name: $name) { id name namespace repository } }`;

    test('resource by id, and by name in both forms', async () => {
      const nginx = byName('nginx');
      const expected = { id: nginx.id, name: 'nginx', namespace: 'library', repository: 'nginx' };
      assert.deepEqual(ok(await app.gql(RESOURCE, { id: nginx.id })).resource, expected);
      assert.deepEqual(ok(await app.gql(RESOURCE, { id: nginx.id.toUpperCase() })).resource, expected);
      assert.deepEqual(ok(await app.gql(RESOURCE, { name: 'nginx' })).resource, expected);
      assert.deepEqual(ok(await app.gql(RESOURCE, { name: 'library/nginx' })).resource, expected);
      assert.deepEqual(ok(await app.gql(RESOURCE, { name: 'bitnami/redis' })).resource, {
        id: byName('bitnami/redis').id,
        name: 'bitnami/redis',
        namespace: 'bitnami',
        repository: 'redis',
      });
    });

    test('resource: unknown → null, malformed id → null, neither or both → BAD_USER_INPUT', async () => {
      assert.equal(ok(await app.gql(RESOURCE, { id: randomUUID() })).resource, null);
      assert.equal(ok(await app.gql(RESOURCE, { name: 'nope/nothing' })).resource, null);
      assert.equal(ok(await app.gql(RESOURCE, { name: 'scratch' })).resource, null, 'tracked but never created');
      assert.equal(ok(await app.gql(RESOURCE, { id: 'not-a-uuid' })).resource, null);
      assert.equal(ok(await app.gql(RESOURCE, { id: '42' })).resource, null);
      expectError(await app.gql(RESOURCE, {}), 'BAD_USER_INPUT', /exactly one of `id` and `name`/);
      expectError(await app.gql(RESOURCE, { id: byName('nginx').id, name: 'nginx' }), 'BAD_USER_INPUT', /exactly one/);
      expectError(await app.gql(RESOURCE, { name: 'Bad Name' }), 'BAD_USER_INPUT', /^name: /);
    });

    const INSTANCE = `query($id: ID, $ref: String) { instance(id: $id, ref: $ref) { id name origin { ref } resource { name } } }`;

    test('instance by id and by ref in every accepted form', async () => {
      const i127 = byName('nginx').instances.find((i) => i.name === '1.27')!;
      const expected = { id: i127.id, name: '1.27', origin: { ref: 'docker.io/nginx:1.27' }, resource: { name: 'nginx' } };
      assert.deepEqual(ok(await app.gql(INSTANCE, { id: i127.id })).instance, expected);
      for (const ref of ['docker.io/nginx:1.27', 'nginx:1.27', 'docker.io/library/nginx:1.27', 'library/nginx:1.27', ' nginx:1.27 ']) {
        assert.deepEqual(ok(await app.gql(INSTANCE, { ref })).instance, expected, ref);
      }
      const redis74 = byName('bitnami/redis').instances.find((i) => i.name === '7.4')!;
      for (const ref of ['docker.io/bitnami/redis:7.4', 'bitnami/redis:7.4']) {
        assert.deepEqual(ok(await app.gql(INSTANCE, { ref })).instance, {
          id: redis74.id,
          name: '7.4',
          origin: { ref: 'docker.io/bitnami/redis:7.4' },
          resource: { name: 'bitnami/redis' },
        });
      }
    });

    test('instance: unknown → null, malformed id → null, neither or both → BAD_USER_INPUT', async () => {
      assert.equal(ok(await app.gql(INSTANCE, { id: randomUUID() })).instance, null);
      assert.equal(ok(await app.gql(INSTANCE, { id: 'nope' })).instance, null);
      assert.equal(ok(await app.gql(INSTANCE, { ref: 'nginx:9.99' })).instance, null);
      assert.equal(ok(await app.gql(INSTANCE, { ref: 'nginx' })).instance, null, 'a ref needs a tag');
      assert.equal(ok(await app.gql(INSTANCE, { ref: 'Bad:Ref' })).instance, null);
      expectError(await app.gql(INSTANCE, {}), 'BAD_USER_INPUT', /exactly one of `id` and `ref`/);
      expectError(await app.gql(INSTANCE, { id: randomUUID(), ref: 'nginx:1.27' }), 'BAD_USER_INPUT', /exactly one/);
    });
  });

  describe('resource and instance fields', () => {
    test('every resource field, with a pull count above 2^31 exactly', async () => {
      const data = ok(
        await app.gql(`{ resource(name: "nginx") {
          id name namespace repository description shortDescription logo owners { name logo } infrastructure
          openSource isService isDraft starCount pullCount lastUpdated lastSyncedAt createdAt updatedAt
        } }`),
      );
      assert.deepEqual(data.resource, {
        id: byName('nginx').id,
        name: 'nginx',
        namespace: 'library',
        repository: 'nginx',
        description: FIXTURES[0].description,
        shortDescription: 'Official build of Nginx.',
        logo: 'https://raw.githubusercontent.com/docker-library/docs/master/nginx/logo.png',
        owners: DOCKER_OWNERS,
        infrastructure: 'DOCKER',
        openSource: true,
        isService: false,
        isDraft: false,
        starCount: 21_000,
        pullCount: BIG_PULLS,
        lastUpdated: T3,
        lastSyncedAt: null,
        createdAt: T1,
        updatedAt: T2,
      });
      assert.ok(BIG_PULLS > 2 ** 31);
      const empty = ok(await app.gql(`{ resource(name: "empty/thing") { description shortDescription logo pullCount isDraft } }`));
      assert.deepEqual(empty.resource, { description: null, shortDescription: null, logo: null, pullCount: 0, isDraft: false });
    });

    test('lastSyncedAt comes from the tracked image', async () => {
      await db.query(`UPDATE tracked_image SET last_synced_at = $1 WHERE name = 'bitnami/redis'`, [T3]);
      const data = ok(await app.gql(`{ resource(name: "bitnami/redis") { lastSyncedAt } }`));
      assert.deepEqual(data.resource, { lastSyncedAt: T3 });
      await db.query(`UPDATE tracked_image SET last_synced_at = NULL WHERE name = 'bitnami/redis'`);
    });

    test('every instance field: origin, access with env pairs, platforms, sizes above 2^31', async () => {
      const i127 = byName('nginx').instances.find((i) => i.name === '1.27')!;
      const data = ok(
        await app.gql(
          `query($id: ID) { instance(id: $id) {
            id name creatorId isPeerless
            origin { type ref license verified }
            access { container { image command args env { name value } volumes } }
            digest fullSize lastUpdated tagStatus
            platforms { architecture os variant digest size }
            resource { id name }
          } }`,
          { id: i127.id },
        ),
      );
      const instance = data.instance;
      instance.access.container.env.sort((a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name));
      assert.deepEqual(instance, {
        id: i127.id,
        name: '1.27',
        creatorId: '',
        isPeerless: true,
        origin: { type: 'PUBLIC', ref: 'docker.io/nginx:1.27', license: 'BSD-2-Clause', verified: true },
        access: {
          container: {
            image: 'docker.io/nginx:1.27',
            command: ['nginx'],
            args: ['-g', 'daemon off;'],
            env: [
              { name: 'ARCH', value: 'amd64' },
              { name: 'NGINX_PORT', value: '8080' },
            ],
            volumes: ['/usr/share/nginx/html'],
          },
        },
        digest: `sha256:${'c'.repeat(64)}`,
        fullSize: BIG_SIZE + 70_000_000,
        lastUpdated: '2025-10-05T10:00:00.000Z',
        tagStatus: 'active',
        platforms: [
          { architecture: 'amd64', os: 'linux', variant: null, digest: `sha256:${'a'.repeat(64)}`, size: BIG_SIZE },
          { architecture: 'arm64', os: 'linux', variant: 'v8', digest: `sha256:${'b'.repeat(64)}`, size: 70_000_000 },
        ],
        resource: { id: byName('nginx').id, name: 'nginx' },
      });
    });

    test('defaults of a scraped tag: no command/args/volumes, ARCH env, null digest and size', async () => {
      const data = ok(
        await app.gql(`{ instance(ref: "nginx:1.25") {
          access { container { command args env { name value } volumes } } digest fullSize lastUpdated tagStatus
          platforms { architecture variant }
        } }`),
      );
      assert.deepEqual(data.instance, {
        access: { container: { command: null, args: null, env: [{ name: 'ARCH', value: 'amd64' }], volumes: null } },
        digest: null,
        fullSize: null,
        lastUpdated: null,
        tagStatus: 'inactive',
        platforms: [
          { architecture: 'amd64', variant: null },
          { architecture: 'arm', variant: 'v7' },
        ],
      });
    });

    test('isPeerless: no owner, no partnership and an origin ref', async () => {
      const data = ok(
        await app.gql(`{ resources(filter: { search: "acme" }) { edges { node { name instances { edges { node { name creatorId isPeerless origin { type ref } } } } } } } }`),
      );
      const flat = data.resources.edges.flatMap((e: any) =>
        e.node.instances.edges.map((i: any) => [e.node.name, i.node.name, i.node.creatorId, i.node.isPeerless, i.node.origin.type, i.node.origin.ref]),
      );
      flat.sort((a: string[], b: string[]) => `${a[0]}:${a[1]}`.localeCompare(`${b[0]}:${b[1]}`));
      assert.deepEqual(flat, [
        ['acme/draft-app', 'dev', '', false, 'PUBLIC', 'docker.io/acme/draft-app:dev'],
        ['acme/pct-tool', 'v1', '', true, 'PUBLIC', 'docker.io/acme/pct-tool:v1'],
        ['acme/private-tool', 'v2', 'peer-7', false, 'PRIVATE', 'docker.io/acme/private-tool:v2'],
        ['acme/private-tool', 'v3', '', false, 'PUBLIC', ''],
        ['acme/snake_case', 'v1', '', true, 'PUBLIC', 'docker.io/acme/snake_case:v1'],
      ]);
    });
  });

  describe('nested instances', () => {
    const NESTED = `query($name: String, $first: Int, $after: String, $filter: InstanceFilter, $orderBy: InstanceOrder) {
      resource(name: $name) {
        instances(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
          totalCount
          edges { cursor node { id name } }
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        }
      }
    }`;

    async function walkInstances(name: string, first: number, filter?: object, orderBy?: object) {
      const seen: string[] = [];
      const totals = new Set<number>();
      let after: string | null = null;
      for (let i = 0; i < 20; i++) {
        const data: any = ok(await app.gql(NESTED, { name, first, after, filter, orderBy }));
        const c = data.resource.instances;
        totals.add(c.totalCount);
        assert.equal(c.pageInfo.hasPreviousPage, after !== null);
        seen.push(...c.edges.map((e: any) => e.node.name));
        if (!c.pageInfo.hasNextPage) return { seen, totals: [...totals] };
        after = c.pageInfo.endCursor;
      }
      return assert.fail('nested pagination did not end');
    }

    test('default order: newest upstream update first, unknown dates last, ties by id', async () => {
      const nginx = byName('nginx');
      const id = (n: string) => nginx.instances.find((i) => i.name === n)!.id;
      const tied = ['1.27', 'latest'].sort((a, b) => (id(a) < id(b) ? 1 : -1)); // DESC: larger id first
      const expected = [...tied, 'mainline-alpine', '1.26', '1.25'];
      assert.deepEqual(await walkInstances('nginx', 2), { seen: expected, totals: [5] });
      assert.deepEqual(await walkInstances('nginx', 100), { seen: expected, totals: [5] });
      assert.deepEqual((await walkInstances('nginx', 2, undefined, { field: 'LAST_UPDATED', direction: 'ASC' })).seen, [...expected].reverse());
    });

    test('order by name, both directions', async () => {
      const asc = ['1.25', '1.26', '1.27', 'latest', 'mainline-alpine'];
      assert.deepEqual((await walkInstances('nginx', 2, undefined, { field: 'NAME', direction: 'ASC' })).seen, asc);
      assert.deepEqual((await walkInstances('nginx', 3, undefined, { field: 'NAME', direction: 'DESC' })).seen, [...asc].reverse());
      assert.deepEqual((await walkInstances('nginx', 2, undefined, { field: 'NAME' })).seen, [...asc].reverse(), 'direction defaults to DESC');
    });

    test('filters, with their own totalCount', async () => {
      const sorted = async (filter: object) => {
        const r = await walkInstances('nginx', 2, filter, { field: 'NAME', direction: 'ASC' });
        return { seen: r.seen, totals: r.totals };
      };
      assert.deepEqual(await sorted({ architecture: 'arm64' }), { seen: ['1.26', '1.27', 'latest'], totals: [3] });
      assert.deepEqual(await sorted({ architecture: 'arm' }), { seen: ['1.25'], totals: [1] });
      assert.deepEqual(await sorted({ names: ['1.27', '1.25', '9.9'] }), { seen: ['1.25', '1.27'], totals: [2] });
      assert.deepEqual(await sorted({ search: 'ALPINE' }), { seen: ['mainline-alpine'], totals: [1] });
      assert.deepEqual(await sorted({ search: '1.2' }), { seen: ['1.25', '1.26', '1.27'], totals: [3] });
      assert.deepEqual(await sorted({ search: '1_2' }), { seen: [], totals: [0] }, '`_` is literal');
      assert.deepEqual(await sorted({ peerless: true }), { seen: ['1.25', '1.26', '1.27', 'latest', 'mainline-alpine'], totals: [5] });
      assert.deepEqual(await walkInstances('acme/private-tool', 5, { peerless: true }), { seen: [], totals: [0] });
      assert.deepEqual((await walkInstances('acme/private-tool', 5, { peerless: false }, { field: 'NAME', direction: 'ASC' })).seen, ['v2', 'v3']);
    });

    test('instance cursors: own ordering only, garbage refused', async () => {
      const first = ok<any>(await app.gql(NESTED, { name: 'nginx', first: 2 }));
      const cursor = first.resource.instances.pageInfo.endCursor;
      expectError(await app.gql(NESTED, { name: 'nginx', first: 2, after: cursor, orderBy: { field: 'NAME' } }), 'BAD_USER_INPUT', /after/);
      expectError(await app.gql(NESTED, { name: 'nginx', first: 2, after: 'garbage' }), 'BAD_USER_INPUT', /after/);
      const resourcesCursor = ok(await app.gql<ResourcesPage>(RESOURCES, { first: 1 })).resources.pageInfo.endCursor;
      expectError(await app.gql(NESTED, { name: 'nginx', first: 2, after: resourcesCursor }), 'BAD_USER_INPUT', /after/);
    });

    test('each resource of a page gets its own page of instances', async () => {
      const data = ok<any>(
        await app.gql(`{ resources(first: 10, filter: { names: ["nginx", "bitnami/redis", "postgres", "empty/thing"] }) {
          edges { node { name instances(first: 1) { totalCount edges { node { name resource { name } } } pageInfo { hasNextPage } } } }
        } }`),
      );
      const got = Object.fromEntries(
        data.resources.edges.map((e: any) => [
          e.node.name,
          {
            total: e.node.instances.totalCount,
            tags: e.node.instances.edges.map((i: any) => `${i.node.resource.name}:${i.node.name}`),
            more: e.node.instances.pageInfo.hasNextPage,
          },
        ]),
      );
      const nginx = byName('nginx');
      const newestNginx = ['1.27', 'latest'].sort((a, b) =>
        nginx.instances.find((i) => i.name === a)!.id < nginx.instances.find((i) => i.name === b)!.id ? 1 : -1,
      )[0];
      assert.deepEqual(got, {
        'bitnami/redis': { total: 2, tags: ['bitnami/redis:7.4'], more: true },
        'empty/thing': { total: 0, tags: [], more: false },
        nginx: { total: 5, tags: [`nginx:${newestNginx}`], more: true },
        postgres: { total: 2, tags: ['postgres:17'], more: true },
      });
    });
  });

  describe('tracked images', () => {
    const TRACKED = `query($first: Int, $after: String) { trackedImages(first: $first, after: $after) {
      totalCount
      edges { cursor node { id name namespace repository enabled maxTags source lastStatus lastError lastScrapedAt resource { id name } } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    } }`;

    test('the configured list, in its order, with resource null until one exists', async () => {
      const data = ok<any>(await app.gql(TRACKED, { first: 50 }));
      assert.equal(data.trackedImages.totalCount, 5);
      const nodes = data.trackedImages.edges.map((e: any) => e.node);
      assert.deepEqual(
        nodes.map((n: any) => n.name),
        ['nginx', 'bitnami/redis', 'scratch', 'postgres', 'alpine'],
      );
      assert.deepEqual(
        nodes.map((n: any) => n.resource),
        [
          { id: byName('nginx').id, name: 'nginx' },
          { id: byName('bitnami/redis').id, name: 'bitnami/redis' },
          null,
          { id: byName('postgres').id, name: 'postgres' },
          null,
        ],
      );
      const alpine = nodes[4];
      assert.match(alpine.id, /^[0-9a-f-]{36}$/);
      assert.deepEqual(
        { ...alpine, id: undefined },
        {
          id: undefined,
          name: 'alpine',
          namespace: 'library',
          repository: 'alpine',
          enabled: true,
          maxTags: 10,
          source: 'CONFIG',
          lastStatus: null,
          lastError: null,
          lastScrapedAt: null,
          resource: null,
        },
      );
      assert.equal(nodes[1].namespace, 'bitnami');
      assert.equal(nodes[1].repository, 'redis');
    });

    test('pagination walks the list once', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      const pages: number[] = [];
      for (;;) {
        const data: any = ok(await app.gql(TRACKED, { first: 2, after }));
        assert.equal(data.trackedImages.totalCount, 5);
        assert.equal(data.trackedImages.pageInfo.hasPreviousPage, after !== null);
        pages.push(data.trackedImages.edges.length);
        seen.push(...data.trackedImages.edges.map((e: any) => e.node.name));
        if (!data.trackedImages.pageInfo.hasNextPage) break;
        after = data.trackedImages.pageInfo.endCursor;
      }
      assert.deepEqual(pages, [2, 2, 1]);
      assert.deepEqual(seen, ['nginx', 'bitnami/redis', 'scratch', 'postgres', 'alpine']);
      expectError(await app.gql(TRACKED, { first: 2, after: 'garbage' }), 'BAD_USER_INPUT', /after/);
      const resourcesCursor = ok(await app.gql<ResourcesPage>(RESOURCES, { first: 1 })).resources.pageInfo.endCursor;
      expectError(await app.gql(TRACKED, { first: 2, after: resourcesCursor }), 'BAD_USER_INPUT', /after/);
    });
  });

  describe('scrape runs and the scraper', () => {
    const SCRAPER = `{ scraper { enabled interval maxTags concurrency running nextRunAt currentRun { id status trigger imagesTotal imagesDone } } }`;
    const RUNS = `query($first: Int, $after: String) { scrapeRuns(first: $first, after: $after) {
      totalCount edges { node { id trigger status } } pageInfo { hasNextPage endCursor }
    } }`;
    const RUN = `query($id: ID!) { scrapeRun(id: $id) {
      id trigger status error startedAt finishedAt imagesTotal imagesDone imagesFailed resourcesCreated instancesAdded instancesUpdated
      results { image status error instancesAdded instancesUpdated }
    } }`;
    const runs: Record<string, string> = {};

    test('the scraper when idle and off: nothing running, no next run', async () => {
      const data = ok<any>(await app.gql(SCRAPER));
      assert.deepEqual(data.scraper, {
        enabled: false,
        interval: '24h',
        maxTags: 10,
        concurrency: 4,
        running: false,
        nextRunAt: null,
        currentRun: null,
      });
      const empty = ok<any>(await app.gql(RUNS, { first: 5 }));
      assert.deepEqual(empty.scrapeRuns, { totalCount: 0, edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
    });

    test('runs newest first, paged; a run with its results in list order', async () => {
      runs.a = await insertRun(db, {
        trigger: 'STARTUP',
        status: 'SUCCEEDED',
        createdAt: '2025-03-01T00:00:00.000Z',
        results: [
          { image: 'nginx', position: 0, status: 'OK', instancesAdded: 5, resourceCreated: true },
          { image: 'bitnami/redis', position: 1, status: 'OK', instancesAdded: 2, resourceCreated: true },
          { image: 'scratch', position: 2, status: 'NO_TAGS' },
        ],
      });
      runs.b = await insertRun(db, {
        trigger: 'SCHEDULE',
        status: 'PARTIAL',
        createdAt: '2025-03-02T00:00:00.000Z',
        results: [
          // Inserted out of order: results come back by position.
          { image: 'sparl', position: 2, status: 'NOT_FOUND', error: 'Docker Hub has no repository library/sparl' },
          { image: 'library/nginx', position: 0, status: 'OK', instancesUpdated: 1 },
          { image: 'postgres', position: 1, status: 'FAILED', error: 'timed out after 30s' },
        ],
      });
      // Two runs created at the same instant: the larger id comes first.
      const tie = '2025-03-03T00:00:00.000Z';
      runs.c = await insertRun(db, { id: randomUUID(), trigger: 'MANUAL', status: 'FAILED', error: 'every image failed', createdAt: tie });
      runs.d = await insertRun(db, { id: randomUUID(), trigger: 'MANUAL', status: 'SUCCEEDED', createdAt: tie });
      const [first, second] = [runs.c, runs.d].sort().reverse();
      const expected = [first, second, runs.b, runs.a];

      const all = ok<any>(await app.gql(RUNS, { first: 20 }));
      assert.equal(all.scrapeRuns.totalCount, 4);
      assert.deepEqual(
        all.scrapeRuns.edges.map((e: any) => e.node.id),
        expected,
      );
      const seen: string[] = [];
      let after: string | null = null;
      for (let i = 0; i < 10; i++) {
        const page: any = ok(await app.gql(RUNS, { first: 1, after }));
        assert.equal(page.scrapeRuns.totalCount, 4);
        seen.push(...page.scrapeRuns.edges.map((e: any) => e.node.id));
        if (!page.scrapeRuns.pageInfo.hasNextPage) break;
        after = page.scrapeRuns.pageInfo.endCursor;
      }
      assert.deepEqual(seen, expected, 'page by page, no duplicate, no gap');
      expectError(await app.gql(RUNS, { first: 2, after: 'garbage' }), 'BAD_USER_INPUT', /after/);

      const b = ok<any>(await app.gql(RUN, { id: runs.b })).scrapeRun;
      assert.deepEqual(b, {
        id: runs.b,
        trigger: 'SCHEDULE',
        status: 'PARTIAL',
        error: null,
        startedAt: '2025-03-02T00:00:00.000Z',
        finishedAt: '2025-03-02T00:00:00.000Z',
        imagesTotal: 3,
        imagesDone: 3,
        imagesFailed: 2,
        resourcesCreated: 0,
        instancesAdded: 0,
        instancesUpdated: 1,
        results: [
          { image: 'nginx', status: 'OK', error: null, instancesAdded: 0, instancesUpdated: 1 },
          { image: 'postgres', status: 'FAILED', error: 'timed out after 30s', instancesAdded: 0, instancesUpdated: 0 },
          { image: 'sparl', status: 'NOT_FOUND', error: 'Docker Hub has no repository library/sparl', instancesAdded: 0, instancesUpdated: 0 },
        ],
      });
      const a = ok<any>(await app.gql(RUN, { id: runs.a })).scrapeRun;
      assert.deepEqual(
        a.results.map((r: any) => [r.image, r.status, r.instancesAdded]),
        [
          ['nginx', 'OK', 5],
          ['bitnami/redis', 'OK', 2],
          ['scratch', 'NO_TAGS', 0],
        ],
      );
      assert.equal(a.resourcesCreated, 2);
      assert.equal(a.instancesAdded, 7);
      const c = ok<any>(await app.gql(RUN, { id: runs.c })).scrapeRun;
      assert.equal(c.error, 'every image failed');
      assert.deepEqual(c.results, []);
      assert.equal(ok<any>(await app.gql(RUN, { id: randomUUID() })).scrapeRun, null);
      assert.equal(ok<any>(await app.gql(RUN, { id: 'not-a-run' })).scrapeRun, null);
    });

    test('the scraper with a run in progress: running, and the current run', async () => {
      runs.e = await insertRun(db, {
        trigger: 'MANUAL',
        status: 'RUNNING',
        createdAt: new Date(),
        results: [
          { image: 'nginx', position: 0, status: 'OK' },
          { image: 'postgres', position: 1, status: 'RUNNING' },
          { image: 'alpine', position: 2, status: 'PENDING' },
        ],
      });
      const data = ok<any>(await app.gql(SCRAPER));
      assert.equal(data.scraper.running, true);
      assert.equal(data.scraper.nextRunAt, null, 'scheduling is off in this process');
      assert.deepEqual(data.scraper.currentRun, { id: runs.e, status: 'RUNNING', trigger: 'MANUAL', imagesTotal: 3, imagesDone: 1 });
      const newest = ok<any>(await app.gql(RUNS, { first: 1 }));
      assert.equal(newest.scrapeRuns.edges[0].node.id, runs.e);
      assert.equal(newest.scrapeRuns.totalCount, 5);
      await db.query(`UPDATE scrape_run SET status = 'SUCCEEDED', finished_at = now(), lease_expires_at = NULL WHERE id = $1`, [runs.e]);
      const done = ok<any>(await app.gql(SCRAPER));
      assert.equal(done.scraper.running, false);
      assert.equal(done.scraper.currentRun, null);
    });
  });
});

describe('pagination while the catalog changes', () => {
  let db: TestDatabase;
  let app: TestApp;

  before(async () => {
    db = await createTestDatabase('resources_paging');
    app = await startTestApp(db.url);
  });
  after(async () => {
    await app?.close();
    await db?.drop();
  });

  test('forward by name: rows inserted before the cursor do not show; every original row is seen once', async () => {
    const originals: string[] = [];
    for (let i = 0; i < 11; i++) {
      const name = `page/r${String(i).padStart(2, '0')}`;
      originals.push(name);
      await insertResource(db, { name, pullCount: i, createdAt: T1, updatedAt: T1, instances: [{ name: 'latest', platforms: [amd64()] }] });
    }
    const seen: string[] = [];
    const insertedBefore: string[] = [];
    const insertedAfter: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 30; page++) {
      const data: ResourcesPage = ok(await app.gql<ResourcesPage>(RESOURCES, { first: 2, after, filter: { search: 'page/' } }));
      seen.push(...data.resources.edges.map((e) => e.node.name));
      if (!data.resources.pageInfo.hasNextPage) break;
      after = data.resources.pageInfo.endCursor;
      // Between pages: a row before the cursor, a row after it, updates of seen and unseen rows,
      // and the row the cursor points at goes away.
      const before = `page/a${String(page).padStart(2, '0')}`;
      const afterName = `page/z${String(page).padStart(2, '0')}`;
      await insertResource(db, { name: before, instances: [] });
      await insertResource(db, { name: afterName, instances: [] });
      insertedBefore.push(before);
      insertedAfter.push(afterName);
      const unseen = originals.filter((n) => !seen.includes(n));
      await db.query(
        `UPDATE processing_resource SET pull_count = pull_count + 1000, short_description = 'changed', updated_at = now()
         WHERE name = ANY($1::text[])`,
        [[seen[0], ...unseen.slice(-2)]],
      );
      if (page === 1) await db.query(`DELETE FROM processing_resource WHERE name = $1`, [seen.at(-1)]);
    }
    assert.equal(new Set(seen).size, seen.length, `no duplicates: ${seen.join(', ')}`);
    for (const name of originals) assert.equal(seen.filter((n) => n === name).length, 1, `${name} is seen once`);
    for (const name of insertedBefore) assert.ok(!seen.includes(name), `${name}, inserted before the cursor, does not show`);
    // Rows inserted after the cursor come in their place (keyset pagination).
    assert.deepEqual(
      seen.filter((n) => n.startsWith('page/z')),
      insertedAfter.slice(0, seen.filter((n) => n.startsWith('page/z')).length),
    );
    assert.deepEqual(
      seen.filter((n) => n.startsWith('page/r')),
      originals,
      'in order',
    );
  });

  test('newest first: rows created meanwhile are before the cursor and do not show', async () => {
    await db.query(`DELETE FROM processing_resource`);
    const originals: string[] = [];
    for (let i = 0; i < 9; i++) {
      const name = `fresh/r${i}`;
      originals.push(name);
      // Three rows per instant: the id breaks the ties.
      await insertResource(db, { name, createdAt: new Date(Date.parse(T2) + Math.floor(i / 3) * 60_000), instances: [] });
    }
    const orderBy = { field: 'CREATED_AT', direction: 'DESC' };
    const seen: string[] = [];
    const inserted: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 30; page++) {
      const data: ResourcesPage = ok(await app.gql<ResourcesPage>(RESOURCES, { first: 2, after, orderBy }));
      seen.push(...data.resources.edges.map((e) => e.node.name));
      if (!data.resources.pageInfo.hasNextPage) break;
      after = data.resources.pageInfo.endCursor;
      const name = `fresh/new${page}`;
      await insertResource(db, { name, instances: [] }); // created now: newer than everything
      inserted.push(name);
      await db.query(`UPDATE processing_resource SET star_count = star_count + 1, updated_at = now() WHERE name = $1`, [
        originals[(page * 4) % originals.length],
      ]);
    }
    assert.equal(seen.length, originals.length, `exactly the original rows: ${seen.join(', ')}`);
    assert.deepEqual([...seen].sort(), [...originals].sort());
    for (const name of inserted) assert.ok(!seen.includes(name));
    const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM processing_resource`);
    assert.equal(n, originals.length + inserted.length, 'the inserts happened');
  });
});
