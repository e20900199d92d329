import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createTestDatabase, TestDatabase } from '../support/db';
import { startTestApp, TestApp, TEST_ADMIN_TOKEN } from '../support/app';
import { loadConfig } from '../../src/config/config';
import { startApp } from '../../src/app';
import { createLogger } from '../../src/shared/logger';
import { redactQuery, sandboxCsp } from '../../src/http/server';

/** Issue 9, items 10 and 11: security headers, and no secret in the logs. */

describe('security headers', () => {
  let db: TestDatabase;
  let app: TestApp;
  let base: string;

  before(async () => {
    db = await createTestDatabase('headers');
    app = await startTestApp(db.url);
    base = `http://127.0.0.1:${app.http!.port}`;
  });
  after(async () => {
    await app?.close();
    await db?.drop();
  });

  test('X-Content-Type-Options: nosniff on every response: probes, metrics, GraphQL, errors, 404, 413', async () => {
    const responses = [
      await fetch(`${base}/healthz`),
      await fetch(`${base}/readyz`),
      await fetch(`${base}/metrics`),
      await fetch(`${base}/nowhere`),
      await fetch(`${base}/`),
      await fetch(`${base}/`, { headers: { accept: 'text/html' } }),
      await fetch(app.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' }),
      await fetch(app.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'not json' }),
      await fetch(app.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(2 * 1024 * 1024) }),
    ];
    for (const res of responses) {
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${res.url} ${res.status}`);
      await res.arrayBuffer();
    }
  });

  test('the Sandbox page: a CSP allowing exactly what the embedded Sandbox loads, never framed', async () => {
    for (const p of ['/', '/graphql']) {
      const res = await fetch(`${base}${p}`, { headers: { accept: 'text/html' } });
      assert.equal(res.status, 200);
      const html = await res.text();
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /frame-ancestors 'none'/);
      assert.match(csp, /default-src 'none'/);
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
      // What the page loads is allowed: its script from the Sandbox CDN, its inline script and style by nonce, the iframe.
      const nonce = /nonce="([0-9a-f]+)"/.exec(html)![1];
      assert.match(csp, new RegExp(`script-src 'nonce-${nonce}' https://embeddable-sandbox\\.cdn\\.apollographql\\.com(;|$)`));
      assert.match(csp, new RegExp(`style-src 'nonce-${nonce}' https://fonts\\.googleapis\\.com(;|$)`));
      assert.match(csp, /frame-src https:\/\/sandbox\.embed\.apollographql\.com(;|$)/);
      assert.match(csp, /connect-src 'self'/);
      for (const src of html.matchAll(/<script[^>]*src="([^"]+)"/g)) assert.ok(src[1].startsWith('https://embeddable-sandbox.cdn.apollographql.com/'), src[1]);
      // Every inline <script> and <style> of the page carries the nonce.
      for (const tag of html.matchAll(/<(script|style)\b[^>]*>/g)) assert.match(tag[0], new RegExp(`nonce="?${nonce}`), tag[0]);
      assert.match(html, /new window\.EmbeddedSandbox\(/);
    }
    // JSON answers carry no page policy.
    const json = await fetch(`${base}/healthz`);
    assert.equal(json.headers.get('content-security-policy'), null);
  });

  test('sandboxCsp without a nonce allows no inline code', () => {
    const csp = sandboxCsp('<html></html>');
    assert.doesNotMatch(csp, /nonce|unsafe-inline/);
  });

  test('Cache-Control: no-store on mutation answers, errors included', async () => {
    const ok = await app.gql('mutation { updateTrackedImage(input: {image: "nginx", enabled: true}) { trackedImage { name } } }');
    assert.equal(ok.errors, undefined, JSON.stringify(ok.errors));
    assert.equal(ok.headers.get('cache-control'), 'no-store');
    const unauthenticated = await app.gql('mutation { updateTrackedImage(input: {image: "nginx", enabled: true}) { trackedImage { name } } }', undefined, { token: null });
    assert.equal(unauthenticated.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
    assert.equal(unauthenticated.headers.get('cache-control'), 'no-store');
  });
});

describe('the logs of a whole run (LOG_LEVEL=debug) never hold the admin token', () => {
  test('token in the query string, the Authorization header, a wrong token, variables: redacted everywhere', async () => {
    const db = await createTestDatabase('logs');
    const lines: string[] = [];
    const dest = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const config = loadConfig({
      DATABASE_URL: db.url,
      PORT: '0',
      HOST: '127.0.0.1',
      CATALOG_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-sync-logs-')),
      CATALOG_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      DOCKER_SCRAPER_ENABLED: 'false',
      DOCKER_HUB_URL: 'http://127.0.0.1:9',
      DOCKER_SCRAPER_IMAGES: 'nginx',
      LOG_LEVEL: 'debug',
    });
    const app = await startApp(config, { logger: createLogger('debug', dest as any) });
    try {
      const base = `http://127.0.0.1:${app.http!.port}`;
      const t = encodeURIComponent(TEST_ADMIN_TOKEN);
      const query = encodeURIComponent('{ resources { totalCount } }');
      for (const url of [
        `${base}/graphql?query=${query}&token=${t}`,
        `${base}/graphql?access_token=${t}&query=${query}`,
        `${base}/healthz?token=${t}`,
        `${base}/nowhere?admin_token=${t}`,
        `${base}/graphql?query=${encodeURIComponent(`{ resource(name: "${TEST_ADMIN_TOKEN}") { id } }`)}`,
      ]) {
        const res = await fetch(url, { headers: { 'apollo-require-preflight': '1' } });
        await res.arrayBuffer();
      }
      const post = (body: unknown, authorization?: string) =>
        fetch(`${base}/graphql?token=${t}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
          body: JSON.stringify(body),
        }).then((r) => r.arrayBuffer());
      await post({ query: 'mutation { updateTrackedImage(input: {image: "nginx", enabled: true}) { trackedImage { name } } }' }, `Bearer ${TEST_ADMIN_TOKEN}`);
      await post({ query: 'mutation { updateTrackedImage(input: {image: "nginx", enabled: true}) { trackedImage { name } } }' }, `Bearer ${TEST_ADMIN_TOKEN}x`);
      await post({ query: 'mutation($i: AddTrackedImagesInput!) { addTrackedImages(input: $i) { trackedImages { name } } }', variables: { i: { images: [TEST_ADMIN_TOKEN] } } }, 'Bearer wrong');
      await post({ query: '{ nope }' }, `Bearer ${TEST_ADMIN_TOKEN}`);
    } finally {
      await app.close();
      await db.drop();
    }
    const log = lines.join('');
    assert.ok(lines.length > 10, 'debug logs were written');
    assert.match(log, /"msg":"http request"/);
    assert.match(log, /token=\[redacted\]/);
    assert.ok(!log.includes(TEST_ADMIN_TOKEN), log.split('\n').filter((l) => l.includes(TEST_ADMIN_TOKEN)).slice(0, 3).join('\n'));
  });

  test('redactQuery keeps the path and the parameter names only', () => {
    assert.equal(redactQuery('/graphql'), '/graphql');
    assert.equal(redactQuery('/graphql?query=%7B%7D&token=abc'), '/graphql?query=[redacted]&token=[redacted]');
    assert.equal(redactQuery('/x?flag&&a=1'), '/x?flag=[redacted]&a=[redacted]');
  });
});
