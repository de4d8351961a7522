import { readFileSync } from 'node:fs';
import type { RunningService, ServiceModule } from '@moim/kit';
import type { ChatContext, ChatDeps } from './domain/context';
import { chatProcessors } from './domain/fanout';
import { chatLiveFields } from './domain/live';
import { createRoomPublisher } from './domain/publish';
import { entities } from './entities';
import { loadChatEnv, type ChatConfig } from './env';
import { chatEventHandlers } from './events';
import { createLoaders } from './loaders';
import { CreateChat1764900000000 } from './migrations/1764900000000-create-chat';
import { chatResolvers } from './resolvers/chat.resolver';

export const typeDefs = readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8');

export type ChatService = RunningService<ChatDeps>;

/** Section and direct rooms, memberships, messages, read state and live events: the `chat` subgraph. */
export const service: ServiceModule<ChatConfig, ChatDeps> = {
  name: 'chat',
  loadEnv: loadChatEnv,
  define: (config) => ({
    name: 'chat',
    typeDefs,
    resolvers: chatResolvers,
    database: { entities, migrations: [CreateChat1764900000000] },
    deps: (kit): ChatDeps => ({ ...kit, config, publisher: createRoomPublisher(kit.pubsub, kit.logger) }),
    context: (base, deps): ChatContext => ({ ...base, deps, loaders: createLoaders(deps, base.caller) }),
    live: (deps) => chatLiveFields(deps),
    events: () => chatEventHandlers,
    jobs: (deps) => chatProcessors(deps),
  }),
};
