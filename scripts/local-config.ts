import { ConfigError } from '@moim/kit';
import { loadGatewayEnv } from '@moim/gateway';
import { loadReviewEnv } from '@moim/review';
import { loadSocialEnv } from '@moim/social';

/**
 * Configuration for running the whole graph in one process (npm start, npm run seed):
 * each service gets its own database on one MySQL server, and development-only secrets are
 * filled in when none are given, so `npm start` works on a fresh clone.
 */
export function localConfig(env: Record<string, string | undefined> = process.env) {
  if (env.NODE_ENV === 'production' && (!env.INTERNAL_SECRET || !env.JWT_SECRET)) {
    // The development secrets are in this repository: anyone could mint an admin token with them.
    throw new ConfigError(
      'Invalid configuration:\n  INTERNAL_SECRET, JWT_SECRET: Required when NODE_ENV=production',
    );
  }
  const mysql = (env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306').replace(/\/$/, '');
  const shared = {
    NODE_ENV: 'development',
    INTERNAL_SECRET: 'dev-only-internal-secret-change-me-0123456789',
    JWT_SECRET: 'dev-only-jwt-secret-change-me-0123456789abcd',
    ...env,
  };
  const social = loadSocialEnv({
    ...shared,
    DATABASE_URL: env.SOCIAL_DATABASE_URL ?? `${mysql}/moim_social`,
    PORT: env.SOCIAL_PORT ?? '4001',
  });
  const review = loadReviewEnv({
    ...shared,
    DATABASE_URL: env.REVIEW_DATABASE_URL ?? `${mysql}/moim_review`,
    PORT: env.REVIEW_PORT ?? '4002',
  });
  const usesDevSecrets = !env.INTERNAL_SECRET || !env.JWT_SECRET;
  const gateway = loadGatewayEnv({
    ...shared,
    PORT: env.PORT ?? '4000',
    // Tokens signed with the published development secrets stay on this machine.
    HOST: env.HOST ?? (usesDevSecrets ? '127.0.0.1' : '0.0.0.0'),
    SUBGRAPH_SOCIAL_URL: `http://127.0.0.1:${social.PORT}/graphql`,
    SUBGRAPH_REVIEW_URL: `http://127.0.0.1:${review.PORT}/graphql`,
  });
  return { social, review, gateway, usesDevSecrets };
}
