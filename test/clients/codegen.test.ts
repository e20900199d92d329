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
  assert.equal(outputs.length, 1);
  const file = path.resolve(root, outputs[0].filename);
  assert.equal(path.relative(root, file), path.join('examples', 'operations', 'generated.ts'));
  const committed = fs.readFileSync(file, 'utf8');
  if (committed !== outputs[0].content) {
    const a = committed.split('\n');
    const b = outputs[0].content.split('\n');
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    assert.fail(
      `examples/operations/generated.ts differs from what codegen generates (first difference at line ${i + 1}:\n` +
        `  committed: ${JSON.stringify(a[i])}\n  generated: ${JSON.stringify(b[i])}).\nRun \`npm run codegen\` and commit it.`,
    );
  }
  // Every example operation is typed.
  for (const name of ['CatalogOverviewQuery', 'CatalogPageQueryVariables', 'NodeByIdQuery', 'UpdateResourceMutation', 'RemoveTrackedImagesMutation']) {
    assert.match(committed, new RegExp(`export type ${name} = `), name);
  }
});
