import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

/** What the owner of a data directory tells a process that asks. */
export interface OwnerInfo {
  pid: number;
  /** Port of the embedded PostgreSQL server; 0 while it is still starting (or restarting). */
  port: number;
}

/** The data directory has a live owner: a second service refuses to start. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly ownerPid: number,
  ) {
    super(`data directory ${dataDir} is in use by pid ${ownerPid}; set DATABASE_URL to share a server, or stop it first`);
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  release(): Promise<void>;
}

/**
 * One data directory, one owner, proven by the operating system rather than by a pid file:
 * the owner listens on a Unix socket named after the directory. On Linux it is an abstract
 * socket, which the kernel frees the moment its process dies (kill -9 included), so a lock
 * can never be stale; elsewhere it is `<dataDir>/owner.sock`, which counts as held only
 * while a process answers on it. The socket also answers who owns the directory and on
 * which port its PostgreSQL server listens, so that a client process can share the server.
 * The socket is opened close-on-exec: the PostgreSQL server started by the owner does not
 * inherit it, and an orphaned server does not keep the lock.
 */
export async function acquireDataDir(dataDir: string, info: () => OwnerInfo): Promise<DataDirLock | { owner: OwnerInfo }> {
  const address = await socketAddress(dataDir);
  for (let attempt = 0; attempt < 3; attempt++) {
    const server = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.end(JSON.stringify(info()) + '\n');
    });
    const bound = await new Promise<true | NodeJS.ErrnoException>((resolve) => {
      server.once('error', (e: NodeJS.ErrnoException) => resolve(e));
      server.listen(address, () => resolve(true));
    });
    if (bound === true) {
      server.unref();
      if (!address.startsWith('\0')) await fs.chmod(address, 0o600).catch(() => undefined);
      return {
        release: () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
          }),
      };
    }
    if (bound.code !== 'EADDRINUSE') throw new Error(`cannot lock the data directory ${dataDir}: ${bound.message}`);
    const owner = await askOwner(address);
    if (owner) return { owner };
    // A socket file with nobody behind it (a killed owner, on a system without abstract sockets).
    if (!address.startsWith('\0')) await fs.rm(address, { force: true });
    else await new Promise((r) => setTimeout(r, 100)); // the owner is between bind and accept: ask again
  }
  throw new Error(`cannot lock the data directory ${dataDir}: its lock is held but its owner does not answer`);
}

/** The owner of the data directory, or undefined when there is none. */
export async function dataDirOwner(dataDir: string): Promise<OwnerInfo | undefined> {
  return askOwner(await socketAddress(dataDir));
}

async function socketAddress(dataDir: string): Promise<string> {
  const real = await fs.realpath(dataDir);
  if (process.platform === 'linux') {
    return `\0catalog-sync/${createHash('sha256').update(real).digest('hex').slice(0, 40)}`;
  }
  return path.join(real, 'owner.sock');
}

function askOwner(address: string, timeoutMs = 3_000): Promise<OwnerInfo | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const socket = net.connect(address);
    const timer = setTimeout(() => socket.destroy(new Error('timeout')), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (text += d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      try {
        const parsed = JSON.parse(text) as OwnerInfo;
        resolve(Number.isInteger(parsed.pid) ? parsed : undefined);
      } catch {
        resolve(undefined);
      }
    });
  });
}
