/**
 * A real OCI registry for conformance tests: Debian's `docker-registry` (the CNCF
 * distribution registry) on 127.0.0.1 with a free port, filesystem storage in a temporary
 * directory, htpasswd (bcrypt) Basic auth and deletes enabled. Images are real OCI images
 * built with `umoci` (one image per platform, assembled into an OCI index in the layout)
 * and pushed with `skopeo copy --all`, as a user would push them.
 *
 * Needs the Debian packages `docker-registry`, `skopeo`, `umoci` and `apache2-utils`
 * (`htpasswd`); `realRegistryMissing()` names what is absent so a test can skip plainly.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const REAL_REGISTRY_BINARIES = ['docker-registry', 'skopeo', 'umoci', 'htpasswd'] as const;
const PACKAGE_OF: Record<string, string> = { 'docker-registry': 'docker-registry', skopeo: 'skopeo', umoci: 'umoci', htpasswd: 'apache2-utils' };

function onPath(bin: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => {
    try {
      fs.accessSync(path.join(d, bin), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Null when everything is installed, else why not, in words (with the apt-get line). */
export function realRegistryMissing(): string | null {
  const missing = REAL_REGISTRY_BINARIES.filter((b) => !onPath(b));
  if (missing.length === 0) return null;
  const pkgs = [...new Set(missing.map((b) => PACKAGE_OF[b]))];
  return `no ${missing.join(', ')} on PATH (install the Debian packages: apt-get install -y ${pkgs.join(' ')})`;
}

/**
 * Skips the test with a plain message and records it for the runner's final summary
 * (scripts/run-tests.mjs prints every line of TEST_SKIP_LOG after the run).
 */
export function skipPlainly(t: { skip(message?: string): void; name: string }, reason: string): void {
  const message = `SKIPPED: ${reason}`;
  t.skip(message);
  const log = process.env.TEST_SKIP_LOG;
  if (log) fs.appendFileSync(log, `${t.name}: ${message}\n`);
}

/** What `umoci config` sets on one platform's image config. */
export interface ImageConfigSpec {
  labels?: Record<string, string>;
  /** `80/tcp`, `53/udp`, `8080`. */
  exposedPorts?: string[];
  volumes?: string[];
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  user?: string;
  /** RFC 3339; umoci's default is now. */
  created?: string;
}

export interface PlatformSpec {
  architecture: string;
  os?: string;
  variant?: string;
  config: ImageConfigSpec;
}

export interface ImageSpec {
  /** `team/tool`. */
  repository: string;
  tag: string;
  /** One platform → a plain manifest; several → an OCI index. */
  platforms: PlatformSpec[];
  /** The index's annotations (several platforms only). */
  annotations?: Record<string, string>;
}

export interface PushedImage {
  /** The digest the tag points to (index or manifest), as the registry answers it. */
  digest: string;
  mediaType: string;
  /** Per platform, in the order given: manifest and config digests. */
  platforms: { architecture: string; manifestDigest: string; configDigest: string }[];
}

export interface RealRegistry {
  /** `127.0.0.1:<port>`, as it appears in image names and `REGISTRY_INSECURE_HOSTS`. */
  host: string;
  /** `http://127.0.0.1:<port>`. */
  url: string;
  username: string;
  password: string;
  /** A Docker `config.json` with this registry's credentials (for `REGISTRY_AUTH_FILE`). */
  authFile: string;
  /** Builds the image with umoci and pushes it with `skopeo copy --all`. */
  push(spec: ImageSpec): Promise<PushedImage>;
  /** Deletes the manifest the tag points to (and so every tag on that digest), by digest. */
  deleteTag(repository: string, tag: string): Promise<string>;
  /** The tag's digest via `HEAD` (null on 404). */
  digestOf(repository: string, tag: string): Promise<string | null>;
  /** A fetch with this registry's Basic credentials. */
  request(pathAndQuery: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function sha256(data: Buffer): string {
  return `sha256:${crypto.createHash('sha256').update(data).digest('hex')}`;
}

interface LayoutIndex {
  schemaVersion: 2;
  manifests: { mediaType: string; digest: string; size: number; annotations?: Record<string, string>; platform?: unknown }[];
}

/** Starts a registry; up to 3 attempts in case another process took the chosen port. */
export async function startRealRegistry(): Promise<RealRegistry> {
  const missing = realRegistryMissing();
  if (missing) throw new Error(`cannot start a real registry: ${missing}`);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce();
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

async function startOnce(): Promise<RealRegistry> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-registry-'));
  const username = 'catalog';
  const password = crypto.randomBytes(12).toString('hex');
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const url = `http://${host}`;
  const basic = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

  await run('htpasswd', ['-B', '-b', '-c', path.join(dir, 'htpasswd'), username, password]);
  const config = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${path.join(dir, 'storage')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${host}`,
    'auth:',
    '  htpasswd:',
    '    realm: catalog-test',
    `    path: ${path.join(dir, 'htpasswd')}`,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'config.yml'), config);
  const authFile = path.join(dir, 'config.json');
  fs.writeFileSync(authFile, JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } } }));

  const child: ChildProcess = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr = (stderr + String(d)).slice(-4000);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));

  const cleanup = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };

  // Ready when /v2/ answers the Basic challenge.
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (exited) {
      await cleanup();
      throw new Error(`docker-registry exited on start: ${stderr.trim()}`);
    }
    try {
      const r = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      if (r.status === 401 && /^Basic /i.test(r.headers.get('www-authenticate') ?? '')) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await cleanup();
      throw new Error(`docker-registry did not become ready on ${host}: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  const request = (p: string, init: RequestInit = {}) =>
    fetch(`${url}${p}`, { ...init, headers: { authorization: basic, ...(init.headers as Record<string, string> | undefined) } });

  const digestOf = async (repository: string, tag: string) => {
    const r = await request(`/v2/${repository}/manifests/${tag}`, { method: 'HEAD', headers: { accept: ACCEPT } });
    if (r.status === 404) return null;
    if (!r.ok) throw new Error(`HEAD ${repository}:${tag}: ${r.status}`);
    return r.headers.get('docker-content-digest');
  };

  let builds = 0;
  const push = async (spec: ImageSpec): Promise<PushedImage> => {
    if (spec.platforms.length === 0) throw new Error('an image needs at least one platform');
    const work = path.join(dir, `build-${++builds}`);
    const layout = path.join(work, 'layout');
    fs.mkdirSync(work, { recursive: true });
    try {
      await run('umoci', ['init', '--layout', layout]);
      const platforms: PushedImage['platforms'] = [];
      const refs: string[] = [];
      for (const [i, p] of spec.platforms.entries()) {
        const ref = `p${i}`;
        refs.push(ref);
        const image = `${layout}:${ref}`;
        await run('umoci', ['new', '--image', image]);
        // One small real layer, different per tag and platform.
        const file = path.join(work, `content-${i}`);
        fs.writeFileSync(file, `${spec.repository}:${spec.tag} ${p.architecture}${p.variant ? `/${p.variant}` : ''} ${builds}\n`);
        await run('umoci', ['insert', '--rootless', '--image', image, file, '/etc/catalog-test.txt']);
        const c = p.config;
        const args = ['config', '--image', image, '--architecture', p.architecture, '--os', p.os ?? 'linux'];
        for (const [k, v] of Object.entries(c.labels ?? {})) args.push('--config.label', `${k}=${v}`);
        for (const port of c.exposedPorts ?? []) args.push('--config.exposedports', port);
        for (const v of c.volumes ?? []) args.push('--config.volume', v);
        for (const e of c.entrypoint ?? []) args.push('--config.entrypoint', e);
        for (const e of c.cmd ?? []) args.push('--config.cmd', e);
        for (const e of c.env ?? []) args.push('--config.env', e);
        if (c.workingDir) args.push('--config.workingdir', c.workingDir);
        if (c.user) args.push('--config.user', c.user);
        if (c.created) args.push('--created', c.created);
        await run('umoci', args);
      }
      await run('umoci', ['gc', '--layout', layout]);

      const indexPath = path.join(layout, 'index.json');
      const index = JSON.parse(fs.readFileSync(indexPath, 'utf8')) as LayoutIndex;
      const byRef = new Map(index.manifests.map((m) => [m.annotations?.['org.opencontainers.image.ref.name'], m]));
      const blob = (digest: string) => fs.readFileSync(path.join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length)));
      const descriptors = spec.platforms.map((p, i) => {
        const m = byRef.get(refs[i])!;
        const manifest = JSON.parse(blob(m.digest).toString('utf8')) as { config: { digest: string } };
        platforms.push({ architecture: p.architecture, manifestDigest: m.digest, configDigest: manifest.config.digest });
        return { mediaType: m.mediaType, digest: m.digest, size: m.size, platform: { architecture: p.architecture, os: p.os ?? 'linux', ...(p.variant ? { variant: p.variant } : {}) } };
      });

      let source: string;
      if (spec.platforms.length === 1) {
        source = refs[0];
      } else {
        // umoci builds single-platform images; the index that ties them together is
        // written into the layout here, as `docker buildx` would push it.
        const body = Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: 'application/vnd.oci.image.index.v1+json',
            manifests: descriptors,
            ...(spec.annotations ? { annotations: spec.annotations } : {}),
          }),
        );
        const digest = sha256(body);
        fs.writeFileSync(path.join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length)), body);
        index.manifests.push({ mediaType: 'application/vnd.oci.image.index.v1+json', digest, size: body.length, annotations: { 'org.opencontainers.image.ref.name': 'index' } });
        fs.writeFileSync(indexPath, JSON.stringify(index));
        source = 'index';
      }
      try {
        await run('skopeo', [
          'copy',
          '--all',
          '--quiet',
          '--dest-tls-verify=false',
          '--dest-creds',
          `${username}:${password}`,
          `oci:${layout}:${source}`,
          `docker://${host}/${spec.repository}:${spec.tag}`,
        ]);
      } catch (e) {
        throw new Error(`skopeo copy to ${host}/${spec.repository}:${spec.tag} failed: ${(e as { stderr?: string }).stderr ?? e}`);
      }
      const r = await request(`/v2/${spec.repository}/manifests/${spec.tag}`, { method: 'HEAD', headers: { accept: ACCEPT } });
      if (!r.ok) throw new Error(`pushed ${spec.repository}:${spec.tag} but HEAD answers ${r.status}`);
      return { digest: r.headers.get('docker-content-digest')!, mediaType: r.headers.get('content-type')!, platforms };
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  };

  const deleteTag = async (repository: string, tag: string) => {
    const digest = await digestOf(repository, tag);
    if (!digest) throw new Error(`${repository}:${tag} does not exist`);
    const r = await request(`/v2/${repository}/manifests/${digest}`, { method: 'DELETE' });
    await r.arrayBuffer();
    if (r.status !== 202) throw new Error(`DELETE ${repository}@${digest}: ${r.status}`);
    return digest;
  };

  return { host, url, username, password, authFile, push, deleteTag, digestOf, request, stop: cleanup };
}
