import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import os from 'node:os';
import fs from 'node:fs';
import { createTestDatabase, TestDatabase } from '../support/db';
import { FakeDockerHub } from '../support/fake-docker-hub';
import { syntheticTags } from '../support/hub-data';

const CLI = path.resolve(__dirname, '../../src/cli/scrape.js');

describe('npm run scrape (the scrape command)', () => {
  let db: TestDatabase;
  let hub: FakeDockerHub;
  const run = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [CLI, ...args],
        {
          env: {
            PATH: process.env.PATH,
            DATABASE_URL: db.url,
            DOCKER_HUB_URL: hub.url,
            DOCKER_SCRAPER_IMAGES: 'nginx,acme/tool,ghost-image',
            CATALOG_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-sync-cli-')),
            LOG_LEVEL: 'warn',
            ...env,
          },
          timeout: 60_000,
        },
        (err, stdout, stderr) => resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr }),
      );
    });

  before(async () => {
    db = await createTestDatabase();
    hub = await FakeDockerHub.start();
    hub.setRepository('library', 'nginx', { tags: syntheticTags(3) });
    hub.setRepository('acme', 'tool', { tags: syntheticTags(2) });
  });
  after(async () => {
    await hub.close();
    await db.drop();
  });

  test('scrapes the named images, prints a summary table and exits 0', async () => {
    const r = await run(['nginx', 'acme/tool']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^IMAGE +STATUS +ADDED +UPDATED +NOTE$/m);
    assert.match(r.stdout, /^nginx +OK +3 +0$/m);
    assert.match(r.stdout, /^acme\/tool +OK +2 +0$/m);
    assert.match(r.stdout, /SUCCEEDED in [\d.]+s — 2 images, 0 failed, 2 resources created, 5 instances added/);
    assert.match(r.stdout, /^progress: 2\/2 images/m, 'plain progress lines when not on a terminal');
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM processing_instance`);
    assert.equal(n, 5);
  });

  test('exits 1 when an image fails or is not found', async () => {
    const r = await run([]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^ghost-image +NOT_FOUND +0 +0 +Docker Hub has no repository library\/ghost-image/m);
    assert.match(r.stdout, /PARTIAL/);
  });

  test('exits 2 on untracked images, bad options and bad configuration', async () => {
    const untracked = await run(['redis']);
    assert.equal(untracked.code, 2);
    assert.match(untracked.stderr, /Not tracked: redis/);
    const flag = await run(['--frobnicate']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /unknown option --frobnicate/);
    const bad = await run([], { DOCKER_SCRAPER_MAX_TAGS: 'abc' });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /DOCKER_SCRAPER_MAX_TAGS="abc"/);
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: npm run scrape/);
  });
});
