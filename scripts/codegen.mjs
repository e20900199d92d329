// `npm run codegen`: TypeScript types of the schema and of the example operations, generated with
// GraphQL Code Generator's core and its typescript / typescript-operations plugins.
//
//   examples/operations/schema-types.ts  every type of schema/schema.graphql (plugin `typescript`)
//   examples/operations/generated.ts     result and variables types of each operation in
//                                        examples/operations/*.graphql (plugin `typescript-operations`)
//
// Both files are committed; test/clients/codegen.test.ts fails when they differ from what this
// script generates. The script calls `codegen()` of @graphql-codegen/core directly instead of
// @graphql-codegen/cli: the CLI pulls loaders (URL, GitHub, git, Apollo Engine), listr2 and fetch
// polyfills whose engines need Node >= 22, and this project runs on Node 20. It loads the schema
// and documents the way the CLI does (schema sorted lexicographically, documents sorted by path),
// so the output is the CLI's byte for byte.
//
//   node scripts/codegen.mjs          write both files
//   node scripts/codegen.mjs --check  write nothing; exit 1 naming the first differing line
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchema, lexicographicSortSchema, parse } from 'graphql';
import { codegen } from '@graphql-codegen/core';
import { getCachedDocumentNodeFromSchema } from '@graphql-codegen/plugin-helpers';
import * as typescriptPlugin from '@graphql-codegen/typescript';
import * as typescriptOperationsPlugin from '@graphql-codegen/typescript-operations';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const schemaFile = 'schema/schema.graphql';
const documentsDir = 'examples/operations';

/** Options of both plugins (see the plugins' documentation). */
export const config = {
  scalars: {
    DateTimeISO: 'string',
    SafeInt: 'number',
  },
  enumsAsTypes: true,
  useTypeImports: true,
};

/**
 * Output file → plugins. typescript-operations 6 writes the enums and inputs an operation uses
 * itself, so the two plugins write separate files.
 */
export const outputs = {
  [`${documentsDir}/schema-types.ts`]: ['typescript'],
  [`${documentsDir}/generated.ts`]: ['typescript-operations'],
};

const pluginMap = {
  typescript: typescriptPlugin,
  'typescript-operations': typescriptOperationsPlugin,
};

function loadSchema() {
  const sdl = fs.readFileSync(path.join(root, schemaFile), 'utf8');
  return lexicographicSortSchema(buildSchema(sdl, { assumeValidSDL: true }));
}

function loadDocuments() {
  const dir = path.join(root, documentsDir);
  const files = fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.graphql'))
    .map((name) => path.join(dir, name))
    .sort();
  if (files.length === 0) throw new Error(`no *.graphql operations in ${documentsDir}`);
  return files.map((location) => {
    const rawSDL = fs.readFileSync(location, 'utf8');
    return { location, rawSDL, document: parse(rawSDL) };
  });
}

/** Generates every output: [{ filename (relative to the repository root), content }]. */
export async function generate() {
  const schemaAst = loadSchema();
  const schema = getCachedDocumentNodeFromSchema(schemaAst);
  const documents = loadDocuments();
  const results = [];
  for (const [filename, plugins] of Object.entries(outputs)) {
    const content = await codegen({
      filename,
      schema,
      schemaAst,
      documents,
      plugins: plugins.map((name) => ({ [name]: {} })),
      pluginMap,
      config: { ...config, emitLegacyCommonJSImports: true },
      emitLegacyCommonJSImports: true,
    });
    results.push({ filename, content });
  }
  return results;
}

/** The first line where `actual` differs from `expected`, or null when they are equal. */
export function firstDifference(expected, actual) {
  if (expected === actual) return null;
  const a = expected.split('\n');
  const b = actual.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return { line: i + 1, expected: a[i], actual: b[i] };
}

async function main(args) {
  const check = args.includes('--check');
  const unknown = args.filter((arg) => arg !== '--check');
  if (unknown.length > 0) {
    process.stderr.write(`codegen: unknown argument ${unknown[0]} (usage: node scripts/codegen.mjs [--check])\n`);
    return 2;
  }
  let stale = 0;
  for (const { filename, content } of await generate()) {
    const file = path.join(root, filename);
    const committed = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
    if (committed === content) {
      process.stdout.write(`${filename}: up to date\n`);
      continue;
    }
    if (check) {
      stale++;
      const diff = committed === null ? null : firstDifference(content, committed);
      process.stderr.write(
        diff === null
          ? `${filename}: missing\n`
          : `${filename}: differs at line ${diff.line}\n  committed: ${JSON.stringify(diff.actual)}\n  generated: ${JSON.stringify(diff.expected)}\n`,
      );
      continue;
    }
    fs.writeFileSync(file, content);
    process.stdout.write(`${filename}: written\n`);
  }
  if (stale > 0) process.stderr.write('Run `npm run codegen` and commit the result.\n');
  return stale > 0 ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`codegen: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
