import { z } from 'zod';
import { loadEnv, serviceEnv, serviceProblems, type EnvProblem } from '@moim/kit';

const shape = {
  ...serviceEnv(4001),
  JWT_SECRET: z
    .string({
      required_error: 'Required: the secret access tokens are signed with (shared with the gateway)',
    })
    .min(32, 'must be at least 32 characters'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().positive().default(900),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().positive().default(30),
  /**
   * How long a rotated refresh token may be presented again and get the same successor: a client
   * retrying its refresh (in parallel, or after a lost answer) keeps its session. 0 turns it off.
   */
  REFRESH_GRACE_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  /** `sens` sends real SMS through Naver Cloud SENS; `local` only logs the code. */
  SMS_PROVIDER: z.enum(['local', 'sens']).default('local'),
  SENS_ACCESS_KEY: z.string().optional(),
  SENS_SECRET_KEY: z.string().optional(),
  SENS_SERVICE_ID: z.string().optional(),
  SENS_FROM: z.string().optional(),
  /** Share links are `<APP_LINK_BASE>/r/<review id>` and `<APP_LINK_BASE>/p/<post id>` (the apps' deep links). */
  APP_LINK_BASE: z
    .string()
    .url()
    .transform((url) => url.replace(/\/+$/, ''))
    .default('https://moim.app'),
  /** Likes of one target within this many minutes collapse into one notification. */
  NOTIFICATION_COLLAPSE_MINUTES: z.coerce.number().int().min(0).max(10_080).default(60),
  /**
   * The Firebase project whose ID tokens signInWithFirebase accepts (without it, that sign-in is
   * off) and whose Cloud Messaging sends pushes.
   */
  FIREBASE_PROJECT_ID: z.string().optional(),
  /**
   * A service account JSON file for Cloud Messaging. Without it pushes go to the local adapter,
   * which only logs them.
   */
  GOOGLE_APPLICATION_CREDENTIALS: z.string().optional(),
};

export type SocialConfig = ReturnType<typeof loadSocialEnv>;

const SENS = ['SENS_ACCESS_KEY', 'SENS_SECRET_KEY', 'SENS_SERVICE_ID', 'SENS_FROM'] as const;

export function loadSocialEnv(source: Record<string, string | undefined> = process.env) {
  return loadEnv(shape, source, (env) => [
    ...serviceProblems(env, true),
    // The local adapter logs phone numbers and live codes: in production only when asked for.
    ...(env.NODE_ENV === 'production' && !source.SMS_PROVIDER
      ? [
          [
            'SMS_PROVIDER',
            'Required in production: sens sends codes; local only logs them (staging)',
          ] as EnvProblem,
        ]
      : []),
    // firebase-admin reads it from the environment and then accepts unsigned ID tokens (`alg:
    // none`) from the Auth emulator: anyone could sign in as anyone.
    ...(env.NODE_ENV === 'production' && source.FIREBASE_AUTH_EMULATOR_HOST
      ? [
          [
            'FIREBASE_AUTH_EMULATOR_HOST',
            'Must not be set in production: firebase-admin would accept unsigned ID tokens',
          ] as EnvProblem,
        ]
      : []),
    ...(env.GOOGLE_APPLICATION_CREDENTIALS && !env.FIREBASE_PROJECT_ID
      ? [
          [
            'FIREBASE_PROJECT_ID',
            'Required with GOOGLE_APPLICATION_CREDENTIALS: the project pushes go through',
          ] as EnvProblem,
        ]
      : []),
    ...(env.SMS_PROVIDER === 'sens'
      ? SENS.filter((k) => !env[k]).map((k): EnvProblem => [k, 'Required when SMS_PROVIDER=sens'])
      : []),
  ]);
}
