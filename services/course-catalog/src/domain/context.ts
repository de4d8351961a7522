import type { RequestContext, ServiceDeps } from '@moim/kit';
import type { CatalogConfig } from '../env';
import type { CatalogLoaders } from '../loaders';

export interface CatalogDeps extends ServiceDeps {
  config: CatalogConfig;
}

export interface CatalogContext extends RequestContext {
  deps: CatalogDeps;
  loaders: CatalogLoaders;
}
