import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createTestDatabase, TestDatabase } from '../support/db';
import { FakeDockerHub } from '../support/fake-docker-hub';
import { syntheticTags } from '../support/hub-data';
import { Child, startChild } from '../support/child';

const ROOT = path.resolve(__dirname, '../../..');
const compose = fs.readFileSync(path.join(ROOT, 'compose.yaml'), 'utf8');

/** The `catalog-sync` service of compose.yaml: its replica count and environment (a small reader for this file's shape). */
function composeService(name: string): { replicas: number; environment: Record<string, string> } {
  const block = new RegExp(`^  ${name}:\\n((?:    .*\\n|\\s*\\n)+)`, 'm').exec(compose)?.[1];
  assert.ok(block, `compose.yaml has a ${name} service`);
  const replicas = Number(/^\s+replicas:\s*(\d+)/m.exec(block)?.[1] ?? 1);
  const envBlock = /^    environment:\n((?:      .*\n|\s*#.*\n)+)/m.exec(block)?.[1] ?? '';
  const environment = Object.fromEntries(
    [...envBlock.matchAll(/^      (\w+):\s*"?([^"\n]*)"?$/gm)].map((m) => [m[1], m[2].trim()]),
  );
  return { replicas, environment };
}

const IMAGES = Array.from({ length: 24 }, (_, i) => `acme/app-${String(i).padStart(2, '0')}`);
const TOKEN = 'compose-shared-admin-token-0123456789';

let db: TestDatabase;
let hub: FakeDockerHub;
const replicas: Child[] = [];

before(async () => {
  db = await createTestDatabase('replicas');
  // Each Hub answer takes a while, so that a run lasts long enough for every replica to join it.
  hub = await FakeDockerHub.start({ latencyMs: 150 });
  for (const image of IMAGES) hub.setRepository('acme', image.slice('acme/'.length), { tags: syntheticTags(2) });
});
after(async () => {
  for (const r of replicas) r.kill('SIGKILL');
  await Promise.all(replicas.map((r) => r.exited));
  await hub?.close();
  await db?.drop();
});

test('the replicas of compose.yaml share one PostgreSQL: all answer, one scrape run, each image fetched once, one admin token', async () => {
  const service = composeService('catalog-sync');
  assert.equal(service.replicas, 3, 'compose.yaml runs three replicas');
  assert.match(service.environment.DATABASE_URL, /^postgres:\/\/.*@postgres:5432\//, 'on the compose PostgreSQL');
  assert.match(service.environment.CATALOG_ADMIN_TOKEN, /^\$\{CATALOG_ADMIN_TOKEN:\?/, 'one token, required, shared by every replica');
  assert.equal(service.environment.NODE_ENV, 'production');
  assert.match(compose, /^\s+image: postgres:17\b/m, 'PostgreSQL 17');
  assert.match(compose, /^\s+- "\$\{CATALOG_PORT:-4000\}:80"/m, 'one published port (the proxy)');

  // As compose starts them: together, on an empty database, the scheduler on (the default).
  const { DATABASE_URL: _composeUrl, CATALOG_ADMIN_TOKEN: _composeToken, PORT: _port, ...env } = service.environment;
  for (let i = 0; i < service.replicas; i++) {
    replicas.push(
      startChild({
        ...env,
        DATABASE_URL: db.url,
        CATALOG_ADMIN_TOKEN: TOKEN,
        DOCKER_HUB_URL: hub.url,
        DOCKER_SCRAPER_IMAGES: IMAGES.join(','),
        DOCKER_SCRAPER_CONCURRENCY: '2',
        DOCKER_HUB_MAX_ATTEMPTS: '1',
        LOG_LEVEL: 'info',
      }),
    );
  }
  const urls = await Promise.all(replicas.map(async (r) => (await r.waitForLog((l) => l.step === 'ready', 60_000)).url as string));
  assert.equal(new Set(urls).size, 3);
  for (const url of urls) {
    const ready = await fetch(`${url}/readyz`);
    assert.equal(ready.status, 200, url);
  }

  const gql = async (url: string, query: string, token?: string) => {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query }),
    });
    return (await res.json()) as { data?: any; errors?: any[] };
  };
  // One STARTUP run, whichever replica is asked; wait for it to end.
  let runs: any;
  const deadline = Date.now() + 90_000;
  for (;;) {
    const answers = await Promise.all(urls.map((u) => gql(u, '{ scrapeRuns(first: 5) { totalCount edges { node { id trigger status imagesDone imagesTotal } } } }')));
    for (const a of answers) assert.equal(a.errors, undefined, JSON.stringify(a.errors));
    runs = answers[0].data.scrapeRuns;
    for (const a of answers) assert.deepEqual(a.data.scrapeRuns.edges.map((e: any) => e.node.id), runs.edges.map((e: any) => e.node.id));
    if (runs.edges.every((e: any) => !['QUEUED', 'RUNNING'].includes(e.node.status))) break;
    assert.ok(Date.now() < deadline, `the run did not end in time: ${JSON.stringify(runs)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.equal(runs.totalCount, 1, 'the replicas share one run');
  const [run] = runs.edges.map((e: any) => e.node);
  assert.equal(run.trigger, 'STARTUP');
  assert.equal(run.status, 'SUCCEEDED');
  assert.equal(run.imagesDone, IMAGES.length);

  // Each image was read from the Hub once, and the work was shared.
  for (const image of IMAGES) {
    const reads = hub.requests.filter((r) => r.path === `/v2/namespaces/acme/repositories/${image.slice(5)}`);
    assert.equal(reads.length, 1, `${image} fetched once`);
  }
  const workers = await db.query(`SELECT DISTINCT claimed_by FROM scrape_run_result WHERE claimed_by IS NOT NULL`);
  assert.ok(workers.length >= 2, `more than one replica worked on the run: ${JSON.stringify(workers)}`);

  // The one token works on every replica; another is refused by all.
  for (const [i, url] of urls.entries()) {
    const ok = await gql(url, `mutation { updateTrackedImage(input: { image: "${IMAGES[i]}", maxTags: ${3 + i} }) { trackedImage { name maxTags } } }`, TOKEN);
    assert.equal(ok.errors, undefined, JSON.stringify(ok.errors));
    assert.equal(ok.data.updateTrackedImage.trackedImage.maxTags, 3 + i);
    const refused = await gql(url, `mutation { updateTrackedImage(input: { image: "${IMAGES[i]}", maxTags: 1 }) { trackedImage { name } } }`, 'another-token-0123456789abcdef');
    assert.equal(refused.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  }
  // …and each replica sees what the others wrote.
  const seen = await gql(urls[2], `{ trackedImages(first: 3) { edges { node { name maxTags } } } }`);
  assert.deepEqual(
    seen.data.trackedImages.edges.map((e: any) => e.node.maxTags),
    [3, 4, 5],
  );

  for (const r of replicas) r.kill('SIGTERM');
  for (const r of replicas) assert.equal((await r.exited).code, 0, r.stderr);
  replicas.length = 0;
});
