import { readFileSync } from 'node:fs';
import { createService, type RunningService } from '@moim/kit';
import type { ReviewContext, ReviewDeps } from './domain/context';
import { entities } from './entities';
import type { ReviewConfig } from './env';
import { reviewEventHandlers } from './events';
import { createLoaders } from './loaders';
import { CreateReview1764300000001 } from './migrations/1764300000001-create-review';
import { reviewResolvers } from './resolvers/review.resolver';
import { subjectResolvers } from './resolvers/subject.resolver';

export const typeDefs = readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8');

export type ReviewService = RunningService<ReviewDeps>;

export function createReviewService(config: ReviewConfig): Promise<ReviewService> {
  return createService<ReviewContext, ReviewDeps>({
    name: 'review',
    config,
    typeDefs,
    resolvers: {
      ...subjectResolvers,
      ...reviewResolvers,
      Query: { ...subjectResolvers.Query, ...reviewResolvers.Query },
      Mutation: { ...subjectResolvers.Mutation, ...reviewResolvers.Mutation },
    },
    entities,
    migrations: [CreateReview1764300000001],
    deps: (kit) => ({ ...kit, config }),
    context: (base, deps) => ({ ...base, deps, loaders: createLoaders(deps, base.caller) }),
    consumes: () => reviewEventHandlers,
  });
}
