/**
 * The machinery of the read benchmarks: bench-only tools installed on demand, benchmark
 * databases, the servers under test as separate processes, the load generator in its own
 * process, and CPU / RSS accounting from /proc.
 */
import { spawn, spawnSync, fork, ChildProcess, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { CatalogScale, generateCatalog, GENERATOR_VERSION } from './generate';
import { endCursorOf, pageBody, ServerKind } from './queries';

export const ROOT = path.resolve(__dirname, '..', '..');
export const BENCH_DIR = path.join(ROOT, 'bench');

// ---------------------------------------------------------------------------------------
// Settings (environment)

export const QUICK = process.env.BENCH_QUICK === '1';

function num(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${raw}: expected a non-negative number`);
  return n;
}

function list(name: string, fallback: string[]): string[] {
  const raw = process.env[name];
  return raw ? raw.split(',').map((s) => s.trim()).filter(Boolean) : fallback;
}

export const settings = {
  rounds: num('BENCH_ROUNDS', QUICK ? 1 : 2),
  warmup: num('BENCH_WARMUP', QUICK ? 1 : 2),
  duration: num('BENCH_DURATION', QUICK ? 2 : 4),
  connections: list('BENCH_CONNECTIONS', QUICK ? ['16'] : ['16', '64']).map(Number),
  servers: list('BENCH_SERVERS', ['catalog-sync', 'postgraphile', 'raw']),
  queries: list('BENCH_QUERIES', ['canonical', 'search', 'deep', 'resource', 'small']),
  poolSize: num('BENCH_POOL_SIZE', 12),
  out: process.env.BENCH_OUT || path.join(ROOT, '.bench'),
  search: process.env.BENCH_SEARCH || 'dra',
};

// ---------------------------------------------------------------------------------------
// Bench-only npm tools

/** PostGraphile and autocannon live in bench/node_modules: `npm ci --prefix bench` when missing. */
export function ensureBenchTools(): void {
  const need = ['postgraphile', 'autocannon', 'postgraphile-plugin-connection-filter'];
  if (need.every((p) => fs.existsSync(path.join(BENCH_DIR, 'node_modules', p, 'package.json')))) return;
  console.log('installing the bench-only tools: npm ci --prefix bench');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['ci', '--prefix', BENCH_DIR, '--no-audit', '--no-fund', '--loglevel=error'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm ci --prefix bench failed');
}

// ---------------------------------------------------------------------------------------
// Databases

function adminUrl(): string {
  const url = process.env.TEST_ADMIN_DATABASE_URL;
  if (!url) throw new Error('TEST_ADMIN_DATABASE_URL is not set: run through `npm run bench` (scripts/run-bench.mjs)');
  return url;
}

export function databaseUrl(name: string): string {
  const u = new URL(adminUrl());
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * A database `name` holding the catalog at `scale`. The database is tagged with the scale it
 * holds (a comment), so a rerun against the same server (DATABASE_URL) reuses it unless
 * BENCH_REGENERATE=1.
 */
export async function catalogDatabase(name: string, scale: CatalogScale): Promise<string> {
  const tag = `catalog-sync-bench v${GENERATOR_VERSION} ${JSON.stringify(scale)}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    const found = await admin.query<{ tag: string | null }>(
      `SELECT shobj_description(oid, 'pg_database') AS tag FROM pg_database WHERE datname = $1`,
      [name],
    );
    if (found.rows.length && found.rows[0].tag === tag && process.env.BENCH_REGENERATE !== '1') {
      console.log(`reusing database ${name} (${scale.resources} resources; BENCH_REGENERATE=1 rebuilds it)`);
      return databaseUrl(name);
    }
    await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = databaseUrl(name);
  console.log(`generating ${name}: ${scale.resources} resources × ${scale.instancesPerResource} instances (seed ${scale.seed})`);
  const r = await generateCatalog(url, scale, console.log);
  console.log(`  ${r.resources} resources, ${r.instances} instances in ${r.seconds.toFixed(1)} s`);
  const c = new pg.Client({ connectionString: adminUrl() });
  await c.connect();
  await c.query(`COMMENT ON DATABASE ${c.escapeIdentifier(name)} IS ${c.escapeLiteral(tag)}`);
  await c.end();
  return url;
}

export async function dropDatabase(name: string): Promise<void> {
  if (process.env.BENCH_KEEP_DATA === '1') return;
  const c = new pg.Client({ connectionString: adminUrl() });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`);
  await c.end();
}

// ---------------------------------------------------------------------------------------
// /proc accounting

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

interface ProcStat {
  ppid: number;
  /** user + system CPU of the process itself, ms */
  self: number;
  /** user + system CPU of its reaped children, ms */
  children: number;
}

function procStat(pid: number): ProcStat | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    const ms = (x: string) => (Number(x) * 1000) / CLK_TCK;
    return { ppid: Number(f[1]), self: ms(f[11]) + ms(f[12]), children: ms(f[13]) + ms(f[14]) };
  } catch {
    return null;
  }
}

/** CPU ms a process has used so far. */
export function cpuMs(pid: number): number {
  return procStat(pid)?.self ?? 0;
}

/** Resident set size and its peak, MB. */
export function rssMb(pid: number): { rss: number; peak: number } {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0);
    return { rss: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
  } catch {
    return { rss: 0, peak: 0 };
  }
}

/**
 * CPU of a PostgreSQL server on this machine: the postmaster (with its reaped children) and
 * every live child process. Null when the server is not local (its data directory is not here).
 */
export async function postgresCpu(url: string): Promise<(() => number) | null> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  let dir: string;
  try {
    dir = (await c.query<{ d: string }>(`SELECT current_setting('data_directory') AS d`)).rows[0].d;
  } catch {
    return null;
  } finally {
    await c.end();
  }
  let postmaster: number;
  try {
    postmaster = Number(fs.readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return null;
  }
  if (!procStat(postmaster)) return null;
  return () => {
    const main = procStat(postmaster);
    let total = main ? main.self + main.children : 0;
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const st = procStat(Number(entry));
      if (st && st.ppid === postmaster) total += st.self;
    }
    return total;
  };
}

// ---------------------------------------------------------------------------------------
// Servers under test

export interface Server {
  kind: string;
  pid: number;
  url: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** POSTs a JSON body and returns the parsed answer (throws on a non-200 or GraphQL errors). */
export async function post(url: string, body: string): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${url}: HTTP ${res.status}, not JSON: ${text.slice(0, 300)}`);
  }
  if (res.status !== 200 || json.errors) throw new Error(`${url}: HTTP ${res.status} ${text.slice(0, 500)}`);
  return json;
}

/**
 * Starts one server under test in its own process:
 * - `catalog-sync`: the built service as `npm start` runs it (`node dist/src/main.js`),
 * - `postgraphile`: bench/servers/postgraphile.mjs, - `raw`: bench/servers/raw.mjs.
 */
export async function startServer(kind: string, dbUrl: string, readyBody: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? os.tmpdir(),
    NODE_ENV: 'production',
    DATABASE_URL: dbUrl,
    HOST: '127.0.0.1',
    PORT: String(port),
    POOL_SIZE: String(settings.poolSize),
  };
  let script: string;
  if (kind === 'catalog-sync') {
    script = path.join(ROOT, 'dist', 'src', 'main.js');
    Object.assign(env, {
      DOCKER_SCRAPER_ENABLED: 'false',
      LOG_LEVEL: process.env.BENCH_SERVER_LOG_LEVEL || 'warn',
      CATALOG_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-sync-bench-')),
      CATALOG_ADMIN_TOKEN: 'bench-admin-token-0123456789abcdef',
      DATABASE_POOL_SIZE: String(settings.poolSize),
      // A page of 50 resources × 10 instances costs a few thousand: the default limit holds it.
    });
    for (const [k, v] of Object.entries(process.env)) if (k.startsWith('BENCH_CATALOG_')) env[k.slice('BENCH_CATALOG_'.length)] = v ?? '';
  } else if (kind === 'postgraphile') {
    script = path.join(BENCH_DIR, 'servers', 'postgraphile.mjs');
  } else if (kind === 'raw') {
    script = path.join(BENCH_DIR, 'servers', 'raw.mjs');
  } else {
    throw new Error(`unknown server ${kind} (catalog-sync, postgraphile, raw)`);
  }
  const child: ChildProcess = spawn(process.execPath, [script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output = (output + d).slice(-4000)));
  child.stderr!.on('data', (d) => (output = (output + d).slice(-4000)));
  const url = `http://127.0.0.1:${port}/graphql`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${kind} exited (${child.exitCode}):\n${output}`);
    try {
      await post(url, readyBody[kind]);
      break;
    } catch (e) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${kind} not ready after 120 s: ${(e as Error).message}\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    kind,
    pid: child.pid!,
    url,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** The cursor after the first `count` resources, by walking the server's own API in pages of ≤ 100. */
export async function cursorAfter(server: Server, count: number): Promise<string> {
  let after: string | null = null;
  for (let done = 0; done < count; ) {
    const first = Math.min(100, count - done);
    after = endCursorOf(server.kind as ServerKind, await post(server.url, pageBody(server.kind as ServerKind, first, after)));
    done += first;
  }
  return after!;
}

// ---------------------------------------------------------------------------------------
// Load generator

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  bytes: number;
}

export interface WindowHooks {
  open(): void;
  close(): void;
}

export class LoadGenerator {
  private child: ChildProcess;
  private next = 1;
  private waiting = new Map<number, { resolve(r: LoadResult): void; reject(e: Error): void; hooks?: WindowHooks }>();
  private ready: Promise<void>;

  constructor() {
    this.child = fork(path.join(BENCH_DIR, 'loadgen.mjs'), [], { cwd: BENCH_DIR, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.ready = new Promise((resolve, reject) => {
      this.child.once('exit', (code) => reject(new Error(`load generator exited (${code})`)));
      this.child.on('message', (m: any) => {
        if (m.ready) return resolve();
        const w = this.waiting.get(m.id);
        if (!w) return;
        if (m.window === 'open') return w.hooks?.open();
        if (m.window === 'close') return w.hooks?.close();
        this.waiting.delete(m.id);
        if (m.error) w.reject(new Error(m.error));
        else w.resolve(m.result);
      });
    });
  }

  /** pid of the load generator process (its CPU is not the servers'). */
  get pid(): number {
    return this.child.pid!;
  }

  /** One autocannon run: `warmup` s not counted, then `seconds` s measured; `hooks` hear the window open and close. */
  async run(url: string, body: string, connections: number, warmup: number, seconds: number, hooks?: WindowHooks): Promise<LoadResult> {
    await this.ready;
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, hooks });
      this.child.send({ id, url, body, connections, warmup, seconds });
    });
  }

  close(): void {
    if (this.child.connected) this.child.send('exit');
  }
}

/**
 * Waits until a process is idle (under 2 % of a core over 300 ms, at most 60 s): requests a
 * finished load run left in flight are served before the next measurement starts.
 */
export async function quiesce(pid: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  let last = cpuMs(pid);
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 300));
    const now = cpuMs(pid);
    if (now - last < 6) return;
    last = now;
  }
}

export type Measurement = LoadResult & { cpuMsPerReq: number; pgCpuMsPerReq: number | null; rssMb: number; peakRssMb: number };

/**
 * One measured window: one load run of warm-up + duration, counting the responses that
 * complete in the window and the server's and PostgreSQL's CPU over the same window.
 */
export async function measure(load: LoadGenerator, server: Server, body: string, connections: number, pgCpu: (() => number) | null): Promise<Measurement> {
  await quiesce(server.pid);
  let cpu0 = 0;
  let pg0 = 0;
  let cpu = 0;
  let pgUsed: number | null = null;
  let rssUnderLoad = 0;
  let sampler: NodeJS.Timeout | undefined;
  const r = await load.run(server.url, body, connections, settings.warmup, settings.duration, {
    open() {
      cpu0 = cpuMs(server.pid);
      pg0 = pgCpu?.() ?? 0;
      sampler = setInterval(() => (rssUnderLoad = Math.max(rssUnderLoad, rssMb(server.pid).rss)), 250);
    },
    close() {
      cpu = cpuMs(server.pid) - cpu0;
      pgUsed = pgCpu ? pgCpu() - pg0 : null;
      clearInterval(sampler);
    },
  });
  await quiesce(server.pid); // what the run left in flight is served before anything else is measured
  if (r.non2xx || r.errors || r.timeouts) {
    throw new Error(`${server.kind}: ${r.non2xx} non-2xx answers, ${r.errors} errors, ${r.timeouts} timeouts under load`);
  }
  const n = Math.max(1, r.requests);
  return {
    ...r,
    cpuMsPerReq: cpu / n,
    pgCpuMsPerReq: pgUsed === null ? null : pgUsed / n,
    rssMb: Math.max(rssUnderLoad, rssMb(server.pid).rss),
    peakRssMb: rssMb(server.pid).peak,
  };
}

/** Runs `fn` (stops the servers) when the benchmark is interrupted, then exits. */
export function onInterrupt(fn: () => Promise<void>): void {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      fn().finally(() => process.exit(130));
    });
  }
}

// ---------------------------------------------------------------------------------------
// Output

export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
}

export function writeJson(file: string, data: unknown): string {
  fs.mkdirSync(settings.out, { recursive: true });
  const p = path.join(settings.out, file);
  fs.writeFileSync(p, JSON.stringify(data, null, 2) + '\n');
  return p;
}
