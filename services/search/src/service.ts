import { readFileSync } from 'node:fs';
import type { RunningService, ServiceLoop, ServiceModule } from '@moim/kit';
import { createAlgoliaIndex } from './backends/algolia';
import { algoliaSync } from './domain/algolia-sync';
import type { SearchContext, SearchDeps } from './domain/context';
import { embeddedReplica } from './domain/indexes';
import { pruneProcessors, pruneSchedule } from './domain/prune';
import { EmbeddedSearchIndex } from './engine';
import { entities } from './entities';
import { algoliaAdminKey, loadSearchEnv, type SearchConfig } from './env';
import { searchEventHandlers } from './events';
import { CreateSearch1765000000000 } from './migrations/1765000000000-create-search';
import { searchResolvers } from './resolvers';

export const typeDefs = readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8');

export type SearchService = RunningService<SearchDeps>;

/** The Algolia index for queries: the search-only key alone, no admin client (what the API holds). */
const algoliaConfig = (config: SearchConfig) => ({
  appId: config.ALGOLIA_APP_ID!,
  searchApiKey: config.ALGOLIA_SEARCH_API_KEY!,
  indexName: config.ALGOLIA_INDEX,
  synonyms: config.SEARCH_SYNONYMS,
  hosts: config.ALGOLIA_HOST ? [{ url: config.ALGOLIA_HOST }] : undefined,
});

/** With writes, for the sync of a worker (or `all`): a ConfigError without ALGOLIA_ADMIN_API_KEY. */
const algoliaWriterOf = (config: SearchConfig) =>
  createAlgoliaIndex({ ...algoliaConfig(config), adminApiKey: algoliaAdminKey(config) });

/**
 * The search index and `search(...)`: the owning subgraphs announce what can be found (events),
 * search keeps it in its tables and projects it into an index — an embedded engine in every API
 * replica, or Algolia kept current by the workers (docs/decisions/0014).
 */
export const service: ServiceModule<SearchConfig, SearchDeps> = {
  name: 'search',
  loadEnv: loadSearchEnv,
  define: (config) => {
    // One per process: the API's queries and the loops share it. Algolia's is query-only; a
    // worker's sync writes through an index of its own, the only one with the admin key.
    let embedded: ReturnType<typeof embeddedReplica<EmbeddedSearchIndex>> | null = null;
    const algolia = config.SEARCH_INDEX === 'algolia' ? createAlgoliaIndex(algoliaConfig(config)) : null;
    return {
      name: 'search',
      typeDefs,
      resolvers: searchResolvers,
      database: { entities, migrations: [CreateSearch1765000000000] },
      deps: (kit): SearchDeps => {
        if (!algolia)
          embedded = embeddedReplica({
            db: kit.db,
            logger: kit.logger,
            pollMs: config.SEARCH_POLL_MS,
            create: () => new EmbeddedSearchIndex({ synonyms: config.SEARCH_SYNONYMS }),
          });
        return { ...kit, config, index: () => algolia ?? embedded!.current() };
      },
      context: (base, deps): SearchContext => ({ ...base, deps }),
      events: () => searchEventHandlers,
      jobs: (deps) => pruneProcessors(deps),
      repeatable: pruneSchedule,
      loops: (deps, role): ServiceLoop[] => {
        if (algolia)
          return role === 'api'
            ? []
            : [
                algoliaSync({
                  db: deps.db,
                  logger: deps.logger,
                  pollMs: config.SEARCH_POLL_MS,
                  index: algoliaWriterOf(config),
                }),
              ];
        return role === 'worker' ? [] : [embedded!];
      },
    };
  },
};
