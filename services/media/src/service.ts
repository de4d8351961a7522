import { readFileSync } from 'node:fs';
import type { RunningService, ServiceModule } from '@moim/kit';
import { cleanupProcessors, cleanupSchedule } from './cleanup';
import type { MediaContext, MediaDeps } from './domain/context';
import { entities } from './entities';
import { loadMediaEnv, type MediaConfig } from './env';
import { mediaEventHandlers } from './events';
import { createLoaders } from './loaders';
import { CreateMedia1764700000000 } from './migrations/1764700000000-create-media';
import { resizeProcessors } from './resize/resize-job';
import { mediaResolvers } from './resolvers/media.resolver';
import { mediaRoutes } from './routes';
import { createStorage } from './storage';

export const typeDefs = readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8');

export type MediaService = RunningService<MediaDeps>;

/** Uploads, the resize pipeline and stored variants: the `media` subgraph. Bytes never pass the gateway. */
export const service: ServiceModule<MediaConfig, MediaDeps> = {
  name: 'media',
  loadEnv: loadMediaEnv,
  define: (config) => ({
    name: 'media',
    typeDefs,
    resolvers: mediaResolvers,
    database: { entities, migrations: [CreateMedia1764700000000] },
    deps: (kit): MediaDeps => ({ ...kit, config, storage: createStorage(config, kit.logger) }),
    context: (base, deps): MediaContext => ({ ...base, deps, loaders: createLoaders(deps) }),
    routes: (deps) => mediaRoutes(deps),
    events: () => mediaEventHandlers,
    jobs: (deps) => [...resizeProcessors(deps), ...cleanupProcessors(deps)],
    repeatable: cleanupSchedule,
  }),
};
