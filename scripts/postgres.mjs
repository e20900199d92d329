// A PostgreSQL server for the test and benchmark runners: DATABASE_URL when set, otherwise
// an embedded server in a temporary directory, removed when `stop()` is called.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export async function serverForScripts(root, label) {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, stop: async () => {} };
  const { startEmbeddedPostgres } = await import(path.join(root, 'dist/src/database/embedded.js'));
  const { createLogger } = await import(path.join(root, 'dist/src/shared/logger.js'));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `catalog-sync-${label}-`));
  fs.chmodSync(tmp, 0o755);
  const started = Date.now();
  const embedded = await startEmbeddedPostgres({ dataDir: tmp, logger: createLogger('warn'), database: 'postgres' });
  console.error(`embedded PostgreSQL for the ${label} on port ${embedded.port} (${Date.now() - started} ms)`);
  return {
    url: embedded.url,
    async stop() {
      await embedded.stop();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}
