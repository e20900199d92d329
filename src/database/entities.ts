import { ProcessingInstanceEntity } from '../catalog/processing-instance.entity';
import { ProcessingResourceEntity } from '../catalog/processing-resource.entity';
import { ScrapeRunEntity, ScrapeRunResultEntity } from '../scraping/runs/scrape-run.entity';
import { TrackedImageEntity } from '../tracking/tracked-image.entity';
import { CatalogEventEntity } from '../events/catalog-event.entity';
import { WebhookDeliveryAttemptEntity, WebhookDeliveryEntity, WebhookEntity } from '../webhooks/webhook.entity';

export const ENTITIES = [
  ProcessingResourceEntity,
  ProcessingInstanceEntity,
  TrackedImageEntity,
  ScrapeRunEntity,
  ScrapeRunResultEntity,
  CatalogEventEntity,
  WebhookEntity,
  WebhookDeliveryEntity,
  WebhookDeliveryAttemptEntity,
];
