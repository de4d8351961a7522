import { describe, expect, it } from 'vitest';
import { loadSocialEnv } from './env';

const base = {
  INTERNAL_SECRET: 'i'.repeat(32),
  JWT_SECRET: 'j'.repeat(32),
  MOIM_BACKEND: 'embedded',
};

describe("social's interaction settings", () => {
  it('has share links, collapsing and Firebase off by default', () => {
    const config = loadSocialEnv(base);
    expect(config).toMatchObject({ APP_LINK_BASE: 'https://moim.app', NOTIFICATION_COLLAPSE_MINUTES: 60 });
    expect(config.FIREBASE_PROJECT_ID).toBeUndefined();
    expect(loadSocialEnv({ ...base, APP_LINK_BASE: 'https://l.example.com/' }).APP_LINK_BASE).toBe(
      'https://l.example.com',
    );
  });

  it('refuses the Auth emulator in production and credentials without a project', () => {
    const production = {
      ...base,
      NODE_ENV: 'production',
      MOIM_BACKEND: 'servers',
      DATABASE_URL: 'mysql://root@127.0.0.1:3306/moim_social',
      SMS_PROVIDER: 'local',
    };
    expect(() => loadSocialEnv(production)).not.toThrow();
    expect(() => loadSocialEnv({ ...production, FIREBASE_AUTH_EMULATOR_HOST: '127.0.0.1:9099' })).toThrow(
      /FIREBASE_AUTH_EMULATOR_HOST: Must not be set in production/,
    );
    expect(() => loadSocialEnv({ ...base, FIREBASE_AUTH_EMULATOR_HOST: '127.0.0.1:9099' })).not.toThrow();
    expect(() => loadSocialEnv({ ...base, GOOGLE_APPLICATION_CREDENTIALS: '/secrets/sa.json' })).toThrow(
      /FIREBASE_PROJECT_ID: Required with GOOGLE_APPLICATION_CREDENTIALS/,
    );
    expect(() => loadSocialEnv({ ...base, APP_LINK_BASE: 'not a url' })).toThrow(/APP_LINK_BASE/);
  });
});
