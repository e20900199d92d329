/**
 * The OCI registry client against the fake registry over HTTP: auth flows, paging,
 * manifest kinds, attestations, redirects, digests, caps, faults, secrets in logs.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, it } from 'node:test';
import { loadConfig, RegistryConfig } from '../../src/config/config';
import { HubAuthError, HubNotFoundError, HubResponseError, HubTimeoutError } from '../../src/scraping/hub/hub-errors';
import { parseDockerConfig, RegistryCredentials } from '../../src/scraping/registry/credentials';
import { OciRegistryClient } from '../../src/scraping/registry/registry-client';
import type { RegistryObserver } from '../../src/scraping/registry/registry-types';
import { createLogger } from '../../src/shared/logger';
import { FakeOciOptions, FakeOciRegistry } from '../support/fake-oci-registry';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

function creds(json: unknown): RegistryCredentials {
  return parseDockerConfig(JSON.stringify(json), '/tmp/config.json');
}

async function setup(opts: FakeOciOptions = {}, extra: { env?: Record<string, string>; credentials?: RegistryCredentials; insecure?: 'both' | 'registry' } = {}) {
  const reg = await FakeOciRegistry.start(opts);
  open.push(reg);
  const insecure = extra.insecure === 'registry' ? reg.host : `${reg.host},${reg.cdnHost}`;
  const base = loadConfig({ HOME: '/nonexistent', REGISTRY_INSECURE_HOSTS: insecure, DOCKER_HUB_RETRY_BASE: '5ms', DOCKER_HUB_RETRY_MAX: '20ms', DOCKER_HUB_TIMEOUT: '2s', DOCKER_HUB_REQUEST_DEADLINE: '3s', ...extra.env });
  const config: RegistryConfig = { ...base.registry };
  const lines: string[] = [];
  const logger = createLogger('debug', new Writable({ write(c: Buffer, _e, cb) { lines.push(c.toString()); cb(); } }));
  const events: Parameters<NonNullable<RegistryObserver['request']>>[0][] = [];
  const client = new OciRegistryClient({ config, logger, credentials: extra.credentials ?? RegistryCredentials.none(), observer: { request: (e) => events.push(e) }, random: () => 0.5 });
  open.push(client);
  return { reg, client, lines, events, repo: (p: string) => ({ host: reg.host, path: p }) };
}

const nginxConfig = {
  ExposedPorts: { '80/tcp': {}, '443': {}, '53/udp': {} },
  Volumes: { '/var/cache/nginx': {}, '/data': {} },
  Entrypoint: ['/docker-entrypoint.sh'],
  Cmd: ['nginx', '-g', 'daemon off;'],
  Env: ['PATH=/usr/bin', 'NGINX_VERSION=1.27.0'],
  WorkingDir: '/srv',
  User: '101',
  Labels: { 'org.opencontainers.image.licenses': 'BSD-2-Clause', 'org.opencontainers.image.source': 'https://github.com/nginx/docker-nginx' },
};

describe('bearer auth', () => {
  it('anonymous: 401 challenge, token, retry; the token is cached per scope', async () => {
    const { reg, client, repo } = await setup({ auth: 'bearer' });
    reg.setTags('acme/app', ['1.0.0', '1.1.0']);
    const list = await client.listTags(repo('acme/app'));
    assert.deepEqual(list.tags.sort(), ['1.0.0', '1.1.0']);
    assert.equal(list.complete, true);
    await client.listTags(repo('acme/app'));
    assert.equal(reg.count((r) => r.path === '/token'), 1, 'one token for the scope');
    assert.equal(reg.count((r) => r.path.endsWith('/tags/list') && r.authorization === undefined), 1, 'only the first request went without a token');
  });

  it('credentialed with Basic at the token endpoint; wrong credentials are a clear auth error without the secret', async () => {
    const credentials = { username: 'bot', password: 's3cret-pass-word' };
    const { reg, client, repo, lines } = await setup({ auth: 'bearer', anonymous: false, credentials });
    reg.setTags('acme/private', ['v1']);
    const ok = new OciRegistryClient({ config: (client as unknown as { config: RegistryConfig }).config, logger: createLogger('silent'), credentials: creds({ auths: { [`http://${reg.host}`]: { auth: Buffer.from('bot:s3cret-pass-word').toString('base64') } } }) });
    open.push(ok);
    assert.deepEqual((await ok.listTags(repo('acme/private'))).tags, ['v1']);
    const tokenReq = reg.requests.find((r) => r.path === '/token' && r.authorization);
    assert.ok(tokenReq?.authorization?.startsWith('Basic '));
    const bad = new OciRegistryClient({ config: (client as unknown as { config: RegistryConfig }).config, logger: createLogger('silent'), credentials: creds({ auths: { [reg.host]: { username: 'bot', password: 'wrong-password-xyz' } } }) });
    open.push(bad);
    const err = await bad.listTags(repo('acme/private')).catch((e: unknown) => e);
    assert.ok(err instanceof HubAuthError, String(err));
    assert.match(err.message, /refused a pull token as "bot"/);
    assert.doesNotMatch(err.message, /wrong-password-xyz/);
    await assert.rejects(client.listTags(repo('acme/private')), HubAuthError);
    assert.ok(!lines.join('').includes('s3cret-pass-word'));
  });

  it('identity token: POST grant_type=refresh_token', async () => {
    const { reg, client, repo } = await setup({ auth: 'bearer', anonymous: false, identityToken: 'refresh-abc-123' });
    reg.setTags('acme/app', ['x']);
    const c = new OciRegistryClient({ config: (client as unknown as { config: RegistryConfig }).config, logger: createLogger('silent'), credentials: creds({ auths: { [reg.host]: { identitytoken: 'refresh-abc-123' } } }) });
    open.push(c);
    assert.deepEqual((await c.listTags(repo('acme/app'))).tags, ['x']);
    assert.ok(reg.requests.some((r) => r.path === '/token' && r.method === 'POST'));
  });

  it('a token refused with 401 (expired server-side) is fetched again once', async () => {
    const { reg, client, repo } = await setup({ auth: 'bearer', tokenSeconds: 300 });
    reg.setTags('acme/app', ['a']);
    await client.listTags(repo('acme/app'));
    reg.expireTokens();
    await client.listTags(repo('acme/app'));
    assert.equal(reg.count((r) => r.path === '/token'), 2);
  });

  it('expires_in is honoured: an expired token is not sent', async () => {
    const { reg, client, repo } = await setup({ auth: 'bearer', tokenSeconds: 1 });
    reg.setTags('acme/app', ['a']);
    await client.listTags(repo('acme/app'));
    await new Promise((r) => setTimeout(r, 1100));
    await client.listTags(repo('acme/app'));
    assert.equal(reg.count((r) => r.path === '/token'), 2);
    assert.equal(reg.count((r) => r.path.endsWith('/tags/list') && r.authorization !== undefined && r.method === 'GET'), 2, 'no stale token was sent');
  });
});

describe('basic auth and transport', () => {
  it('Basic registries get Basic auth from config.json', async () => {
    const { reg, client, repo } = await setup({ auth: 'basic', credentials: { username: 'u', password: 'p4ssw0rd' } });
    reg.setTags('team/tool', ['1']);
    const c = new OciRegistryClient({ config: (client as unknown as { config: RegistryConfig }).config, logger: createLogger('silent'), credentials: creds({ auths: { [reg.host]: { username: 'u', password: 'p4ssw0rd' } } }) });
    open.push(c);
    assert.deepEqual((await c.listTags(repo('team/tool'))).tags, ['1']);
    await assert.rejects(client.listTags(repo('team/tool')), HubAuthError);
  });

  it('plain http only for hosts in REGISTRY_INSECURE_HOSTS (a redirect to an unlisted http host is refused)', async () => {
    const { reg, client, repo } = await setup({ blobRedirect: true }, { insecure: 'registry' });
    reg.putIndex('acme/app', 'v1', [{ architecture: 'amd64', os: 'linux', config: nginxConfig }]);
    const tag = await client.getTag(repo('acme/app'), 'v1');
    assert.equal(tag.platforms[0].config, null);
    assert.match(tag.warning ?? '', /REGISTRY_INSECURE_HOSTS/);
    assert.equal(reg.count((r) => r.host === 'cdn'), 0);
    assert.equal(client.baseUrl('ghcr.io'), 'https://ghcr.io');
    assert.equal(client.baseUrl(reg.host), `http://${reg.host}`);
  });

  it('retries a burst of 503 and is bounded in time on a hang', async () => {
    const { reg, client, repo } = await setup();
    reg.setTags('acme/app', ['a']);
    reg.inject(/tags\/list/, { type: 'status', status: 503 }, 2);
    assert.deepEqual((await client.listTags(repo('acme/app'))).tags, ['a']);
    reg.inject(/tags\/list/, { type: 'hang' });
    const t0 = Date.now();
    await assert.rejects(client.listTags(repo('acme/app')), HubTimeoutError);
    assert.ok(Date.now() - t0 < 15_000);
  });

  it('429 with Retry-After pauses the host, then succeeds', async () => {
    const { reg, client, repo } = await setup();
    reg.setTags('acme/app', ['a']);
    reg.inject(/tags\/list/, { type: 'status', status: 429, headers: { 'retry-after': '1' } }, 1);
    const t0 = Date.now();
    await client.listTags(repo('acme/app'));
    assert.ok(Date.now() - t0 >= 900, 'waited for Retry-After');
  });

  it('ratelimit-remaining: 0;w=… longer than the allowed wait fails fast with a rate-limit error', async () => {
    const { reg, client, repo } = await setup();
    reg.setTags('acme/app', ['a']);
    reg.inject(/tags\/list/, { type: 'status', status: 429, headers: { 'ratelimit-remaining': '0;w=21600' } }, 1);
    await assert.rejects(client.listTags(repo('acme/app')), /rate limit pauses every request/);
  });
});

describe('tags/list paging', () => {
  it('follows Link pages to the end, drops artifact tags', async () => {
    const { reg, client, repo } = await setup({ maxPageSize: 2 });
    reg.setTags('acme/app', ['1', '2', '3', '4', '5', `sha256-${'a'.repeat(64)}.sig`, `sha256-${'b'.repeat(64)}.att`]);
    const list = await client.listTags(repo('acme/app'));
    assert.deepEqual(list.tags.sort(), ['1', '2', '3', '4', '5']);
    assert.equal(list.complete, true);
    assert.equal(list.pagesRead, 4);
  });

  it('a loop, an off-host next and a failed later page give a partial list', async () => {
    const { reg, client, repo } = await setup({ maxPageSize: 2 });
    reg.setTags('acme/app', ['1', '2', '3', '4']);
    reg.inject(/tags\/list/, { type: 'link', link: '</v2/acme/app/tags/list?n=2>; rel="next"' }, 2);
    let list = await client.listTags(repo('acme/app'));
    assert.equal(list.complete, false);
    assert.match(list.warning ?? '', /loop/);
    reg.clearFaults();
    reg.inject(/tags\/list/, { type: 'link', link: '<https://evil.example/v2/acme/app/tags/list?n=2>; rel="next"' }, 1);
    list = await client.listTags(repo('acme/app'));
    assert.equal(list.complete, false);
    assert.match(list.warning ?? '', /evil\.example/);
    assert.deepEqual(list.tags, ['1', '2']);
    reg.clearFaults();
    reg.inject(/tags\/list/, { type: 'status', status: 404 }, 0);
    const first = reg.requests.length;
    reg.inject(/tags\/list/, { type: 'status', status: 400 }, 0);
    void first;
  });

  it('unknown repository → not found', async () => {
    const { client, repo } = await setup();
    await assert.rejects(client.listTags(repo('nope/nothing')), HubNotFoundError);
  });
});

describe('manifests', () => {
  it('OCI index: platforms with configs, attestation manifests skipped', async () => {
    const { reg, client, repo } = await setup({ auth: 'bearer' });
    const digest = reg.putIndex('acme/app', 'v1', [
      { architecture: 'amd64', os: 'linux', config: nginxConfig },
      { architecture: 'arm64', os: 'linux', variant: 'v8', config: { Cmd: 'sh' } },
    ], { attestations: true, annotations: { 'org.opencontainers.image.version': '1' } });
    const head = await client.headManifest(repo('acme/app'), 'v1');
    assert.deepEqual(head, { found: true, digest, mediaType: 'application/vnd.oci.image.index.v1+json' });
    const tag = await client.getTag(repo('acme/app'), 'v1');
    assert.equal(tag.digest, digest);
    assert.equal(tag.warning, undefined);
    assert.deepEqual(tag.annotations, { 'org.opencontainers.image.version': '1' });
    assert.deepEqual(tag.platforms.map((p) => `${p.os}/${p.architecture}/${p.variant}`), ['linux/amd64/null', 'linux/arm64/v8']);
    const c = tag.platforms[0].config!;
    assert.deepEqual(c.exposedPorts, [{ port: 53, protocol: 'udp' }, { port: 80, protocol: 'tcp' }, { port: 443, protocol: 'tcp' }]);
    assert.deepEqual(c.volumes, ['/data', '/var/cache/nginx']);
    assert.deepEqual(c.entrypoint, ['/docker-entrypoint.sh']);
    assert.deepEqual(c.cmd, ['nginx', '-g', 'daemon off;']);
    assert.equal(c.workingDir, '/srv');
    assert.equal(c.user, '101');
    assert.equal(c.labels['org.opencontainers.image.licenses'], 'BSD-2-Clause');
    assert.equal(c.created, '2024-05-01T10:00:00.000Z');
    assert.equal(tag.platforms[0].size, 300);
    assert.deepEqual(tag.platforms[1].config!.cmd, ['sh']);
    assert.equal(reg.count((r) => r.method === 'GET' && r.path.includes('/manifests/sha256:')), 2, 'attestation manifests never fetched');
    assert.equal((await client.headManifest(repo('acme/app'), 'gone')).found, false);
  });

  it('Docker manifest list and a single Docker manifest', async () => {
    const { reg, client, repo } = await setup();
    reg.putIndex('acme/app', 'list', [{ architecture: 'amd64', os: 'linux' }, { architecture: 'arm', os: 'linux', variant: 'v7' }], { docker: true });
    reg.putImage('acme/app', { architecture: 'amd64', os: 'linux', config: nginxConfig, created: '0001-01-01T00:00:00Z' }, { tag: 'single', docker: true });
    const list = await client.getTag(repo('acme/app'), 'list');
    assert.equal(list.mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json');
    assert.equal(list.platforms.length, 2);
    const single = await client.getTag(repo('acme/app'), 'single');
    assert.equal(single.platforms.length, 1);
    assert.equal(single.platforms[0].architecture, 'amd64');
    assert.equal(single.platforms[0].config!.created, null, 'the zero time is no date');
  });

  it('schema 1 is refused clearly', async () => {
    const { reg, client, repo } = await setup();
    reg.putManifest('acme/old', { schemaVersion: 1, name: 'acme/old', tag: 'v1', fsLayers: [] }, 'application/vnd.docker.distribution.manifest.v1+prettyjws', 'v1');
    await assert.rejects(client.getTag(repo('acme/old'), 'v1'), /schema 1/);
  });

  it('blob redirect to a second host: followed without Authorization', async () => {
    const { reg, client, repo } = await setup({ auth: 'bearer', blobRedirect: true });
    reg.putIndex('acme/app', 'v1', [{ architecture: 'amd64', os: 'linux', config: nginxConfig }]);
    const tag = await client.getTag(repo('acme/app'), 'v1');
    assert.ok(tag.platforms[0].config);
    const cdn = reg.requests.filter((r) => r.host === 'cdn');
    assert.equal(cdn.length, 1);
    assert.equal(cdn[0].authorization, undefined);
    assert.ok(reg.requests.some((r) => r.host === 'registry' && r.path.includes('/blobs/') && r.authorization?.startsWith('Bearer ')));
  });

  it('a corrupted config blob: that platform config null + warning; a corrupted index by digest is refused', async () => {
    const { reg, client, repo } = await setup();
    reg.putIndex('acme/app', 'v1', [{ architecture: 'amd64', os: 'linux', config: nginxConfig }, { architecture: 'arm64', os: 'linux' }]);
    reg.inject(/\/blobs\//, { type: 'corrupt' }, 1);
    const tag = await client.getTag(repo('acme/app'), 'v1');
    assert.equal(tag.platforms.filter((p) => p.config === null).length, 1);
    assert.match(tag.warning ?? '', /does not match its digest/);
    reg.inject(/\/manifests\/v1$/, { type: 'corrupt' }, 1);
    await assert.rejects(client.getTag(repo('acme/app'), 'v1'), (e: unknown) => e instanceof HubResponseError && /Docker-Content-Digest/.test(e.message));
  });

  it('an oversized config is capped; a slow drip is bounded by the request deadline', async () => {
    const { reg, client, repo } = await setup({}, { env: { REGISTRY_MAX_CONFIG_BYTES: '2048', DOCKER_HUB_REQUEST_DEADLINE: '500ms', DOCKER_HUB_MAX_ATTEMPTS: '1' } });
    reg.putImage('acme/app', { architecture: 'amd64', os: 'linux', config: { Labels: { big: 'x'.repeat(5000) } } }, { tag: 'big' });
    const big = await client.getTag(repo('acme/app'), 'big');
    assert.equal(big.platforms[0].config, null);
    assert.match(big.warning ?? '', /2048-byte cap \(REGISTRY_MAX_CONFIG_BYTES\)/);
    reg.setTags('acme/app', ['a']);
    reg.inject(/tags\/list/, { type: 'drip', bytes: 1, everyMs: 100 });
    const t0 = Date.now();
    await assert.rejects(client.listTags(repo('acme/app')), /request deadline/);
    assert.ok(Date.now() - t0 < 3000);
  });

  it('counts requests per host and endpoint', async () => {
    const { reg, client, repo, events } = await setup({ auth: 'bearer' });
    reg.setTags('acme/app', ['a']);
    await client.listTags(repo('acme/app'));
    assert.deepEqual(events.map((e) => `${e.endpoint}:${e.status}`), ['tags:401', 'token:200', 'tags:200']);
    assert.ok(events.every((e) => e.host === reg.host));
  });
});

describe('Docker Hub registry side', () => {
  it('DOCKER_HUB_REGISTRY_URL points registry-1.docker.io at the fake', async () => {
    const reg = await FakeOciRegistry.start({ auth: 'bearer', service: 'registry.docker.io' });
    open.push(reg);
    reg.putIndex('library/nginx', 'latest', [{ architecture: 'amd64', os: 'linux', config: nginxConfig }]);
    const config = loadConfig({ HOME: '/nonexistent', DOCKER_HUB_REGISTRY_URL: reg.url }).registry;
    const client = new OciRegistryClient({ config, logger: createLogger('silent'), credentials: RegistryCredentials.none() });
    open.push(client);
    const tag = await client.getTag({ host: 'registry-1.docker.io', path: 'library/nginx' }, 'latest');
    assert.equal(tag.platforms[0].config!.labels['org.opencontainers.image.licenses'], 'BSD-2-Clause');
    assert.ok(reg.requests.some((r) => r.url.startsWith('/token?service=registry.docker.io&scope=repository%3Alibrary%2Fnginx%3Apull')));
  });
});

describe('config.json credentials', () => {
  it('auth, username/password, identitytoken; Docker Hub keys; secrets hidden', () => {
    const c = creds({
      auths: {
        'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:hubpass').toString('base64') },
        'https://ghcr.io': { username: 'gh', password: 'ghp_secret' },
        'quay.io': { identitytoken: 'idtok' },
        'empty.example': {},
      },
      credsStore: 'desktop',
    });
    assert.deepEqual(c.lookup('registry-1.docker.io'), { kind: 'basic', username: 'hubuser', password: 'hubpass' });
    assert.deepEqual(c.lookup('ghcr.io'), { kind: 'basic', username: 'gh', password: 'ghp_secret' });
    assert.equal(c.lookup('quay.io')?.kind, 'identityToken');
    assert.equal(c.lookup('empty.example'), undefined);
    assert.match(c.warnings[0], /credsStore.*not supported/);
    assert.doesNotMatch(JSON.stringify(c), /hubpass|ghp_secret|idtok/);
  });

  it('a malformed file is a startup config error naming the file, without secrets', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regauth-'));
    const file = path.join(dir, 'auth.json');
    fs.writeFileSync(file, '{"auths": {"ghcr.io": {"password": "topsecret-1"}}');
    assert.throws(() => loadConfig({ REGISTRY_AUTH_FILE: file }), (e: Error) => e.message.includes(file) && /REGISTRY_AUTH_FILE/.test(e.message) && !e.message.includes('topsecret-1'));
    fs.writeFileSync(file, '{"auths": {"ghcr.io": {"password": "topsecret-1"}}}');
    assert.throws(() => loadConfig({ REGISTRY_AUTH_FILE: file }), /password without a username/);
    assert.throws(() => loadConfig({ REGISTRY_AUTH_FILE: path.join(dir, 'missing.json') }), /does not exist/);
    fs.mkdirSync(path.join(dir, 'dc'));
    fs.writeFileSync(path.join(dir, 'dc', 'config.json'), JSON.stringify({ auths: { 'ghcr.io': { auth: Buffer.from('a:b').toString('base64') } } }));
    assert.deepEqual(loadConfig({ DOCKER_CONFIG: path.join(dir, 'dc') }).registry.credentials.hosts(), ['ghcr.io']);
    assert.deepEqual(loadConfig({ HOME: dir }).registry.credentials.hosts(), []);
  });

  it('REGISTRY_INSECURE_HOSTS and DOCKER_HUB_REGISTRY_URL are validated', () => {
    assert.deepEqual(loadConfig({ REGISTRY_INSECURE_HOSTS: '127.0.0.1:5000, Registry.Local' }).registry.insecureHosts, ['127.0.0.1:5000', 'registry.local']);
    assert.throws(() => loadConfig({ REGISTRY_INSECURE_HOSTS: 'http://x.io' }), /REGISTRY_INSECURE_HOSTS.*not one/);
    assert.throws(() => loadConfig({ DOCKER_HUB_REGISTRY_URL: 'ftp://x' }), /DOCKER_HUB_REGISTRY_URL/);
    assert.equal(loadConfig({}).registry.dockerHubRegistryUrl, 'https://registry-1.docker.io');
  });
});
