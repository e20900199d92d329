/**
 * Benchmark data: fills a database with a synthetic but realistic catalog, fast and
 * deterministically (the same seed gives the same rows, ids included).
 *
 * The schema comes from the service's own migrations (applied first), the rows go in with
 * COPY (pg-copy-streams). Non-constraint indexes are dropped during the load and rebuilt
 * from their own definitions afterwards, so the generator follows migrations that add or
 * change indexes; foreign keys are not checked row by row (`session_replication_role =
 * replica`, when the user may set it) because the rows are consistent by construction.
 *
 * CLI: `node dist/bench/generate.js <S|L|resources> <database url>` (the database must exist).
 */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createDataSource, runMigrations } from '../src/database/data-source';
import { createLogger } from '../src/shared/logger';

export interface CatalogScale {
  /** Resources in all, the big one included. */
  resources: number;
  /** Instances (tags) of every resource but the big one. */
  instancesPerResource: number;
  /** Instances of the one big resource (`BIG_RESOURCE`), for `resource(name:)` with many tags; 0: none. */
  bigResourceInstances: number;
  /** Size range of the Markdown `description`, in bytes. */
  descriptionBytes: [number, number];
  seed: number;
}

/** Bumped whenever the generated rows change, so that a kept benchmark database is regenerated. */
export const GENERATOR_VERSION = 2;

/** The official image that has `bigResourceInstances` tags. */
export const BIG_RESOURCE = 'postgres';

export const SCALES: Record<'S' | 'L', CatalogScale> = {
  S: { resources: 10_000, instancesPerResource: 10, bigResourceInstances: 100, descriptionBytes: [2048, 20480], seed: 7 },
  L: { resources: 100_000, instancesPerResource: 10, bigResourceInstances: 100, descriptionBytes: [2048, 20480], seed: 7 },
};

export interface GenerateResult {
  resources: number;
  instances: number;
  seconds: number;
}

// ---------------------------------------------------------------------------------------
// Deterministic randomness

/** sfc32: small, fast, good enough for synthetic data, and the same on every platform. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.u32();
  }
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  /** [0, 1) */
  next(): number {
    return this.u32() / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  hex(chars: number): string {
    let s = '';
    while (s.length < chars) s += this.u32().toString(16).padStart(8, '0');
    return s.slice(0, chars);
  }
  /** A version-4-shaped UUID from this generator's bits. */
  uuid(): string {
    const h = this.hex(32);
    const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
  /** Roughly log-uniform between 10^lo and 10^hi: counts of a popularity-skewed catalog. */
  logInt(lo: number, hi: number): number {
    return Math.floor(10 ** (lo + this.next() * (hi - lo)));
  }
}

// ---------------------------------------------------------------------------------------
// Names and text

const ONSETS = ['b', 'c', 'd', 'f', 'g', 'h', 'j', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'w', 'z', 'br', 'cr', 'dr', 'fl', 'gr', 'kr', 'pl', 'pr', 'sk', 'sl', 'st', 'tr', 'ch', 'sh', 'th'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'a', 'e', 'o', 'ai', 'ea', 'ou', 'y'];
const CODAS = ['', '', '', 'n', 'r', 'l', 's', 'x', 'k', 'm', 't', 'nd', 'rk', 'st', 'ng'];
/** Words real image names are made of. */
const TECH = [
  'db', 'proxy', 'server', 'agent', 'exporter', 'api', 'web', 'cache', 'queue', 'stream', 'operator', 'cli', 'worker',
  'gateway', 'runtime', 'builder', 'base', 'tools', 'sdk', 'ui', 'app', 'node', 'python', 'java', 'alpine', 'nginx',
  'redis', 'mysql', 'kafka', 'spark', 'grafana', 'vault', 'dns', 'mail', 'backup', 'monitor', 'scanner', 'controller',
  'plugin', 'bot', 'lambda', 'ml', 'notebook', 'jupyter', 'dev', 'ci', 'runner', 'php', 'ruby', 'golang', 'rust', 'dotnet',
  'search', 'index', 'auth', 'sso', 'ldap', 'metrics', 'logs', 'tracing', 'collector', 'sync', 'mirror', 'registry', 'storage',
];
const ORG_SUFFIX = ['', '', '', '', 'labs', 'io', 'hq', 'dev', 'inc', 'cloud', 'oss', 'team'];
const ADJECTIVES = ['Lightweight', 'Minimal', 'Official', 'Community', 'Hardened', 'Fast', 'Distroless', 'Multi-arch', 'Secure', 'Unofficial', 'Small', 'Production-ready'];
const LOREM = (
  'the image runs as a non root user and exposes its configuration through environment variables ' +
  'mount a volume at the data directory to keep state across restarts and upgrades of the container ' +
  'tags follow upstream releases with a rolling latest and a variant built on alpine for smaller pulls ' +
  'health checks report readiness once the service accepts connections on its default port ' +
  'logs go to standard output in json so that any collector can ship them without extra agents ' +
  'supported architectures are listed on each tag and are built natively rather than emulated ' +
  'security updates of the base image are picked up by a nightly rebuild that keeps digests moving ' +
  'see the upstream documentation for every option the entrypoint script accepts at startup'
).split(' ');

function syllable(rng: Rng): string {
  return rng.pick(ONSETS) + rng.pick(VOWELS) + rng.pick(CODAS);
}

function pseudoWord(rng: Rng, min = 1, max = 3): string {
  let w = '';
  const n = rng.int(min, max);
  for (let i = 0; i < n; i++) w += syllable(rng);
  return w;
}

function repositoryName(rng: Rng): string {
  const r = rng.next();
  if (r < 0.35) return pseudoWord(rng);
  if (r < 0.75) return `${pseudoWord(rng, 1, 2)}-${rng.pick(TECH)}`;
  if (r < 0.9) return `${rng.pick(TECH)}-${pseudoWord(rng, 1, 2)}`;
  return `${pseudoWord(rng, 1, 2)}-${rng.pick(TECH)}-${rng.pick(TECH)}`;
}

function sentence(rng: Rng, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(rng.chance(0.08) ? rng.pick(TECH) : rng.pick(LOREM));
  const s = out.join(' ');
  return s[0].toUpperCase() + s.slice(1) + '.';
}

/** Paragraphs shared by all descriptions (making 10 KB of prose per row would dominate the load). */
function paragraphPool(rng: Rng, n: number): string[] {
  const pool: string[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 5;
    if (kind === 0) pool.push(`## ${sentence(rng, 3).slice(0, -1)}`);
    else if (kind === 1) pool.push('```sh\ndocker run -d --name app -p 8080:8080 -v data:/data IMAGE\n```');
    else pool.push(Array.from({ length: rng.int(3, 7) }, () => sentence(rng, rng.int(8, 20))).join(' '));
  }
  return pool;
}

const PLATFORMS: readonly { architecture: string; os: string; variant: string | null }[] = [
  { architecture: 'amd64', os: 'linux', variant: null },
  { architecture: 'arm64', os: 'linux', variant: 'v8' },
  { architecture: 'arm', os: 'linux', variant: 'v7' },
  { architecture: '386', os: 'linux', variant: null },
  { architecture: 'ppc64le', os: 'linux', variant: null },
  { architecture: 's390x', os: 'linux', variant: null },
  { architecture: 'arm', os: 'linux', variant: 'v6' },
  { architecture: 'riscv64', os: 'linux', variant: null },
];

const TAG_SUFFIXES = ['', '', '', '-alpine', '-slim', '-bookworm', '-jammy'];

/** `count` distinct tag names, newest first: latest, then releases going back. */
function tagNames(rng: Rng, count: number): string[] {
  const tags = new Set<string>(['latest']);
  let major = rng.int(1, 30);
  let minor = rng.int(0, 20);
  let patch = rng.int(0, 15);
  while (tags.size < count) {
    const suffix = rng.pick(TAG_SUFFIXES);
    const form = rng.next();
    tags.add(form < 0.6 ? `${major}.${minor}.${patch}${suffix}` : form < 0.85 ? `${major}.${minor}${suffix}` : `${major}${suffix}`);
    if (patch > 0 && rng.chance(0.7)) {
      patch--;
    } else if (minor > 0) {
      minor--;
      patch = rng.int(0, 15);
    } else if (major > 0) {
      major--;
      minor = rng.int(0, 20);
    } else {
      tags.add(`build-${tags.size}`);
    }
  }
  return [...tags];
}

/** COPY text format: backslash, tab, newline and carriage return escaped; null is \N. */
function esc(v: string | null): string {
  if (v === null) return '\\N';
  return /[\\\t\n\r]/.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : v;
}

const DOCKER_HUB_OWNERS = JSON.stringify([{ name: 'https://hub.docker.com/', logo: 'https://icones8.fr/icon/Wln8Z3PcXanx/logo-docker' }]);
const NOW = Date.parse('2026-11-30T12:00:00Z');
const DAY = 86_400_000;
const iso = (t: number) => new Date(t).toISOString();

const RESOURCE_COLUMNS =
  'id, name, namespace, repository, description, short_description, logo, owners, infrastructure, open_source, is_service, ' +
  'is_draft, star_count, pull_count, upstream_last_updated, content_hash, overridden, created_at, updated_at';
const INSTANCE_COLUMNS =
  'id, resource_id, name, creator_id, partnerships, origin_type, origin_ref, origin_verified, access_image, access_env, ' +
  'digest, full_size, upstream_last_updated, tag_status, tag_last_pushed, platforms, content_hash, overridden, created_at, updated_at';

interface PlannedResource {
  id: string;
  name: string;
  namespace: string;
  repository: string;
  tags: number;
}

/** Names and ids of every resource, in generation order (the big resource first). */
export function planResources(scale: CatalogScale): PlannedResource[] {
  const rng = new Rng(scale.seed);
  const orgs = Array.from({ length: Math.max(4, Math.ceil(scale.resources / 8)) }, () => {
    const base = pseudoWord(rng, 1, 2);
    const suffix = rng.pick(ORG_SUFFIX);
    const org = suffix ? `${base}${rng.chance(0.5) ? '-' : ''}${suffix}` : base;
    return org.length < 2 ? `${org}x` : org;
  });
  const seen = new Set<string>();
  const out: PlannedResource[] = [];
  const add = (namespace: string, repository: string, tags: number) => {
    let repo = repository;
    let name = namespace === 'library' ? repo : `${namespace}/${repo}`;
    for (let n = 2; seen.has(name); n++) {
      repo = `${repository}${n}`;
      name = namespace === 'library' ? repo : `${namespace}/${repo}`;
    }
    seen.add(name);
    out.push({ id: rng.uuid(), name, namespace, repository: repo, tags });
  };
  if (scale.bigResourceInstances > 0) add('library', BIG_RESOURCE, scale.bigResourceInstances);
  while (out.length < scale.resources) {
    // About 1 % official images (`nginx`), the rest `org/name`.
    if (rng.chance(0.01)) add('library', pseudoWord(rng, 1, 3), scale.instancesPerResource);
    else add(rng.pick(orgs), repositoryName(rng), scale.instancesPerResource);
  }
  return out;
}

function* resourceRows(scale: CatalogScale, plan: PlannedResource[], rng: Rng): Generator<string> {
  const pool = paragraphPool(rng, 400).map((p) => ({ text: esc(p + '\n\n'), length: p.length + 2 }));
  const [minBytes, maxBytes] = scale.descriptionBytes;
  for (const r of plan) {
    const hasLogo = rng.chance(0.7);
    const logo = hasLogo ? `https://raw.githubusercontent.com/${r.namespace}/${r.repository}/main/docs/logo.png` : null;
    const target = rng.int(minBytes, maxBytes);
    const head = `# ${r.name}\n\n${hasLogo ? `![logo](${logo})\n\n` : ''}`;
    let description = esc(head);
    for (let length = head.length; length < target; ) {
      const p = pool[rng.int(0, pool.length - 1)];
      description += p.text;
      length += p.length;
    }
    const short = `${rng.pick(ADJECTIVES)} ${r.repository.replace(/-/g, ' ')} ${rng.pick(TECH)} image for ${pseudoWord(rng)} ${rng.pick(TECH)}`.slice(0, 100);
    const created = NOW - rng.int(1, 365) * DAY - rng.int(0, DAY);
    const updated = Math.min(NOW, created + rng.int(0, 30) * DAY);
    yield [
      r.id,
      r.name,
      r.namespace,
      r.repository,
      description,
      esc(short),
      logo ?? '\\N',
      DOCKER_HUB_OWNERS,
      'DOCKER',
      't',
      'f',
      rng.chance(0.02) ? 't' : 'f',
      String(rng.logInt(0, 5)),
      String(rng.logInt(2, 10)),
      iso(NOW - rng.int(0, 1000) * DAY - rng.int(0, DAY)),
      rng.hex(64),
      '{}',
      iso(created),
      iso(updated),
    ].join('\t') + '\n';
  }
}

function* instanceRows(plan: PlannedResource[], rng: Rng): Generator<string> {
  for (const r of plan) {
    const tags = tagNames(rng, r.tags);
    let t = NOW - rng.int(0, 60) * DAY;
    for (const tag of tags) {
      t -= rng.int(1, 20 * 24) * 3_600_000; // each older tag a few hours to weeks earlier: no two alike
      const ref = `docker.io/${r.name}:${tag}`;
      const n = rng.int(2, 4);
      const start = rng.chance(0.85) ? 0 : rng.int(0, PLATFORMS.length - n);
      const platforms = PLATFORMS.slice(start, start + n).map((p) => ({
        architecture: p.architecture,
        os: p.os,
        variant: p.variant,
        digest: `sha256:${rng.hex(64)}`,
        size: rng.int(2_000_000, 600_000_000),
      }));
      yield [
        rng.uuid(),
        r.id,
        esc(tag),
        '',
        '[]',
        'PUBLIC',
        esc(ref),
        't',
        esc(ref),
        JSON.stringify({ ARCH: platforms[0].architecture }),
        `sha256:${rng.hex(64)}`,
        String(platforms.reduce((s, p) => s + p.size, 0)),
        iso(t),
        rng.chance(0.9) ? 'active' : 'inactive',
        iso(t + rng.int(0, 3_600_000)),
        JSON.stringify(platforms),
        rng.hex(64),
        '{}',
        iso(t),
        iso(t),
      ].join('\t') + '\n';
    }
  }
}

/** Joins rows into ~1 MB chunks: fewer, larger writes to the COPY stream. */
function* chunks(rows: Iterable<string>): Generator<string> {
  let buf: string[] = [];
  let size = 0;
  for (const row of rows) {
    buf.push(row);
    size += row.length;
    if (size >= 1 << 20) {
      yield buf.join('');
      buf = [];
      size = 0;
    }
  }
  if (buf.length) yield buf.join('');
}

async function copyInto(client: pg.Client, table: string, columns: string, rows: Iterable<string>): Promise<void> {
  await pipeline(Readable.from(chunks(rows)), client.query(copyFrom(`COPY ${table} (${columns}) FROM STDIN`)));
}

/** Applies the service's migrations to `url` (an existing, possibly empty database). */
export async function migrate(url: string): Promise<void> {
  const ds = createDataSource({ url, poolSize: 2, logger: createLogger('silent'), applicationName: 'catalog-sync-bench' });
  await ds.initialize();
  try {
    await runMigrations(ds, createLogger('silent'));
  } finally {
    await ds.destroy();
  }
}

/**
 * Migrates `url`, empties the catalog tables and fills them at `scale`. Returns the counts;
 * `log` hears about each step.
 */
export async function generateCatalog(url: string, scale: CatalogScale, log: (msg: string) => void = () => {}): Promise<GenerateResult> {
  const started = performance.now();
  await migrate(url);
  // Two sessions: resources and instances are copied, and their indexes built, side by side.
  const clients = [0, 1].map(() => new pg.Client({ connectionString: url, application_name: 'catalog-sync-bench-generator' }));
  await Promise.all(clients.map((c) => c.connect()));
  const [a, b] = clients;
  try {
    let replica = true;
    for (const c of clients) {
      await c.query(`SET maintenance_work_mem = '256MB'`);
      await c.query(`SET synchronous_commit = off`);
      try {
        await c.query(`SET session_replication_role = replica`);
      } catch {
        replica = false; // not a superuser: foreign keys are checked row by row (slower, same rows)
      }
    }
    await a.query('TRUNCATE processing_instance, processing_resource');
    const indexes = await a.query<{ name: string; def: string; tbl: string }>(
      `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def, i.indrelid::regclass::text AS tbl
       FROM pg_index i
       WHERE i.indrelid IN ('processing_resource'::regclass, 'processing_instance'::regclass)
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`,
    );
    for (const ix of indexes.rows) await a.query(`DROP INDEX ${ix.name}`);

    const plan = planResources(scale);
    const instances = plan.reduce((s, r) => s + r.tags, 0);
    // Each table has its own generator, so the rows do not depend on how the two copies interleave.
    const copyResources = async () => {
      const t = performance.now();
      await copyInto(a, 'processing_resource', RESOURCE_COLUMNS, resourceRows(scale, plan, new Rng(scale.seed ^ 0x1111)));
      log(`  ${plan.length} resources copied in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    };
    const copyInstances = async () => {
      const t = performance.now();
      await copyInto(b, 'processing_instance', INSTANCE_COLUMNS, instanceRows(plan, new Rng(scale.seed ^ 0x2222)));
      log(`  ${instances} instances copied in ${((performance.now() - t) / 1000).toFixed(1)} s${replica ? '' : ' (foreign keys checked)'}`);
    };
    if (replica) await Promise.all([copyResources(), copyInstances()]);
    else await copyResources().then(copyInstances);

    const t = performance.now();
    const rebuild = async (c: pg.Client, table: string) => {
      for (const ix of indexes.rows.filter((i) => i.tbl === table)) await c.query(ix.def);
      await c.query(`VACUUM (ANALYZE) ${table}`);
    };
    await Promise.all([rebuild(a, 'processing_resource'), rebuild(b, 'processing_instance')]);
    log(`  ${indexes.rows.length} indexes rebuilt, tables vacuumed and analyzed in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    return { resources: plan.length, instances, seconds: (performance.now() - started) / 1000 };
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

async function main() {
  const [scaleArg, url] = process.argv.slice(2);
  if (!scaleArg || !url) {
    console.error('usage: node dist/bench/generate.js <S|L|number of resources> <database url>');
    process.exit(2);
  }
  const scale = scaleArg === 'S' || scaleArg === 'L' ? SCALES[scaleArg] : { ...SCALES.S, resources: Number(scaleArg) };
  if (!Number.isInteger(scale.resources) || scale.resources < 1) {
    console.error(`not a scale: ${scaleArg}`);
    process.exit(2);
  }
  const r = await generateCatalog(url, scale, console.log);
  console.log(`${r.resources} resources, ${r.instances} instances in ${r.seconds.toFixed(1)} s`);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
