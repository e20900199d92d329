import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Child, startChild } from '../support/child';
import { FakeDockerHub } from '../support/fake-docker-hub';
import { syntheticTags } from '../support/hub-data';
import { alive, postmasterPid, stopServer, waitFor } from '../support/processes';

/**
 * One data directory, one owner (issue 8.1): a second service on the same CATALOG_DATA_DIR
 * refuses with one line and leaves the running one alone; the scrape command works beside
 * the service as a client of its embedded server; after a kill -9 of the owner, the next
 * start cleans up the server it left and starts.
 */

const CLI = path.resolve(__dirname, '../../src/cli/scrape.js');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-sync-owner-'));
fs.chmodSync(dataDir, 0o755); // as root, the server runs as the postgres user
let hub: FakeDockerHub;
const children: Child[] = [];
const servers = new Set<number>();

const env = () => ({
  CATALOG_DATA_DIR: dataDir,
  DOCKER_HUB_URL: hub.url,
  DOCKER_SCRAPER_ENABLED: 'false',
  DOCKER_SCRAPER_IMAGES: 'nginx,acme/tool',
});

function service(): Child {
  const c = startChild(env());
  children.push(c);
  return c;
}

async function ready(c: Child): Promise<string> {
  const line = await Promise.race([
    c.waitForLog((l) => l.step === 'ready' && l.url, 90_000),
    c.exited.then((e) => Promise.reject(new Error(`exited ${JSON.stringify(e)} before ready: ${c.stderr}`))),
  ]);
  const pid = postmasterPid(dataDir);
  if (pid) servers.add(pid);
  return line.url as string;
}

async function count(url: string): Promise<number> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ resources(first: 1) { totalCount } }' }),
  });
  const body = (await res.json()) as any;
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data.resources.totalCount;
}

before(async () => {
  hub = await FakeDockerHub.start();
  hub.setRepository('library', 'nginx', { tags: syntheticTags(3) });
  hub.setRepository('acme', 'tool', { tags: syntheticTags(2) });
});

after(async () => {
  for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.kill('SIGKILL');
  for (const pid of servers) await stopServer(pid);
  await hub.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('a second service is refused, the scrape command shares the server, a kill -9 of the owner is cleaned up', async () => {
  const first = service();
  const url = await ready(first);
  const pg1 = postmasterPid(dataDir)!;
  assert.ok(pg1);
  assert.equal(await count(url), 0);

  // --- a second service on the same data directory: one clear line, non-zero exit
  const second = service();
  const exit = await second.exited;
  assert.equal(exit.code, 1, second.stderr);
  const lines = second.stderr.trim().split('\n');
  assert.equal(lines.length, 1, second.stderr);
  assert.equal(
    lines[0],
    `catalog-sync: startup failed: data directory ${dataDir} is in use by pid ${first.proc.pid}; set DATABASE_URL to share a server, or stop it first`,
  );
  assert.ok(alive(pg1), 'the running server was not stopped');
  assert.equal(postmasterPid(dataDir), pg1);
  assert.equal(await count(url), 0, 'the first service still answers');

  // --- the scrape command beside the running service: a client of its server
  const cli = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(
      process.execPath,
      [CLI],
      { env: { PATH: process.env.PATH, LOG_LEVEL: 'info', ...env() }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr }),
    ),
  );
  assert.equal(cli.code, 0, cli.stderr + cli.stdout);
  assert.match(cli.stdout + cli.stderr, /sharing the embedded PostgreSQL server of the process that owns the data directory/);
  assert.match(cli.stdout, /SUCCEEDED/);
  assert.ok(alive(pg1), 'the scrape command left the server running');
  assert.equal(postmasterPid(dataDir), pg1);
  assert.equal(await count(url), 2, 'the service sees what the scrape command wrote, and keeps answering');

  // --- kill -9 of the owner: its server is orphaned; the next start stops it and starts
  first.kill('SIGKILL');
  await first.exited;
  assert.ok(alive(pg1), 'the orphaned server still runs');
  const third = service();
  const url3 = await ready(third);
  assert.ok(!alive(pg1), 'the orphan was stopped');
  assert.ok(third.logs.some((l) => /left running by an earlier process/.test(l.msg ?? '')));
  assert.equal(await count(url3), 2, 'the data survived');
  third.kill('SIGTERM');
  assert.deepEqual(await third.exited, { code: 0, signal: null }, third.stderr);
});
