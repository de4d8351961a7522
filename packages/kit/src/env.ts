import { z } from 'zod';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Parses process environment variables against a zod shape and reports every problem at once,
 * naming each variable, so a misconfigured deployment fails on the first start with the whole list.
 */
export function loadEnv<S extends z.ZodRawShape>(
  shape: S,
  source: Record<string, string | undefined> = process.env,
): z.infer<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(source);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}

/** Variables every service process reads. */
export const commonEnv = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  DATABASE_URL: z
    .string({ required_error: 'Required (mysql://user:password@host:3306/database)' })
    .url()
    .refine((v) => v.startsWith('mysql://'), 'must be a mysql:// URL'),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  /** Namespaces every Redis key (queues, rate limits), so several deployments can share one Redis. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[a-z0-9-]+$/, 'lowercase letters, digits and -')
    .default('moim'),
  INTERNAL_SECRET: z
    .string({ required_error: 'Required: the secret the gateway signs caller headers with' })
    .min(32, 'must be at least 32 characters'),
  MIGRATE_ON_START: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  HOST: z.string().default('0.0.0.0'),
};

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
