import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Child, startChild } from '../support/child';

/**
 * Start-up with clients at the door: the port is held from the first moment (a taken port
 * fails at once) while the embedded database starts. A client that connected meanwhile (a
 * TCP probe, a load balancer, a benchmark's keep-alive pool) used to keep the holder's
 * close() waiting, so the service never listened. Connections during start-up must be hung
 * up on, and the service must then answer.
 */

let child: Child | undefined;
after(async () => {
  if (child && child.proc.exitCode === null && child.proc.signalCode === null) child.kill('SIGKILL');
  await child?.exited;
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
const dirs: string[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

test('clients that connect while the embedded database starts are hung up on, and the service then listens and answers', async () => {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-sync-startup-'));
  fs.chmodSync(dataDir, 0o755); // the embedded server runs as its own user
  dirs.push(dataDir);
  child = startChild({ CATALOG_DATA_DIR: dataDir, PORT: String(port), DOCKER_SCRAPER_ENABLED: 'false', DOCKER_SCRAPER_IMAGES: 'nginx' });
  // The port is held before the database starts: connect then, and keep connecting (and holding) until ready.
  await child.waitForLog((l) => l.step === 'embedded-postgres', 30_000);
  let ready = false;
  void child.waitForLog((l) => l.step === 'ready', 120_000).then(() => (ready = true), () => undefined);
  const held: { socket: net.Socket; closed: boolean }[] = [];
  while (!ready && child.proc.exitCode === null && held.length < 200) {
    const socket = net.connect(port, '127.0.0.1');
    const entry = { socket, closed: false };
    socket.on('error', () => undefined);
    socket.on('close', () => (entry.closed = true));
    held.push(entry); // never ended by this side: an idle client holding its connection
    await new Promise((r) => setTimeout(r, 50));
  }
  const line = await Promise.race([
    child.waitForLog((l) => l.step === 'ready' && l.url, 120_000),
    child.exited.then((e) => Promise.reject(new Error(`exited ${JSON.stringify(e)} before ready: ${child!.stderr}`))),
  ]);
  const early = held.filter((h) => h.closed).length;
  assert.ok(held.length >= 5, `connected during start-up (${held.length} connections)`);
  assert.ok(early >= 5, `the early connections were hung up on (${early} of ${held.length} closed by the server)`);

  const health = await fetch(`${line.url}/healthz`);
  assert.equal(health.status, 200);
  const gql = await fetch(`${line.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ resources { totalCount } }' }),
  });
  assert.equal(gql.status, 200);
  assert.equal(((await gql.json()) as any).data.resources.totalCount, 0);
  for (const h of held) h.socket.destroy();

  child.kill('SIGTERM');
  assert.equal((await child.exited).code, 0, child.stderr);
});
