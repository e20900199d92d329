// PostGraphile 4 over the same tables, set up as one would run it in production: no watch
// mode, no GraphiQL, no query log, JSON columns as JSON (dynamicJson), Relay connections
// only (simple collections omitted), its default prepared statements and query cache.
// Search uses postgraphile-plugin-connection-filter (`includesInsensitive`, i.e. ILIKE
// '%x%', the SQL catalog-sync runs; both are served by the same trigram indexes).
// Env: DATABASE_URL, PORT, HOST, POOL_SIZE.
import http from 'node:http';
import { postgraphile } from 'postgraphile';
import ConnectionFilterPlugin from 'postgraphile-plugin-connection-filter';

const handler = postgraphile(
  { connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE ?? 12), application_name: 'bench-postgraphile' },
  'public',
  {
    watchPg: false,
    graphiql: false,
    enhanceGraphiql: false,
    dynamicJson: true,
    setofFunctionsContainNulls: false,
    simpleCollections: 'omit',
    legacyRelations: 'omit',
    disableQueryLog: true,
    retryOnInitFail: false,
    enableQueryBatching: false,
    appendPlugins: [ConnectionFilterPlugin.default ?? ConnectionFilterPlugin],
    graphileBuildOptions: { connectionFilterRelations: false, connectionFilterComputedColumns: false, connectionFilterSetofFunctions: false },
  },
);

const server = http.createServer(handler);
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  console.log(JSON.stringify({ listening: server.address().port }));
});
process.on('SIGTERM', () => {
  server.close();
  Promise.resolve(handler.release?.()).finally(() => process.exit(0));
});
