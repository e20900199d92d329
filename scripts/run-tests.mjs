#!/usr/bin/env node
// Runs the compiled tests (dist/test/**/*.test.js) with node:test against a real PostgreSQL:
// DATABASE_URL when set (its user needs CREATEDB: each test file gets its own database),
// otherwise an embedded server started here in a temporary directory and removed afterwards.
// Usage: node scripts/run-tests.mjs [name filter ...]; TEST_TIMEOUT_MS (300000) caps each file and test.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverForScripts } from './postgres.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const filters = process.argv.slice(2);

function findTests(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return findTests(p);
    return e.name.endsWith('.test.js') ? [p] : [];
  });
}

const files = findTests(path.join(root, 'dist', 'test'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files found under dist/test (run `npm run build` first)');
  process.exit(1);
}

const server = await serverForScripts(root, 'tests');
const adminUrl = server.url;

// Tests that skip for want of a binary append a line here (test/support/real-registry.ts,
// skipPlainly); they are repeated after the run so a skip is never buried in the output.
const skipLog = path.join(os.tmpdir(), `catalog-test-skips-${process.pid}.log`);
fs.rmSync(skipLog, { force: true });

const concurrency = process.env.TEST_CONCURRENCY ?? String(Math.max(2, Math.min(4, os.availableParallelism())));
// Files that assert latency targets (/healthz within 50 ms under the fuzz, < 100 ms for the
// worst documents) run after the others, one at a time: their figures are the service's, not
// the other test files' CPU contention on a 2-core machine.
const SOLO = ['faults/graphql-fuzz.test.js', 'faults/abusive-documents.test.js'];
const isSolo = (f) => SOLO.some((s) => f.endsWith(path.join(...s.split('/'))));
const groups = [
  { files: files.filter((f) => !isSolo(f)), concurrency },
  { files: files.filter(isSolo), concurrency: '1' },
].filter((g) => g.files.length > 0);

let current;
const stopChild = (signal) => current?.kill(signal);
process.on('SIGINT', stopChild);
process.on('SIGTERM', stopChild);
let code = 0;
for (const group of groups) {
  if (groups.length > 1 && group.concurrency === '1') console.log(`\n# timing-sensitive files, one at a time: ${group.files.map((f) => path.relative(path.join(root, 'dist'), f)).join(', ')}`);
  current = spawn(
    process.execPath,
    ['--test', `--test-concurrency=${group.concurrency}`, `--test-timeout=${process.env.TEST_TIMEOUT_MS ?? 300000}`, ...group.files],
    {
      stdio: 'inherit',
      cwd: root,
      env: { DOCKER_SCRAPER_IMAGE_CONFIG: 'false', DOCKER_HUB_REGISTRY_URL: 'http://127.0.0.1:9', ...process.env, TEST_ADMIN_DATABASE_URL: adminUrl, DATABASE_URL: '', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent', TEST_SKIP_LOG: skipLog },
    },
  );
  const c = await new Promise((resolve) => current.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
  if (c !== 0) code = c;
}
await server.stop();
if (fs.existsSync(skipLog)) {
  const lines = fs.readFileSync(skipLog, 'utf8').split('\n').filter(Boolean);
  fs.rmSync(skipLog, { force: true });
  if (lines.length > 0) {
    console.log(`\nskipped, with why (${lines.length}):`);
    for (const l of lines) console.log(`  - ${l}`);
  }
}
process.exit(code);
