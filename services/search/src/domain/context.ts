import type { RequestContext, ServiceDeps } from '@moim/kit';
import type { SearchConfig } from '../env';
import type { SearchIndex } from '../port';

export interface SearchDeps extends ServiceDeps {
  config: SearchConfig;
  /** The index queries go to: this replica's engine, or Algolia. */
  index(): SearchIndex;
}

export interface SearchContext extends RequestContext {
  deps: SearchDeps;
}
