import type { RequestContext, ServiceDeps } from '@moim/kit';
import type { ReviewConfig } from '../env';
import type { ReviewLoaders } from '../loaders';

export interface ReviewDeps extends ServiceDeps {
  config: ReviewConfig;
}

export interface ReviewContext extends RequestContext {
  deps: ReviewDeps;
  loaders: ReviewLoaders;
}
