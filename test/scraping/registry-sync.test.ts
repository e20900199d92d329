import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, TestDatabase } from '../support/db';
import { startTestApp, TestApp } from '../support/app';
import { FakeDockerHub } from '../support/fake-docker-hub';
import { syntheticTag } from '../support/hub-data';
import { scrape } from '../support/scrape';
import { MemoryRegistry } from '../support/memory-registry';

const HUB_REGISTRY = 'registry-1.docker.io';
const GHCR = 'ghcr.io';

const INSTANCE = `query I($ref: String!) { instance(ref: $ref) {
  id name digest upstreamStatus deletedUpstreamAt sourceUrl imageCreatedAt lastUpdated editedFields
  labels { key value }
  origin { ref license }
  platforms { os architecture variant }
  access { container { image command args volumes exposedPorts { port protocol } env { name value } imageEnv { name value } workingDir user } }
} }`;

const APP_CONFIG = {
  created: '2026-11-20T10:00:00Z',
  labels: {
    'org.opencontainers.image.licenses': 'Apache-2.0',
    'org.opencontainers.image.source': 'https://github.com/acme/app',
    'org.opencontainers.image.title': 'Acme app',
  },
  entrypoint: ['/usr/bin/app'],
  cmd: ['serve', '--port', '8080'],
  env: ['PATH=/usr/local/bin:/usr/bin', 'APP_MODE=production'],
  exposedPorts: [
    { port: 8080, protocol: 'tcp' as const },
    { port: 9090, protocol: 'udp' as const },
  ],
  volumes: ['/data'],
  workingDir: '/srv',
  user: 'app',
};

/** A scrape, with the run's instancesDeleted (the shared helper does not ask for it). */
async function scrapeRun(app: TestApp, images?: string[]): Promise<any> {
  const run = await scrape(app, images);
  const r = await app.gql(`query R($id: ID!) { scrapeRun(id: $id) { instancesDeleted } }`, { id: run.id });
  return { ...run, instancesDeleted: r.data.scrapeRun.instancesDeleted };
}

async function rowVersions(db: TestDatabase) {
  return db.query(
    `SELECT id, xmin::text, updated_at FROM processing_resource UNION ALL SELECT id, xmin::text, updated_at FROM processing_instance ORDER BY id`,
  );
}

describe('registries and image configs: a mixed catalog', () => {
  let db: TestDatabase;
  let hub: FakeDockerHub;
  let registry: MemoryRegistry;
  let app: TestApp;

  before(async () => {
    db = await createTestDatabase();
    hub = await FakeDockerHub.start({ maxPageSize: 5 });
    hub.setRepository('library', 'nginx', {
      tags: [
        syntheticTag('1.27', { lastUpdated: '2026-11-02T00:00:00Z' }),
        syntheticTag('1.26', { lastUpdated: '2026-11-01T00:00:00Z' }),
        syntheticTag('1.25', { lastUpdated: '2026-10-01T00:00:00Z' }),
      ],
    });
    registry = new MemoryRegistry();
    const nginxConfig = {
      platforms: [{ platform: 'linux/amd64', config: { labels: { 'org.opencontainers.image.licenses': 'BSD-2-Clause' }, cmd: ['nginx', '-g', 'daemon off;'], exposedPorts: [{ port: 80, protocol: 'tcp' as const }] } }],
    };
    registry.set(HUB_REGISTRY, 'library/nginx', { '1.27': nginxConfig, '1.26': nginxConfig, '1.25': nginxConfig });
    registry.set(GHCR, 'acme/app', {
      'v1.0.0': { platforms: [{ platform: 'linux/amd64', config: { ...APP_CONFIG, created: '2026-10-01T00:00:00Z' } }] },
      'v1.1.0': {
        platforms: [
          { platform: 'linux/amd64', config: APP_CONFIG },
          { platform: 'linux/arm64/v8', config: { ...APP_CONFIG, user: 'root' } },
        ],
      },
      'v0.9.0-rc1': { platforms: [{ platform: 'linux/amd64', config: APP_CONFIG }] },
      'sha256-0123abcd.sig': { platforms: [{ platform: 'linux/amd64', config: {} }] },
    });
    app = await startTestApp(
      db.url,
      { DOCKER_HUB_URL: hub.url, DOCKER_SCRAPER_IMAGES: 'nginx,ghcr.io/acme/app', DOCKER_SCRAPER_MAX_TAGS: '10' },
      { registry: { client: registry, hubRegistryHost: HUB_REGISTRY } },
    );
  });
  after(async () => {
    await app?.close();
    await hub?.close();
    await db?.drop();
  });

  test('one run builds both: platforms, labels, license, command, args, ports, volumes; requests per host', async () => {
    const run = await scrapeRun(app);
    assert.equal(run.status, 'SUCCEEDED', JSON.stringify(run.results));
    assert.deepEqual(
      run.results.map((r: any) => [r.image, r.status, r.instancesAdded]),
      [
        ['nginx', 'OK', 3],
        ['ghcr.io/acme/app', 'OK', 3],
      ],
    );
    const app1 = (await app.gql(INSTANCE, { ref: 'ghcr.io/acme/app:v1.1.0' })).data.instance;
    assert.equal(app1.origin.ref, 'ghcr.io/acme/app:v1.1.0');
    assert.equal(app1.origin.license, 'Apache-2.0');
    assert.equal(app1.sourceUrl, 'https://github.com/acme/app');
    assert.equal(app1.imageCreatedAt, '2026-11-20T10:00:00.000Z');
    assert.equal(app1.upstreamStatus, 'ACTIVE');
    assert.deepEqual(app1.platforms, [
      { os: 'linux', architecture: 'amd64', variant: null },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
    ]);
    assert.deepEqual(app1.labels.map((l: any) => l.key), ['org.opencontainers.image.licenses', 'org.opencontainers.image.source', 'org.opencontainers.image.title']);
    const c = app1.access.container;
    assert.equal(c.image, 'ghcr.io/acme/app:v1.1.0');
    assert.deepEqual(c.command, ['/usr/bin/app']);
    assert.deepEqual(c.args, ['serve', '--port', '8080']);
    assert.deepEqual(c.volumes, ['/data']);
    assert.deepEqual(c.exposedPorts, [
      { port: 8080, protocol: 'tcp' },
      { port: 9090, protocol: 'udp' },
    ]);
    assert.deepEqual(c.env, [{ name: 'ARCH', value: 'amd64' }], "the catalog's own env stays apart");
    assert.deepEqual(c.imageEnv, [
      { name: 'PATH', value: '/usr/local/bin:/usr/bin' },
      { name: 'APP_MODE', value: 'production' },
    ]);
    assert.equal(c.workingDir, '/srv');
    assert.equal(c.user, 'app');
    // the arm64 platform's differing user is kept with the platform
    const [row] = await db.query<{ platforms: any[] }>(`SELECT platforms FROM processing_instance WHERE origin_ref = 'ghcr.io/acme/app:v1.1.0'`);
    assert.deepEqual(row.platforms[1].config, { user: 'root' });
    assert.equal(row.platforms[0].config, undefined);

    const nginx = (await app.gql(INSTANCE, { ref: 'docker.io/nginx:1.27' })).data.instance;
    assert.equal(nginx.origin.license, 'BSD-2-Clause');
    assert.deepEqual(nginx.access.container.args, ['nginx', '-g', 'daemon off;']);
    assert.deepEqual(nginx.access.container.exposedPorts, [{ port: 80, protocol: 'tcp' }]);

    // artifact tags are skipped; the registry resource knows its host
    const res = (await app.gql(`{ resources(filter: { registry: ["ghcr.io"] }) { edges { node { name registry namespace repository } } } }`)).data.resources;
    assert.deepEqual(res.edges.map((e: any) => e.node), [{ name: 'ghcr.io/acme/app', registry: 'ghcr.io', namespace: 'acme', repository: 'app' }]);

    // requests per host: Docker Hub web API 2, its registry one GET per tag (digests known), GHCR list + HEAD + GET per tag
    const hubHost = new URL(hub.url).host;
    const runRequests = (await app.gql(`query R($id: ID!) { scrapeRun(id: $id) { requests { host count } results { image requests { host count } } } }`, { id: run.id })).data.scrapeRun;
    const byHost = Object.fromEntries(runRequests.requests.map((r: any) => [r.host, r.count]));
    assert.deepEqual(byHost, { [hubHost]: 2, [HUB_REGISTRY]: 3, [GHCR]: 7 });
    assert.equal(registry.count('getTag', HUB_REGISTRY), 3);
    assert.equal(registry.count('headManifest', HUB_REGISTRY), 0, 'the web API gave every digest: no HEAD needed');
  });

  test('a no-change re-scrape writes no row and fetches no config', async () => {
    const before = await rowVersions(db);
    const gets = registry.count('getTag');
    const run = await scrapeRun(app);
    assert.equal(run.status, 'SUCCEEDED');
    assert.equal(run.instancesUpdated, 0);
    assert.equal(run.instancesAdded, 0);
    assert.equal(registry.count('getTag'), gets, 'no manifest or config GET for unchanged digests');
    assert.deepEqual(await rowVersions(db), before, 'xmin and updated_at of every row unchanged');
  });

  test('an API edit of command survives a re-pushed image; null hands it back to upstream', async () => {
    const { id } = (await app.gql(INSTANCE, { ref: 'ghcr.io/acme/app:v1.1.0' })).data.instance;
    const edit = await app.gql(`mutation U($input: UpdateInstanceInput!) { updateInstance(input: $input) { instance { editedFields access { container { command } } } } }`, {
      input: { id, command: ['/bin/custom'] },
    });
    assert.deepEqual(edit.data.updateInstance.instance.access.container.command, ['/bin/custom']);
    // re-push with a new entrypoint and a new port
    const tag = registry.tag(GHCR, 'acme/app', 'v1.1.0')!;
    tag.revision = 1;
    tag.platforms[0].config = { ...APP_CONFIG, entrypoint: ['/usr/bin/app2'], exposedPorts: [{ port: 8443, protocol: 'tcp' }] };
    const run = await scrapeRun(app, ['ghcr.io/acme/app']);
    assert.equal(run.instancesUpdated, 1);
    const after = (await app.gql(INSTANCE, { ref: 'ghcr.io/acme/app:v1.1.0' })).data.instance;
    assert.deepEqual(after.access.container.command, ['/bin/custom'], 'the edit is kept');
    assert.deepEqual(after.access.container.exposedPorts, [{ port: 8443, protocol: 'tcp' }], 'upstream-only fields follow upstream');
    assert.deepEqual(after.editedFields, ['command']);
    const cleared = await app.gql(`mutation U($input: UpdateInstanceInput!) { updateInstance(input: $input) { instance { editedFields access { container { command } } } } }`, {
      input: { id, command: null },
    });
    assert.deepEqual(cleared.data.updateInstance.instance.access.container.command, ['/usr/bin/app2'], 'null hands it back: the newest upstream value');
    assert.deepEqual(cleared.data.updateInstance.instance.editedFields, []);

    // exposedPorts: editable too, and a bad port is BAD_USER_INPUT
    const ports = await app.gql(`mutation U($input: UpdateInstanceInput!) { updateInstance(input: $input) { instance { access { container { exposedPorts { port protocol } } } } } }`, {
      input: { id, exposedPorts: [{ port: 443 }] },
    });
    assert.deepEqual(ports.data.updateInstance.instance.access.container.exposedPorts, [{ port: 443, protocol: 'tcp' }]);
    const badPort = await app.gql(`mutation U($input: UpdateInstanceInput!) { updateInstance(input: $input) { instance { id } } }`, {
      input: { id, exposedPorts: [{ port: 70000, protocol: 'tcp' }] },
    });
    assert.equal(badPort.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    tag.revision = 2;
    await scrapeRun(app, ['ghcr.io/acme/app']);
    const kept = (await app.gql(INSTANCE, { ref: 'ghcr.io/acme/app:v1.1.0' })).data.instance;
    assert.deepEqual(kept.access.container.exposedPorts, [{ port: 443, protocol: 'tcp' }], 'the edited ports survive a re-push');
    const handedBack = await app.gql(`mutation U($input: UpdateInstanceInput!) { updateInstance(input: $input) { instance { access { container { exposedPorts { port protocol } } } } } }`, {
      input: { id, exposedPorts: null },
    });
    assert.deepEqual(handedBack.data.updateInstance.instance.access.container.exposedPorts, [{ port: 8443, protocol: 'tcp' }]);
  });

  test('a partial listing marks nothing deleted', async () => {
    registry.repos.get(`${GHCR}/acme/app`)!.delete('v1.0.0');
    registry.partial = true;
    const run = await scrapeRun(app, ['ghcr.io/acme/app']);
    assert.equal(run.instancesDeleted, 0);
    const still = (await app.gql(INSTANCE, { ref: 'ghcr.io/acme/app:v1.0.0' })).data.instance;
    assert.equal(still.upstreamStatus, 'ACTIVE');
    // Docker Hub: the maxTags window (1 tag) is not a complete listing either
    hub.removeTag('library', 'nginx', '1.25');
    await app.gql(`mutation { updateTrackedImage(input: { image: "nginx", maxTags: 1 }) { trackedImage { maxTags } } }`);
    const hubRun = await scrapeRun(app, ['nginx']);
    assert.equal(hubRun.instancesDeleted, 0);
    assert.equal((await app.gql(INSTANCE, { ref: 'docker.io/nginx:1.25' })).data.instance.upstreamStatus, 'ACTIVE');
    registry.partial = false;
  });

  test('a tag gone from a complete listing is DELETED (event, counter, filter) and comes back ACTIVE', async () => {
    const run = await scrapeRun(app, ['ghcr.io/acme/app']);
    assert.equal(run.instancesDeleted, 1);
    const gone = (await app.gql(INSTANCE, { ref: 'ghcr.io/acme/app:v1.0.0' })).data.instance;
    assert.equal(gone.upstreamStatus, 'DELETED');
    assert.ok(gone.deletedUpstreamAt);
    const events = await db.query<{ type: string; data: any }>(`SELECT type, data FROM catalog_event WHERE instance_id = $1 ORDER BY id`, [gone.id]);
    assert.equal(events.at(-1)!.type, 'INSTANCE_DELETED_UPSTREAM');
    const filtered = await app.gql(`{ resource(name: "ghcr.io/acme/app") { instances(filter: { upstreamStatus: DELETED }) { edges { node { name } } } } }`);
    assert.deepEqual(filtered.data.resource.instances.edges.map((e: any) => e.node.name), ['v1.0.0']);
    // Docker Hub: every page read, next null, fewer than maxTags → complete
    await app.gql(`mutation { updateTrackedImage(input: { image: "nginx", maxTags: null }) { trackedImage { maxTags } } }`);
    const hubRun = await scrapeRun(app, ['nginx']);
    assert.equal(hubRun.instancesDeleted, 1);
    assert.equal((await app.gql(INSTANCE, { ref: 'docker.io/nginx:1.25' })).data.instance.upstreamStatus, 'DELETED');
    // a re-scrape with nothing new changes nothing more
    assert.equal((await scrapeRun(app, ['nginx'])).instancesDeleted, 0);

    // it reappears
    registry.repos.get(`${GHCR}/acme/app`)!.set('v1.0.0', { platforms: [{ platform: 'linux/amd64', config: APP_CONFIG }] });
    const back = await scrapeRun(app, ['ghcr.io/acme/app']);
    assert.equal(back.instancesUpdated, 1);
    const active = (await app.gql(INSTANCE, { ref: 'ghcr.io/acme/app:v1.0.0' })).data.instance;
    assert.equal(active.upstreamStatus, 'ACTIVE');
    assert.equal(active.deletedUpstreamAt, null);
    const last = await db.query<{ type: string; data: any }>(`SELECT type, data FROM catalog_event WHERE instance_id = $1 ORDER BY id DESC LIMIT 1`, [gone.id]);
    assert.equal(last[0].type, 'INSTANCE_UPDATED');
    assert.equal(last[0].data.reappeared, true);
  });

  test('a 404 on HEAD marks the tag deleted even when it is listed', async () => {
    const original = registry.headManifest.bind(registry);
    registry.headManifest = async (r, tag) => (tag === 'v0.9.0-rc1' ? { found: false } : original(r, tag));
    try {
      const run = await scrapeRun(app, ['ghcr.io/acme/app']);
      assert.equal(run.instancesDeleted, 1);
      assert.equal((await app.gql(INSTANCE, { ref: 'ghcr.io/acme/app:v0.9.0-rc1' })).data.instance.upstreamStatus, 'DELETED');
    } finally {
      registry.headManifest = original;
    }
  });

  test('tag filters: set through the API, checked, applied before maxTags', async () => {
    const bad = await app.gql(`mutation { updateTrackedImage(input: { image: "ghcr.io/acme/app", tagFilter: { include: "(a+)+" } }) { trackedImage { name } } }`);
    assert.equal(bad.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(bad.errors[0].message, /tagFilter\.include/);
    const invalid = await app.gql(`mutation { updateTrackedImage(input: { image: "ghcr.io/acme/app", tagFilter: { exclude: "([" } }) { trackedImage { name } } }`);
    assert.match(invalid.errors?.[0]?.message ?? '', /tagFilter\.exclude.*not a valid regular expression/);
    const ok = await app.gql(`mutation { updateTrackedImage(input: { image: "ghcr.io/acme/app", tagFilter: { include: "^v1\\\\.", exclude: "-rc" } }) { trackedImage { registry tagFilter { include exclude } } } }`);
    assert.deepEqual(ok.data.updateTrackedImage.trackedImage, { registry: 'ghcr.io', tagFilter: { include: '^v1\\.', exclude: '-rc' } });
    registry.repos.get(`${GHCR}/acme/app`)!.set('v2.0.0', { platforms: [{ platform: 'linux/amd64', config: APP_CONFIG }] });
    const run = await scrapeRun(app, ['ghcr.io/acme/app']);
    assert.equal(run.instancesAdded, 0, 'v2.0.0 does not pass the filter');
    assert.equal((await app.gql(INSTANCE, { ref: 'ghcr.io/acme/app:v2.0.0' })).data.instance, null);
  });
});
