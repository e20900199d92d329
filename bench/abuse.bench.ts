/**
 * Abuse benchmark (issue 9.8): an allowed near-limit query hammered by 200 connections.
 * The service runs in this process; autocannon-like load comes from a child process (200
 * keep-alive connections, closed loop) and /healthz is sampled from another one, so the RSS
 * and the probe latency are the service's. Targets: RSS < 400 MB, /healthz < 50 ms; the
 * excess is shed with 503 (GRAPHQL_MAX_CONCURRENT).
 */
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createTestDatabase, fmt, startBenchApp } from './support';

const RESOURCES = Number(process.env.BENCH_RESOURCES ?? 200);
const TAGS = Number(process.env.BENCH_TAGS ?? 60);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);

/** Cost 1 + 5 × (2 + 1 + 50 + 1 + (1 + 40 × (2 + 1 + 1 + (1 + 8 × 5)))) = 9,276: allowed. */
const NEAR_LIMIT = `{ resources(first: 5) { edges { node { name description shortDescription
  instances(first: 40) { edges { node { name digest platforms { architecture os variant digest size } } } } } } } }`;

/** The load: CONNECTIONS closed loops over keep-alive sockets, for SECONDS; prints status counts as JSON. */
const LOAD = `
const { Pool } = require('undici');
const [url, connections, seconds, body] = process.argv.slice(1);
const u = new URL(url);
const pool = new Pool(u.origin, { connections: Number(connections), pipelining: 1 });
const counts = {};
const end = Date.now() + Number(seconds) * 1000;
async function loop() {
  while (Date.now() < end) {
    try {
      const r = await pool.request({ path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await r.body.dump();
      counts[r.statusCode] = (counts[r.statusCode] ?? 0) + 1;
    } catch (e) { counts.error = (counts.error ?? 0) + 1; }
  }
}
Promise.all(Array.from({ length: Number(connections) }, loop)).then(() => { console.log(JSON.stringify(counts)); return pool.close(); });
`;

/** /healthz every 20 ms for SECONDS; prints the latencies' percentiles as JSON. */
const PROBE = `
const [url, seconds] = process.argv.slice(1);
const end = Date.now() + Number(seconds) * 1000;
const ms = [];
(async () => {
  while (Date.now() < end) {
    const t = performance.now();
    const r = await fetch(url); await r.arrayBuffer();
    ms.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 20));
  }
  ms.sort((a, b) => a - b);
  const q = (p) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))];
  console.log(JSON.stringify({ samples: ms.length, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: ms[ms.length - 1] }));
})();
`;

function child(script: string, args: string[]): Promise<any> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['-e', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'], cwd: process.cwd() });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child exited ${code}`))));
  });
}

async function main() {
  const db = await createTestDatabase('bench_abuse');
  const app = await startBenchApp(db.url, { DOCKER_SCRAPER_IMAGES: 'nginx', ...(process.env.GRAPHQL_MAX_CONCURRENT ? { GRAPHQL_MAX_CONCURRENT: process.env.GRAPHQL_MAX_CONCURRENT } : {}) }, true); // migrates the database
  await db.query(`
    INSERT INTO processing_resource (id, name, namespace, repository, description, short_description, logo, owners,
      is_draft, star_count, pull_count, upstream_last_updated, content_hash)
    SELECT gen_random_uuid(), 'org' || (g % 97) || '/img' || g, 'org' || (g % 97), 'img' || g,
      repeat('Long description of image ' || g || '. ', 160), 'Image number ' || g, 'https://example.com/' || g || '.png',
      '[{"name":"https://hub.docker.com/","logo":"https://icones8.fr/icon/Wln8Z3PcXanx/logo-docker"}]',
      false, g * 7, g::bigint * 12345678, now() - g * interval '1 minute', md5(g::text)
    FROM generate_series(1, $1::int) g`,
    [RESOURCES],
  );
  const platforms = JSON.stringify(
    ['amd64', 'arm64', 'arm', 'arm', '386', 'ppc64le', 's390x', 'riscv64'].map((a, i) => ({ architecture: a, os: 'linux', variant: i === 2 ? 'v7' : null, digest: `sha256:${String(i).repeat(64)}`, size: 30_000_000 + i })),
  );
  await db.query(
    `INSERT INTO processing_instance (id, resource_id, name, origin_ref, access_image, access_env, digest, full_size,
      upstream_last_updated, tag_status, platforms, content_hash)
    SELECT gen_random_uuid(), r.id, '1.' || t, 'docker.io/' || r.name || ':1.' || t, 'docker.io/' || r.name || ':1.' || t,
      jsonb_build_object('ARCH', 'amd64'), 'sha256:' || md5(r.name || t) || md5(t || r.name), 50000000 + t,
      now() - t * interval '1 hour', 'active', $2::jsonb, md5(r.name || t)
    FROM processing_resource r, generate_series(1, $1::int) t`,
    [TAGS, platforms],
  );
  await db.query('ANALYZE');

  const base = `http://127.0.0.1:${app.http!.port}`;
  const body = JSON.stringify({ query: NEAR_LIMIT });
  const one = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await one.text();
  if (one.status !== 200 || text.includes('"errors"')) throw new Error(`the near-limit query is refused: ${text.slice(0, 300)}`);

  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);
  // The service's own event loop (it runs in this process): how long callbacks waited, how busy it was.
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const elu0 = performance.eventLoopUtilization();
  const [counts, probe] = await Promise.all([
    child(LOAD, [`${base}/graphql`, String(CONNECTIONS), String(SECONDS), body]),
    child(PROBE, [`${base}/healthz`, String(SECONDS)]),
  ]);
  clearInterval(sampler);
  loopDelay.disable();
  const elu = performance.eventLoopUtilization(elu0);
  const mb = (n: number) => Math.round(n / 1024 / 1024);
  console.log(`near-limit query: ${text.length} bytes per answer, ${CONNECTIONS} connections for ${SECONDS} s`);
  console.log(`answers by status: ${JSON.stringify(counts)}`);
  console.log(`RSS: ${mb(rssBefore)} MB before, ${mb(rssPeak)} MB peak (target < 400 MB)`);
  console.log(`/healthz: ${probe.samples} samples, p50 ${fmt(probe.p50, 1)} ms, p95 ${fmt(probe.p95, 1)} ms, p99 ${fmt(probe.p99, 1)} ms, max ${fmt(probe.max, 1)} ms (target < 50 ms)`);
  const ms = (ns: number) => fmt(ns / 1e6, 1);
  console.log(`service event loop: ${fmt(elu.utilization * 100, 0)} % busy; delay p50 ${ms(loopDelay.percentile(50))} ms, p99 ${ms(loopDelay.percentile(99))} ms, max ${ms(loopDelay.max)} ms`);
  await app.close();
  await db.drop();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
