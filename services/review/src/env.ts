import { z } from 'zod';
import { loadEnv, serviceEnv, serviceProblems } from '@moim/kit';

const shape = {
  ...serviceEnv(4002),
  /** How often the worker refreshes the popular tab's model and lists (issue 22). */
  POPULAR_REFRESH_MS: z.coerce.number().int().min(10_000).max(86_400_000).default(600_000),
};

export type ReviewConfig = ReturnType<typeof loadReviewEnv>;

export const loadReviewEnv = (source: Record<string, string | undefined> = process.env) =>
  loadEnv(shape, source, (env) => serviceProblems(env, true));
