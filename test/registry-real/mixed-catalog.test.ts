import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, TestDatabase } from '../support/db';
import { ok, startTestApp, TestApp } from '../support/app';
import { FakeDockerHub } from '../support/fake-docker-hub';
import { FakeOciRegistry } from '../support/fake-oci-registry';
import { syntheticTag } from '../support/hub-data';
import { scrape } from '../support/scrape';
import { RealRegistry, realRegistryMissing, skipPlainly, startRealRegistry } from '../support/real-registry';
import { REPOSITORY, initialImages } from './tool-images';

const INSTANCE = `query($ref: String!) { instance(ref: $ref) {
  name origin { ref license }
  platforms { architecture os }
  labels { key value }
  access { container { command args exposedPorts { port protocol } volumes } }
} }`;

/**
 * The "done when": one catalog from Docker Hub (the web API, and its registry for
 * the image config), a GHCR-like registry with Bearer tokens and blob redirects, and a real
 * docker-registry with htpasswd — in one run, through the registry client the service builds
 * from its own environment (no client handed in), every instance showing platforms, labels,
 * license, command, args, exposed ports and volumes.
 */
describe('one catalog from Docker Hub, a token registry and a real registry', () => {
  const missing = realRegistryMissing();
  let real: RealRegistry | undefined;
  let hub: FakeDockerHub;
  let hubRegistry: FakeOciRegistry;
  let ghcr: FakeOciRegistry;
  let db: TestDatabase;
  let app: TestApp;
  let realImage = '';
  let ghcrImage = '';

  before(async () => {
    if (missing) return;
    real = await startRealRegistry();
    for (const spec of initialImages()) await real.push(spec);
    realImage = `${real.host}/${REPOSITORY}`;

    hub = await FakeDockerHub.start();
    hub.setRepository('library', 'nginx', { tags: [syntheticTag('1.27', { lastUpdated: '2026-11-02T00:00:00Z' })] });
    hubRegistry = await FakeOciRegistry.start({ auth: 'bearer', service: 'registry.docker.io' });
    hubRegistry.putIndex('library/nginx', '1.27', [
      {
        architecture: 'amd64',
        os: 'linux',
        config: { Labels: { 'org.opencontainers.image.licenses': 'BSD-2-Clause' }, Entrypoint: ['/docker-entrypoint.sh'], Cmd: ['nginx', '-g', 'daemon off;'], ExposedPorts: { '80/tcp': {} }, Volumes: { '/var/cache/nginx': {} } },
      },
    ], { attestations: true });

    ghcr = await FakeOciRegistry.start({ auth: 'bearer', blobRedirect: true });
    ghcrImage = `${ghcr.host}/acme/app`;
    ghcr.putIndex('acme/app', 'v1.1.0', [
      {
        architecture: 'amd64',
        os: 'linux',
        config: { Labels: { 'org.opencontainers.image.licenses': 'Apache-2.0' }, Entrypoint: ['/usr/bin/app'], Cmd: ['serve'], ExposedPorts: { '8080/tcp': {}, '9090/udp': {} }, Volumes: { '/data': {} } },
      },
      { architecture: 'arm64', os: 'linux', variant: 'v8', config: { Labels: { 'org.opencontainers.image.licenses': 'Apache-2.0' }, Entrypoint: ['/usr/bin/app'], Cmd: ['serve'] } },
    ]);

    db = await createTestDatabase('registry_mixed');
    app = await startTestApp(db.url, {
      DOCKER_HUB_URL: hub.url,
      DOCKER_SCRAPER_IMAGE_CONFIG: 'true',
      DOCKER_HUB_REGISTRY_URL: hubRegistry.url,
      DOCKER_SCRAPER_IMAGES: `nginx,${ghcrImage},${realImage}`,
      REGISTRY_INSECURE_HOSTS: `${ghcr.host},${ghcr.cdnHost},${real.host}`,
      REGISTRY_AUTH_FILE: real.authFile,
    });
  });
  after(async () => {
    await app?.close();
    await db?.drop();
    await Promise.all([hub?.close(), hubRegistry?.close(), ghcr?.close(), real?.stop()]);
  });

  test('every instance shows its platforms, labels, license, command, args, exposed ports and volumes', async (t) => {
    if (missing || !real) return skipPlainly(t, missing ?? 'no registry');
    const run = await scrape(app);
    assert.equal(run.status, 'SUCCEEDED', JSON.stringify(run));
    assert.deepEqual(run.results.map((r: any) => r.status), ['OK', 'OK', 'OK'], JSON.stringify(run.results));

    const at = async (ref: string) => ok(await app.gql(INSTANCE, { ref })).instance;
    const nginx = await at('docker.io/nginx:1.27');
    assert.equal(nginx.origin.license, 'BSD-2-Clause', JSON.stringify({ nginx, results: run.results, requests: hubRegistry.requests.map((r) => `${r.method} ${r.path}`) }));
    assert.deepEqual(nginx.access.container.command, ['/docker-entrypoint.sh']);
    assert.deepEqual(nginx.access.container.args, ['nginx', '-g', 'daemon off;']);
    assert.deepEqual(nginx.access.container.exposedPorts, [{ port: 80, protocol: 'tcp' }]);
    assert.deepEqual(nginx.access.container.volumes, ['/var/cache/nginx']);
    assert.ok(nginx.labels.some((l: any) => l.key === 'org.opencontainers.image.licenses'));

    const app1 = await at(`${ghcrImage}:v1.1.0`);
    assert.equal(app1.origin.ref, `${ghcrImage}:v1.1.0`);
    assert.deepEqual(app1.platforms.map((p: any) => `${p.os}/${p.architecture}`), ['linux/amd64', 'linux/arm64']);
    assert.equal(app1.origin.license, 'Apache-2.0');
    assert.deepEqual(app1.access.container.command, ['/usr/bin/app']);
    assert.deepEqual(app1.access.container.args, ['serve']);
    assert.deepEqual(app1.access.container.exposedPorts, [{ port: 8080, protocol: 'tcp' }, { port: 9090, protocol: 'udp' }]);
    assert.deepEqual(app1.access.container.volumes, ['/data']);
    // The redirected blobs went to the second host without the registry's token.
    assert.ok(ghcr.count((r) => r.host === 'cdn') > 0, 'blobs were served from the CDN host');
    assert.equal(ghcr.count((r) => r.host === 'cdn' && r.authorization !== undefined), 0);

    const tool = await at(`${realImage}:1.10.0`);
    assert.equal(tool.platforms.length, 2);
    assert.ok(tool.origin.license, 'license from the pushed labels');
    assert.ok(tool.access.container.command?.length > 0 || tool.access.container.args?.length > 0);
    assert.ok(tool.access.container.exposedPorts.length > 0);
    assert.ok(tool.access.container.volumes.length > 0);

    // Requests per host: Docker Hub's web API, its registry, the token registry and the real one.
    const r = ok(await app.gql(`query($id: ID!) { scrapeRun(id: $id) { requests { host count } } }`, { id: run.id }));
    const hosts = r.scrapeRun.requests.map((x: any) => x.host);
    for (const h of [new URL(hub.url).host, hubRegistry.host, ghcr.host, real.host]) assert.ok(hosts.includes(h), `${h} in ${JSON.stringify(r.scrapeRun.requests)}`);

    // A no-change re-scrape reads no manifest GET or config blob anywhere.
    const before = { hub: hubRegistry.count((x) => x.method === 'GET' && /manifests|blobs/.test(x.path)), ghcr: ghcr.count((x) => x.method === 'GET' && /manifests|blobs/.test(x.path)) };
    const again = await scrape(app);
    assert.equal(again.instancesAdded + again.instancesUpdated, 0, JSON.stringify(again));
    assert.equal(hubRegistry.count((x) => x.method === 'GET' && /manifests|blobs/.test(x.path)), before.hub);
    assert.equal(ghcr.count((x) => x.method === 'GET' && /manifests|blobs/.test(x.path)), before.ghcr);
  });
});
