/**
 * A fake OCI registry (Distribution API v2) on 127.0.0.1 for tests: token challenge and
 * token endpoint (anonymous, or credentialed with Basic / refresh_token; tokens expire),
 * or Basic-auth mode; `tags/list` with `Link` paging; manifests (OCI index with attestation
 * manifests, Docker manifest list, single manifests) by tag and digest, HEAD and GET;
 * config blobs, optionally redirected to a second server (a "CDN") that records whether it
 * got an Authorization header; a request log; and fault injection per path.
 *
 * Serves Docker Hub's registry side as well: point DOCKER_HUB_REGISTRY_URL at it, its token
 * realm is its own `/token` with service `registry.docker.io` (as auth.docker.io).
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type AuthMode = 'none' | 'bearer' | 'basic';

export interface FakeOciOptions {
  auth?: AuthMode;
  /** Accepted user and password (token endpoint's Basic, or every request in basic mode). */
  credentials?: { username: string; password: string };
  /** Accepted refresh token (`grant_type=refresh_token`). */
  identityToken?: string;
  /** Whether anonymous token requests get a token (public repositories). Default true. */
  anonymous?: boolean;
  /** `expires_in` of issued tokens, seconds; undefined → the field is left out. */
  tokenSeconds?: number;
  /** Tag list page size cap. Default 3. */
  maxPageSize?: number;
  /** Serve blobs as 307 redirects to a second server. */
  blobRedirect?: boolean;
  service?: string;
}

export interface LoggedRequest {
  host: 'registry' | 'cdn';
  method: string;
  path: string;
  url: string;
  authorization: string | undefined;
  accept: string | undefined;
}

export type Fault =
  | { type: 'status'; status: number; headers?: Record<string, string>; body?: string }
  | { type: 'hang' }
  | { type: 'drip'; bytes: number; everyMs: number }
  | { type: 'corrupt' }
  | { type: 'huge'; bytes: number }
  | { type: 'link'; link: string };

export const MT = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
};

export function sha256(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

export interface PlatformSpec {
  architecture: string;
  os: string;
  variant?: string;
  config?: Record<string, unknown>;
  created?: string;
}

interface Repo {
  tags: Map<string, string>;
  manifests: Map<string, { body: Buffer; mediaType: string }>;
  blobs: Map<string, Buffer>;
}

export class FakeOciRegistry {
  readonly requests: LoggedRequest[] = [];
  private readonly repos = new Map<string, Repo>();
  private readonly faults: Array<{ match: RegExp; fault: Fault; times: number }> = [];
  private readonly issued = new Map<string, number>();
  private server!: http.Server;
  private cdn!: http.Server;
  url = '';
  cdnUrl = '';
  host = '';
  cdnHost = '';

  private constructor(readonly opts: FakeOciOptions) {}

  static async start(opts: FakeOciOptions = {}): Promise<FakeOciRegistry> {
    const r = new FakeOciRegistry(opts);
    r.server = http.createServer((q, s) => r.handle(q, s, 'registry'));
    r.cdn = http.createServer((q, s) => r.handle(q, s, 'cdn'));
    for (const [srv, key] of [[r.server, 'url'], [r.cdn, 'cdnUrl']] as const) {
      await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
      r[key] = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    }
    r.host = new URL(r.url).host;
    r.cdnHost = new URL(r.cdnUrl).host;
    return r;
  }

  async close(): Promise<void> {
    for (const s of [this.server, this.cdn]) {
      s.closeAllConnections();
      await new Promise<void>((res) => s.close(() => res()));
    }
  }

  private repo(path: string): Repo {
    let r = this.repos.get(path);
    if (!r) this.repos.set(path, (r = { tags: new Map(), manifests: new Map(), blobs: new Map() }));
    return r;
  }

  /** Stores a blob; returns its digest. */
  putBlob(path: string, body: Buffer | string): string {
    const b = Buffer.from(body);
    const d = sha256(b);
    this.repo(path).blobs.set(d, b);
    return d;
  }

  /** Stores a manifest (optionally tagged); returns its digest. */
  putManifest(path: string, manifest: unknown, mediaType: string, tag?: string): string {
    const body = Buffer.from(typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
    const d = sha256(body);
    const r = this.repo(path);
    r.manifests.set(d, { body, mediaType });
    if (tag) r.tags.set(tag, d);
    return d;
  }

  /** A single-platform image manifest with its config; returns the manifest digest. */
  putImage(path: string, p: PlatformSpec, opts: { tag?: string; docker?: boolean; layers?: number[] } = {}): string {
    const config = { architecture: p.architecture, os: p.os, variant: p.variant, created: p.created ?? '2024-05-01T10:00:00Z', config: p.config ?? {}, rootfs: { type: 'layers', diff_ids: [] } };
    const cfg = this.putBlob(path, JSON.stringify(config));
    const manifest = {
      schemaVersion: 2,
      mediaType: opts.docker ? MT.dockerManifest : MT.ociManifest,
      config: { mediaType: opts.docker ? 'application/vnd.docker.container.image.v1+json' : MT.ociConfig, digest: cfg, size: 1 },
      layers: (opts.layers ?? [100, 200]).map((size, i) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(`layer${i}${path}`), size })),
    };
    return this.putManifest(path, manifest, manifest.mediaType, opts.tag);
  }

  /** An index (OCI, or Docker manifest list) over several platforms, with an attestation manifest per platform when `attestations`. */
  putIndex(path: string, tag: string, platforms: PlatformSpec[], opts: { docker?: boolean; attestations?: boolean; annotations?: Record<string, string> } = {}): string {
    const manifests: unknown[] = [];
    for (const p of platforms) {
      const d = this.putImage(path, p, { docker: opts.docker });
      manifests.push({ mediaType: opts.docker ? MT.dockerManifest : MT.ociManifest, digest: d, size: 1, platform: { architecture: p.architecture, os: p.os, ...(p.variant ? { variant: p.variant } : {}) } });
      if (opts.attestations) {
        const att = this.putImage(path, { architecture: 'unknown', os: 'unknown' });
        manifests.push({ mediaType: MT.ociManifest, digest: att, size: 1, platform: { architecture: 'unknown', os: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': d } });
      }
    }
    const mediaType = opts.docker ? MT.dockerList : MT.ociIndex;
    return this.putManifest(path, { schemaVersion: 2, mediaType, manifests, ...(opts.annotations ? { annotations: opts.annotations } : {}) }, mediaType, tag);
  }

  setTags(path: string, tags: string[]): void {
    const r = this.repo(path);
    const any = [...r.manifests.keys()][0] ?? this.putImage(path, { architecture: 'amd64', os: 'linux' });
    for (const t of tags) if (!r.tags.has(t)) r.tags.set(t, any);
  }

  deleteTag(path: string, tag: string): void {
    this.repo(path).tags.delete(tag);
  }

  /** Faults apply to requests whose path matches, `times` times (default: always). */
  inject(match: RegExp, fault: Fault, times = Infinity): void {
    this.faults.push({ match, fault, times });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  count(filter: (r: LoggedRequest) => boolean): number {
    return this.requests.filter(filter).length;
  }

  /** Invalidates every issued token (as if they expired). */
  expireTokens(): void {
    this.issued.clear();
  }

  private fault(path: string): Fault | undefined {
    for (const f of this.faults) {
      if (f.times > 0 && f.match.test(path)) {
        f.times--;
        return f.fault;
      }
    }
    return undefined;
  }

  private basicOk(auth: string | undefined): boolean {
    const c = this.opts.credentials;
    if (!c || !auth?.startsWith('Basic ')) return false;
    return Buffer.from(auth.slice(6), 'base64').toString('utf8') === `${c.username}:${c.password}`;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, host: 'registry' | 'cdn'): void {
    const u = new URL(req.url ?? '/', 'http://x');
    const entry: LoggedRequest = { host, method: req.method ?? 'GET', path: u.pathname, url: req.url ?? '', authorization: req.headers.authorization, accept: req.headers.accept };
    this.requests.push(entry);
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const f = this.fault(u.pathname);
      if (f?.type === 'hang') return;
      if (f?.type === 'status') {
        res.writeHead(f.status, { 'content-type': 'application/json', ...f.headers });
        res.end(f.body ?? JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'injected' }] }));
        return;
      }
      if (f?.type === 'huge') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(Buffer.alloc(f.bytes, 0x20));
        return;
      }
      if (host === 'cdn') return this.serveCdn(u, res, f);
      this.route(req, u, body, res, f);
    });
  }

  private serveCdn(u: URL, res: http.ServerResponse, f: Fault | undefined): void {
    const m = /^\/blobs\/(.+?)\/(sha256:[0-9a-f]+)$/.exec(u.pathname);
    const blob = m ? this.repos.get(decodeURIComponent(m[1]))?.blobs.get(m[2]) : undefined;
    if (!blob) {
      res.writeHead(404).end();
      return;
    }
    this.sendBody(res, 200, { 'content-type': 'application/octet-stream' }, blob, f, 'GET');
  }

  private sendBody(res: http.ServerResponse, status: number, headers: Record<string, string>, body: Buffer, f: Fault | undefined, method: string): void {
    let out = body;
    if (f?.type === 'corrupt') out = Buffer.concat([body, Buffer.from(' ')]);
    if (f?.type === 'drip') {
      res.writeHead(status, { ...headers, 'content-length': String(out.length) });
      let i = 0;
      const t = setInterval(() => {
        if (res.destroyed || i >= out.length) {
          clearInterval(t);
          if (!res.destroyed) res.end();
          return;
        }
        res.write(out.subarray(i, i + f.bytes));
        i += f.bytes;
      }, f.everyMs);
      res.on('close', () => clearInterval(t));
      return;
    }
    res.writeHead(status, { ...headers, 'content-length': String(out.length) });
    res.end(method === 'HEAD' ? undefined : out);
  }

  private challenge(res: http.ServerResponse, scope: string): void {
    const header = this.opts.auth === 'basic' ? 'Basic realm="fake"' : `Bearer realm="${this.url}/token",service="${this.opts.service ?? 'fake-registry'}",scope="${scope}"`;
    res.writeHead(401, { 'www-authenticate': header, 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
  }

  private authorized(auth: string | undefined): boolean {
    const mode = this.opts.auth ?? 'none';
    if (mode === 'none') return true;
    if (mode === 'basic') return this.basicOk(auth);
    if (!auth?.startsWith('Bearer ')) return false;
    const exp = this.issued.get(auth.slice(7));
    return exp !== undefined && Date.now() < exp;
  }

  private route(req: http.IncomingMessage, u: URL, body: string, res: http.ServerResponse, f: Fault | undefined): void {
    const method = req.method ?? 'GET';
    if (u.pathname === '/token') return this.token(req, u, body, res);
    if (u.pathname === '/v2/' || u.pathname === '/v2') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    const m = /^\/v2\/(.+)\/(tags\/list|manifests\/[^/]+|blobs\/[^/]+)$/.exec(u.pathname);
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const path = m[1];
    if (!this.authorized(req.headers.authorization)) return this.challenge(res, `repository:${path}:pull`);
    const repo = this.repos.get(path);
    const notFound = (code: string) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(method === 'HEAD' ? undefined : JSON.stringify({ errors: [{ code, message: `${code.toLowerCase()}` }] }));
    };
    if (!repo) return notFound('NAME_UNKNOWN');
    if (m[2] === 'tags/list') {
      const all = [...repo.tags.keys()].sort();
      const n = Math.min(Number(u.searchParams.get('n') ?? 100) || 100, this.opts.maxPageSize ?? 3);
      const last = u.searchParams.get('last');
      const start = last ? all.findIndex((t) => t > last) : 0;
      const page = start < 0 ? [] : all.slice(start, start + n);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (f?.type === 'link') headers.link = f.link;
      else if (start >= 0 && start + n < all.length) headers.link = `</v2/${path}/tags/list?n=${n}&last=${encodeURIComponent(page[page.length - 1])}>; rel="next"`;
      this.sendBody(res, 200, headers, Buffer.from(JSON.stringify({ name: path, tags: page })), f, method);
      return;
    }
    if (m[2].startsWith('manifests/')) {
      const ref = decodeURIComponent(m[2].slice('manifests/'.length));
      const digest = ref.startsWith('sha256:') ? ref : repo.tags.get(ref);
      const man = digest ? repo.manifests.get(digest) : undefined;
      if (!man || !digest) return notFound('MANIFEST_UNKNOWN');
      this.sendBody(res, 200, { 'content-type': man.mediaType, 'docker-content-digest': digest }, man.body, f, method);
      return;
    }
    const digest = m[2].slice('blobs/'.length);
    const blob = repo.blobs.get(digest);
    if (!blob) return notFound('BLOB_UNKNOWN');
    if (this.opts.blobRedirect) {
      res.writeHead(307, { location: `${this.cdnUrl}/blobs/${encodeURIComponent(path)}/${digest}` }).end();
      return;
    }
    this.sendBody(res, 200, { 'content-type': 'application/octet-stream', 'docker-content-digest': digest }, blob, f, method);
  }

  private token(req: http.IncomingMessage, u: URL, body: string, res: http.ServerResponse): void {
    let ok = false;
    if (req.method === 'POST') {
      const form = new URLSearchParams(body);
      ok = form.get('grant_type') === 'refresh_token' && this.opts.identityToken !== undefined && form.get('refresh_token') === this.opts.identityToken;
    } else if (req.headers.authorization) ok = this.basicOk(req.headers.authorization);
    else ok = this.opts.anonymous ?? true;
    if (!ok) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ details: 'incorrect username or password' }));
      return;
    }
    const token = randomBytes(16).toString('hex');
    const seconds = this.opts.tokenSeconds;
    this.issued.set(token, Date.now() + (seconds ?? 60) * 1000);
    const answer: Record<string, unknown> = req.method === 'POST' ? { access_token: token } : { token };
    if (seconds !== undefined) answer.expires_in = seconds;
    void u;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  }
}
