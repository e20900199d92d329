// The floor of the read benchmark: a tiny HTTP server that answers each benchmark query
// with the same JSON as the GraphQL servers, built by PostgreSQL in ONE named (prepared)
// statement and written out as the text PostgreSQL returned. No GraphQL, no validation:
// what is left is HTTP, one round trip to PostgreSQL, and the SQL itself.
//
// POST /graphql {"op": "canonical" | "search" | "deep" | "resource" | "small", "variables": {...}}
// Cursors are the resource name (names are unique).
// Env: DATABASE_URL, PORT, HOST, POOL_SIZE.
import http from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE ?? 12), application_name: 'bench-raw' });

const platformsJson = `(SELECT coalesce(json_agg(json_build_object('architecture', e->>'architecture', 'os', e->>'os')), '[]')
  FROM jsonb_array_elements(i.platforms) e)`;

function instancesJson(first, withTotal) {
  return `json_build_object(${withTotal ? `'totalCount', (SELECT count(*) FROM processing_instance c WHERE c.resource_id = p.id), ` : ''}'edges', (
    SELECT coalesce(json_agg(json_build_object('node', json_build_object(
      'id', i.id, 'name', i.name, 'digest', i.digest, 'origin', json_build_object('ref', i.origin_ref), 'platforms', ${platformsJson}))
      ORDER BY coalesce(i.upstream_last_updated, '-infinity'::timestamptz) DESC, i.id DESC), '[]')
    FROM (SELECT * FROM processing_instance i WHERE i.resource_id = p.id
          ORDER BY coalesce(i.upstream_last_updated, '-infinity'::timestamptz) DESC, i.id DESC LIMIT ${first}) i))`;
}

/** resources(first: 50, orderBy: NAME ASC[, filter: { search }][, after]) with the canonical selection. */
function resourcesSql({ search, after }) {
  const where = [];
  if (search) where.push(`(r.name ILIKE $1 OR r.short_description ILIKE $1)`);
  const countWhere = [...where];
  if (after) where.push(`r.name > $${search ? 2 : 1}`);
  const w = (list) => (list.length ? `WHERE ${list.join(' AND ')}` : '');
  return `
    WITH page AS (SELECT r.id, r.name, r.short_description, r.logo, r.is_draft FROM processing_resource r ${w(where)} ORDER BY r.name LIMIT 51),
         shown AS (SELECT * FROM page ORDER BY name LIMIT 50)
    SELECT json_build_object('data', json_build_object('resources', json_build_object(
      'totalCount', (SELECT count(*) FROM processing_resource r ${w(countWhere)}),
      'pageInfo', json_build_object('hasNextPage', (SELECT count(*) FROM page) > 50, 'endCursor', (SELECT max(name) FROM shown)),
      'edges', (SELECT coalesce(json_agg(json_build_object('node', json_build_object(
          'id', p.id, 'name', p.name, 'shortDescription', p.short_description, 'logo', p.logo, 'isDraft', p.is_draft,
          'instances', ${instancesJson(10, false)})) ORDER BY p.name), '[]') FROM shown p)
    )))::text AS body`;
}

const STATEMENTS = {
  canonical: { sql: resourcesSql({}), args: () => [] },
  search: { sql: resourcesSql({ search: true }), args: (v) => [`%${v.search.replace(/[\\%_]/g, '\\$&')}%`] },
  deep: { sql: resourcesSql({ after: true }), args: (v) => [v.after] },
  resource: {
    sql: `SELECT json_build_object('data', json_build_object('resource', (
            SELECT json_build_object('id', p.id, 'name', p.name, 'shortDescription', p.short_description, 'logo', p.logo,
                                     'instances', ${instancesJson(100, true)})
            FROM processing_resource p WHERE p.name = $1)))::text AS body`,
    args: (v) => [v.name],
  },
  // For walking to the deep page: the end cursor of `first` resources after `after`.
  page: {
    sql: `SELECT json_build_object('data', json_build_object('resources', json_build_object('pageInfo', json_build_object('endCursor', max(name)))))::text AS body
          FROM (SELECT name FROM processing_resource WHERE ($2::text IS NULL OR name > $2) ORDER BY name LIMIT $1) x`,
    args: (v) => [v.first, v.after ?? null],
  },
  small: {
    sql: `SELECT json_build_object('data', json_build_object('resources', json_build_object('edges', (
            SELECT coalesce(json_agg(json_build_object('node', json_build_object('name', r.name)) ORDER BY r.name), '[]')
            FROM (SELECT name FROM processing_resource ORDER BY name LIMIT 5) r))))::text AS body`,
    args: () => [],
  },
};

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    try {
      const { op, variables = {} } = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      const st = STATEMENTS[op];
      if (!st) return send(res, 400, JSON.stringify({ errors: [{ message: `unknown op ${op}` }] }));
      const r = await pool.query({ name: `bench_${op}`, text: st.sql, values: st.args(variables) });
      send(res, 200, r.rows[0].body);
    } catch (e) {
      send(res, 500, JSON.stringify({ errors: [{ message: String(e?.message ?? e) }] }));
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  console.log(JSON.stringify({ listening: server.address().port }));
});
process.on('SIGTERM', () => {
  server.close();
  pool.end().finally(() => process.exit(0));
});
