import { InitialSchema1764300000000 } from './1764300000000-InitialSchema';
import { ReadPathIndexes1764400000000 } from './1764400000000-ReadPathIndexes';
import { LiveChanges1764600000000 } from './1764600000000-LiveChanges';
import { RegistryImages1764800000000 } from './1764800000000-RegistryImages';

/** Every migration, oldest first. Add new ones here as well as in this folder. */
export const MIGRATIONS = [InitialSchema1764300000000, ReadPathIndexes1764400000000, LiveChanges1764600000000, RegistryImages1764800000000];
