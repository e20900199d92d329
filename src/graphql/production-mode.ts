/**
 * graphql-js picks its `instanceOf` once, when it is first loaded: unless NODE_ENV is
 * `production`, a slower one that also detects several copies of graphql in one process
 * (measured: ~6% of the CPU time of the catalog query). This process holds one copy, and
 * Apollo's NODE_ENV-dependent defaults are all set explicitly (src/graphql/apollo.ts), so
 * graphql-js is loaded in production mode whatever NODE_ENV says, and NODE_ENV is restored.
 * Import this module before anything that imports graphql.
 */
const nodeEnv = process.env.NODE_ENV;
process.env.NODE_ENV = 'production';
try {
  require('graphql');
} finally {
  if (nodeEnv === undefined) delete process.env.NODE_ENV;
  else process.env.NODE_ENV = nodeEnv;
}
export {};
