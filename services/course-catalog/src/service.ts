import { readFileSync } from 'node:fs';
import type { RunningService, ServiceModule } from '@moim/kit';
import type { CatalogContext, CatalogDeps } from './domain/context';
import { searchableSource } from './domain/searchable';
import { entities } from './entities';
import { loadCatalogEnv, type CatalogConfig } from './env';
import { importProcessors, importSchedule } from './import/import-job';
import { createLoaders } from './loaders';
import { CreateCatalog1764800000000 } from './migrations/1764800000000-create-catalog';
import { catalogResolvers } from './resolvers/catalog.resolver';
import { timetableResolvers } from './resolvers/timetable.resolver';

export const typeDefs = readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8');

export type CatalogService = RunningService<CatalogDeps>;

/** Universities, terms, courses, sections, importers and personal timetables: the `course-catalog` subgraph. */
export const service: ServiceModule<CatalogConfig, CatalogDeps> = {
  name: 'course-catalog',
  loadEnv: loadCatalogEnv,
  define: (config) => ({
    name: 'course-catalog',
    typeDefs,
    resolvers: {
      ...catalogResolvers,
      ...timetableResolvers,
      Query: { ...catalogResolvers.Query, ...timetableResolvers.Query },
    },
    database: { entities, migrations: [CreateCatalog1764800000000] },
    deps: (kit): CatalogDeps => ({ ...kit, config }),
    context: (base, deps): CatalogContext => ({ ...base, deps, loaders: createLoaders(deps) }),
    searchable: (deps) => searchableSource(deps),
    jobs: (deps) => importProcessors(deps),
    repeatable: importSchedule(config.imports, config.CATALOG_IMPORT_EVERY_MINUTES * 60_000),
  }),
};
