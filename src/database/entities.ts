import { ProcessingInstanceEntity } from '../catalog/processing-instance.entity';
import { ProcessingResourceEntity } from '../catalog/processing-resource.entity';
import { ScrapeRunEntity, ScrapeRunResultEntity } from '../scraping/runs/scrape-run.entity';
import { TrackedImageEntity } from '../tracking/tracked-image.entity';

export const ENTITIES = [
  ProcessingResourceEntity,
  ProcessingInstanceEntity,
  TrackedImageEntity,
  ScrapeRunEntity,
  ScrapeRunResultEntity,
];
