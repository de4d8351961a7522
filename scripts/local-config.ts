import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envStem, SERVICES, type ServiceName } from '@moim/events';
import { ConfigError, type BackendConfig, type BackendKind } from '@moim/kit';
import { databaseUrlKey } from './components';

/** `npm start` keeps its embedded data here unless DATA_DIR says otherwise. */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../.data', import.meta.url));

const DEV_SECRETS = {
  INTERNAL_SECRET: 'dev-only-internal-secret-change-me-0123456789',
  JWT_SECRET: 'dev-only-jwt-secret-change-me-0123456789abcd',
};

/**
 * The backend of the all-in-one process: what MOIM_BACKEND asks for; else `servers` when any
 * MySQL or Redis address is configured; else `embedded`. Never decided by which servers happen
 * to answer.
 */
export function chooseBackend(env: Record<string, string | undefined>): { kind: BackendKind; why: string } {
  const asked = env.MOIM_BACKEND;
  if (asked === 'servers' || asked === 'embedded') return { kind: asked, why: `MOIM_BACKEND=${asked}` };
  if (asked) throw new ConfigError(`Invalid configuration:\n  MOIM_BACKEND: must be servers or embedded`);
  const configured = ['MYSQL_URL', 'REDIS_URL', ...SERVICES.map((s) => databaseUrlKey(s.name))].filter(
    (name) => env[name],
  );
  return configured.length
    ? { kind: 'servers', why: `${configured.join(', ')} set` }
    : { kind: 'embedded', why: 'no MySQL or Redis configured' };
}

export interface LocalConfig {
  backend: BackendConfig;
  production: boolean;
  /**
   * Demo data on start: always in development (unless SEED_DEMO=false); in production only with
   * SEED_DEMO=true (staging), and never the demo admin with its published password.
   */
  seed: { demo: boolean; admin: boolean };
  /** Serve the admin console at /admin, building it when stale: development, unless ADMIN_CONSOLE=off. */
  adminConsole: boolean;
  /** Why this backend, for the start log. */
  why: string;
  logLevel: string;
  usesDevSecrets: boolean;
  /** The environment each service's configuration is parsed from. */
  serviceEnv(name: ServiceName): Record<string, string | undefined>;
  /** The gateway's, given where the subgraphs listen. */
  gatewayEnv(urls: ReadonlyMap<ServiceName, string>): Record<string, string | undefined>;
}

/**
 * Configuration for running the whole graph in one process (npm start, npm run seed): every
 * service of the list, on one backend; development-only secrets are filled in when none are
 * given, so `npm start` works on a fresh clone.
 */
export function localConfig(env: Record<string, string | undefined> = process.env): LocalConfig {
  const production = env.NODE_ENV === 'production';
  const problems: string[] = [];
  // The development secrets are in this repository: anyone could mint an admin token with them.
  if (production && (!env.INTERNAL_SECRET || !env.JWT_SECRET))
    problems.push('INTERNAL_SECRET, JWT_SECRET: Required when NODE_ENV=production');
  const { kind, why } = chooseBackend(env);
  if (env.SEED_DEMO !== undefined && env.SEED_DEMO !== 'true' && env.SEED_DEMO !== 'false')
    problems.push('SEED_DEMO: must be true or false');
  if (production && kind === 'embedded')
    problems.push(
      `MOIM_BACKEND: NODE_ENV=production needs the servers backend (${why}): the embedded one keeps ` +
        'data in local files and queues in one process, with no replicas; set MYSQL_URL and REDIS_URL',
    );
  if (problems.length)
    throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);

  const mysql = (env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306').replace(/\/$/, '');
  const usesDevSecrets = !env.INTERNAL_SECRET || !env.JWT_SECRET;
  const shared = {
    NODE_ENV: 'development',
    ...DEV_SECRETS,
    ...env,
    MOIM_BACKEND: kind,
    DATA_DIR: env.DATA_DIR ?? DEFAULT_DATA_DIR,
  };
  return {
    production,
    seed: { demo: env.SEED_DEMO ? env.SEED_DEMO === 'true' : !production, admin: !production },
    adminConsole: !production && env.ADMIN_CONSOLE !== 'off',
    backend: {
      MOIM_BACKEND: kind,
      REDIS_URL: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      REDIS_PREFIX: env.REDIS_PREFIX ?? 'moim',
      DATA_DIR: shared.DATA_DIR,
    },
    why,
    logLevel: env.LOG_LEVEL ?? 'info',
    usesDevSecrets,
    serviceEnv: (name) => {
      const stem = envStem(name);
      const port = env[`${stem}_PORT`] ?? String(SERVICES.find((s) => s.name === name)!.port);
      return {
        ...shared,
        DATABASE_URL: env[databaseUrlKey(name)] ?? `${mysql}/moim_${name.replace(/-/g, '_')}`,
        PORT: port,
        // Media keeps its files beside the rest of the data, and its upload and file URLs name
        // the port it listens on (MEDIA_PORT moves both; MEDIA_PUBLIC_URL for another address).
        ...(name === 'media'
          ? {
              MEDIA_DIR: env.MEDIA_DIR ?? join(shared.DATA_DIR, 'media'),
              MEDIA_PUBLIC_URL: env.MEDIA_PUBLIC_URL ?? `http://localhost:${port}`,
            }
          : {}),
      };
    },
    gatewayEnv: (urls) => ({
      ...shared,
      PORT: env.PORT ?? '4000',
      // Tokens signed with the published development secrets stay on this machine.
      HOST: env.HOST ?? (usesDevSecrets ? '127.0.0.1' : '0.0.0.0'),
      ...Object.fromEntries([...urls].map(([name, url]) => [`SUBGRAPH_${envStem(name)}_URL`, url])),
    }),
  };
}
