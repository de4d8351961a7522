import { describe, expect, it } from 'vitest';
import { commonEnv, loadEnv } from './env';

describe('loadEnv', () => {
  it('names every bad variable at once', () => {
    expect(() =>
      loadEnv(commonEnv, { DATABASE_URL: 'postgres://x', INTERNAL_SECRET: 'short', LOG_LEVEL: 'loud' }),
    ).toThrow(
      /Invalid configuration:\n(?=[\s\S]*DATABASE_URL: must be a mysql:\/\/ URL)(?=[\s\S]*INTERNAL_SECRET: must be at least 32 characters)(?=[\s\S]*LOG_LEVEL)/,
    );
  });

  it('fills defaults and parses booleans', () => {
    const env = loadEnv(commonEnv, {
      DATABASE_URL: 'mysql://root@localhost/x',
      INTERNAL_SECRET: 's'.repeat(32),
      MIGRATE_ON_START: 'false',
    });
    expect(env).toMatchObject({
      NODE_ENV: 'development',
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_PREFIX: 'moim',
      MIGRATE_ON_START: false,
    });
  });
});
