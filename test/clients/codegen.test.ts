import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(__dirname, '../../..');
const script = path.join(root, 'scripts', 'codegen.mjs');

interface CodegenModule {
  generate(): Promise<{ filename: string; content: string }[]>;
  firstDifference(expected: string, actual: string): { line: number; expected: string; actual: string } | null;
}

test('examples/operations/*.ts are what `npm run codegen` generates from the schema and the example operations', async () => {
  const codegen = (await import(pathToFileURL(script).href)) as CodegenModule;
  const outputs = await codegen.generate();
  assert.deepEqual(outputs.map((o) => o.filename).sort(), ['examples/operations/generated.ts', 'examples/operations/schema-types.ts']);
  for (const output of outputs) {
    const committed = fs.readFileSync(path.join(root, output.filename), 'utf8');
    const diff = codegen.firstDifference(output.content, committed);
    if (diff === null) continue;
    assert.fail(
      `${output.filename} differs from what codegen generates (first difference at line ${diff.line}:\n` +
        `  committed: ${JSON.stringify(diff.actual)}\n  generated: ${JSON.stringify(diff.expected)}).\nRun \`npm run codegen\` and commit it.`,
    );
  }
  const committed = fs.readFileSync(path.join(root, 'examples', 'operations', 'generated.ts'), 'utf8');
  assert.match(fs.readFileSync(path.join(root, 'examples', 'operations', 'schema-types.ts'), 'utf8'), /export type ProcessingResource = /);
  // Every example operation is typed.
  for (const name of ['CatalogOverviewQuery', 'CatalogPageQueryVariables', 'NodeByIdQuery', 'UpdateResourceMutation', 'RemoveTrackedImagesMutation']) {
    assert.match(committed, new RegExp(`export type ${name} = `), name);
  }
});

test('`codegen --check` fails on an edited generated file and names the line; `codegen` rewrites it', () => {
  // A copy of the script, the schema and the operations, so the repository's files stay untouched.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-codegen-'));
  try {
    fs.mkdirSync(path.join(dir, 'scripts'));
    fs.copyFileSync(script, path.join(dir, 'scripts', 'codegen.mjs'));
    fs.cpSync(path.join(root, 'schema'), path.join(dir, 'schema'), { recursive: true });
    fs.cpSync(path.join(root, 'examples', 'operations'), path.join(dir, 'examples', 'operations'), { recursive: true });
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    const run = (...args: string[]) => spawnSync(process.execPath, [path.join(dir, 'scripts', 'codegen.mjs'), ...args], { encoding: 'utf8' });

    const clean = run('--check');
    assert.equal(clean.status, 0, clean.stderr);

    const generated = path.join(dir, 'examples', 'operations', 'generated.ts');
    const original = fs.readFileSync(generated, 'utf8');
    const edited = original.replace('export type CatalogOverviewQuery = ', 'export type CatalogOverviewQueryEdited = ');
    assert.notEqual(edited, original);
    fs.writeFileSync(generated, edited);
    const stale = run('--check');
    assert.equal(stale.status, 1);
    const line = original.split('\n').findIndex((l) => l.startsWith('export type CatalogOverviewQuery = ')) + 1;
    assert.match(stale.stderr, new RegExp(`examples/operations/generated\\.ts: differs at line ${line}\\b`));
    assert.match(stale.stderr, /CatalogOverviewQueryEdited/);
    assert.equal(fs.readFileSync(generated, 'utf8'), edited, '--check writes nothing');

    const write = run();
    assert.equal(write.status, 0, write.stderr);
    assert.match(write.stdout, /examples\/operations\/generated\.ts: written/);
    assert.equal(fs.readFileSync(generated, 'utf8'), original);
    assert.equal(run('--check').status, 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
