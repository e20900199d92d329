import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The real process, end to end: `node dist/src/main.js` with no DATABASE_URL starts an
 * embedded PostgreSQL in its data directory, serves GraphQL, stops cleanly on SIGTERM,
 * keeps its data across restarts and recovers from being killed.
 */

const MAIN = path.resolve(__dirname, '..', '..', 'src', 'main.js');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-sync-startup-'));
fs.chmodSync(dataDir, 0o755); // as root, the embedded server runs as the postgres user and must reach its cluster
const clusterDir = path.join(dataDir, 'postgres');
const pidFile = path.join(clusterDir, 'postmaster.pid');

/** Postgres pids seen during the test: whatever is still alive at the end is stopped (by pid). */
const postgresPids = new Set<number>();
const children = new Set<ChildProcess>();

interface Running {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function postmasterPid(): number | undefined {
  try {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts the service and resolves once its JSON log says `ready`, with the URL it logged. */
async function start(): Promise<Running> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? os.tmpdir(),
    CATALOG_DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    DOCKER_SCRAPER_ENABLED: 'false',
    DOCKER_HUB_URL: 'http://127.0.0.1:9', // a closed port: nothing may need Docker Hub here
    LOG_LEVEL: 'info',
  };
  const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  let exitedEarly: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((e) => (exitedEarly = e));
  const url = await waitFor(
    'the "ready" log line',
    () => {
      if (exitedEarly) throw new Error(`the service exited (${JSON.stringify(exitedEarly)}) before it was ready:\n${out}\n${err}`);
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as { step?: string; url?: string };
        if (entry.step === 'ready' && entry.url) return entry.url;
      }
      return undefined;
    },
    90_000,
  );
  const pid = postmasterPid();
  if (pid) postgresPids.add(pid);
  return { child, url, stdout: () => out, stderr: () => err, exited };
}

async function gql(url: string, query: string): Promise<any> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { data?: unknown; errors?: unknown[] };
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

const TRACKED = `{ trackedImages(first: 3) { totalCount edges { node { id name createdAt } } } }`;

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const pid of postgresPids) {
    if (alive(pid)) {
      process.kill(pid, 'SIGINT');
      await waitFor('the embedded server to stop', () => (alive(pid) ? undefined : true), 30_000).catch(() => undefined);
    }
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('boots with an embedded database, stops cleanly, keeps its data, recovers from SIGKILL and from a stale pid file', async () => {
  // --- first start: a new cluster
  const t0 = Date.now();
  const first = await start();
  const bootMs = Date.now() - t0;
  assert.match(first.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.notEqual(first.url, 'http://127.0.0.1:0', 'PORT=0 picks a free port and logs it');
  const logged = first.stdout();
  assert.match(logged, /"step":"embedded-postgres"/);
  assert.match(logged, /"step":"migrations"/);

  const data = await gql(
    first.url,
    `{ resources(first: 5) { totalCount edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } }`,
  );
  assert.deepEqual(data, { resources: { totalCount: 0, edges: [], pageInfo: { hasNextPage: false, endCursor: null } } });
  const tracked1 = await gql(first.url, TRACKED);
  assert.equal(tracked1.trackedImages.totalCount, 175, 'the default image list');
  assert.deepEqual(
    tracked1.trackedImages.edges.map((e: any) => e.node.name),
    ['ubuntu', 'debian', 'alpine'],
  );
  const ready = await fetch(`${first.url}/readyz`);
  assert.equal(ready.status, 200);

  // The admin token: generated, stored with mode 0600, printed on stderr.
  const tokenFile = path.join(dataDir, 'admin-token');
  const stat = fs.statSync(tokenFile);
  assert.equal(stat.mode & 0o777, 0o600);
  const token = fs.readFileSync(tokenFile, 'utf8').trim();
  assert.ok(token.length >= 32);
  assert.ok(first.stderr().includes(token), 'the token is printed at startup');
  assert.doesNotMatch(first.stdout(), new RegExp(token.replace(/[-_]/g, '.')), 'but not into the JSON logs');

  const pg1 = postmasterPid();
  assert.ok(pg1 && alive(pg1), 'the embedded server runs');

  // --- SIGTERM: clean exit, the embedded server stops with it
  first.child.kill('SIGTERM');
  const exit1 = await first.exited;
  assert.deepEqual(exit1, { code: 0, signal: null }, first.stderr());
  assert.match(first.stdout(), /"msg":"stopped"/);
  assert.ok(!fs.existsSync(pidFile) || !alive(pg1!), 'no postgres left running');
  assert.ok(!alive(pg1!));

  // --- second start on the same directory: same data, same token
  const second = await start();
  const tracked2 = await gql(second.url, TRACKED);
  assert.deepEqual(tracked2, tracked1, 'the tracked images are the same rows (same ids, same creation times)');
  assert.equal(fs.readFileSync(tokenFile, 'utf8').trim(), token, 'the token is kept');
  assert.match(second.stderr(), /generated earlier/);
  assert.doesNotMatch(second.stdout(), /initialising embedded PostgreSQL cluster/, 'the cluster is reused');
  const pg2 = postmasterPid();
  assert.ok(pg2 && alive(pg2));

  // --- SIGKILL: the embedded server is orphaned; the next start must deal with it
  second.child.kill('SIGKILL');
  assert.deepEqual(await second.exited, { code: null, signal: 'SIGKILL' });
  assert.ok(alive(pg2!), 'the orphaned server still runs (and holds the cluster)');

  const third = await start();
  assert.ok(!alive(pg2!), 'the orphan was stopped');
  assert.match(third.stdout(), /left running by an earlier process/);
  const tracked3 = await gql(third.url, TRACKED);
  assert.deepEqual(tracked3, tracked1, 'the data survived the kill');
  const pg3 = postmasterPid();
  assert.ok(pg3 && alive(pg3) && pg3 !== pg2);

  third.child.kill('SIGTERM');
  assert.deepEqual(await third.exited, { code: 0, signal: null }, third.stderr());
  assert.ok(!alive(pg3!));

  // --- a stale postmaster.pid (after a reboot or a container restart) whose pid now belongs
  // to an unrelated process: that process is left alone and the service starts.
  const bystander = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.add(bystander);
  const bystanderExit = new Promise((resolve) => bystander.on('exit', (code, signal) => resolve({ code, signal })));
  await waitFor('the bystander to run', () => (bystander.pid && alive(bystander.pid) ? true : undefined), 5_000);
  fs.writeFileSync(pidFile, `${bystander.pid}\n${clusterDir}\n0\n5432\n`);
  const fourth = await start();
  assert.ok(alive(bystander.pid!), 'the unrelated process was not signalled');
  assert.match(fourth.stdout(), /removing a stale postmaster\.pid/);
  assert.equal((await gql(fourth.url, TRACKED)).trackedImages.totalCount, 175);
  fourth.child.kill('SIGTERM');
  assert.deepEqual(await fourth.exited, { code: 0, signal: null }, fourth.stderr());
  bystander.kill('SIGKILL');
  await bystanderExit;
  console.log(`first boot (new cluster) took ${bootMs} ms`);
});
