import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, TestDatabase } from '../support/db';
import { ok, startTestApp, TestApp } from '../support/app';
import { scrape } from '../support/scrape';
import { PushedImage, RealRegistry, realRegistryMissing, skipPlainly, startRealRegistry } from '../support/real-registry';
import { clientMissing, makeClient } from './client-loader';
import { LABELS, REPOSITORY, SIG_TAG, initialImages, toolConfig, twoPlatforms } from './tool-images';

const missing = realRegistryMissing() ?? clientMissing;

/** A scrape, with the run's instancesDeleted (the shared helper does not ask for it). */
async function scrapeRun(app: TestApp): Promise<any> {
  const run = await scrape(app);
  const r = ok(await app.gql(`query R($id: ID!) { scrapeRun(id: $id) { instancesDeleted requests { host count } } }`, { id: run.id }));
  return { ...run, ...r.scrapeRun };
}

const INSTANCE = `query($ref: String!) { instance(ref: $ref) {
  id name digest upstreamStatus deletedUpstreamAt editedFields imageCreatedAt sourceUrl
  origin { ref license }
  platforms { architecture os variant digest }
  labels { key value }
  access { container { image command args exposedPorts { port protocol } volumes workingDir user imageEnv { name value } } }
} }`;

/**
 * End to end through the service against a real registry (docker-registry with htpasswd,
 * images built by umoci and pushed by skopeo): the env list names the registry image, the
 * credentials come from a Docker config.json in REGISTRY_AUTH_FILE, plain http is allowed by
 * REGISTRY_INSECURE_HOSTS; the catalog answers what the images say, follows a re-push,
 * keeps an API edit, and marks a deleted tag DELETED (and ACTIVE again when it is back).
 */
describe('the catalog of an image on a real registry', () => {
  let reg: RealRegistry | undefined;
  let db: TestDatabase | undefined;
  let app: TestApp | undefined;
  let image = '';
  const pushed = new Map<string, PushedImage>();
  const ref = (tag: string) => `${image}:${tag}`;
  const instance = async (tag: string) => ok(await app!.gql(INSTANCE, { ref: ref(tag) })).instance;
  const tags = async (status?: string) =>
    ok(
      await app!.gql(`query($name: String!, $s: UpstreamStatus) { resource(name: $name) { name registry instances(first: 50, filter: { upstreamStatus: $s }) { edges { node { name upstreamStatus } } } } }`, {
        name: image,
        s: status ?? null,
      }),
    ).resource;

  before(async () => {
    if (missing) return;
    reg = await startRealRegistry();
    image = `${reg.host}/${REPOSITORY}`;
    for (const spec of initialImages()) pushed.set(spec.tag, await reg.push(spec));
    db = await createTestDatabase('registry_real');
    const env = { DOCKER_SCRAPER_IMAGES: image, REGISTRY_INSECURE_HOSTS: reg.host, REGISTRY_AUTH_FILE: reg.authFile };
    app = await startTestApp(db.url, env, { registry: { client: makeClient(env) } });
  });
  after(async () => {
    await app?.close();
    await db?.drop();
    await reg?.stop();
  });

  test('the first scrape imports every tag but the signature artifact, with what each image config says', async (t) => {
    if (missing || !reg) return skipPlainly(t, missing ?? 'no registry');
    const run = await scrapeRun(app!);
    assert.equal(run.status, 'SUCCEEDED', JSON.stringify(run));
    assert.equal(run.results[0].status, 'OK', JSON.stringify(run.results));
    assert.equal(run.instancesAdded, 4);

    const resource = await tags();
    assert.equal(resource.name, image);
    assert.equal(resource.registry, reg.host);
    assert.deepEqual(resource.instances.edges.map((e: any) => e.node.name).sort(), ['1.10.0', '1.2.0', '1.9.1', 'latest']);
    assert.equal(await instance(SIG_TAG), null);

    const i = await instance('1.10.0');
    assert.equal(i.origin.ref, ref('1.10.0'));
    assert.equal(i.digest, pushed.get('1.10.0')!.digest);
    assert.deepEqual(
      i.platforms.map((p: any) => [p.architecture, p.os, p.variant, p.digest]),
      [['amd64', 'linux', null, pushed.get('1.10.0')!.platforms[0].manifestDigest], ['arm64', 'linux', 'v8', pushed.get('1.10.0')!.platforms[1].manifestDigest]],
    );
    const labels = Object.fromEntries(i.labels.map((l: any) => [l.key, l.value]));
    assert.equal(labels['org.opencontainers.image.licenses'], LABELS['org.opencontainers.image.licenses']);
    assert.equal(labels['org.opencontainers.image.version'], '1.10.0');
    assert.equal(labels['org.opencontainers.image.vendor'], 'Team');
    assert.equal(i.origin.license, 'Apache-2.0');
    assert.equal(i.sourceUrl, 'https://example.com/team/tool');
    assert.equal(i.imageCreatedAt, '2026-10-01T10:00:00.000Z');
    assert.equal(i.upstreamStatus, 'ACTIVE');
    const c = i.access.container;
    assert.deepEqual(c.command, ['/usr/bin/tool']);
    assert.deepEqual(c.args, ['serve', '--port', '8080']);
    assert.deepEqual(c.exposedPorts, [{ port: 53, protocol: 'udp' }, { port: 8080, protocol: 'tcp' }]);
    assert.deepEqual(c.volumes, ['/data', '/var/cache/tool']);
    assert.equal(c.workingDir, '/srv/tool');
    assert.equal(c.user, '1000:1000');
    assert.ok(c.imageEnv.some((e: any) => e.name === 'TOOL_VERSION' && e.value === '1.10.0'), JSON.stringify(c.imageEnv));

    const single = await instance('1.9.1');
    assert.deepEqual(single.platforms.map((p: any) => p.architecture), ['amd64']);
    assert.equal(single.imageCreatedAt, '2026-09-01T10:00:00.000Z');

    // Nothing changed upstream: a second scrape writes nothing.
    const again = await scrapeRun(app!);
    assert.equal(again.instancesAdded, 0);
    assert.equal(again.instancesUpdated, 0);
    assert.equal(again.instancesDeleted, 0);
  });

  test('a re-pushed tag updates; a command set through the API survives the re-push', async (t) => {
    if (missing || !reg) return skipPlainly(t, missing ?? 'no registry');
    const before = await instance('1.2.0');
    const edited = ok(
      await app!.gql(`mutation($input: UpdateInstanceInput!) { updateInstance(input: $input) { instance { editedFields access { container { command } } } } }`, {
        input: { id: before.id, command: ['/usr/local/bin/wrapper', '--'] },
      }),
    ).updateInstance.instance;
    assert.ok(edited.editedFields.includes('command'), JSON.stringify(edited.editedFields));

    const repushed = await reg.push({
      repository: REPOSITORY,
      tag: '1.2.0',
      platforms: twoPlatforms(toolConfig('1.2.1', { entrypoint: ['/usr/bin/tool2'], cmd: ['serve', '--port', '9090'], exposedPorts: ['9090/tcp'], volumes: ['/data'] })),
    });
    assert.notEqual(repushed.digest, before.digest);
    const run = await scrapeRun(app!);
    assert.equal(run.instancesUpdated, 1, JSON.stringify(run));

    const after = await instance('1.2.0');
    assert.equal(after.digest, repushed.digest);
    assert.deepEqual(after.access.container.command, ['/usr/local/bin/wrapper', '--']);
    assert.deepEqual(after.access.container.args, ['serve', '--port', '9090']);
    assert.deepEqual(after.access.container.exposedPorts, [{ port: 9090, protocol: 'tcp' }]);
    assert.deepEqual(after.access.container.volumes, ['/data']);
    assert.equal(Object.fromEntries(after.labels.map((l: any) => [l.key, l.value]))['org.opencontainers.image.version'], '1.2.1');

    // null hands the command back: the re-pushed image's entrypoint shows.
    const handedBack = ok(
      await app!.gql(`mutation($input: UpdateInstanceInput!) { updateInstance(input: $input) { instance { access { container { command } } } } }`, { input: { id: before.id, command: null } }),
    ).updateInstance.instance;
    assert.deepEqual(handedBack.access.container.command, ['/usr/bin/tool2']);
  });

  test('a tag deleted upstream becomes DELETED, and ACTIVE again when it is pushed back', async (t) => {
    if (missing || !reg) return skipPlainly(t, missing ?? 'no registry');
    await reg.deleteTag(REPOSITORY, '1.9.1');
    const run = await scrapeRun(app!);
    assert.equal(run.instancesDeleted, 1, JSON.stringify(run));
    const gone = await instance('1.9.1');
    assert.equal(gone.upstreamStatus, 'DELETED');
    assert.ok(gone.deletedUpstreamAt);
    assert.deepEqual((await tags('DELETED')).instances.edges.map((e: any) => e.node.name), ['1.9.1']);
    assert.deepEqual((await tags('ACTIVE')).instances.edges.map((e: any) => e.node.name).sort(), ['1.10.0', '1.2.0', 'latest']);

    await reg.push({ repository: REPOSITORY, tag: '1.9.1', platforms: [{ architecture: 'amd64', config: toolConfig('1.9.1') }] });
    await scrapeRun(app!);
    const back = await instance('1.9.1');
    assert.equal(back.upstreamStatus, 'ACTIVE');
    assert.equal(back.deletedUpstreamAt, null);
  });
});
