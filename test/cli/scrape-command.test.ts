import { after, before, describe, test } from 'node:test';
import { NO_HUB_REGISTRY } from '../support/app';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import os from 'node:os';
import fs from 'node:fs';
import { createTestDatabase, TestDatabase } from '../support/db';
import { FakeDockerHub, faults, hubPaths } from '../support/fake-docker-hub';
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
            ...NO_HUB_REGISTRY,
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
    assert.match(r.stderr, /^progress: 2\/2 images/m, 'plain progress lines when not on a terminal, on stderr');
    assert.doesNotMatch(r.stdout, /progress:/, 'stdout holds the summary only');
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM processing_instance`);
    assert.equal(n, 5);
  });

  test('exits 1 when an image fails or is not found', async () => {
    const r = await run([]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^ghost-image +NOT_FOUND +0 +0 +Docker Hub has no repository library\/ghost-image/m);
    assert.match(r.stdout, /PARTIAL/);
  });

  test('--json prints one JSON summary and nothing else on stdout; logs are JSON lines on stderr', async () => {
    const r = await run(['--json', 'nginx', 'ghost-image'], { LOG_LEVEL: 'info' });
    assert.equal(r.code, 1, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(r.stdout.trim().split('\n').length, 1, 'one line: the summary');
    assert.equal(summary.run.status, 'PARTIAL');
    assert.equal(summary.run.imagesTotal, 2);
    assert.equal(summary.run.imagesFailed, 1);
    assert.equal(summary.exitCode, 1);
    assert.equal(typeof summary.run.seconds, 'number');
    assert.deepEqual(
      summary.results.map((x: any) => [x.image, x.status]).sort(),
      [['ghost-image', 'NOT_FOUND'], ['nginx', 'OK']],
    );
    assert.match(summary.results.find((x: any) => x.image === 'ghost-image').error, /no repository library\/ghost-image/);
    // stderr: JSON log lines (LOG_LEVEL=info) and plain progress lines, nothing of the summary.
    const lines = r.stderr.split('\n').filter((l) => l.trim());
    const logs = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    assert.ok(logs.some((l) => l.msg === 'image scraped' && l.image === 'nginx'), r.stderr);
    assert.ok(lines.every((l) => l.startsWith('{') || l.startsWith('progress: ')), r.stderr);
    assert.doesNotMatch(r.stderr, /scheduled scrapes are off/, 'the command does not say the scheduler is off: it never schedules');
    assert.doesNotMatch(r.stderr, /"run":\{"id"/);
  });

  test('plurals: one image, one resource, one instance', async () => {
    hub.setRepository('acme', 'single', { tags: syntheticTags(1) });
    // A new database: the command seeds the list from DOCKER_SCRAPER_IMAGES only when it is empty.
    const fresh = await createTestDatabase('cli_plural');
    let r;
    try {
      r = await run([], { DATABASE_URL: fresh.url, DOCKER_SCRAPER_IMAGES: 'acme/single' });
    } finally {
      await fresh.drop();
    }
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, / — 1 image, 0 failed, 1 resource created, 1 instance added, 0 updated$/m);
    assert.match(r.stderr, /^progress: 1\/1 image · 0 failed · \+1 instance, 0 updated$/m);
  });

  test('on a terminal: a bar redrawn in place, warnings readable above it, no JSON', { skip: hasScript() ? false : 'no `script` (util-linux) to run it in a pseudo-terminal' }, async () => {
    hub.setRepository('acme', 'broken', { tags: syntheticTags(2) });
    hub.inject(hubPaths.repository('acme', 'broken'), faults.html(403), { times: Infinity });
    const fresh = await createTestDatabase('cli_tty');
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-sync-cli-'));
    let out: string;
    let code: number;
    try {
      // `script` runs the command with stdin, stdout and stderr on a pseudo-terminal and copies what it shows.
      const quote = (x: string) => `'${x.replace(/'/g, `'\\''`)}'`;
      ({ code, out } = await new Promise<{ code: number; out: string }>((resolve) =>
        execFile(
          'script',
          ['-qec', `${quote(process.execPath)} ${quote(CLI)}`, '/dev/null'],
          {
            env: {
              PATH: process.env.PATH,
            ...NO_HUB_REGISTRY,
              TERM: 'xterm',
              NO_COLOR: '1',
              DATABASE_URL: fresh.url,
              DOCKER_HUB_URL: hub.url,
              DOCKER_HUB_MAX_ATTEMPTS: '1',
              DOCKER_SCRAPER_IMAGES: 'nginx,acme/broken',
              CATALOG_DATA_DIR: dataDir,
            },
            timeout: 60_000,
          },
          (err, stdout) => resolve({ code: err ? ((err as any).code ?? 1) : 0, out: stdout }),
        ),
      ));
    } finally {
      await fresh.drop();
    }
    assert.equal(code, 1, out);
    assert.doesNotMatch(out, /\{"level"/, 'no JSON log line on the terminal');
    // The warning: the bar's line is cleared, the warning printed on its own line, the bar drawn again.
    const warning = /\r\x1b\[K(WARN +image scraped: [^\r\n]*acme\/broken[^\r\n]*)\r?\n(\[[#-]{30}\] \d\/2 images)/.exec(out);
    assert.ok(warning, `a readable warning above the bar: ${JSON.stringify(out)}`);
    assert.match(warning[1], /status=FAILED/);
    assert.match(out, /\r\x1b\[K\[#{30}\] 2\/2 images · 1 failed · \+3 instances, 0 updated\r?\n/, 'the final bar, then a new line');
    assert.match(out, /^nginx +OK +3 +0\r?$/m, 'then the summary table');
    assert.match(out, /^acme\/broken +FAILED +0 +0 /m);
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

function hasScript(): boolean {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
