import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { PushedImage, RealRegistry, realRegistryMissing, skipPlainly, startRealRegistry } from '../support/real-registry';
import { REPOSITORY, SIG_TAG, initialImages, toolConfig, twoPlatforms } from './tool-images';

const missing = realRegistryMissing();
const sha = (b: Buffer) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;

/**
 * The real registry harness itself (docker-registry + umoci + skopeo), checked with plain
 * HTTP: what the client and end-to-end tests rely on is really what the registry serves.
 */
describe('the real registry harness (docker-registry, umoci, skopeo)', () => {
  let reg: RealRegistry | undefined;
  const pushed = new Map<string, PushedImage>();
  before(async () => {
    if (missing) return;
    reg = await startRealRegistry();
    for (const spec of initialImages()) pushed.set(spec.tag, await reg.push(spec));
  });
  after(async () => {
    await reg?.stop();
  });

  test('answers the Basic challenge, lists every tag in one page, serves the index and configs', async (t) => {
    if (missing || !reg) return skipPlainly(t, missing ?? 'no registry');
    const anon = await fetch(`${reg.url}/v2/${REPOSITORY}/tags/list`);
    assert.equal(anon.status, 401);
    assert.match(anon.headers.get('www-authenticate') ?? '', /^Basic realm="catalog-test"/);

    const seen: string[] = [];
    let next: string | null = `/v2/${REPOSITORY}/tags/list?n=2`;
    let pages = 0;
    while (next) {
      const r = await reg.request(next);
      assert.equal(r.status, 200);
      seen.push(...((await r.json()) as { tags: string[] }).tags);
      pages++;
      const link = r.headers.get('link');
      next = link ? /<([^>]+)>;\s*rel="next"/.exec(link)![1] : null;
    }
    // distribution 2.8 (Debian's docker-registry) ignores `n` on tags/list (it pages only
    // `_catalog`) and sends the tags in storage order, not sorted: a client may rely on
    // neither, and must read a one-page answer without `Link` as complete.
    assert.equal(pages, 1);
    assert.deepEqual([...seen].sort(), ['1.10.0', '1.2.0', '1.9.1', 'latest', SIG_TAG]);

    const idx = await reg.request(`/v2/${REPOSITORY}/manifests/1.10.0`, { headers: { accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json' } });
    const body = Buffer.from(await idx.arrayBuffer());
    assert.equal(idx.headers.get('content-type'), 'application/vnd.oci.image.index.v1+json');
    assert.equal(idx.headers.get('docker-content-digest'), sha(body));
    assert.equal(sha(body), pushed.get('1.10.0')!.digest);
    const index = JSON.parse(body.toString()) as { manifests: { digest: string; platform: Record<string, string> }[]; annotations: Record<string, string> };
    assert.deepEqual(index.manifests.map((m) => m.platform), [{ architecture: 'amd64', os: 'linux' }, { architecture: 'arm64', os: 'linux', variant: 'v8' }]);
    assert.equal(index.annotations['org.opencontainers.image.description'], 'index of 1.10.0');

    const arm = await reg.request(`/v2/${REPOSITORY}/manifests/${index.manifests[1].digest}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    const manifest = (await arm.json()) as { config: { digest: string }; layers: unknown[] };
    assert.equal(manifest.layers.length, 1);
    const blob = Buffer.from(await (await reg.request(`/v2/${REPOSITORY}/blobs/${manifest.config.digest}`)).arrayBuffer());
    assert.equal(sha(blob), manifest.config.digest);
    const config = JSON.parse(blob.toString()) as { architecture: string; created: string; config: Record<string, any> };
    assert.equal(config.architecture, 'arm64');
    assert.equal(config.created, '2026-10-01T10:00:00Z');
    assert.equal(config.config.Labels['org.opencontainers.image.licenses'], 'Apache-2.0');
    assert.deepEqual(Object.keys(config.config.ExposedPorts).sort(), ['53/udp', '8080/tcp']);
    assert.deepEqual(Object.keys(config.config.Volumes).sort(), ['/data', '/var/cache/tool']);
    assert.deepEqual(config.config.Entrypoint, ['/usr/bin/tool']);
    assert.deepEqual(config.config.Cmd, ['serve', '--port', '8080']);
    assert.equal(config.config.WorkingDir, '/srv/tool');
    assert.equal(config.config.User, '1000:1000');
    assert.ok(config.config.Env.includes('TOOL_VERSION=1.10.0'));

    // A single-platform push is a plain OCI manifest.
    const single = await reg.request(`/v2/${REPOSITORY}/manifests/1.9.1`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(single.headers.get('content-type'), 'application/vnd.oci.image.manifest.v1+json');
  });

  test('a re-push changes the digest and the config; a deleted tag answers 404', async (t) => {
    if (missing || !reg) return skipPlainly(t, missing ?? 'no registry');
    const before = await reg.digestOf(REPOSITORY, '1.2.0');
    const again = await reg.push({ repository: REPOSITORY, tag: '1.2.0', platforms: twoPlatforms(toolConfig('1.2.0', { cmd: ['serve', '--port', '9090'], exposedPorts: ['9090/tcp'] })) });
    assert.notEqual(again.digest, before);
    assert.equal(await reg.digestOf(REPOSITORY, '1.2.0'), again.digest);
    const cfg = (await (await reg.request(`/v2/${REPOSITORY}/blobs/${again.platforms[0].configDigest}`)).json()) as { config: Record<string, any> };
    assert.deepEqual(cfg.config.Cmd, ['serve', '--port', '9090']);
    assert.deepEqual(Object.keys(cfg.config.ExposedPorts), ['9090/tcp']);

    const deleted = await reg.deleteTag(REPOSITORY, '1.9.1');
    assert.equal(deleted, pushed.get('1.9.1')!.digest);
    assert.equal(await reg.digestOf(REPOSITORY, '1.9.1'), null);
    const list = (await (await reg.request(`/v2/${REPOSITORY}/tags/list`)).json()) as { tags: string[] };
    assert.deepEqual(list.tags.sort(), ['1.10.0', '1.2.0', 'latest', SIG_TAG]);
  });
});
