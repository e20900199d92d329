import type { CatalogService } from '../catalog/catalog.service';
import type { EnrichmentService } from '../catalog/enrichment.service';
import type { Config } from '../config/config';
import type { ScrapeRunService } from '../scraping/runs/scrape-run.service';
import type { ScrapeService } from '../scraping/scrape.service';
import type { HubStatusSource } from '../scraping/scraper.resolver';
import type { TrackingService } from '../tracking/tracking.service';
import type { CatalogEventService } from '../events/catalog-events.service';
import type { LiveHub } from '../subscriptions/live-hub';
import type { WebhookService } from '../webhooks/webhook.service';

/** The services resolvers call. Built once per process in app.ts. */
export interface Services {
  config: Config;
  catalog: CatalogService;
  tracking: TrackingService;
  runs: ScrapeRunService;
  scrape: ScrapeService;
  /** Manual enrichment of resources and instances (updateResource, updateInstance). */
  enrichment: EnrichmentService;
  /** This process's Docker Hub client: circuit breaker and rate-limit state (scraper.hub). */
  hub: HubStatusSource;
  /** Live changes: the change feed (catalogEvents), subscriptions, webhooks. */
  events: CatalogEventService;
  live: LiveHub;
  webhooks: WebhookService;
}
