import { SERVICES } from '@moim/events';
import {
  ConfigError,
  createLogger,
  serviceMigration,
  UnavailableError,
  type ServiceMigration,
} from '@moim/kit';
import { databaseUrlKey } from './components';
import { SERVICE_MODULES } from './service-modules';

// The migrate process of a deployment (compose's one-shot, the Kubernetes Job, the chart's
// pre-upgrade hook): every service's database created if missing and migrated, one after another,
// then exit 0 — the services themselves run with MIGRATE_ON_START=false and wait for it. Each
// service's database is `<SERVICE>_DATABASE_URL`, as in the deployment's shared secret. Every
// service's whole configuration is parsed first, so a bad value anywhere stops the rollout before
// anything is migrated or any replica starts with it; all problems are listed at once.
const logger = createLogger('migrate', process.env.LOG_LEVEL ?? 'info');
const exit = (code: number) => logger.flush(() => process.exit(code));

/** `media` and a ConfigError's lines → `  media GCS_BUCKET: Required …` (one line at least). */
const problemsOf = (service: string, err: ConfigError) => {
  const lines = err.message.split('\n');
  const problems = lines[0]!.startsWith('Invalid configuration') ? lines.slice(1) : lines;
  return (problems.length ? problems : [err.message]).map((line) => `  ${service} ${line.trim()}`);
};

try {
  const started = performance.now();
  const problems: string[] = [];
  const migrations: ServiceMigration[] = [];
  for (const { name } of SERVICES) {
    const key = databaseUrlKey(name);
    if (!process.env[key]) problems.push(`  ${key}: Required`);
    try {
      migrations.push(
        serviceMigration(SERVICE_MODULES[name], {
          ...process.env,
          DATABASE_URL: process.env[key],
          MIGRATE_ON_START: 'true',
        }),
      );
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      // Its missing database URL is already listed under the secret's name.
      problems.push(
        ...problemsOf(name, err).filter((line) => process.env[key] || !line.includes(' DATABASE_URL:')),
      );
    }
  }
  if (problems.length) throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  for (const migration of migrations) {
    const migrated = await migration.run(logger.child({ database: migration.name }));
    logger.info(migrated ? `${migration.name}: database up to date` : `${migration.name}: no database`);
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
