/**
 * Scale benchmark on catalog L (100,000 resources × 10 instances = 1,000,000 instances):
 * catalog-sync alone (the built service in its own process, autocannon in another) —
 * first page vs the deep page (cursor of the 99,950th resource), search, `totalCount`
 * with and without a filter; one connection (latency ≈ server time) and 16 (throughput,
 * RSS under load). Checks the targets and says which hold. See BENCHMARKS.md.
 *
 * Env: BENCH_WARMUP, BENCH_DURATION, BENCH_SCALE_CONNECTIONS (1,16), BENCH_SCALE_RESOURCES,
 * BENCH_SEARCH, BENCH_QUICK=1, BENCH_OUT.
 */
import { CatalogScale, SCALES } from './generate';
import { catalogDatabase, cursorAfter, onInterrupt, dropDatabase, ensureBenchTools, LoadGenerator, machine, measure, postgresCpu, QUICK, settings, startServer, table, writeJson } from './harness';
import { body, READY } from './queries';

const scale: CatalogScale = { ...SCALES.L, resources: Number(process.env.BENCH_SCALE_RESOURCES || (QUICK ? 20_000 : SCALES.L.resources)) };
const DB = 'catalog_bench_l';
const connections = (process.env.BENCH_SCALE_CONNECTIONS || '1,16').split(',').map(Number);

const gql = (query: string, variables?: Record<string, unknown>) => JSON.stringify({ query, variables });

async function main() {
  ensureBenchTools();
  console.log(`machine: ${JSON.stringify(machine())}`);
  const started = performance.now();
  const url = await catalogDatabase(DB, scale);
  const generateSeconds = (performance.now() - started) / 1000;
  const pgCpu = await postgresCpu(url);
  const load = new LoadGenerator();
  const server = await startServer('catalog-sync', url, READY);
  onInterrupt(async () => {
    load.close();
    await server.stop();
  });
  try {
    let t = performance.now();
    const after = await cursorAfter(server, scale.resources - 50);
    console.log(`deep-page cursor (after ${scale.resources - 50} resources) walked in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const args = { search: settings.search, after: { 'catalog-sync': after } };
    const cases: [string, string][] = [
      ['first page', body('catalog-sync', 'canonical', args)],
      ['deep page', body('catalog-sync', 'deep', args)],
      [`search "${settings.search}"`, body('catalog-sync', 'search', args)],
      ['totalCount', gql('{ resources { totalCount } }')],
      [`totalCount search "${settings.search}"`, gql('query($s: String!) { resources(filter: { search: $s }) { totalCount } }', { s: settings.search })],
    ];
    const results: { case: string; connections: number; [k: string]: unknown }[] = [];
    for (const c of connections) {
      for (const [name, b] of cases) {
        t = performance.now();
        const r = await measure(load, server, b, c, pgCpu);
        results.push({ case: name, connections: c, ...r });
        console.log(`  ${name.padEnd(26)} c=${String(c).padEnd(3)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  rss ${r.rssMb} MB`);
      }
    }
    const rows = results.map((r: any) => [
      r.case,
      r.connections,
      r.rps.toFixed(0),
      r.p50.toFixed(1),
      r.p99.toFixed(1),
      r.cpuMsPerReq.toFixed(2),
      r.pgCpuMsPerReq === null ? '–' : r.pgCpuMsPerReq.toFixed(2),
      r.rssMb,
    ]);
    console.log(`\nScale benchmark, catalog-sync on ${scale.resources} resources × ${scale.instancesPerResource} instances`);
    console.log(table(['case', 'conn', 'req/s', 'p50 ms', 'p99 ms', 'cpu ms/req', 'pg cpu ms/req', 'rss MB'], rows));

    // The targets on L, from the single-connection latencies and the loaded RSS.
    const lat = (name: string) => results.find((r) => r.case.startsWith(name) && r.connections === Math.min(...connections)) as any;
    const first = lat('first page');
    const deep = lat('deep page');
    const search = lat('search');
    const filtered = lat('totalCount search');
    const rss = Math.max(...results.map((r: any) => r.rssMb));
    const targets = [
      ['search p50 < 10 ms', `${search.p50.toFixed(1)} ms`, search.p50 < 10],
      ['deep page p50 < 10 ms', `${deep.p50.toFixed(1)} ms`, deep.p50 < 10],
      ['deep page p50 ≤ 1.5 × first page', `${(deep.p50 / Math.max(first.p50, 0.001)).toFixed(2)} ×`, deep.p50 <= 1.5 * first.p50],
      ['filtered totalCount p50 < 50 ms', `${filtered.p50.toFixed(1)} ms`, filtered.p50 < 50],
      ['RSS under load < 300 MB', `${rss} MB`, rss < 300],
    ];
    console.log(`\ntargets (latencies at ${Math.min(...connections)} connection${Math.min(...connections) === 1 ? '' : 's'}):`);
    console.log(table(['target', 'measured', 'holds'], targets.map(([a, b, ok]) => [String(a), String(b), ok ? 'yes' : 'NO'])));
    const file = writeJson('scale.json', { date: new Date().toISOString(), machine: machine(), scale, generateSeconds, settings, results, targets });
    console.log(`\nJSON: ${file}`);
  } finally {
    load.close();
    await server.stop();
    await dropDatabase(DB);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
