#!/usr/bin/env node
// Runs the benchmarks (dist/bench/*.bench.js) one after the other against a real PostgreSQL
// (DATABASE_URL, whose user needs CREATEDB, or an embedded server). Not part of `npm test`.
// Usage: node scripts/run-bench.mjs [--quick] [name filter ...]   (read, scale, scrape)
// --quick (or BENCH_QUICK=1): small catalogs and short windows, a smoke run of everything.
// Durations and the rest are set by environment variables (BENCHMARKS.md lists them).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverForScripts } from './postgres.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick') || process.env.BENCH_QUICK === '1';
const filters = args.filter((a) => a !== '--quick');
const dir = path.join(root, 'dist', 'bench');
const files = (fs.existsSync(dir) ? fs.readdirSync(dir) : [])
  .filter((f) => f.endsWith('.bench.js') && (filters.length === 0 || filters.some((x) => f.includes(x))))
  .sort();
if (files.length === 0) {
  console.error('no benchmark found under dist/bench (run `npm run build` first)');
  process.exit(1);
}
const server = await serverForScripts(root, 'benchmarks');
const started = Date.now();
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f.replace(/\.bench\.js$/, '')}${quick ? ' (quick)' : ''} ===`);
  const r = spawnSync(process.execPath, ['--expose-gc', path.join(dir, f)], {
    stdio: 'inherit',
    env: {
      ...process.env,
      TEST_ADMIN_DATABASE_URL: server.url,
      DATABASE_URL: '',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      ...(quick ? { BENCH_QUICK: '1' } : {}),
    },
  });
  if (r.status !== 0) {
    failed++;
    console.error(`${f} failed (exit ${r.status ?? r.signal})`);
  }
}
await server.stop();
console.log(`\nbenchmarks done in ${Math.round((Date.now() - started) / 1000)} s${failed ? `, ${failed} failed` : ''}`);
process.exit(failed ? 1 : 0);
