import { commonEnv, loadEnv, port } from '@moim/kit';

const shape = { ...commonEnv, PORT: port(4002) };

export type ReviewConfig = ReturnType<typeof loadReviewEnv>;

export const loadReviewEnv = (source: Record<string, string | undefined> = process.env) =>
  loadEnv(shape, source);
