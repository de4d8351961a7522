import type { RequestContext, ServiceDeps } from '@moim/kit';
import type { ChatConfig } from '../env';
import type { ChatLoaders } from '../loaders';
import type { RoomPublisher } from './publish';

export interface ChatDeps extends ServiceDeps {
  config: ChatConfig;
  /** Publishes room events of this process in order, room by room. */
  publisher: RoomPublisher;
}

export interface ChatContext extends RequestContext {
  deps: ChatDeps;
  loaders: ChatLoaders;
}
