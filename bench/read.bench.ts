/**
 * Side-by-side read benchmark on catalog S (10,000 resources × 10 instances): catalog-sync
 * (the built service, as `npm start` runs it), PostGraphile 4 over the same tables, and a
 * raw `pg` server answering the same JSON from one SQL statement. Every server and the load
 * generator (autocannon) run in their own processes; rounds alternate the servers, so a
 * noisy neighbour hits all of them alike. See BENCHMARKS.md.
 *
 * Env: BENCH_ROUNDS, BENCH_WARMUP, BENCH_DURATION (s), BENCH_CONNECTIONS (16,64),
 * BENCH_SERVERS, BENCH_QUERIES, BENCH_RESOURCES, BENCH_QUICK=1, BENCH_OUT (see BENCHMARKS.md).
 */
import { isDeepStrictEqual } from 'node:util';
import { SCALES, CatalogScale } from './generate';
import {
  catalogDatabase,
  onInterrupt,
  cursorAfter,
  dropDatabase,
  ensureBenchTools,
  LoadGenerator,
  machine,
  measure,
  post,
  postgresCpu,
  QUICK,
  Server,
  settings,
  startServer,
  table,
  writeJson,
} from './harness';
import pg from 'pg';
import { body, normalize, POSTGRAPHILE_SQL, QueryArgs, QueryName, READY, ServerKind } from './queries';

const scale: CatalogScale = { ...SCALES.S, resources: Number(process.env.BENCH_RESOURCES || (QUICK ? 2000 : SCALES.S.resources)) };
const DB = 'catalog_bench_s';

interface Cell {
  query: QueryName;
  connections: number;
  server: ServerKind;
  rounds: Awaited<ReturnType<typeof measure>>[];
}

async function main() {
  ensureBenchTools();
  const servers = settings.servers as ServerKind[];
  const queries = settings.queries as QueryName[];
  console.log(`machine: ${JSON.stringify(machine())}`);
  const url = await catalogDatabase(DB, scale);
  const pgCpu = await postgresCpu(url);
  if (servers.includes('postgraphile')) {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(POSTGRAPHILE_SQL);
    await c.end();
  }
  const running: Server[] = [];
  const load = new LoadGenerator();
  onInterrupt(async () => {
    load.close();
    for (const s of running) await s.stop();
  });
  try {
    for (const kind of servers) running.push(await startServer(kind, url, READY));
    console.log(`servers: ${running.map((s) => `${s.kind} (pid ${s.pid})`).join(', ')}; load generator pid ${load.pid}`);

    // Each server's own cursor of the resource before the last page of 50.
    const args: QueryArgs = { search: settings.search, after: {} };
    if (queries.includes('deep')) {
      for (const s of running) args.after[s.kind as ServerKind] = await cursorAfter(s, scale.resources - 50);
    }

    // Honesty check: every server answers every query with the same data.
    for (const q of queries) {
      let reference: { kind: string; data: unknown } | null = null;
      for (const s of running) {
        const data = normalize(s.kind as ServerKind, q, await post(s.url, body(s.kind as ServerKind, q, args)));
        if (!reference) reference = { kind: s.kind, data };
        else if (!isDeepStrictEqual(reference.data, data)) {
          throw new Error(
            `${q}: ${s.kind} and ${reference.kind} answer different data:\n${JSON.stringify(data).slice(0, 600)}\n${JSON.stringify(reference.data).slice(0, 600)}`,
          );
        }
      }
      const sample = reference!.data as any;
      const detail = Array.isArray(sample) ? `${sample.length} names` : sample.edges ? `${sample.edges.length} of ${sample.totalCount} resources` : `${sample.instances.edges.length} instances`;
      console.log(`  ${q}: same data from ${running.map((s) => s.kind).join(', ')} (${detail})`);
    }

    console.log(
      `\n${settings.rounds} round(s) × ${queries.length} queries × connections ${settings.connections.join('/')} × ${running.length} servers; ` +
        `${settings.warmup} s warm-up + ${settings.duration} s measured each`,
    );
    const cells = new Map<string, Cell>();
    let turn = 0;
    for (let round = 0; round < settings.rounds; round++) {
      for (const q of queries) {
        for (const c of settings.connections) {
          // Who goes first rotates, so no server always follows the same one.
          const order = running.map((_, i) => running[(i + turn) % running.length]);
          turn++;
          for (const s of order) {
            const r = await measure(load, s, body(s.kind as ServerKind, q, args), c, pgCpu);
            const key = `${q}|${c}|${s.kind}`;
            if (!cells.has(key)) cells.set(key, { query: q, connections: c, server: s.kind as ServerKind, rounds: [] });
            cells.get(key)!.rounds.push(r);
            console.log(
              `  round ${round + 1} ${q.padEnd(9)} c=${String(c).padEnd(3)} ${s.kind.padEnd(12)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  cpu ${r.cpuMsPerReq.toFixed(2)} ms/req`,
            );
          }
        }
      }
    }

    // Aggregate: throughput over all rounds, mean of the rounds' percentiles, CPU over all requests.
    const summary = [...cells.values()].map((cell) => {
      const rs = cell.rounds;
      const requests = rs.reduce((s, r) => s + r.requests, 0);
      const seconds = rs.reduce((s, r) => s + r.seconds, 0);
      const mean = (f: (r: (typeof rs)[number]) => number) => rs.reduce((s, r) => s + f(r), 0) / rs.length;
      return {
        query: cell.query,
        connections: cell.connections,
        server: cell.server,
        rps: requests / seconds,
        p50: mean((r) => r.p50),
        p99: mean((r) => r.p99),
        cpuMsPerReq: mean((r) => r.cpuMsPerReq * r.requests) / mean((r) => r.requests),
        pgCpuMsPerReq: rs[0].pgCpuMsPerReq === null ? null : mean((r) => r.pgCpuMsPerReq! * r.requests) / mean((r) => r.requests),
        rssMb: Math.max(...rs.map((r) => r.rssMb)),
        kbPerResponse: rs.reduce((s, r) => s + r.bytes, 0) / requests / 1024,
        roundsRps: rs.map((r) => r.rps),
      };
    });
    const find = (q: string, c: number, k: string) => summary.find((x) => x.query === q && x.connections === c && x.server === k);
    const ratio = (a: number | undefined, b: number | undefined) => (a && b ? (a / b).toFixed(2) : '–');
    /** min–max of the per-round throughput ratios: alternating rounds make these the robust figure. */
    const roundRatios = (a: typeof summary[number] | undefined, b: typeof summary[number] | undefined) => {
      if (!a || !b) return '–';
      const rs = a.roundsRps.map((x, i) => x / b.roundsRps[i]);
      return rs.length > 1 ? `${Math.min(...rs).toFixed(2)}–${Math.max(...rs).toFixed(2)}` : rs[0].toFixed(2);
    };
    // Fixed order: by query as asked, connections, then server as listed.
    summary.sort(
      (a, b) =>
        queries.indexOf(a.query) - queries.indexOf(b.query) ||
        a.connections - b.connections ||
        servers.indexOf(a.server) - servers.indexOf(b.server),
    );
    const rows = summary.map((x) => {
      const pg4 = find(x.query, x.connections, 'postgraphile');
      const raw = find(x.query, x.connections, 'raw');
      return [
        x.query,
        x.connections,
        x.server,
        x.rps.toFixed(0),
        x.p50.toFixed(1),
        x.p99.toFixed(1),
        x.cpuMsPerReq.toFixed(2),
        x.pgCpuMsPerReq === null ? '–' : x.pgCpuMsPerReq.toFixed(2),
        x.pgCpuMsPerReq === null ? '–' : (x.cpuMsPerReq + x.pgCpuMsPerReq).toFixed(2),
        x.rssMb,
        x.kbPerResponse.toFixed(1),
        x.server === 'postgraphile' ? '1.00' : ratio(x.rps, pg4?.rps),
        x.server === 'postgraphile' ? '' : roundRatios(x, pg4),
        x.server === 'raw' ? '1.00' : ratio(x.rps, raw?.rps),
      ];
    });
    console.log(`\nRead benchmark, catalog ${scale.resources} resources × ${scale.instancesPerResource} instances, search "${settings.search}"`);
    console.log(
      table(
        ['query', 'conn', 'server', 'req/s', 'p50 ms', 'p99 ms', 'cpu ms/req', 'pg cpu ms/req', 'total cpu', 'rss MB', 'KB/resp', '×PG4', '×PG4 rounds', '×raw'],
        rows,
      ),
    );
    const file = writeJson('read.json', {
      date: new Date().toISOString(),
      machine: machine(),
      scale,
      settings,
      servers: running.map((s) => s.kind),
      summary,
      cells: [...cells.values()],
    });
    console.log(`\nJSON: ${file}`);
  } finally {
    load.close();
    for (const s of running) await s.stop();
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
