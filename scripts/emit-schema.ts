/**
 * Writes the GraphQL schema the code builds to schema/schema.graphql (`npm run schema:emit`).
 * test/graphql/schema.test.ts fails when the committed file differs from this output.
 */
import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { buildAppSchema, emitSdl } from '../src/graphql/schema';

/** schema/schema.graphql of the project: this file runs from dist/scripts/. */
export const SCHEMA_FILE = path.resolve(__dirname, '..', '..', 'schema', 'schema.graphql');

async function main(): Promise<void> {
  const sdl = emitSdl(await buildAppSchema());
  fs.mkdirSync(path.dirname(SCHEMA_FILE), { recursive: true });
  const before = fs.existsSync(SCHEMA_FILE) ? fs.readFileSync(SCHEMA_FILE, 'utf8') : undefined;
  fs.writeFileSync(SCHEMA_FILE, sdl);
  process.stdout.write(`${before === sdl ? 'unchanged' : 'wrote'} ${path.relative(process.cwd(), SCHEMA_FILE) || SCHEMA_FILE}\n`);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`schema:emit failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
