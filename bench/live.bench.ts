/**
 * Live-changes benchmark (issue 11). A first scrape of BENCH_IMAGES (default 2,000) images ×
 * 10 tags at zero latency from a fake Hub in its own process, with BENCH_SUBSCRIBERS (50)
 * graphql-ws subscribers to catalogChanged and BENCH_WEBHOOKS (10) webhooks to a local
 * receiver. Reports events written, events/s delivered to subscribers and webhooks, and the
 * delay from commit to delivery (median, p99; target p99 < 1 s), then the scrape's wall time
 * with the same catalog and no listeners, for comparison. Subscribers and the receiver run in
 * this process too (their CPU counts against the service).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { RemoteFakeHub } from './fake-hub-process';
import { createTestDatabase, fmt, peakRssMb, startBenchApp } from './support';

const IMAGES = Number(process.env.BENCH_IMAGES ?? 2000);
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 50);
const WEBHOOKS = Number(process.env.BENCH_WEBHOOKS ?? 10);
const TAGS = 10;

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function run(listeners: boolean) {
  const db = await createTestDatabase('catalog_bench_live');
  const { hub, url, names } = await RemoteFakeHub.start({ images: IMAGES, tags: TAGS, latencyMs: 0 });
  const app = await startBenchApp(
    db.url,
    {
      DOCKER_HUB_URL: url,
      DOCKER_SCRAPER_IMAGES: names.join(','),
      DOCKER_SCRAPER_MAX_TAGS: String(TAGS),
      DOCKER_SCRAPER_CONCURRENCY: '8',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_CONCURRENCY: '16',
      SUBSCRIPTIONS_MAX_TOTAL: '1000',
    },
    true,
  );
  const subDelays: number[] = [];
  const hookDelays: number[] = [];
  let subReceived = 0;
  let hookReceived = 0;
  let lastSub = 0;
  let lastHook = 0;
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const e = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      hookDelays.push(Date.now() - Date.parse(e.occurredAt));
      hookReceived++;
      lastHook = Date.now();
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const clients: ReturnType<typeof createClient>[] = [];
  try {
    if (listeners) {
      const wsUrl = `ws://127.0.0.1:${new URL(app.url).port}/graphql`;
      for (let i = 0; i < SUBSCRIBERS; i++) {
        const c = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
        clients.push(c);
        c.subscribe<any>(
          { query: 'subscription { catalogChanged { id type occurredAt image tag } }' },
          {
            next: (r) => {
              subDelays.push(Date.now() - Date.parse(r.data!.catalogChanged.occurredAt));
              subReceived++;
              lastSub = Date.now();
            },
            error: (e) => console.error('subscriber error', e),
            complete: () => undefined,
          },
        );
      }
      const port = (receiver.address() as AddressInfo).port;
      for (let i = 0; i < WEBHOOKS; i++) {
        await app.services.webhooks.create({ url: `http://127.0.0.1:${port}/hook${i}`, description: `bench ${i}` });
      }
      while (app.live.feed.listenerCount < SUBSCRIBERS + 1) await new Promise((r) => setTimeout(r, 20));
    }
    const t0 = performance.now();
    const { run } = await app.services.scrape.trigger({ requestedBy: 'bench' });
    const done = await app.services.scrape.waitFor(run.id, 60 * 60_000);
    const scrapeSeconds = (performance.now() - t0) / 1000;
    const [{ n: events }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM catalog_event');
    if (listeners) {
      const deadline = Date.now() + 30 * 60_000;
      while ((subReceived < events * SUBSCRIBERS || hookReceived < events * WEBHOOKS) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const t0ms = Date.now() - (performance.now() - t0);
    return { done, scrapeSeconds, events, subSeconds: (lastSub - t0ms) / 1000, hookSeconds: (lastHook - t0ms) / 1000 };
  } finally {
    for (const c of clients) await c.dispose();
    await app.close();
    receiver.closeAllConnections();
    receiver.close();
    await hub.close();
    await db.drop();
    subDelays.sort((a, b) => a - b);
    hookDelays.sort((a, b) => a - b);
    if (listeners) {
      console.log(`  subscriber deliveries ${subReceived}  median delay ${quantile(subDelays, 0.5)} ms, p99 ${quantile(subDelays, 0.99)} ms (target p99 < 1000)`);
      console.log(`  webhook deliveries    ${hookReceived}  median delay ${quantile(hookDelays, 0.5)} ms, p99 ${quantile(hookDelays, 0.99)} ms`);
    }
  }
}

async function main() {
  console.log(`${IMAGES} images × ${TAGS} tags, first scrape, ${SUBSCRIBERS} subscribers, ${WEBHOOKS} webhooks`);
  const on = await run(true);
  console.log(`  run                   ${on.done.status}, ${on.events} events, scrape ${fmt(on.scrapeSeconds)} s`);
  console.log(`  to subscribers        all ${on.events} × ${SUBSCRIBERS} by ${fmt(on.subSeconds)} s: ${fmt((on.events * SUBSCRIBERS) / on.subSeconds, 0)} deliveries/s`);
  console.log(`  to webhooks           all ${on.events} × ${WEBHOOKS} by ${fmt(on.hookSeconds)} s: ${fmt((on.events * WEBHOOKS) / on.hookSeconds, 0)} POSTs/s`);
  const off = await run(false);
  console.log(`same scrape without listeners: ${fmt(off.scrapeSeconds)} s (with: ${fmt(on.scrapeSeconds)} s)`);
  console.log(`  peak RSS              ${peakRssMb()} MB`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
