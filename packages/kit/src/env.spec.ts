import { describe, expect, it } from 'vitest';
import { commonEnv, loadEnv, serviceEnv, serviceProblems } from './env';

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

describe('a service environment', () => {
  const load = (source: Record<string, string>) =>
    loadEnv(serviceEnv(4001), { INTERNAL_SECRET: 's'.repeat(32), ...source }, (env) =>
      serviceProblems(env, true),
    );

  it('needs DATABASE_URL on the servers backend only', () => {
    expect(() => load({})).toThrow(/DATABASE_URL: Required with MOIM_BACKEND=servers/);
    expect(load({ MOIM_BACKEND: 'embedded' })).toMatchObject({ MOIM_BACKEND: 'embedded', DATA_DIR: '.data' });
    expect(load({ DATABASE_URL: 'mysql://root@localhost/x' })).toMatchObject({
      MOIM_BACKEND: 'servers',
      PORT: 4001,
      WORKER_PORT: 4101,
    });
  });

  it('refuses the embedded backend in production, with the other problems', () => {
    expect(() => load({ NODE_ENV: 'production', MOIM_BACKEND: 'embedded', LOG_LEVEL: 'loud' })).toThrow(
      /(?=[\s\S]*MOIM_BACKEND: embedded keeps data in local SQLite files)(?=[\s\S]*LOG_LEVEL)/,
    );
  });
});
