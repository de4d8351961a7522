import { z } from 'zod';
import { commonEnv, ConfigError, loadEnv, port } from '@moim/kit';

const shape = {
  ...commonEnv,
  PORT: port(4001),
  JWT_SECRET: z
    .string({
      required_error: 'Required: the secret access tokens are signed with (shared with the gateway)',
    })
    .min(32, 'must be at least 32 characters'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().positive().default(900),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().positive().default(30),
  /** `sens` sends real SMS through Naver Cloud SENS; `local` only logs the code. */
  SMS_PROVIDER: z.enum(['local', 'sens']).default('local'),
  SENS_ACCESS_KEY: z.string().optional(),
  SENS_SECRET_KEY: z.string().optional(),
  SENS_SERVICE_ID: z.string().optional(),
  SENS_FROM: z.string().optional(),
};

export type SocialConfig = ReturnType<typeof loadSocialEnv>;

export function loadSocialEnv(source: Record<string, string | undefined> = process.env) {
  const env = loadEnv(shape, source);
  if (env.SMS_PROVIDER === 'sens') {
    const missing = (['SENS_ACCESS_KEY', 'SENS_SECRET_KEY', 'SENS_SERVICE_ID', 'SENS_FROM'] as const).filter(
      (k) => !env[k],
    );
    if (missing.length)
      throw new ConfigError(
        `Invalid configuration:\n${missing.map((k) => `  ${k}: Required when SMS_PROVIDER=sens`).join('\n')}`,
      );
  }
  return env;
}
