import { ADMIN_LOGIN, DEMO_LOGIN, seedDemo } from '@moim/demo';
import { createLogger, openBackend, startServices, waitUntilSettled } from '@moim/kit';
import { localConfig } from './local-config';
import { SEEDERS, SERVICE_MODULES } from './service-modules';

// npm run seed: migrate and load demo data on the configured backend, wait until the events it
// caused are applied, then exit.
const local = localConfig();
if (local.production && !local.seed.demo) {
  console.error('seed: NODE_ENV=production loads demo data only with SEED_DEMO=true (staging)');
  process.exit(1);
}
const logger = createLogger('seed', local.logLevel);
const backend = await openBackend(local.backend, logger);
try {
  const { services, stop } = await startServices({
    backend,
    modules: SERVICE_MODULES,
    // Free ports: seeding serves no requests and must not collide with a running npm start.
    env: (name) => ({ ...local.serviceEnv(name), PORT: '0' }),
  });
  try {
    const created = await seedDemo(services, logger, { admin: local.seed.admin, seeders: SEEDERS });
    await waitUntilSettled([...services.values()], backend.queues, 60_000);
    console.log(
      created
        ? `Seeded ${Object.entries(created)
            .map(([what, n]) => `${n} ${what}`)
            .join(', ')} (${backend.kind} backend).`
        : 'Demo data is already there: nothing to do.',
    );
    console.log(
      `Demo login: ${DEMO_LOGIN.email} / ${DEMO_LOGIN.password}` +
        (local.seed.admin ? `   Admin: ${ADMIN_LOGIN.email} / ${ADMIN_LOGIN.password}` : ''),
    );
  } finally {
    await stop();
  }
} finally {
  await backend.close();
}
