/**
 * Scrape benchmark (issue 3). A fake Docker Hub on loopback, in a process of its own, serves
 * synthetic images; the engine, in this process, scrapes them into a fresh database on real
 * PostgreSQL.
 *
 * 1. 200 images × 10 tags, 50 ms latency per request, concurrency 8: wall time against the
 *    lower bound ceil(200/8) × requests per image × 50 ms (target ratio ≤ 1.3), requests,
 *    catalog rows written, peak RSS (target < 300 MB).
 * 2. The same again with nothing changed upstream: rows written (target 0) and ratio.
 * 3. 2,000 images × 10 tags at zero latency: images per second.
 * 4. The image config (issue 10): 100 Docker Hub images × 10 tags with
 *    `DOCKER_SCRAPER_IMAGE_CONFIG` off and on: requests per image per host, then the
 *    no-change re-scrape (rows written, target 0; registry requests). `registry-1.docker.io`
 *    is the in-memory registry of the test support (test/support/memory-registry.ts): its
 *    figures count client calls (listTags / headManifest / getTag), not HTTP requests.
 *    `BENCH_SCRAPE_PART=config` runs only this part.
 */
import { MemoryRegistry, MemoryTag } from '../test/support/memory-registry';
import { RemoteFakeHub } from './fake-hub-process';
import { createTestDatabase, fmt, peakRssMb, rowsWritten, rowVersions, startBenchApp } from './support';

const HUB_REGISTRY = 'registry-1.docker.io';

/** The registry side of the fake Hub's synthetic catalog (same names, tags and platforms). */
function registryFor(names: string[], tags: number): MemoryRegistry {
  const registry = new MemoryRegistry();
  names.forEach((name, i) => {
    const platforms = i % 3 === 0 ? ['linux/amd64', 'linux/arm64/v8'] : ['linux/amd64'];
    const byTag: Record<string, MemoryTag> = {};
    for (let k = 0; k < tags; k++) {
      const tag = k === 0 ? 'latest' : `1.${tags - k}`;
      byTag[tag] = {
        platforms: platforms.map((platform) => ({
          platform,
          config: {
            labels: { 'org.opencontainers.image.licenses': 'MIT', 'org.opencontainers.image.source': `https://example.com/${name}` },
            entrypoint: ['/entrypoint.sh'],
            cmd: ['run'],
            exposedPorts: [{ port: 8080, protocol: 'tcp' }],
            volumes: ['/data'],
          },
        })),
      };
    }
    registry.set(HUB_REGISTRY, name, byTag);
  });
  return registry;
}

async function scenario(opts: { images: number; tags: number; latencyMs: number; concurrency: number; rescrape: boolean; imageConfig?: boolean }) {
  const db = await createTestDatabase('catalog_bench');
  const { hub, url, names } = await RemoteFakeHub.start({ images: opts.images, tags: opts.tags, latencyMs: opts.latencyMs });
  const registry = opts.imageConfig === undefined ? undefined : registryFor(names, opts.tags);
  const app = await startBenchApp(
    db.url,
    {
      DOCKER_HUB_URL: url,
      DOCKER_SCRAPER_IMAGES: names.join(','),
      DOCKER_SCRAPER_MAX_TAGS: String(opts.tags),
      DOCKER_SCRAPER_CONCURRENCY: String(opts.concurrency),
      ...(opts.imageConfig === undefined ? {} : { DOCKER_SCRAPER_IMAGE_CONFIG: String(opts.imageConfig) }),
    },
    false,
    registry ? { client: registry, hubRegistryHost: HUB_REGISTRY } : undefined,
  );
  try {
    const once = async () => {
      await hub.clearRequests();
      const before = await rowVersions(db);
      const t0 = performance.now();
      const { run } = await app.services.scrape.trigger({ requestedBy: 'bench' });
      const done = await app.services.scrape.waitFor(run.id, 30 * 60_000);
      const seconds = (performance.now() - t0) / 1000;
      if (done.status !== 'SUCCEEDED') throw new Error(`run ended ${done.status}: ${done.error}`);
      const written = rowsWritten(before, await rowVersions(db));
      const perHost = new Map<string, number>();
      for (const [host, n] of Object.entries(done.requestsByHost ?? {})) perHost.set(host, Number(n));
      return { seconds, requests: await hub.requests(), written, run: done, perHost };
    };
    const first = await once();
    const second = opts.rescrape ? await once() : undefined;
    return { first, second };
  } finally {
    await app.close();
    await hub.close();
    await db.drop();
  }
}

async function imageConfigPart() {
  const images = 100;
  const tags = 10;
  console.log(`image config: ${images} Docker Hub images × ${tags} tags (a third of them two platforms), no latency, concurrency 8`);
  console.log(`  (registry-1.docker.io is the in-memory registry: client calls, not HTTP requests)`);
  for (const imageConfig of [false, true]) {
    const { first, second } = await scenario({ images, tags, latencyMs: 0, concurrency: 8, rescrape: true, imageConfig });
    const per = (m: Map<string, number>) =>
      [...m.entries()].sort().map(([h, n]) => `${h} ${fmt(n / images, 2)}`).join(', ') || 'none';
    console.log(`  DOCKER_SCRAPER_IMAGE_CONFIG=${imageConfig}`);
    console.log(`    first scrape: per image ${per(first.perHost)}; fake Hub saw ${fmt(first.requests / images, 2)}/image; ${fmt(first.seconds)} s; rows ${first.written}`);
    console.log(`    no-change re-scrape: per image ${per(second!.perHost)}; rows written ${second!.written} (target 0); ${fmt(second!.seconds)} s`);
  }
}

async function main() {
  if (process.env.BENCH_SCRAPE_PART === 'config') return imageConfigPart();
  const images = 200;
  const tags = 10;
  const latency = 50;
  const concurrency = 8;
  const { first, second } = await scenario({ images, tags, latencyMs: latency, concurrency, rescrape: true });
  const perImage = first.requests / images;
  const bound = (Math.ceil(images / concurrency) * perImage * latency) / 1000;
  console.log(`${images} images × ${tags} tags, ${latency} ms per request, concurrency ${concurrency}`);
  console.log(`  wall time             ${fmt(first.seconds)} s`);
  console.log(`  lower bound           ${fmt(bound)} s  (ceil(${images}/${concurrency}) × ${perImage} requests/image × ${latency} ms)`);
  console.log(`  ratio                 ${fmt(first.seconds / bound)}  (target ≤ 1.3)`);
  console.log(`  requests              ${first.requests}`);
  console.log(`  catalog rows written  ${first.written}  (${first.run.resourcesCreated} resources + ${first.run.instancesAdded} instances)`);
  console.log(`no-change re-scrape`);
  console.log(`  wall time             ${fmt(second!.seconds)} s, ratio ${fmt(second!.seconds / bound)}`);
  console.log(`  catalog rows written  ${second!.written}  (target 0)`);
  console.log(`  peak RSS so far       ${peakRssMb()} MB  (target < 300 MB; the fake Hub runs in another process)`);

  const big = await scenario({ images: 2000, tags, latencyMs: 0, concurrency, rescrape: false });
  console.log(`2,000 images × ${tags} tags, no latency, concurrency ${concurrency}`);
  console.log(`  wall time             ${fmt(big.first.seconds)} s`);
  console.log(`  throughput            ${fmt(2000 / big.first.seconds, 1)} images/s`);
  console.log(`  catalog rows written  ${big.first.written}`);
  console.log(`  peak RSS              ${peakRssMb()} MB`);

  await imageConfigPart();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
