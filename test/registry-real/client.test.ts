import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { clientMissing, makeClient } from './client-loader';
import type { RegistryObserver, RegistryRepository } from '../../src/scraping/registry/registry-types';
import { PushedImage, RealRegistry, realRegistryMissing, skipPlainly, startRealRegistry } from '../support/real-registry';
import { LABELS, REPOSITORY, initialImages } from './tool-images';

const missing = realRegistryMissing() ?? clientMissing;

type Seen = Parameters<NonNullable<RegistryObserver['request']>>[0];

/** The OCI Distribution client alone against a real registry (docker-registry 2.8, Basic auth). */
describe('the registry client against a real registry', () => {
  let reg: RealRegistry | undefined;
  let repo: RegistryRepository;
  const pushed = new Map<string, PushedImage>();
  before(async () => {
    if (missing) return;
    reg = await startRealRegistry();
    repo = { host: reg.host, path: REPOSITORY };
    for (const spec of initialImages()) pushed.set(spec.tag, await reg.push(spec));
  });
  after(async () => {
    await reg?.stop();
  });
  const env = () => ({ REGISTRY_INSECURE_HOSTS: reg!.host, REGISTRY_AUTH_FILE: reg!.authFile, REGISTRY_TAG_PAGE_SIZE: '2' });

  test('answers the Basic challenge with the config.json credentials and lists every tag, artifacts left out', async (t) => {
    if (missing) return skipPlainly(t, missing);
    const seen: Seen[] = [];
    const client = makeClient(env(), { request: (e) => seen.push(e) });
    const list = await client.listTags(repo);
    // distribution 2.8 ignores `n` on tags/list: one page without `Link` is the complete list.
    assert.equal(list.complete, true);
    assert.equal(list.pagesRead, 1);
    assert.deepEqual([...list.tags].sort(), ['1.10.0', '1.2.0', '1.9.1', 'latest']);
    assert.ok(seen.every((e) => e.host === reg!.host && e.endpoint !== 'token'), JSON.stringify(seen));
    assert.ok(seen.some((e) => e.status === 200 && e.endpoint === 'tags'));
    assert.ok(seen.every((e) => e.status === 200 || e.status === 401), JSON.stringify(seen));
  });

  test('without credentials the registry refuses, and the client says so', async (t) => {
    if (missing) return skipPlainly(t, missing);
    const empty = path.join(path.dirname(reg!.authFile), 'empty-config.json');
    fs.writeFileSync(empty, JSON.stringify({ auths: {} }));
    const client = makeClient({ ...env(), REGISTRY_AUTH_FILE: empty }, {});
    await assert.rejects(client.listTags(repo), (e: Error) => /401|auth|credential|unauthori[sz]ed/i.test(e.message));
  });

  test('HEAD gives the digest; GET reads the index, both platform manifests and their configs, digests verified', async (t) => {
    if (missing) return skipPlainly(t, missing);
    const seen: Seen[] = [];
    const client = makeClient(env(), { request: (e) => seen.push(e) });
    const head = await client.headManifest(repo, '1.10.0');
    assert.deepEqual(head, { found: true, digest: pushed.get('1.10.0')!.digest, mediaType: 'application/vnd.oci.image.index.v1+json' });
    assert.deepEqual(await client.headManifest(repo, '0.0.0-nope'), { found: false });
    assert.ok(seen.some((e) => e.method === 'HEAD' && e.endpoint === 'manifest'));

    const tag = await client.getTag(repo, '1.10.0');
    const want = pushed.get('1.10.0')!;
    assert.equal(tag.digest, want.digest);
    assert.equal(tag.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.equal(tag.annotations['org.opencontainers.image.description'], 'index of 1.10.0');
    assert.deepEqual(
      tag.platforms.map((p) => [p.architecture, p.os, p.variant, p.digest]),
      [['amd64', 'linux', null, want.platforms[0].manifestDigest], ['arm64', 'linux', 'v8', want.platforms[1].manifestDigest]],
    );
    for (const p of tag.platforms) {
      assert.ok(p.size !== null && p.size > 0);
      const c = p.config!;
      assert.ok(c, tag.warning);
      assert.equal(c.labels['org.opencontainers.image.licenses'], LABELS['org.opencontainers.image.licenses']);
      assert.equal(c.labels['org.opencontainers.image.source'], LABELS['org.opencontainers.image.source']);
      assert.equal(c.labels['org.opencontainers.image.version'], '1.10.0');
      assert.deepEqual(c.exposedPorts, [{ port: 53, protocol: 'udp' }, { port: 8080, protocol: 'tcp' }]);
      assert.deepEqual(c.volumes, ['/data', '/var/cache/tool']);
      assert.deepEqual(c.entrypoint, ['/usr/bin/tool']);
      assert.deepEqual(c.cmd, ['serve', '--port', '8080']);
      assert.ok(c.env.includes('TOOL_VERSION=1.10.0'));
      assert.equal(c.workingDir, '/srv/tool');
      assert.equal(c.user, '1000:1000');
      assert.equal(new Date(c.created!).toISOString(), '2026-10-01T10:00:00.000Z');
    }
    assert.equal(tag.warning, undefined);
    assert.equal(seen.filter((e) => e.endpoint === 'blob' && e.status === 200).length, 2);

    const single = await client.getTag(repo, '1.9.1');
    assert.equal(single.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(single.digest, pushed.get('1.9.1')!.digest);
    assert.deepEqual(single.platforms.map((p) => [p.architecture, p.digest]), [['amd64', pushed.get('1.9.1')!.digest]]);
    assert.equal(single.platforms[0].config!.labels['org.opencontainers.image.version'], '1.9.1');
  });
});
