import type { RequestContext, ServiceDeps } from '@moim/kit';
import type { MediaConfig } from '../env';
import type { MediaStorage } from '../storage/storage.port';
import type { MediaLoaders } from '../loaders';

export interface MediaDeps extends ServiceDeps {
  config: MediaConfig;
  storage: MediaStorage;
}

export interface MediaContext extends RequestContext {
  deps: MediaDeps;
  loaders: MediaLoaders;
}
