import { ADMIN_LOGIN, DEMO_LOGIN, seedDemo } from '@moim/demo';
import { createGateway, loadGatewayEnv, type Gateway } from '@moim/gateway';
import { SERVICES } from '@moim/events';
import {
  createLogger,
  mysqlLabel,
  openBackend,
  runMain,
  startServices,
  type StartedServices,
} from '@moim/kit';
import { ensureAdminConsole } from './admin-console';
import { localConfig } from './local-config';
import { SEEDERS, SERVICE_MODULES } from './service-modules';

// npm start: every subgraph, its workers and the gateway in one process, from the same factories
// the containers use, with demo data loaded on first start.
runMain('moim', async (signal) => {
  const started = performance.now();
  const local = localConfig();
  const logger = createLogger('moim', local.logLevel);
  if (local.usesDevSecrets)
    logger.warn('INTERNAL_SECRET / JWT_SECRET not set: using development-only secrets');
  const backend = await openBackend(local.backend, logger);
  const embedded = backend.kind === 'embedded';
  logger.info(
    {
      backend: backend.kind,
      why: local.why,
      data: embedded
        ? backend.location
        : Object.fromEntries([
            ['redis', backend.location],
            ...SERVICES.map((s) => [s.name, mysqlLabel(local.serviceEnv(s.name).DATABASE_URL!)]),
          ]),
      other: embedded
        ? 'MOIM_BACKEND=servers (or MYSQL_URL / REDIS_URL) runs on MySQL and Redis'
        : 'MOIM_BACKEND=embedded runs on SQLite files and in-process queues, nothing to install',
    },
    embedded
      ? `backend: embedded (SQLite files and in-process queues in ${backend.location})`
      : 'backend: servers (MySQL and Redis)',
  );
  let services: StartedServices | undefined;
  let gateway: Gateway | undefined;
  const stop = async () => {
    await gateway?.stop();
    await services?.stop();
    await backend.close();
  };
  // Built (when stale) while the services start; production serves it from its own container.
  const adminConsole = local.adminConsole ? ensureAdminConsole(logger, signal) : Promise.resolve(null);
  try {
    services = await startServices({ backend, env: local.serviceEnv, modules: SERVICE_MODULES, signal });
    if (local.seed.demo)
      await seedDemo(services.services, logger, { admin: local.seed.admin, seeders: SEEDERS });
    const consoleDir = await adminConsole;
    const gatewayConfig = loadGatewayEnv({
      ...local.gatewayEnv(services.urls),
      ...(consoleDir ? { ADMIN_CONSOLE_DIR: consoleDir } : {}),
    });
    gateway = await createGateway(gatewayConfig, undefined, { pubsub: backend.pubsub });
    const url = await gateway.listen(gatewayConfig.PORT, gatewayConfig.HOST);
    logger.info(
      {
        graphql: `${url.replace('127.0.0.1', 'localhost')}/graphql`,
        ...(consoleDir ? { console: `${url.replace('127.0.0.1', 'localhost')}/admin/` } : {}),
        // Published logins are for development only; production makes its admin with create-admin.
        ...(local.production
          ? {}
          : {
              demo: `${DEMO_LOGIN.email} / ${DEMO_LOGIN.password}`,
              admin: `${ADMIN_LOGIN.email} / ${ADMIN_LOGIN.password}`,
            }),
        startedInMs: Math.round(performance.now() - started),
      },
      'Moim is up: open the console URL for the admin console and its GraphQL explorer',
    );
    return { logger, stop };
  } catch (err) {
    await stop();
    throw err;
  }
});
