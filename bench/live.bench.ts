/**
 * Live-changes benchmark (issue 11). A first scrape of BENCH_IMAGES (default 2,000) images ×
 * 10 tags from a fake Hub in its own process (BENCH_LATENCY_MS per request, default 50;
 * concurrency 8), twice on fresh databases:
 *
 * 1. feed on: BENCH_SUBSCRIBERS (50) graphql-ws subscribers to catalogChanged, in a process of
 *    their own, and BENCH_WEBHOOKS (10) webhooks to a receiver in another process. Per channel:
 *    deliveries, events/s, and the delay from the event's commit (`occurredAt`: taken by the
 *    outbox insert, the last statement of its transaction) to receipt: median, p99 (target
 *    p99 < 1 s), max.
 * 2. feed off: the same scrape with no subscriber and no webhook.
 *
 * For both: the scrape's wall time against its latency bound ceil(images/8) × requests per
 * image × latency (the ratio must not get worse with the feed on), and the hold time of the
 * outbox's commit-order lock (pg_advisory_xact_lock wait + the insert, per transaction).
 * This process holds only the service.
 */
import { LiveClients, ChannelStats } from './live-clients-process';
import { RemoteFakeHub } from './fake-hub-process';
import { createTestDatabase, fmt, peakRssMb, startBenchApp } from './support';
import { outboxTiming } from '../src/events/outbox';

const IMAGES = Number(process.env.BENCH_IMAGES ?? 2000);
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 50);
const WEBHOOKS = Number(process.env.BENCH_WEBHOOKS ?? 10);
const LATENCY = Number(process.env.BENCH_LATENCY_MS ?? 50);
const CONCURRENCY = 8;
const TAGS = 10;
const QUERY = 'subscription { catalogChanged { id type occurredAt image tag digest } }';

interface Outcome {
  status: string;
  scrapeSeconds: number;
  bound: number;
  events: number;
  subs?: ChannelStats;
  hooks?: ChannelStats;
  cpuSeconds: number;
  startedAt: number;
  lock: { transactions: number; waitMs: number; insertMs: number; maxWaitMs: number };
}

async function run(feed: boolean): Promise<Outcome> {
  const db = await createTestDatabase('catalog_bench_live');
  const { hub, url, names } = await RemoteFakeHub.start({ images: IMAGES, tags: TAGS, latencyMs: LATENCY });
  const app = await startBenchApp(
    db.url,
    {
      DOCKER_HUB_URL: url,
      DOCKER_SCRAPER_IMAGES: names.join(','),
      DOCKER_SCRAPER_MAX_TAGS: String(TAGS),
      DOCKER_SCRAPER_CONCURRENCY: String(CONCURRENCY),
      WEBHOOK_ALLOW_PRIVATE: 'true',
      SUBSCRIPTIONS_MAX_TOTAL: String(Math.max(1000, SUBSCRIBERS)),
    },
    true,
  );
  const subscribers = feed && SUBSCRIBERS > 0 ? LiveClients.spawn() : undefined;
  const receiver = feed && WEBHOOKS > 0 ? LiveClients.spawn() : undefined;
  try {
    if (subscribers) {
      await subscribers.subscribers(`ws://127.0.0.1:${new URL(app.url).port}/graphql`, SUBSCRIBERS, QUERY);
      while ((app.live.subscriptions?.active() ?? 0) < SUBSCRIBERS) await new Promise((r) => setTimeout(r, 20));
    }
    if (receiver) {
      const port = await receiver.receiver();
      for (let i = 0; i < WEBHOOKS; i++) {
        await app.services.webhooks.create({ url: `http://127.0.0.1:${port}/hook${i}`, description: `bench ${i}` });
      }
    }
    await hub.clearRequests();
    const cpu0 = process.cpuUsage();
    const lock0 = { ...outboxTiming };
    outboxTiming.maxLockWaitMs = 0;
    const startedAt = Date.now();
    const t0 = performance.now();
    const { run } = await app.services.scrape.trigger({ requestedBy: 'bench' });
    const done = await app.services.scrape.waitFor(run.id, 60 * 60_000);
    const scrapeSeconds = (performance.now() - t0) / 1000;
    const perImage = (await hub.requests()) / IMAGES;
    const bound = (Math.ceil(IMAGES / CONCURRENCY) * perImage * LATENCY) / 1000;
    const [{ n: events }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM catalog_event');
    const subs = await subscribers?.wait(events * SUBSCRIBERS, 20 * 60_000);
    const hooks = await receiver?.wait(events * WEBHOOKS, 20 * 60_000);
    const cpu = process.cpuUsage(cpu0);
    const lock = {
      transactions: outboxTiming.transactions - lock0.transactions,
      waitMs: outboxTiming.lockWaitMs - lock0.lockWaitMs,
      insertMs: outboxTiming.insertMs - lock0.insertMs,
      maxWaitMs: outboxTiming.maxLockWaitMs,
    };
    return { status: done.status, scrapeSeconds, bound, events, subs, hooks, cpuSeconds: (cpu.user + cpu.system) / 1e6, startedAt, lock };
  } finally {
    await subscribers?.close();
    await receiver?.close();
    await app.close();
    await hub.close();
    await db.drop();
  }
}

function channel(name: string, s: ChannelStats, expected: number, t0: number) {
  const span = (s.last - s.first) / 1000;
  console.log(
    `  ${name.padEnd(12)} ${s.received}/${expected} deliveries${s.errors ? `, ${s.errors} errors` : ''}; ` +
      `median ${s.medianMs} ms, p99 ${s.p99Ms} ms, max ${s.maxMs} ms; ${fmt(s.received / Math.max(span, 0.001), 0)} deliveries/s ` +
      `(last ${fmt((s.last - t0) / 1000)} s after the scrape started)`,
  );
}

function lockLine(l: Outcome['lock']) {
  const n = Math.max(1, l.transactions);
  console.log(
    `  outbox lock  ${l.transactions} transactions; wait ${fmt(l.waitMs / n, 3)} ms mean (max ${fmt(l.maxWaitMs, 1)} ms), ` +
      `insert under it ${fmt(l.insertMs / n, 3)} ms mean`,
  );
}

async function main() {
  console.log(
    `${IMAGES} images × ${TAGS} tags, first scrape, ${LATENCY} ms per Hub request, concurrency ${CONCURRENCY}; ` +
      `${SUBSCRIBERS} subscribers, ${WEBHOOKS} webhooks (clients and receiver in their own processes)`,
  );
  const on = await run(true);
  console.log(`feed on:  run ${on.status}, ${on.events} events; scrape ${fmt(on.scrapeSeconds)} s, bound ${fmt(on.bound)} s, ratio ${fmt(on.scrapeSeconds / on.bound)}`);
  const start = on.startedAt;
  if (on.subs) channel('subscribers', on.subs, on.events * SUBSCRIBERS, start);
  if (on.hooks) channel('webhooks', on.hooks, on.events * WEBHOOKS, start);
  console.log(`  events/s     ${fmt(on.events / on.scrapeSeconds, 0)} written during the scrape; service CPU ${fmt(on.cpuSeconds)} s`);
  lockLine(on.lock);
  const off = await run(false);
  console.log(`feed off: run ${off.status}, ${off.events} events; scrape ${fmt(off.scrapeSeconds)} s, bound ${fmt(off.bound)} s, ratio ${fmt(off.scrapeSeconds / off.bound)}; service CPU ${fmt(off.cpuSeconds)} s`);
  lockLine(off.lock);
  console.log(`  peak RSS     ${peakRssMb()} MB`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
