import { ChildProcess, spawn } from 'node:child_process';
import { NO_HUB_REGISTRY } from './app';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';

const MAIN = path.resolve(__dirname, '../../src/main.js');

export interface Child {
  proc: ChildProcess;
  /** Every stdout line parsed as JSON (non-JSON lines are kept as `{ raw }`). */
  logs: any[];
  stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first log line that `match` accepts. */
  waitForLog(match: (line: any) => boolean, timeoutMs?: number): Promise<any>;
  kill(signal: NodeJS.Signals): void;
}

/** Runs `node dist/src/main.js` with this environment (on top of a clean, quiet default). */
export function startChild(env: Record<string, string>): Child {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-sync-child-'));
  const proc = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH,
            ...NO_HUB_REGISTRY,
      PORT: '0',
      HOST: '127.0.0.1',
      CATALOG_DATA_DIR: dataDir,
      CATALOG_ADMIN_TOKEN: 'child-admin-token-0123456789',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: any[] = [];
  const waiters: { match: (l: any) => boolean; resolve: (l: any) => void }[] = [];
  let buffer = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const text = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (!text.trim()) continue;
      let line: any;
      try {
        line = JSON.parse(text);
      } catch {
        line = { raw: text };
      }
      logs.push(line);
      for (const w of [...waiters]) {
        if (w.match(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  const child: Child = {
    proc,
    logs,
    stderr: '',
    exited: new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal }))),
    waitForLog(match, timeoutMs = 20_000) {
      const found = logs.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${child.stderr}`)), timeoutMs);
        waiters.push({
          match,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
      });
    },
    kill(signal) {
      proc.kill(signal);
    },
  };
  proc.stderr!.on('data', (c: Buffer) => (child.stderr += c.toString('utf8')));
  return child;
}
