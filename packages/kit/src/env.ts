import { z } from 'zod';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A problem zod cannot see in one variable alone: [variable, message]. */
export type EnvProblem = [variable: string, message: string];

/**
 * Parses process environment variables against a zod shape and reports every problem at once,
 * naming each variable, so a misconfigured deployment fails on the first start with the whole
 * list. `check` adds problems that involve several variables.
 */
export function loadEnv<S extends z.ZodRawShape>(
  shape: S,
  source: Record<string, string | undefined> = process.env,
  check?: (env: z.infer<z.ZodObject<S>>) => EnvProblem[],
): z.infer<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(source);
  if (result.success && !check) return result.data;
  const problems: EnvProblem[] = result.success
    ? []
    : result.error.issues.map((issue) => [issue.path.join('.'), issue.message]);
  if (check) {
    // The checks see every variable that parsed on its own, so one bad variable does not hide
    // the problems of the others; a variable already reported is not reported twice.
    const valid = result.success
      ? result.data
      : Object.fromEntries(
          Object.entries(shape).flatMap(([key, schema]) => {
            const one = schema.safeParse(source[key]);
            return one.success ? [[key, one.data]] : [];
          }),
        );
    const reported = new Set(problems.map(([name]) => name));
    problems.push(...check(valid as z.infer<z.ZodObject<S>>).filter(([name]) => !reported.has(name)));
  }
  if (!problems.length && result.success) return result.data;
  throw new ConfigError(
    `Invalid configuration:\n${problems.map(([name, message]) => `  ${name}: ${message}`).join('\n')}`,
  );
}

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true');

/** Which backends a process uses; see backend.ts. */
export const backendEnv = {
  /**
   * `servers`: MySQL, Redis and BullMQ (production, replicas, separate workers). `embedded`:
   * SQLite files under DATA_DIR and queues and pub/sub inside the process (one process only).
   */
  MOIM_BACKEND: z.enum(['servers', 'embedded']).default('servers'),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  /** Namespaces every Redis key (queues, rate limits, channels), so deployments can share one Redis. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[a-z0-9-]+$/, 'lowercase letters, digits and -')
    .default('moim'),
  DATA_DIR: z.string().min(1).default('.data'),
  /**
   * How long a worker's claim on a running job lasts without renewal (renewed at half of it while
   * the worker lives): a job whose worker died runs again after about this long (BullMQ's 30 s).
   */
  JOB_LOCK_SECONDS: z.coerce.number().int().min(2).max(3600).default(30),
};

/** Variables every service process reads. */
export const commonEnv = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /**
   * Requests slower than this are logged at info; the rest at debug (see README "Logs"): a line per
   * request costs a subgraph ~10 % of its CPU, and metrics count every request anyway.
   */
  SLOW_REQUEST_MS: z.coerce.number().int().min(1).default(1000),
  ...backendEnv,
  /** Required with MOIM_BACKEND=servers by services that have a database. */
  DATABASE_URL: z
    .string()
    .url()
    .refine((v) => v.startsWith('mysql://'), 'must be a mysql:// URL')
    .optional(),
  INTERNAL_SECRET: z
    .string({ required_error: 'Required: the secret the gateway signs caller headers with' })
    .min(32, 'must be at least 32 characters'),
  MIGRATE_ON_START: flag(true),
  HOST: z.string().default('0.0.0.0'),
  /** How often delivered outbox rows and old processed-event ids are pruned. */
  PRUNE_INTERVAL_SECONDS: z.coerce.number().int().min(1).default(3600),
  OUTBOX_RETENTION_DAYS: z.coerce.number().min(0).default(7),
  /**
   * The queues a worker process runs, comma-separated (e.g. `push`, so pushes scale apart from
   * events); all of the service's queues when unset.
   */
  WORKER_QUEUES: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((q) => q.trim())
        .filter(Boolean),
    )
    .optional(),
  PROCESSED_EVENTS_RETENTION_DAYS: z.coerce.number().min(0).default(30),
};

/** A service's variables: the common ones, its API port and its worker process's health port. */
export const serviceEnv = (apiPort: number) => ({
  ...commonEnv,
  PORT: port(apiPort),
  WORKER_PORT: port(apiPort + 100),
});

/** Problems any process on the embedded or servers backend can have. */
export function backendProblems(env: {
  NODE_ENV: string;
  MOIM_BACKEND: 'servers' | 'embedded';
}): EnvProblem[] {
  return env.NODE_ENV === 'production' && env.MOIM_BACKEND === 'embedded'
    ? [
        [
          'MOIM_BACKEND',
          'embedded keeps data in local SQLite files and runs queues inside one process (no replicas, ' +
            'no separate workers): use servers (MySQL and Redis) with NODE_ENV=production',
        ],
      ]
    : [];
}

/** The checks every service's environment gets, given whether it declares a database. */
export function serviceProblems(
  env: { NODE_ENV: string; MOIM_BACKEND: 'servers' | 'embedded'; DATABASE_URL?: string },
  hasDatabase: boolean,
): EnvProblem[] {
  const problems = backendProblems(env);
  if (hasDatabase && env.MOIM_BACKEND === 'servers' && !env.DATABASE_URL)
    problems.push([
      'DATABASE_URL',
      'Required with MOIM_BACKEND=servers (mysql://user:password@host:3306/database)',
    ]);
  return problems;
}

export type ServiceConfig = z.infer<z.ZodObject<ReturnType<typeof serviceEnv>>>;
