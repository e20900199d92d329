import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { generate, loadCodegenConfig } from '@graphql-codegen/cli';

const root = path.resolve(__dirname, '../../..');

test('examples/operations/generated.ts is what `npm run codegen` generates from the schema and the example operations', async () => {
  const { config } = await loadCodegenConfig({ configFilePath: path.join(root, 'codegen.yml') });
  const cwd = process.cwd();
  process.chdir(root); // the config's paths are relative to the repository root
  let outputs: { filename: string; content: string }[];
  try {
    outputs = await generate({ ...config, cwd: root, silent: true }, false);
  } finally {
    process.chdir(cwd);
  }
  assert.deepEqual(outputs.map((o) => path.relative(root, path.resolve(root, o.filename))).sort(), [
    path.join('examples', 'operations', 'generated.ts'),
    path.join('examples', 'operations', 'schema-types.ts'),
  ]);
  for (const output of outputs) {
    const committed = fs.readFileSync(path.resolve(root, output.filename), 'utf8');
    if (committed === output.content) continue;
    const a = committed.split('\n');
    const b = output.content.split('\n');
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    assert.fail(
      `${output.filename} differs from what codegen generates (first difference at line ${i + 1}:\n` +
        `  committed: ${JSON.stringify(a[i])}\n  generated: ${JSON.stringify(b[i])}).\nRun \`npm run codegen\` and commit it.`,
    );
  }
  const committed = fs.readFileSync(path.join(root, 'examples', 'operations', 'generated.ts'), 'utf8');
  assert.match(fs.readFileSync(path.join(root, 'examples', 'operations', 'schema-types.ts'), 'utf8'), /export type ProcessingResource = /);
  // Every example operation is typed.
  for (const name of ['CatalogOverviewQuery', 'CatalogPageQueryVariables', 'NodeByIdQuery', 'UpdateResourceMutation', 'RemoveTrackedImagesMutation']) {
    assert.match(committed, new RegExp(`export type ${name} = `), name);
  }
});
