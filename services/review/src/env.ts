import { z } from 'zod';
import { loadEnv, serviceEnv, serviceProblems } from '@moim/kit';

const shape = {
  ...serviceEnv(4002),
  /** How often the worker refreshes the popular tab's model and lists (issue 22). */
  POPULAR_REFRESH_MS: z.coerce.number().int().min(10_000).max(86_400_000).default(600_000),
  /** Viewers who get a list of their own per refresh, the most recently active first (100 rows each); the rest get trending. */
  POPULAR_MAX_VIEWERS: z.coerce.number().int().min(0).max(1_000_000).default(10_000),
};

export type ReviewConfig = ReturnType<typeof loadReviewEnv>;

export const loadReviewEnv = (source: Record<string, string | undefined> = process.env) =>
  loadEnv(shape, source, (env) => serviceProblems(env, true));
