import fs from 'node:fs';
import path from 'node:path';

/** Helpers for tests that signal an embedded PostgreSQL server (by pid, never by name). */

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The postmaster pid of the cluster in `<dataDir>/postgres`, when its pid file names a live one. */
export function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The postmaster and every process it forked (backends, checkpointer, …), from /proc. */
export function postgresProcesses(postmaster: number): number[] {
  const out = [postmaster];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === postmaster) out.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return out;
}

export async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs: number, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Stops a leftover server of a test (fast shutdown, then SIGKILL), by its pid. */
export async function stopServer(pid: number | undefined): Promise<void> {
  if (!pid || !alive(pid)) return;
  process.kill(pid, 'SIGCONT');
  process.kill(pid, 'SIGINT');
  await waitFor('the server to stop', () => (alive(pid) ? undefined : true), 20_000).catch(() => process.kill(pid, 'SIGKILL'));
}
