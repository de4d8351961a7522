import { z } from 'zod';
import { loadEnv, serviceEnv, serviceProblems } from '@moim/kit';

const shape = {
  ...serviceEnv(4005),
  /** A member offline gets at most one push per room in this long (the first message wakes them). */
  CHAT_PUSH_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(180),
};

export type ChatConfig = ReturnType<typeof loadChatEnv>;

export const loadChatEnv = (source: Record<string, string | undefined> = process.env) =>
  loadEnv(shape, source, (env) => serviceProblems(env, true));
