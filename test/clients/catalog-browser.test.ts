import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ok, startTestApp } from '../support/app';
import { LiveService, startLiveService } from './live-service';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The example page (examples/catalog-browser) in headless Chromium against the live service. */
describe('the example catalog browser', () => {
  let live: LiveService;
  before(async () => {
    live = await startLiveService('catalog_browser');
  });
  after(async () => {
    await live?.close();
  });

  const apiPage = async (vars: Record<string, unknown>) =>
    ok(
      await live.app.gql(
        `query($first: Int, $after: String, $search: String) { resources(first: $first, after: $after, filter: { search: $search }) { totalCount pageInfo { endCursor } edges { node { name shortDescription } } } }`,
        vars,
      ),
    ).resources;

  test('lists, searches and pages the catalog in Chromium; the rows are what the API answers', async (t) => {
    if (!fs.existsSync(CHROMIUM)) {
      t.skip(`SKIPPED: no Chromium at ${CHROMIUM} (install the Debian package: apt-get install -y chromium)`);
      return;
    }
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-chromium-'));
    const browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS });
    try {
      const page = browser.pages()[0] ?? (await browser.newPage());
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      const rendered = async () =>
        page.$$eval('#rows tr', (trs) => trs.map((tr) => [tr.querySelector('.name')!.textContent, tr.querySelector('.description')!.textContent]));
      /** Runs `action` and waits until the page has rendered the answer it caused. */
      const after = async (action: () => Promise<unknown>) => {
        const previous = await page.evaluate(() => (globalThis as any).document.body.dataset.ready ?? '');
        await action();
        await page.waitForFunction((p) => ((globalThis as any).document.body.dataset.ready ?? '') !== p, previous, { timeout: 15_000 });
      };
      const base = new URL(live.app.graphqlUrl).origin;
      await after(() => page.goto(`${base}/examples/catalog?pageSize=5`));
      const first = await apiPage({ first: 5 });
      assert.deepEqual(await rendered(), first.edges.map((e: any) => [e.node.name, e.node.shortDescription ?? '']));
      assert.equal(await page.textContent('#status'), `${live.names.length} images`);
      assert.equal(await page.isDisabled('#prev'), true);

      // Search: the rows are the API's answer to the same search.
      await after(() => page.fill('#search', 'img1'));
      const found = await apiPage({ first: 5, search: 'img1' });
      assert.ok(found.totalCount > 5, 'the search has more than one page');
      assert.deepEqual(await rendered(), found.edges.map((e: any) => [e.node.name, e.node.shortDescription ?? '']));
      assert.equal(await page.textContent('#status'), `${found.totalCount} images`);

      // Next page, then back: forward and backward paging.
      await after(() => page.click('#next'));
      const second = await apiPage({ first: 5, search: 'img1', after: found.pageInfo.endCursor });
      assert.deepEqual(await rendered(), second.edges.map((e: any) => [e.node.name, e.node.shortDescription ?? '']));
      assert.equal(await page.isDisabled('#prev'), false);
      await after(() => page.click('#prev'));
      assert.deepEqual(await rendered(), found.edges.map((e: any) => [e.node.name, e.node.shortDescription ?? '']));
      assert.equal(await page.isDisabled('#prev'), true);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      fs.rmSync(profile, { recursive: true, force: true });
    }
  });

  test('the page is served only when not in production', async () => {
    const base = new URL(live.app.graphqlUrl).origin;
    const dev = await fetch(`${base}/examples/catalog`);
    assert.equal(dev.status, 200);
    assert.match(dev.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await dev.text(), /<title>catalog-sync — catalog browser<\/title>/);
    const prod = await startTestApp(live.db.url, { NODE_ENV: 'production' });
    try {
      const res = await fetch(`http://127.0.0.1:${prod.http!.port}/examples/catalog`);
      assert.equal(res.status, 404);
    } finally {
      await prod.close();
    }
  });
});
