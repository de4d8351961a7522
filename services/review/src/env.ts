import { loadEnv, serviceEnv, serviceProblems } from '@moim/kit';

const shape = serviceEnv(4002);

export type ReviewConfig = ReturnType<typeof loadReviewEnv>;

export const loadReviewEnv = (source: Record<string, string | undefined> = process.env) =>
  loadEnv(shape, source, (env) => serviceProblems(env, true));
