import { z } from 'zod';
import { ConfigError, loadEnv, serviceEnv, serviceProblems, type EnvProblem } from '@moim/kit';

/** `카페=커피숍=coffee shop; nyc=new york`: groups of words a query treats as one. */
const synonyms = z
  .string()
  .default('')
  .transform((text) =>
    text
      .split(';')
      .map((group) =>
        group
          .split('=')
          .map((word) => word.trim())
          .filter(Boolean),
      )
      .filter((group) => group.length > 1),
  );

const shape = {
  ...serviceEnv(4006),
  /** `embedded`: an in-process engine per replica, fed from search's tables; `algolia`: an Algolia index. */
  SEARCH_INDEX: z.enum(['embedded', 'algolia']).default('embedded'),
  SEARCH_SYNONYMS: synonyms,
  /** How often a replica looks for changes to apply to its index. */
  SEARCH_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(500),
  ALGOLIA_APP_ID: z.string().optional(),
  /**
   * Writes (indexing, settings): only search's worker (and `all`) needs it and holds it, and
   * refuses to start without it in algolia mode (see `algoliaAdminKey`); the API never does.
   */
  ALGOLIA_ADMIN_API_KEY: z.string().optional(),
  /** Queries (every role). */
  ALGOLIA_SEARCH_API_KEY: z.string().optional(),
  ALGOLIA_INDEX: z.string().min(1).default('moim'),
  /** Another Algolia host (a proxy, or a recording server in tests), e.g. http://127.0.0.1:8080. */
  ALGOLIA_HOST: z.string().url().optional(),
};

export type SearchConfig = ReturnType<typeof loadSearchEnv>;

/** What every process needs in algolia mode; the admin key only the worker, checked at its start. */
const ALGOLIA_KEYS = ['ALGOLIA_APP_ID', 'ALGOLIA_SEARCH_API_KEY'] as const;

export function loadSearchEnv(source: Record<string, string | undefined> = process.env) {
  return loadEnv(shape, source, (env) => [
    ...serviceProblems(env, true),
    ...(env.SEARCH_INDEX === 'algolia'
      ? ALGOLIA_KEYS.filter((key) => !env[key]).map((key): EnvProblem => [
          key,
          'Required when SEARCH_INDEX=algolia',
        ])
      : []),
  ]);
}

/**
 * The admin key, for the processes that write the Algolia index (search's worker, and `all`):
 * throws a ConfigError naming it when it is missing. The API role never asks for it.
 */
export function algoliaAdminKey(config: SearchConfig): string {
  if (config.ALGOLIA_ADMIN_API_KEY) return config.ALGOLIA_ADMIN_API_KEY;
  throw new ConfigError(
    "Invalid configuration:\n  ALGOLIA_ADMIN_API_KEY: Required by search's worker when SEARCH_INDEX=algolia " +
      '(it writes the index; the API role queries with ALGOLIA_SEARCH_API_KEY alone)',
  );
}
