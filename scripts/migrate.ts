import { envStem, SERVICES } from '@moim/events';
import { ConfigError, createLogger, migrateServiceDatabase, UnavailableError } from '@moim/kit';
import { SERVICE_MODULES } from './service-modules';

// The migrate process of a deployment (compose's one-shot, the Kubernetes Job, the chart's
// pre-upgrade hook): every service's database created if missing and migrated, one after another,
// then exit 0 — the services themselves run with MIGRATE_ON_START=false. Each service's database
// is `<SERVICE>_DATABASE_URL`, as in the deployment's shared secret; each service's whole
// configuration is parsed too, so a bad value stops the rollout before any replica starts with it.
const logger = createLogger('migrate', process.env.LOG_LEVEL ?? 'info');
const exit = (code: number) => logger.flush(() => process.exit(code));

try {
  const started = performance.now();
  const missing = SERVICES.map(({ name }) => `${envStem(name)}_DATABASE_URL`).filter(
    (key) => !process.env[key],
  );
  if (missing.length)
    throw new ConfigError(`Invalid configuration:\n${missing.map((key) => `  ${key}: Required`).join('\n')}`);
  for (const { name } of SERVICES) {
    const migrated = await migrateServiceDatabase(
      SERVICE_MODULES[name],
      {
        ...process.env,
        DATABASE_URL: process.env[`${envStem(name)}_DATABASE_URL`],
        MIGRATE_ON_START: 'true',
      },
      logger.child({ database: name }),
    );
    logger.info(migrated ? `${name}: database up to date` : `${name}: no database`);
  }
  logger.info({ ms: Math.round(performance.now() - started) }, 'every database is migrated');
  exit(0);
} catch (err) {
  const known = err instanceof ConfigError || err instanceof UnavailableError;
  process.stderr.write(
    known ? `migrate: ${(err as Error).message}\n` : `migrate failed: ${(err as Error)?.stack ?? err}\n`,
  );
  exit(1);
}
