/**
 * Read benchmark: the canonical catalog query over HTTP against 100,000 instances
 * (1,000 resources × 100 tags, synthetic rows inserted with SQL), compared with one
 * hand-written SQL statement that returns the same data as JSON (the floor any GraphQL
 * layer adds to). Closed-loop load with a fixed number of concurrent clients.
 */
import { Pool as HttpPool } from 'undici';
import pg from 'pg';
import { createTestDatabase, fmt, peakRssMb, startBenchApp } from './support';

const RESOURCES = Number(process.env.BENCH_RESOURCES ?? 1000);
const TAGS = Number(process.env.BENCH_TAGS ?? 100);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);

const CANONICAL = `query Catalog($after: String) {
  resources(first: 50, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id name shortDescription logo pullCount starCount lastUpdated isDraft
      instances(first: 10) { totalCount edges { node {
        id name digest fullSize lastUpdated isPeerless
        origin { ref verified } platforms { architecture os variant }
      } } }
    } }
  }
}`;

const SEARCH = `{ resources(first: 20, filter: { search: "img1", architecture: "arm64" }, orderBy: { field: PULL_COUNT, direction: DESC }) {
  totalCount edges { node { name pullCount instances(first: 5, filter: { architecture: "arm64" }) { edges { node { name } } } } } } }`;

// The same data as CANONICAL, from one SQL statement.
const RAW_SQL = `
SELECT json_build_object('totalCount', (SELECT count(*) FROM processing_resource), 'edges', coalesce(json_agg(json_build_object(
  'id', r.id, 'name', r.name, 'shortDescription', r.short_description, 'logo', r.logo, 'pullCount', r.pull_count,
  'starCount', r.star_count, 'lastUpdated', r.upstream_last_updated, 'isDraft', r.is_draft,
  'instances', json_build_object(
    'totalCount', (SELECT count(*) FROM processing_instance c WHERE c.resource_id = r.id),
    'edges', (SELECT coalesce(json_agg(json_build_object('id', i.id, 'name', i.name, 'digest', i.digest, 'fullSize', i.full_size,
        'lastUpdated', i.upstream_last_updated, 'isPeerless', i.creator_id = '' AND i.partnerships = '[]'::jsonb AND i.origin_ref <> '',
        'origin', json_build_object('ref', i.origin_ref, 'verified', i.origin_verified), 'platforms', i.platforms)), '[]')
      FROM (SELECT * FROM processing_instance i WHERE i.resource_id = r.id
            ORDER BY coalesce(i.upstream_last_updated, '-infinity'::timestamptz) DESC, i.id DESC LIMIT 10) i))
  ) ORDER BY r.name), '[]')) AS page
FROM (SELECT * FROM processing_resource ORDER BY name, id LIMIT 50) r`;

async function seed(db: { query(sql: string, p?: unknown[]): Promise<any[]> }) {
  await db.query(`
    INSERT INTO processing_resource (id, name, namespace, repository, description, short_description, logo, owners,
      is_draft, star_count, pull_count, upstream_last_updated, content_hash)
    SELECT gen_random_uuid(), 'org' || (g % 97) || '/img' || g, 'org' || (g % 97), 'img' || g,
      repeat('Long description of image ' || g || '. ', 200), 'Image number ' || g, 'https://example.com/' || g || '.png',
      '[{"name":"https://hub.docker.com/","logo":"https://icones8.fr/icon/Wln8Z3PcXanx/logo-docker"}]',
      false, g * 7, g::bigint * 12345678, now() - g * interval '1 minute', md5(g::text)
    FROM generate_series(1, $1::int) g`,
    [RESOURCES],
  );
  await db.query(`
    INSERT INTO processing_instance (id, resource_id, name, origin_ref, access_image, access_env, digest, full_size,
      upstream_last_updated, tag_status, platforms, content_hash)
    SELECT gen_random_uuid(), r.id, '1.' || t, 'docker.io/' || r.name || ':1.' || t, 'docker.io/' || r.name || ':1.' || t,
      jsonb_build_object('ARCH', 'amd64'), 'sha256:' || md5(r.name || t) || md5(t || r.name), 50000000 + t,
      now() - t * interval '1 hour', 'active',
      CASE WHEN t % 3 = 0 THEN '[{"architecture":"amd64","os":"linux","variant":null,"digest":"sha256:a","size":1},{"architecture":"arm64","os":"linux","variant":"v8","digest":"sha256:b","size":2}]'::jsonb
           ELSE '[{"architecture":"amd64","os":"linux","variant":null,"digest":"sha256:a","size":1}]'::jsonb END,
      md5(r.name || t)
    FROM processing_resource r, generate_series(1, $1::int) t`,
    [TAGS],
  );
  await db.query('ANALYZE');
}

interface Result {
  requests: number;
  seconds: number;
  latencies: number[];
}

async function closedLoop(run: () => Promise<void>): Promise<Result> {
  for (let i = 0; i < 20; i++) await run(); // warm-up
  const latencies: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await run();
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { requests: latencies.length, seconds: (performance.now() - t0) / 1000, latencies };
}

function report(label: string, r: Result) {
  const sorted = [...r.latencies].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  console.log(
    `  ${label.padEnd(28)} ${fmt(r.requests / r.seconds, 0).padStart(6)} req/s   p50 ${fmt(q(0.5), 1)} ms   p95 ${fmt(q(0.95), 1)} ms   p99 ${fmt(q(0.99), 1)} ms`,
  );
  return r.requests / r.seconds;
}

async function main() {
  const db = await createTestDatabase('catalog_bench');
  const app = await startBenchApp(db.url, { DOCKER_SCRAPER_IMAGES: 'nginx' }, true);
  const http = new HttpPool(`http://127.0.0.1:${app.http!.port}`, { connections: CONCURRENCY });
  const raw = new pg.Pool({ connectionString: db.url, max: CONCURRENCY });
  try {
    const t = performance.now();
    await seed(db);
    console.log(`${RESOURCES} resources × ${TAGS} tags = ${RESOURCES * TAGS} instances seeded in ${fmt((performance.now() - t) / 1000, 1)} s`);
    console.log(`closed loop, ${CONCURRENCY} concurrent clients, ${SECONDS} s each`);

    const post = (query: string, variables?: unknown) => async () => {
      const res: Awaited<ReturnType<typeof http.request>> = await http.request({
        method: 'POST',
        path: '/graphql',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.body.json()) as { errors?: unknown[] };
      if (res.statusCode !== 200 || body.errors) throw new Error(JSON.stringify(body).slice(0, 500));
    };
    const gqlFirst = report('GraphQL canonical (page 1)', await closedLoop(post(CANONICAL)));
    // The cursor after the first 500 resources (5 pages of 100).
    let after: string | null = null;
    for (let i = 0; i < 5; i++) {
      const res: Awaited<ReturnType<typeof http.request>> = await http.request({
        method: 'POST',
        path: '/graphql',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `query($after: String) { resources(first: 100, after: $after) { pageInfo { endCursor } } }`, variables: { after } }),
      });
      after = ((await res.body.json()) as any).data.resources.pageInfo.endCursor;
    }
    report('GraphQL canonical (page 11)', await closedLoop(post(CANONICAL, { after })));
    report('GraphQL search + filters', await closedLoop(post(SEARCH)));
    const sqlRate = report('raw SQL, same data as JSON', await closedLoop(async () => void (await raw.query(RAW_SQL))));
    console.log(`  GraphQL / raw SQL throughput: ${fmt(gqlFirst / sqlRate)}`);
    console.log(`  peak RSS ${peakRssMb()} MB`);
  } finally {
    await http.close();
    await raw.end();
    await app.close();
    await db.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
