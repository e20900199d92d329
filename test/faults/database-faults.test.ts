import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Child, startChild } from '../support/child';
import { FakeDockerHub } from '../support/fake-docker-hub';
import { syntheticTags } from '../support/hub-data';
import { alive, postgresProcesses, postmasterPid, stopServer, waitFor } from '../support/processes';
import { EmbeddedDatabase, startEmbeddedPostgres } from '../../src/database/embedded';
import { createLogger } from '../../src/shared/logger';

/**
 * Database faults (issue 9.2, 9.3 and the database part of its suite), against the real
 * service in a child process: its embedded PostgreSQL killed, stalled (SIGSTOP) and shut down
 * "smart" (SIGTERM), each during a query load and during a scrape run; an external database
 * restarted; a server that cannot come back. Expected: database outages answer
 * SERVICE_UNAVAILABLE (HTTP 503 + Retry-After) within the deadlines, never
 * INTERNAL_SERVER_ERROR; /healthz stays up while the supervisor recovers; the service
 * recovers without a restart and no committed row is lost.
 *
 * The stall lasts FAULT_STALL_SECONDS (default 9, longer than any allowed answer; the full trial is 15:
 * `FAULT_STALL_SECONDS=15 node scripts/run-tests.mjs database-faults`).
 */

const STALL_S = Number(process.env.FAULT_STALL_SECONDS || 9);
const TOKEN = 'child-admin-token-0123456789';
const IMAGES = ['nginx', 'redis', 'acme/one', 'acme/two', 'acme/three', 'acme/four'];
/** DATABASE_STATEMENT_TIMEOUT and DATABASE_ACQUIRE_TIMEOUT of the service under test. */
const DEADLINE_ENV = { DATABASE_STATEMENT_TIMEOUT: '2s', DATABASE_ACQUIRE_TIMEOUT: '3s' };
/**
 * Longest answer allowed during a fault: the client-side query timeout (2 s + 2 s), or the
 * acquire timeout, plus slack for a loaded CI machine. Shorter than the stall, so that a
 * request hanging for the whole stall fails the test.
 */
const MAX_ANSWER_MS = 7_000;

let hub: FakeDockerHub;
const children: Child[] = [];
const servers = new Set<number>();
const dirs: string[] = [];
const externals: EmbeddedDatabase[] = [];
let tagSerial = 100;

function tempDir(label: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `catalog-sync-${label}-`));
  fs.chmodSync(d, 0o755);
  dirs.push(d);
  return d;
}

function repoOf(image: string): [string, string] {
  return image.includes('/') ? (image.split('/') as [string, string]) : ['library', image];
}

before(async () => {
  hub = await FakeDockerHub.start();
  for (const image of IMAGES) hub.setRepository(...repoOf(image), { tags: syntheticTags(3) });
});

after(async () => {
  for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.kill('SIGKILL');
  for (const pid of servers) await stopServer(pid);
  for (const e of externals) await e.stop().catch(() => undefined);
  await hub.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

interface Service {
  child: Child;
  url: string;
  dataDir: string;
}

async function startService(env: Record<string, string>, dataDir: string): Promise<Service> {
  const child = startChild({
    CATALOG_DATA_DIR: dataDir,
    DOCKER_HUB_URL: hub.url,
    DOCKER_SCRAPER_ENABLED: 'false',
    DOCKER_SCRAPER_IMAGES: IMAGES.join(','),
    DOCKER_HUB_MAX_ATTEMPTS: '2',
    ...DEADLINE_ENV,
    ...env,
  });
  children.push(child);
  const line = await Promise.race([
    child.waitForLog((l) => l.step === 'ready' && l.url, 90_000),
    child.exited.then((e) => Promise.reject(new Error(`exited ${JSON.stringify(e)} before ready: ${child.stderr}`))),
  ]);
  const pid = postmasterPid(dataDir);
  if (pid) servers.add(pid);
  return { child, url: line.url, dataDir };
}

interface Answer {
  at: number;
  ms: number;
  status: number;
  code?: string;
  retryAfter?: string | null;
}

async function gql(url: string, query: string, variables?: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

const READ = `{ resources(first: 20) { totalCount edges { node { id name instances(first: 20) { totalCount } } } } }`;

/** Four clients reading the catalog in a loop, and a prober of /healthz and /readyz. */
function startLoad(url: string) {
  const answers: Answer[] = [];
  const health: { at: number; ms: number; status: number }[] = [];
  const ready: { at: number; status: number }[] = [];
  let running = true;
  const reader = async () => {
    while (running) {
      const t0 = Date.now();
      try {
        const r = await gql(url, READ);
        answers.push({ at: t0, ms: Date.now() - t0, status: r.status, code: r.body.errors?.[0]?.extensions?.code, retryAfter: r.headers.get('retry-after') });
      } catch (e) {
        answers.push({ at: t0, ms: Date.now() - t0, status: 0, code: String(e) });
      }
      await new Promise((r) => setTimeout(r, 30));
    }
  };
  const prober = async () => {
    while (running) {
      const t0 = Date.now();
      try {
        const h = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) });
        health.push({ at: t0, ms: Date.now() - t0, status: h.status });
        const r = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(10_000) });
        ready.push({ at: t0, status: r.status });
      } catch {
        health.push({ at: t0, ms: Date.now() - t0, status: 0 });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const loops = [reader(), reader(), reader(), reader(), prober()];
  return {
    answers,
    health,
    ready,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

type Load = ReturnType<typeof startLoad>;

/** What every fault must show: only OK or SERVICE_UNAVAILABLE, within the deadline, then recovery. */
function assertOutage(load: Load, faultAt: number, label: string): { failed: number; recoveredMs: number; maxMs: number } {
  const bad = load.answers.filter((a) => !(a.status === 200 && a.code === undefined) && !(a.status === 503 && a.code === 'SERVICE_UNAVAILABLE' && a.retryAfter === '5'));
  assert.deepEqual(bad.slice(0, 5), [], `${label}: every answer is OK or 503 SERVICE_UNAVAILABLE with Retry-After`);
  const failed = load.answers.filter((a) => a.status === 503);
  assert.ok(failed.length > 0, `${label}: the outage was seen by clients`);
  const maxMs = Math.max(...load.answers.map((a) => a.ms));
  assert.ok(maxMs < MAX_ANSWER_MS, `${label}: every answer within the deadline (slowest ${maxMs} ms)`);
  const lastFailure = Math.max(...failed.map((a) => a.at + a.ms));
  const tail = load.answers.filter((a) => a.at > lastFailure);
  assert.ok(tail.length >= 10 && tail.every((a) => a.status === 200), `${label}: recovered (${tail.length} OK answers after the last failure)`);
  assert.ok(load.health.every((h) => h.status === 200), `${label}: /healthz stayed 200 (the process is alive and recovering)`);
  const maxHealthMs = Math.max(...load.health.map((h) => h.ms));
  assert.ok(maxHealthMs < 1_000, `${label}: /healthz answered in ${maxHealthMs} ms at worst`);
  return { failed: failed.length, recoveredMs: lastFailure - faultAt, maxMs };
}

/** After recovery, readiness is steady: it does not flap back to 503. */
async function assertSteadyReady(url: string): Promise<void> {
  await waitFor('readiness', async () => ((await fetch(`${url}/readyz`)).status === 200 ? true : undefined), 30_000, 100);
  for (let i = 0; i < 20; i++) {
    const r = await fetch(`${url}/readyz`);
    assert.equal(r.status, 200, `ready stays ready (probe ${i})`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function instanceIds(url: string): Promise<Set<string>> {
  const ids = new Set<string>();
  const r = await gql(url, `{ resources(first: 20) { totalCount edges { node { instances(first: 50) { totalCount edges { node { id } } } } } } }`);
  assert.equal(r.body.errors, undefined, JSON.stringify(r.body.errors));
  let total = 0;
  for (const res of r.body.data.resources.edges) {
    total += res.node.instances.totalCount;
    for (const e of res.node.instances.edges) ids.add(e.node.id);
  }
  assert.equal(ids.size, total);
  return ids;
}

async function scrape(url: string, wait: boolean): Promise<any> {
  const r = await gql(url, `mutation($w: Boolean) { triggerScrape(input: { wait: $w }) { run { id status imagesDone imagesTotal } } }`, { w: wait });
  assert.equal(r.body.errors, undefined, JSON.stringify(r.body.errors));
  return r.body.data.triggerScrape.run;
}

/** Polls the run through the outage (503s are expected meanwhile) until it ends. */
async function runEnds(url: string, id: string): Promise<string> {
  return waitFor(
    'the run to end',
    async () => {
      const r = await gql(url, `query($id: ID!) { scrapeRun(id: $id) { status } }`, { id }).catch(() => undefined);
      const status = r?.body.data?.scrapeRun?.status as string | undefined;
      return status && status !== 'QUEUED' && status !== 'RUNNING' ? status : undefined;
    },
    120_000,
    250,
  );
}

const stall = async (dataDir: string) => {
  const pids = postgresProcesses(postmasterPid(dataDir)!);
  for (const p of pids) process.kill(p, 'SIGSTOP');
  await new Promise((r) => setTimeout(r, STALL_S * 1_000));
  for (const p of pids) if (alive(p)) process.kill(p, 'SIGCONT');
};
const FAULTS: Record<string, (dataDir: string) => Promise<void>> = {
  'kill -9': async (d) => void process.kill(postmasterPid(d)!, 'SIGKILL'),
  [`SIGSTOP ${STALL_S} s`]: stall,
  'SIGTERM (smart shutdown)': async (d) => void process.kill(postmasterPid(d)!, 'SIGTERM'),
  'SIGINT (fast shutdown)': async (d) => void process.kill(postmasterPid(d)!, 'SIGINT'),
};

describe('embedded PostgreSQL faults', () => {
  let svc: Service;
  let expectedInstances = 0;
  before(async () => {
    svc = await startService({}, tempDir('faults'));
    const run = await scrape(svc.url, true);
    assert.equal(run.status, 'SUCCEEDED');
    expectedInstances = IMAGES.length * 3;
    assert.equal((await instanceIds(svc.url)).size, expectedInstances);
  });

  for (const [name, fault] of Object.entries(FAULTS)) {
    test(`${name} during a query load: 503 SERVICE_UNAVAILABLE within the deadline, recovery without a restart, no row lost`, async () => {
      const before = await instanceIds(svc.url);
      const pg0 = postmasterPid(svc.dataDir);
      const load = startLoad(svc.url);
      await new Promise((r) => setTimeout(r, 500));
      const faultAt = Date.now();
      await fault(svc.dataDir);
      if (name.startsWith('SIGSTOP')) assert.equal(postmasterPid(svc.dataDir), pg0, 'the stalled server was not replaced');
      await waitFor('a failed answer and then recovery', () => {
        const failedAt = load.answers.findLast((a) => a.status !== 200);
        return failedAt && load.answers.filter((a) => a.at > failedAt.at + failedAt.ms).length >= 10 ? true : undefined;
      }, 60_000, 100);
      await load.stop();
      const figures = assertOutage(load, faultAt, name);
      console.log(`# ${name} under load: ${load.answers.length} answers, ${figures.failed} × 503, slowest ${figures.maxMs} ms, recovered ${figures.recoveredMs} ms after the fault`);
      await assertSteadyReady(svc.url);
      assert.equal(svc.child.proc.exitCode, null, 'the service was not restarted');
      assert.deepEqual(await instanceIds(svc.url), before, 'no row lost');
      if (!name.startsWith('SIGSTOP')) {
        const pg1 = postmasterPid(svc.dataDir)!;
        assert.ok(pg1 && pg1 !== pg0, 'the supervisor started a new server');
        servers.add(pg1);
        assert.ok(svc.child.logs.some((l) => l.msg === 'embedded PostgreSQL restarted'));
      }
    });

    test(`${name} during a scrape run: the run ends, the next run completes, no row lost`, async () => {
      const before = await instanceIds(svc.url);
      for (const image of IMAGES) hub.pushTag(...repoOf(image), `v${tagSerial++}`);
      expectedInstances += IMAGES.length;
      hub.latencyMs = 150; // the run lasts a few seconds
      const run = await scrape(svc.url, false);
      await waitFor('the run to be under way', async () => {
        const r = await gql(svc.url, `query($id: ID!) { scrapeRun(id: $id) { status imagesDone } }`, { id: run.id });
        return r.body.data.scrapeRun.status === 'RUNNING' && r.body.data.scrapeRun.imagesDone >= 1 ? true : undefined;
      }, 30_000);
      await fault(svc.dataDir);
      const status = await runEnds(svc.url, run.id);
      hub.latencyMs = 0;
      assert.ok(['SUCCEEDED', 'PARTIAL', 'FAILED', 'INTERRUPTED'].includes(status), status);
      await assertSteadyReady(svc.url);
      const pg1 = postmasterPid(svc.dataDir);
      if (pg1) servers.add(pg1);
      // The next run takes whatever the faulted one missed.
      const next = await scrape(svc.url, true);
      assert.equal(next.status, 'SUCCEEDED', JSON.stringify(next));
      const afterIds = await instanceIds(svc.url);
      for (const id of before) assert.ok(afterIds.has(id), `instance ${id} survived`);
      assert.equal(afterIds.size, expectedInstances, 'every new tag arrived once');
      assert.equal(svc.child.proc.exitCode, null, 'the service was not restarted');
      console.log(`# ${name} during a run: the run ended ${status}, the next one SUCCEEDED with ${afterIds.size} instances`);
    });
  }
});

test('a server that cannot be restarted: the process exits non-zero with one line, for an outer supervisor', async () => {
  const svc = await startService({ DATABASE_EMBEDDED_RESTARTS: '2' }, tempDir('faults-fatal'));
  const pid = postmasterPid(svc.dataDir)!;
  const cluster = path.join(svc.dataDir, 'postgres');
  process.kill(pid, 'SIGKILL');
  fs.renameSync(cluster, `${cluster}.moved`); // the next start has no cluster to run
  const exit = await Promise.race([svc.child.exited, new Promise((r) => setTimeout(() => r('still running'), 60_000))]);
  assert.deepEqual(exit, { code: 1, signal: null }, svc.child.stderr);
  // Past the start-up banner (where the endpoints are), one line says why it exits.
  const lines = svc.child.stderr.trim().split('\n').filter((l) => !/^(catalog-sync is ready\.|Apollo Sandbox:)/.test(l));
  assert.equal(lines.length, 1, svc.child.stderr);
  assert.match(lines[0], /^catalog-sync: embedded PostgreSQL exited and could not be restarted \(2 attempts\) in .*; exiting$/);
  assert.equal(svc.child.logs.filter((l) => l.msg === 'embedded PostgreSQL restart failed').length, 2);
});

test('an external database restarted (DATABASE_URL): waited for, 503 meanwhile, recovery without a restart', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const dir = tempDir('faults-external');
  const logger = createLogger('warn');
  let ext = await startEmbeddedPostgres({ dataDir: dir, logger, port });
  externals.push(ext);
  const svc = await startService({ DATABASE_URL: ext.url }, tempDir('faults-external-svc'));
  const run = await scrape(svc.url, true);
  assert.equal(run.status, 'SUCCEEDED');
  const before = await instanceIds(svc.url);

  const load = startLoad(svc.url);
  await new Promise((r) => setTimeout(r, 500));
  const faultAt = Date.now();
  await ext.stop();
  await waitFor('a 503', () => (load.answers.some((a) => a.status === 503) ? true : undefined), 20_000);
  await new Promise((r) => setTimeout(r, 2_000));
  const notReady = await fetch(`${svc.url}/readyz`);
  assert.equal(notReady.status, 503, 'not ready while its database is away');
  // /metrics answers with what it has: the database gauges marked stale, database_up 0.
  const metricsAt = Date.now();
  const away = await fetch(`${svc.url}/metrics`);
  const awayText = await away.text();
  assert.equal(away.status, 200, awayText.slice(0, 300));
  assert.ok(Date.now() - metricsAt < MAX_ANSWER_MS, 'answered within the deadline');
  assert.match(awayText, /^catalog_sync_database_up 0$/m);
  assert.match(awayText, /^catalog_sync_catalog_figures_age_seconds [1-9]\d*$/m);
  assert.match(awayText, /^catalog_sync_http_requests_total\{/m, 'the in-process metrics are all there');
  ext = await startEmbeddedPostgres({ dataDir: dir, logger, port });
  externals.push(ext);
  await waitFor('recovery', () => {
    const failedAt = load.answers.findLast((a) => a.status !== 200);
    return failedAt && load.answers.filter((a) => a.at > failedAt.at + failedAt.ms).length >= 10 ? true : undefined;
  }, 60_000, 100);
  await load.stop();
  const figures = assertOutage(load, faultAt, 'external database restarted');
  console.log(`# external database restarted: ${load.answers.length} answers, ${figures.failed} × 503, slowest ${figures.maxMs} ms, recovered ${figures.recoveredMs} ms after the stop`);
  await assertSteadyReady(svc.url);
  const back = await (await fetch(`${svc.url}/metrics`)).text();
  assert.match(back, /^catalog_sync_database_up 1$/m);
  assert.match(back, /^catalog_sync_catalog_figures_age_seconds 0$/m);
  assert.match(back, new RegExp(`^catalog_sync_catalog_instances ${before.size}$`, 'm'));
  assert.deepEqual(await instanceIds(svc.url), before, 'no row lost');
  for (const image of IMAGES) hub.pushTag(...repoOf(image), `v${tagSerial++}`);
  const next = await scrape(svc.url, true);
  assert.equal(next.status, 'SUCCEEDED', 'the scraper works again');
  svc.child.kill('SIGTERM');
  assert.equal((await svc.child.exited).code, 0);
});
