import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Child, startChild } from '../support/child';
import { adminDatabaseUrl } from '../support/db';
import { loadConfig, ConfigError } from '../../src/config/config';
import { startEmbeddedPostgres } from '../../src/database/embedded';
import { createLogger } from '../../src/shared/logger';

/**
 * Start-up failures after config parsing (issue 8.7): one clear line on stderr each, a
 * non-zero exit, the port checked before the database starts, and an external database
 * waited for (with backoff) up to DATABASE_CONNECT_TIMEOUT.
 */

const children: Child[] = [];
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.kill('SIGKILL');
  for (const f of cleanups) await f();
});

function child(env: Record<string, string>): Child {
  const c = startChild({ DOCKER_SCRAPER_ENABLED: 'false', DOCKER_HUB_URL: 'http://127.0.0.1:9', ...env });
  children.push(c);
  return c;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function oneLine(c: Child): string {
  const lines = c.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${c.stderr}`);
  assert.doesNotMatch(lines[0], /^\s+at |\{"level"/, 'no stack, no JSON');
  return lines[0];
}

test('a port in use: one line, exit 1, before the embedded database is started', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const c = child({ PORT: String(port) }); // no DATABASE_URL: the embedded database would be started
    const exit = await c.exited;
    assert.equal(exit.code, 1);
    assert.equal(oneLine(c), `catalog-sync: startup failed: port ${port} on 127.0.0.1 is already in use: stop what listens there or set PORT to a free port`);
    assert.ok(!c.logs.some((l) => l.step === 'embedded-postgres'), 'the database was not started');
    assert.ok(!c.logs.some((l) => l.level >= 60), 'no fatal JSON line');
  } finally {
    blocker.close();
  }
});

test('an unreachable external database: waited for with backoff up to DATABASE_CONNECT_TIMEOUT, then one line', async () => {
  const port = await freePort();
  const t0 = Date.now();
  const c = child({ DATABASE_URL: `postgres://u:secret@127.0.0.1:${port}/catalog`, DATABASE_CONNECT_TIMEOUT: '2s' });
  const exit = await c.exited;
  const ms = Date.now() - t0;
  assert.equal(exit.code, 1);
  const line = oneLine(c);
  assert.match(line, new RegExp(`^catalog-sync: startup failed: the database at postgres://u:\\*\\*\\*@127\\.0\\.0\\.1:${port}/catalog is unreachable after 2 s \\(DATABASE_CONNECT_TIMEOUT\\): .*ECONNREFUSED`));
  assert.doesNotMatch(c.stderr + JSON.stringify(c.logs), /secret/);
  const waits = c.logs.filter((l) => l.msg === 'waiting for the database');
  assert.ok(waits.length >= 2, `retried with backoff (${waits.length} waits)`);
  assert.ok(waits[1].retryInMs > waits[0].retryInMs, 'the pause grows');
  assert.ok(ms < 15_000, `gave up after the timeout (${ms} ms)`);
});

test('a refused password fails at once, on one line', async () => {
  const u = new URL(adminDatabaseUrl());
  u.password = 'wrong-password';
  const t0 = Date.now();
  const c = child({ DATABASE_URL: u.toString(), DATABASE_CONNECT_TIMEOUT: '60s' });
  const exit = await c.exited;
  assert.equal(exit.code, 1);
  assert.match(oneLine(c), /^catalog-sync: startup failed: cannot use the database at postgres:\/\/[^:]+:\*\*\*@.*: password authentication failed/);
  assert.ok(Date.now() - t0 < 20_000, 'no waiting for a wrong password');
});

test('a service started before its database waits for it and becomes ready', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-sync-late-db-'));
  fs.chmodSync(dir, 0o755);
  const logger = createLogger('warn');
  const port = await freePort();
  // Create the cluster (and learn its URL), then stop it: the service starts with no database.
  const first = await startEmbeddedPostgres({ dataDir: dir, logger, port });
  const url = first.url;
  await first.stop();
  let late: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
  cleanups.push(async () => {
    await late?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const c = child({ DATABASE_URL: url, DATABASE_CONNECT_TIMEOUT: '60s' });
  await c.waitForLog((l) => l.msg === 'waiting for the database', 20_000);
  await new Promise((r) => setTimeout(r, 1_500));
  assert.equal(c.proc.exitCode, null, 'still waiting, not crashed');
  late = await startEmbeddedPostgres({ dataDir: dir, logger, port });
  assert.equal(late.port, port);
  const readyLine = await c.waitForLog((l) => l.step === 'ready', 60_000);
  const res = await fetch(`${readyLine.url}/readyz`);
  assert.equal(res.status, 200);
  c.kill('SIGTERM');
  assert.equal((await c.exited).code, 0);
});

test('DATABASE_CONNECT_TIMEOUT, DATABASE_STATEMENT_TIMEOUT, DATABASE_ACQUIRE_TIMEOUT, DATABASE_EMBEDDED_RESTARTS: defaults and validation', () => {
  const d = loadConfig({});
  assert.deepEqual(d.database, { connectTimeoutMs: 60_000, statementTimeoutMs: 30_000, acquireTimeoutMs: 10_000, embeddedRestarts: 5 });
  const c = loadConfig({ DATABASE_CONNECT_TIMEOUT: '2m', DATABASE_STATEMENT_TIMEOUT: '5s', DATABASE_ACQUIRE_TIMEOUT: '500ms', DATABASE_EMBEDDED_RESTARTS: '0' });
  assert.deepEqual(c.database, { connectTimeoutMs: 120_000, statementTimeoutMs: 5_000, acquireTimeoutMs: 500, embeddedRestarts: 0 });
  assert.throws(
    () => loadConfig({ DATABASE_CONNECT_TIMEOUT: 'soon', DATABASE_STATEMENT_TIMEOUT: '10ms' }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.problems.map((p) => p.variable).join(',') === 'DATABASE_CONNECT_TIMEOUT,DATABASE_STATEMENT_TIMEOUT' &&
      /DATABASE_CONNECT_TIMEOUT="soon": expected a duration of at least 1s/.test(e.message),
  );
});
