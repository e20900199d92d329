/**
 * An in-memory stand-in for the OCI Distribution client (src/scraping/registry/registry-types.ts),
 * for engine tests that need a registry before the HTTP client and its fake registry are
 * wired: repositories by `host/path`, tags → TagDetails, faults by method, and every call
 * counted per host (through the same countRequest the real client's observer calls).
 */
import { createHash } from 'node:crypto';
import { countRequest } from '../../src/scraping/request-count';
import type { ImageConfigDetails, ManifestHead, RegistryClient, RegistryRepository, RegistryTagList, TagDetails } from '../../src/scraping/registry/registry-types';

export interface MemoryTag {
  /** Per platform `os/arch[/variant]` → config (labels, entrypoint, …). */
  platforms: { platform: string; config: Partial<ImageConfigDetails> }[];
  annotations?: Record<string, string>;
  /** Changes the digest when bumped (a re-push). */
  revision?: number;
}

export class MemoryRegistry implements RegistryClient {
  readonly repos = new Map<string, Map<string, MemoryTag>>();
  readonly calls: { host: string; method: 'listTags' | 'headManifest' | 'getTag'; path: string; tag?: string }[] = [];
  /** listTags answers `complete: false` (a failed later page) while set. */
  partial = false;
  /** Tags (host/path:tag) whose getTag throws. */
  readonly failing = new Set<string>();

  set(host: string, path: string, tags: Record<string, MemoryTag>): void {
    this.repos.set(`${host}/${path}`, new Map(Object.entries(tags)));
  }

  tag(host: string, path: string, tag: string): MemoryTag | undefined {
    return this.repos.get(`${host}/${path}`)?.get(tag);
  }

  count(method: 'listTags' | 'headManifest' | 'getTag', host?: string): number {
    return this.calls.filter((c) => c.method === method && (!host || c.host === host)).length;
  }

  private repo(r: RegistryRepository): Map<string, MemoryTag> {
    const repo = this.repos.get(`${r.host}/${r.path}`);
    if (!repo) throw Object.assign(new Error(`${r.host} has no repository ${r.path}`), { name: 'HubNotFoundError' });
    return repo;
  }

  async listTags(r: RegistryRepository): Promise<RegistryTagList> {
    countRequest(r.host);
    this.calls.push({ host: r.host, method: 'listTags', path: r.path });
    const all = [...this.repo(r).keys()].sort();
    const tags = all.filter((t) => !/^sha256-[0-9a-f]+\.(sig|att|sbom)$/.test(t));
    if (this.partial) return { tags: tags.slice(0, 1), complete: false, pagesRead: 1, warning: `stopped after page 1 of ${r.host}/${r.path}` };
    return { tags, complete: true, pagesRead: 1 };
  }

  async headManifest(r: RegistryRepository, tag: string): Promise<ManifestHead> {
    countRequest(r.host);
    this.calls.push({ host: r.host, method: 'headManifest', path: r.path, tag });
    const t = this.repos.get(`${r.host}/${r.path}`)?.get(tag);
    if (!t) return { found: false };
    return { found: true, digest: digestOf(r, tag, t), mediaType: 'application/vnd.oci.image.index.v1+json' };
  }

  async getTag(r: RegistryRepository, tag: string): Promise<TagDetails> {
    countRequest(r.host);
    this.calls.push({ host: r.host, method: 'getTag', path: r.path, tag });
    if (this.failing.has(`${r.host}/${r.path}:${tag}`)) throw new Error(`HTTP 500 from ${r.host}`);
    const t = this.repo(r).get(tag);
    if (!t) throw Object.assign(new Error(`${r.host}: no tag ${tag}`), { name: 'HubNotFoundError' });
    return {
      tag,
      digest: digestOf(r, tag, t),
      mediaType: 'application/vnd.oci.image.index.v1+json',
      annotations: t.annotations ?? {},
      platforms: t.platforms.map((p, i) => {
        const [os, architecture, variant] = p.platform.split('/');
        return {
          os,
          architecture,
          variant: variant ?? null,
          digest: sha(`${digestOf(r, tag, t)}|${i}`),
          size: 1000 * (i + 1),
          annotations: {},
          config: {
            created: null,
            labels: {},
            entrypoint: null,
            cmd: null,
            env: [],
            exposedPorts: [],
            volumes: [],
            workingDir: null,
            user: null,
            ...p.config,
          },
        };
      }),
    };
  }
}

function sha(s: string): string {
  return `sha256:${createHash('sha256').update(s).digest('hex')}`;
}

export function digestOf(r: RegistryRepository, tag: string, t: MemoryTag): string {
  return sha(`${r.host}/${r.path}:${tag}#${t.revision ?? 0}`);
}
