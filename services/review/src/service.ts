import { readFileSync } from 'node:fs';
import type { RunningService, ServiceLoop, ServiceModule } from '@moim/kit';
import type { ReviewContext, ReviewDeps } from './domain/context';
import { entities } from './entities';
import { loadReviewEnv, type ReviewConfig } from './env';
import { reviewEventHandlers } from './events';
import { searchableSource } from './domain/searchable';
import { createLoaders } from './loaders';
import { CreateReview1764300000001 } from './migrations/1764300000001-create-review';
import { BlockEdges1764600000000 } from './migrations/1764600000000-block-edges';
import { AnnounceReviews1764600000001 } from './migrations/1764600000001-announce-reviews';
import { MediaRefs1764700000001 } from './migrations/1764700000001-media-refs';
import { PopularTab1766000000001 } from './migrations/1766000000001-popular-tab';
import { popularProcessors, popularSchedule, refreshIfNeverRun } from './domain/popular-refresh';
import { reviewResolvers } from './resolvers/review.resolver';
import { subjectResolvers } from './resolvers/subject.resolver';

export const typeDefs = readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8');

export type ReviewService = RunningService<ReviewDeps>;

/** Places, products, reviews, feeds and moderation: the `review` subgraph. */
export const service: ServiceModule<ReviewConfig, ReviewDeps> = {
  name: 'review',
  loadEnv: loadReviewEnv,
  define: (config) => ({
    name: 'review',
    typeDefs,
    resolvers: {
      ...subjectResolvers,
      ...reviewResolvers,
      Query: { ...subjectResolvers.Query, ...reviewResolvers.Query },
      Mutation: { ...subjectResolvers.Mutation, ...reviewResolvers.Mutation },
    },
    database: {
      entities,
      migrations: [
        CreateReview1764300000001,
        BlockEdges1764600000000,
        AnnounceReviews1764600000001,
        MediaRefs1764700000001,
        PopularTab1766000000001,
      ],
    },
    deps: (kit) => ({ ...kit, config }),
    context: (base, deps): ReviewContext => ({ ...base, deps, loaders: createLoaders(deps, base.caller) }),
    searchable: (deps) => searchableSource(deps),
    events: () => reviewEventHandlers,
    jobs: popularProcessors,
    repeatable: popularSchedule(config.POPULAR_REFRESH_MS),
    loops: (deps, role): ServiceLoop[] =>
      role === 'api'
        ? []
        : [{ name: 'popular-first-refresh', start: () => refreshIfNeverRun(deps), stop: async () => {} }],
  }),
};
