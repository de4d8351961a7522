import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseBackend, DEFAULT_DATA_DIR, localConfig } from './local-config';

describe('npm start chooses its backend from configuration, never from what answers', () => {
  it.each([
    [{}, 'embedded', 'no MySQL or Redis configured'],
    [{ MYSQL_URL: 'mysql://root@db:3306' }, 'servers', 'MYSQL_URL set'],
    [{ REDIS_URL: 'redis://cache:6379' }, 'servers', 'REDIS_URL set'],
    [{ REVIEW_DATABASE_URL: 'mysql://root@db/r' }, 'servers', 'REVIEW_DATABASE_URL set'],
    [{ MOIM_BACKEND: 'servers' }, 'servers', 'MOIM_BACKEND=servers'],
    [{ MOIM_BACKEND: 'embedded', MYSQL_URL: 'mysql://root@db:3306' }, 'embedded', 'MOIM_BACKEND=embedded'],
  ])('%j → %s', (env, kind, why) => {
    expect(chooseBackend(env)).toEqual({ kind, why });
  });

  it('refuses an unknown MOIM_BACKEND', () => {
    expect(() => chooseBackend({ MOIM_BACKEND: 'postgres' })).toThrow(
      /MOIM_BACKEND: must be servers or embedded/,
    );
  });
});

describe('the all-in-one configuration', () => {
  it('gives every service of the list its database, port and the shared backend', () => {
    const local = localConfig({ MYSQL_URL: 'mysql://root@db:3306/', SOCIAL_PORT: '5001' });
    expect(local.backend).toMatchObject({ MOIM_BACKEND: 'servers', REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(local.serviceEnv('social')).toMatchObject({
      DATABASE_URL: 'mysql://root@db:3306/moim_social',
      PORT: '5001',
      MOIM_BACKEND: 'servers',
    });
    expect(local.serviceEnv('review')).toMatchObject({
      DATABASE_URL: 'mysql://root@db:3306/moim_review',
      PORT: '4002',
    });
    const gateway = local.gatewayEnv(new Map([['social', 'http://127.0.0.1:5001/graphql']]));
    expect(gateway).toMatchObject({ SUBGRAPH_SOCIAL_URL: 'http://127.0.0.1:5001/graphql', PORT: '4000' });
  });

  it('keeps embedded data in .data/ and the gateway on loopback while it uses the development secrets', () => {
    const local = localConfig({});
    expect(local.backend).toMatchObject({ MOIM_BACKEND: 'embedded', DATA_DIR: DEFAULT_DATA_DIR });
    expect(DEFAULT_DATA_DIR).toMatch(/\/\.data$/);
    expect(local.usesDevSecrets).toBe(true);
    expect(local.gatewayEnv(new Map()).HOST).toBe('127.0.0.1');
  });

  it("keeps media's files in the data folder and gives clients media's own port", () => {
    expect(localConfig({}).serviceEnv('media')).toMatchObject({
      MEDIA_DIR: join(DEFAULT_DATA_DIR, 'media'),
      MEDIA_PUBLIC_URL: 'http://localhost:4003',
    });
    expect(localConfig({ DATA_DIR: '/tmp/moim', MEDIA_PORT: '5403' }).serviceEnv('media')).toMatchObject({
      MEDIA_DIR: '/tmp/moim/media',
      MEDIA_PUBLIC_URL: 'http://localhost:5403',
      PORT: '5403',
    });
    expect(
      localConfig({ MEDIA_PUBLIC_URL: 'https://media.example.com', MEDIA_DIR: '/srv/media' }).serviceEnv(
        'media',
      ),
    ).toMatchObject({ MEDIA_DIR: '/srv/media', MEDIA_PUBLIC_URL: 'https://media.example.com' });
  });

  it('refuses production without secrets and without servers, naming both', () => {
    expect(() => localConfig({ NODE_ENV: 'production' })).toThrow(
      /(?=[\s\S]*INTERNAL_SECRET, JWT_SECRET: Required when NODE_ENV=production)(?=[\s\S]*MOIM_BACKEND: NODE_ENV=production needs the servers backend)/,
    );
  });
});
