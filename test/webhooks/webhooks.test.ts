import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createTestDatabase, TestDatabase } from '../support/db';
import { failure, ok, startTestApp, TestApp } from '../support/app';
import { FakeDockerHub } from '../support/fake-docker-hub';
import { syntheticCatalog } from '../support/hub-data';
import { scrape } from '../support/scrape';
import { sendWebhook } from '../../src/webhooks/sender';
import { Child, startChild } from '../support/child';

const IMAGES = syntheticCatalog(3, { tagsPerImage: 2, namespace: () => 'hooks', multiArch: () => false });
const NAMES = IMAGES.map((i) => `hooks/${i.name}`);

interface Received {
  at: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  path: string;
}

type Behaviour = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A local receiver: records every request; `plan` answers them in turn (then `fallback`). */
class Receiver {
  readonly received: Received[] = [];
  plan: Behaviour[] = [];
  fallback: Behaviour = (_req, res) => res.end('ok');
  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(): Promise<Receiver> {
    let self: Receiver;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        self.received.push({ at: Date.now(), headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), path: req.url ?? '/' });
        (self.plan.shift() ?? self.fallback)(req, res);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    self = new Receiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return self;
  }

  on(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async until(pred: () => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`receiver: timed out with ${this.received.length} request(s)`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

const status = (code: number, headers: Record<string, string> = {}): Behaviour => (_req, res) => {
  res.writeHead(code, headers);
  res.end();
};

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const DELIVERIES = `query($id: ID!, $status: [WebhookDeliveryStatus!]) { webhookDeliveries(webhookId: $id, status: $status, first: 100) {
  totalCount edges { node { id eventId eventType status attempts lastError lastResponseStatus
  attemptLog { attempt outcome responseStatus error durationMs worker } } } } }`;

describe('webhooks', () => {
  let db: TestDatabase;
  let hub: FakeDockerHub;
  let receiver: Receiver;
  let a: TestApp;
  let b: TestApp;
  let clockOffsetMs = 0;
  const clock = () => new Date(Date.now() + clockOffsetMs);

  const create = async (app: TestApp, input: Record<string, unknown>) => ok(await app.gql(
    `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { id url events images enabled description } } }`,
    { input },
  )).createWebhook;
  const deliveries = async (id: string, statuses?: string[]) => ok(await a.gql(DELIVERIES, { id, status: statuses ?? null })).webhookDeliveries;
  const waitDeliveries = async (id: string, pred: (d: any[]) => boolean, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const d = (await deliveries(id)).edges.map((e: any) => e.node);
      if (pred(d)) return d;
      if (Date.now() > deadline) throw new Error(`deliveries: ${JSON.stringify(d)}`);
      await new Promise((r) => setTimeout(r, 30));
    }
  };
  const ping = async (id: string) => ok(await a.gql(`mutation($id: ID!) { testWebhook(id: $id) { delivery { id eventType status } } }`, { id })).testWebhook.delivery;

  before(async () => {
    db = await createTestDatabase('webhooks');
    hub = await FakeDockerHub.start({ maxPageSize: 100 });
    hub.seed(IMAGES);
    receiver = await Receiver.start();
    const env = {
      DOCKER_HUB_URL: hub.url,
      DOCKER_SCRAPER_IMAGES: NAMES.join(','),
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_RETRY_BASE: '50ms',
      WEBHOOK_POLL: '50ms',
      WEBHOOK_TIMEOUT: '700ms',
    };
    a = await startTestApp(db.url, env, { clock });
    b = await startTestApp(db.url, env, { clock });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await receiver?.close();
    await hub?.close();
    await db?.drop();
  });

  test('admin only; createWebhook returns a generated secret once; bad input names the field', async () => {
    const anon = await a.gql(`{ webhooks { id } }`, {}, { token: null });
    failure(anon, 'UNAUTHENTICATED');
    const created = await create(a, { url: `${receiver.url}/admin`, description: 'admin test', events: ['INSTANCE_ADDED'], images: ['library/nginx'] });
    assert.match(created.secret, /^[\w-]{40,}$/);
    assert.deepEqual(created.webhook.images, ['nginx'], 'image names are canonical');
    const given = await create(a, { url: `${receiver.url}/admin2`, secret: 'a-secret-of-my-own-choosing', description: '' });
    assert.equal(given.secret, null, 'a given secret is not echoed');
    const list = ok(await a.gql(`{ webhooks { id url } }`)).webhooks;
    assert.ok(list.some((w: any) => w.id === created.webhook.id));
    assert.doesNotMatch(JSON.stringify(list), /secret/i);
    const bad = await a.gql(`mutation { createWebhook(input: { url: "ftp://x.example/", description: "" }) { secret } }`);
    assert.match(failure(bad, 'BAD_USER_INPUT').message, /input\.url: must be an http or https URL/);
    const short = await a.gql(`mutation { createWebhook(input: { url: "https://x.example/", secret: "short" }) { secret } }`);
    failure(short, 'BAD_USER_INPUT');
    ok(await a.gql(`mutation($id: ID!) { deleteWebhook(id: $id) { webhook { id } } }`, { id: created.webhook.id }));
    ok(await a.gql(`mutation($id: ID!) { deleteWebhook(id: $id) { webhook { id } } }`, { id: given.webhook.id }));
    failure(await a.gql(`mutation($id: ID!) { deleteWebhook(id: $id) { webhook { id } } }`, { id: given.webhook.id }), 'NOT_FOUND');
  });

  test('a PING is signed with HMAC-SHA256 of the body and carries the delivery id', async () => {
    const { secret, webhook } = await create(a, { url: `${receiver.url}/ping`, description: 'ping' });
    const delivery = await ping(webhook.id);
    await receiver.until(() => receiver.on('/ping').length >= 1);
    const [got] = receiver.on('/ping');
    assert.equal(got.headers['x-catalog-event'], 'PING');
    assert.equal(got.headers['x-catalog-delivery'], delivery.id);
    assert.equal(got.headers['content-type'], 'application/json');
    const expected = `sha256=${createHmac('sha256', secret).update(got.body).digest('hex')}`;
    assert.equal(got.headers['x-catalog-signature-256'], expected);
    assert.equal(JSON.parse(got.body).type, 'PING');
    const [d] = await waitDeliveries(webhook.id, (d) => d[0]?.status === 'SUCCEEDED');
    assert.equal(d.attempts, 1);
    assert.equal(d.attemptLog[0].outcome, 'SUCCEEDED');
    assert.equal(d.attemptLog[0].responseStatus, 200);
    await a.gql(`mutation($id: ID!) { deleteWebhook(id: $id) { webhook { id } } }`, { id: webhook.id });
  });

  test('two replicas: every event of a scrape is delivered exactly once, each a signed catalog event', async () => {
    const { secret, webhook } = await create(a, { url: `${receiver.url}/all`, description: 'everything' });
    const run = await scrape(b);
    // The run's events: from its start to its end (commit order).
    const events = await db.query<{ id: string; type: string; image: string | null }>(
      `SELECT id::text, type, image FROM catalog_event WHERE id BETWEEN
         (SELECT id FROM catalog_event WHERE run_id = $1 AND type = 'SCRAPE_RUN_STARTED') AND
         (SELECT id FROM catalog_event WHERE run_id = $1 AND type = 'SCRAPE_RUN_FINISHED') ORDER BY id`,
      [run.id],
    );
    const expected = 1 + 3 * 3 + 1;
    assert.equal(events.length, expected, JSON.stringify(events));
    const everything = await db.query(`SELECT id::text, type, image, run_id FROM catalog_event ORDER BY id`);
    assert.equal(everything.length, expected, `no other event in this database: ${JSON.stringify(everything)}`);
    await receiver.until(() => receiver.on('/all').length >= expected);
    await new Promise((r) => setTimeout(r, 300)); // would a duplicate come?
    const got = receiver.on('/all');
    assert.equal(got.length, expected, 'no duplicate on the wire');
    const ids = got.map((g) => JSON.parse(g.body).id).sort();
    assert.deepEqual(ids, events.map((e) => e.id).sort());
    assert.equal(new Set(got.map((g) => g.headers['x-catalog-delivery'])).size, expected);
    for (const g of got) {
      const body = JSON.parse(g.body);
      assert.equal(g.headers['x-catalog-event'], body.type);
      assert.equal(g.headers['x-catalog-signature-256'], `sha256=${createHmac('sha256', secret).update(g.body).digest('hex')}`);
    }
    const added = got.map((g) => JSON.parse(g.body)).find((e) => e.type === 'INSTANCE_ADDED');
    assert.match(added.ref, /^docker\.io\/hooks\/img\d:/);
    const d = await waitDeliveries(webhook.id, (d) => d.length === expected && d.every((x) => x.status === 'SUCCEEDED'));
    const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_delivery_attempt a JOIN webhook_delivery d ON d.id = a.delivery_id WHERE d.webhook_id = $1`, [webhook.id]);
    assert.equal(n, expected, 'one attempt each');
    const workers = await db.query<{ worker: string }>(`SELECT DISTINCT a.worker FROM webhook_delivery_attempt a JOIN webhook_delivery d ON d.id = a.delivery_id WHERE d.webhook_id = $1`, [webhook.id]);
    assert.ok(workers.length >= 1 && workers.every((w) => [a.live.worker.workerId, b.live.worker.workerId].includes(w.worker)));
    assert.equal(d.length, expected);
    await a.gql(`mutation($id: ID!) { deleteWebhook(id: $id) { webhook { id } } }`, { id: webhook.id });
  });

  test('500 is retried with backoff under the same delivery id until it succeeds; every attempt is recorded', async () => {
    const { webhook } = await create(a, { url: `${receiver.url}/flaky`, description: '' });
    receiver.plan.push(status(500), status(503));
    const delivery = await ping(webhook.id);
    const [d] = await waitDeliveries(webhook.id, (d) => d[0]?.status === 'SUCCEEDED');
    assert.deepEqual(d.attemptLog.map((x: any) => [x.outcome, x.responseStatus]), [['RETRY', 500], ['RETRY', 503], ['SUCCEEDED', 200]]);
    const got = receiver.on('/flaky');
    assert.equal(got.length, 3);
    assert.ok(got.every((g) => g.headers['x-catalog-delivery'] === delivery.id));
    assert.ok(got[2].at - got[1].at >= 40, 'the second retry waited (backoff)');
  });

  test('429 with Retry-After waits as long as it says', async () => {
    const { webhook } = await create(a, { url: `${receiver.url}/limited`, description: '' });
    receiver.plan.push(status(429, { 'retry-after': '1' }));
    await ping(webhook.id);
    const [d] = await waitDeliveries(webhook.id, (d) => d[0]?.status === 'SUCCEEDED');
    const got = receiver.on('/limited');
    assert.equal(got.length, 2);
    assert.ok(got[1].at - got[0].at >= 950, `waited ${got[1].at - got[0].at} ms`);
    assert.equal(d.attemptLog[0].outcome, 'RETRY');
  });

  test('a closed port is retried; a 404 fails at once; redirects are not followed', async () => {
    const port = await closedPort();
    const { webhook } = await create(a, { url: `http://127.0.0.1:${port}/nobody`, description: '' });
    await ping(webhook.id);
    const [d] = await waitDeliveries(webhook.id, (d) => d[0]?.attemptLog.length >= 2);
    assert.equal(d.attemptLog[0].outcome, 'RETRY');
    assert.match(d.attemptLog[0].error, /ECONNREFUSED/);
    // The receiver comes up (the URL is read at each attempt): the next retry succeeds.
    ok(await a.gql(`mutation($id: ID!, $url: String) { updateWebhook(input: { id: $id, url: $url }) { webhook { url } } }`, { id: webhook.id, url: `${receiver.url}/up` }));
    await waitDeliveries(webhook.id, (d) => d[0]?.status === 'SUCCEEDED');

    const gone = await create(a, { url: `${receiver.url}/gone`, description: '' });
    receiver.plan.push(status(404));
    await ping(gone.webhook.id);
    const [g] = await waitDeliveries(gone.webhook.id, (d) => d[0]?.status === 'FAILED');
    assert.equal(g.attempts, 1);
    assert.equal(g.lastResponseStatus, 404);

    const moved = await create(a, { url: `${receiver.url}/moved`, description: '' });
    receiver.plan.push(status(301, { location: `${receiver.url}/elsewhere` }));
    await ping(moved.webhook.id);
    const [m] = await waitDeliveries(moved.webhook.id, (d) => d[0]?.status === 'FAILED');
    assert.match(m.lastError, /redirects are not followed/);
    assert.equal(receiver.on('/elsewhere').length, 0);
  });

  test('a hanging receiver times out and is retried; a 10 MB answer is not read', async () => {
    const { webhook } = await create(a, { url: `${receiver.url}/hang`, description: '' });
    receiver.plan.push(() => undefined); // never answers
    await ping(webhook.id);
    const [d] = await waitDeliveries(webhook.id, (d) => d[0]?.status === 'SUCCEEDED');
    assert.equal(d.attemptLog[0].outcome, 'RETRY');
    assert.match(d.attemptLog[0].error, /no response within 700 ms/);

    const big = await create(a, { url: `${receiver.url}/big`, description: '' });
    receiver.plan.push((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.alloc(10 * 1024 * 1024));
    });
    await ping(big.webhook.id);
    const [bd] = await waitDeliveries(big.webhook.id, (d) => d[0]?.status === 'SUCCEEDED');
    assert.ok(bd.attemptLog[0].durationMs < 700);
  });

  test('a webhook failing for a whole retry window is disabled, with the reason', async () => {
    const { webhook } = await create(a, { url: `${receiver.url}/down`, description: '' });
    receiver.plan.push(...Array.from({ length: 200 }, () => status(500)));
    try {
      await ping(webhook.id);
      await waitDeliveries(webhook.id, (d) => d[0]?.attemptLog.length >= 1); // one attempt recorded
      const [w0] = await db.query<{ failing_since: Date | null; enabled: boolean }>(`SELECT failing_since, enabled FROM webhook WHERE id = $1`, [webhook.id]);
      assert.ok(w0.failing_since, 'failing since the first failed attempt');
      assert.equal(w0.enabled, true);
      clockOffsetMs = 25 * 3_600_000; // a day later
      const [d] = await waitDeliveries(webhook.id, (d) => d[0]?.status === 'FAILED');
      assert.match(d.lastError, /gave up|disabled/);
      const w = ok(await a.gql(`{ webhooks { id enabled disabledReason } }`)).webhooks.find((x: any) => x.id === webhook.id);
      assert.equal(w.enabled, false);
      assert.match(w.disabledReason, /every delivery attempt failed since/);
      // A disabled webhook gets no new deliveries; enabling it again clears the reason.
      await scrape(b, [NAMES[0]]);
      const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_delivery WHERE webhook_id = $1`, [webhook.id]);
      assert.equal(n, 1);
      clockOffsetMs = 0;
      const on = ok(await a.gql(`mutation($id: ID!) { updateWebhook(input: { id: $id, enabled: true }) { webhook { enabled disabledReason failingSince } } }`, { id: webhook.id }));
      assert.deepEqual(on.updateWebhook.webhook, { enabled: true, disabledReason: null, failingSince: null });
    } finally {
      clockOffsetMs = 0;
      receiver.plan = [];
      await a.gql(`mutation($id: ID!) { deleteWebhook(id: $id) { webhook { id } } }`, { id: webhook.id });
    }
  });

  test('a delivery claimed by a process that died is sent again, with the same delivery id', async () => {
    const { webhook } = await create(a, { url: `${receiver.url}/crash`, description: '' });
    // What a kill -9 mid-send leaves: SENDING, claimed, lease expired.
    await db.query(
      `INSERT INTO webhook_delivery (id, webhook_id, event_type, payload, status, attempts, claimed_by, lease_expires_at)
       VALUES ('0190a000-0000-7000-8000-00000000dead', $1, 'PING', '{"type":"PING"}', 'SENDING', 1, 'dead-process', now() - interval '1 second')`,
      [webhook.id],
    );
    await receiver.until(() => receiver.on('/crash').length >= 1);
    assert.equal(receiver.on('/crash')[0].headers['x-catalog-delivery'], '0190a000-0000-7000-8000-00000000dead');
    const [d] = await waitDeliveries(webhook.id, (d) => d[0]?.status === 'SUCCEEDED');
    assert.equal(d.attempts, 2);
  });
});

describe('webhook SSRF protection', () => {
  let db: TestDatabase;
  let app: TestApp;
  let receiver: Receiver;

  before(async () => {
    db = await createTestDatabase('webhooks_ssrf');
    receiver = await Receiver.start();
    app = await startTestApp(db.url, { WEBHOOK_POLL: '50ms' });
  });
  after(async () => {
    await app?.close();
    await receiver?.close();
    await db?.drop();
  });

  test('loopback, private and link-local targets are refused at creation', async () => {
    for (const url of ['http://127.0.0.1:8080/', 'http://localhost/', 'http://10.1.2.3/', 'http://169.254.169.254/latest/meta-data', 'http://[::1]/', 'http://192.168.0.1/']) {
      const r = await app.gql(`mutation($url: String!) { createWebhook(input: { url: $url }) { secret } }`, { url });
      assert.match(failure(r, 'BAD_USER_INPUT').message, /loopback, private or link-local/, url);
    }
  });

  test('at send time the resolved address is checked: a name resolving to 127.0.0.1 is refused, nothing is sent', async () => {
    const port = new URL(receiver.url).port;
    const direct = await sendWebhook({ url: `http://localhost:${port}/x`, body: '{}', headers: {}, timeoutMs: 1000, allowPrivate: false, userAgent: 't' });
    assert.equal(direct.refused, true);
    assert.match(direct.error!, /localhost resolves to (127\.0\.0\.1|::1)/);
    const literal = await sendWebhook({ url: `http://127.0.0.1:${port}/x`, body: '{}', headers: {}, timeoutMs: 1000, allowPrivate: false, userAgent: 't' });
    assert.equal(literal.refused, true);
    assert.equal(receiver.received.length, 0);

    // A webhook whose name resolves to loopback now (stored before, e.g. DNS changed): the delivery fails, unsent.
    await db.query(`INSERT INTO webhook (id, url, secret) VALUES ('0190a000-0000-7000-8000-0000000055f1', $1, 'secret-secret-secret')`, [
      `http://localhost:${port}/rebound`,
    ]);
    const r = ok(await app.gql(`mutation { testWebhook(id: "0190a000-0000-7000-8000-0000000055f1") { delivery { id } } }`));
    const deadline = Date.now() + 10_000;
    let row: any;
    for (;;) {
      [row] = await db.query(`SELECT status, last_error FROM webhook_delivery WHERE id = $1`, [r.testWebhook.delivery.id]);
      if (row.status === 'FAILED' || Date.now() > deadline) break;
      await new Promise((res) => setTimeout(res, 30));
    }
    assert.equal(row.status, 'FAILED');
    assert.match(row.last_error, /resolves to .* loopback, private or link-local/);
    assert.equal(receiver.received.length, 0);
  });
});

describe('webhook delivery across a crash', () => {
  test('kill -9 during a delivery: another replica sends it again with the same delivery id', async () => {
    const db = await createTestDatabase('webhooks_crash');
    const receiver = await Receiver.start();
    let child: Child | undefined;
    let app: TestApp | undefined;
    try {
      const env = { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_POLL: '100ms', WEBHOOK_TIMEOUT: '2s', DOCKER_SCRAPER_ENABLED: 'false' };
      child = startChild({ DATABASE_URL: db.url, ...env });
      await child.waitForLog((l) => l.step === 'ready', 60_000);
      receiver.plan.push(() => undefined); // holds the first request open: the sender is mid-delivery
      await db.query(`INSERT INTO webhook (id, url, secret) VALUES ('0190a000-0000-7000-8000-00000000c0de', $1, 'secret-secret-secret')`, [`${receiver.url}/crash`]);
      await db.query(
        `INSERT INTO webhook_delivery (id, webhook_id, event_type, payload) VALUES ('0190a000-0000-7000-8000-00000000beef', '0190a000-0000-7000-8000-00000000c0de', 'PING', '{"type":"PING"}')`,
      );
      await receiver.until(() => receiver.on('/crash').length === 1, 30_000);
      child.kill('SIGKILL');
      await child.exited;
      const [held] = await db.query<{ status: string; attempts: number }>(`SELECT status, attempts FROM webhook_delivery WHERE id = '0190a000-0000-7000-8000-00000000beef'`);
      assert.deepEqual(held, { status: 'SENDING', attempts: 1 });

      app = await startTestApp(db.url, env);
      await receiver.until(() => receiver.on('/crash').length === 2, 30_000);
      const [first, second] = receiver.on('/crash');
      assert.equal(first.headers['x-catalog-delivery'], '0190a000-0000-7000-8000-00000000beef');
      assert.equal(second.headers['x-catalog-delivery'], first.headers['x-catalog-delivery'], 'the same idempotency key on the wire');
      assert.equal(second.body, first.body);
      const deadline = Date.now() + 10_000;
      let row: any;
      do {
        [row] = await db.query(`SELECT status, attempts FROM webhook_delivery WHERE id = '0190a000-0000-7000-8000-00000000beef'`);
        if (row.status === 'SUCCEEDED') break;
        await new Promise((r) => setTimeout(r, 50));
      } while (Date.now() < deadline);
      assert.deepEqual(row, { status: 'SUCCEEDED', attempts: 2 });
    } finally {
      if (child && child.proc.exitCode === null && child.proc.signalCode === null) {
        child.kill('SIGKILL');
        await child.exited;
      }
      await app?.close();
      await receiver.close();
      await db.drop();
    }
  });
});
