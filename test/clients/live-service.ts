/**
 * The live service for the client tests: a real app on its own database, its catalog scraped
 * from the fake Docker Hub (synthetic images with a few tags each), with the names of every
 * resource in API order for the tests to compare against.
 */
import { createTestDatabase, TestDatabase } from '../support/db';
import { ok, startTestApp, TestApp } from '../support/app';
import { FakeDockerHub } from '../support/fake-docker-hub';
import { syntheticCatalog } from '../support/hub-data';
import { scrape } from '../support/scrape';

export interface LiveService {
  db: TestDatabase;
  hub: FakeDockerHub;
  app: TestApp;
  /** Every resource name, in the default order (name ascending). */
  names: string[];
  close(): Promise<void>;
}

export async function startLiveService(prefix: string, images = 23, env: Record<string, string> = {}): Promise<LiveService> {
  const catalog = syntheticCatalog(images, { tagsPerImage: 3, namespace: (i) => (i % 4 === 0 ? 'library' : 'acme') });
  const db = await createTestDatabase(prefix);
  const hub = await FakeDockerHub.start({ maxPageSize: 100 });
  hub.seed(catalog);
  const app = await startTestApp(db.url, {
    DOCKER_HUB_URL: hub.url,
    DOCKER_SCRAPER_IMAGES: catalog.map((i) => `${i.namespace}/${i.name}`).join(','),
    ...env,
  });
  const run = await scrape(app);
  if (run.status !== 'SUCCEEDED') throw new Error(`the catalog scrape ended ${run.status}`);
  const names = ok(await app.gql<{ resources: { edges: { node: { name: string } }[] } }>(`{ resources(first: 100) { edges { node { name } } } }`))
    .resources.edges.map((e) => e.node.name);
  if (names.length !== images) throw new Error(`expected ${images} resources, found ${names.length}`);
  return {
    db,
    hub,
    app,
    names,
    async close() {
      await app.close();
      await hub.close();
      await db.drop();
    },
  };
}
