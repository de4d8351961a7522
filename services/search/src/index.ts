export { service, typeDefs, type SearchService } from './service';
export { loadSearchEnv, type SearchConfig } from './env';
export type { SearchContext, SearchDeps } from './domain/context';
export * from './entities';
export * from './port';
export { MAX_QUERY_LENGTH, MAX_SUGGESTIONS } from './domain/queries';
export { reindex, type ReindexProgress } from './domain/reindex';
