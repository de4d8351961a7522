import { openBackend } from './backend';
import { UnavailableError } from './db';
import { ConfigError } from './env';
import { createLogger, type Logger } from './logger';
import { startService, type ServiceDeps, type ServiceModule } from './service';
import type { ServiceConfig } from './env';

/**
 * Process entry: starts, stops cleanly on SIGTERM/SIGINT (exit 0), and exits 1 with a readable
 * message when configuration is invalid, a server cannot be reached, or starting fails.
 */
/** A stop that takes longer than this (a job that never ends, say) is cut short. */
const STOP_TIMEOUT_MS = 30_000;

export function runMain(
  name: string,
  start: (signal: AbortSignal) => Promise<{ logger: Logger; stop: () => Promise<void> }>,
): void {
  // Listening before starting: a SIGTERM that arrives while starting stops the process right
  // after the start finishes (cleanly) instead of killing it halfway. A second signal means
  // "now": the process exits at once.
  let signalled: string | null = null;
  // A start that waits (for the migrate job) gives up at the first signal.
  const starting = new AbortController();
  let onSignal = (signal: string) => {
    if (signalled) process.exit(130);
    signalled = signal;
    starting.abort();
  };
  const handler = (signal: string) => onSignal(signal);
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  start(starting.signal).then(
    ({ logger, stop }) => {
      let stopping = false;
      onSignal = (signal) => {
        if (stopping) {
          logger.warn({ signal }, 'second signal: exiting without finishing the shutdown');
          logger.flush(() => process.exit(130));
          return;
        }
        stopping = true;
        logger.info({ signal }, 'shutting down');
        setTimeout(() => {
          logger.error({ ms: STOP_TIMEOUT_MS }, 'shutdown took too long: exiting');
          logger.flush(() => process.exit(1));
        }, STOP_TIMEOUT_MS).unref();
        stop().then(
          () => {
            logger.info('stopped');
            // pino writes asynchronously: flush so the last lines are not lost at exit.
            logger.flush(() => process.exit(0));
          },
          (err) => {
            logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      if (signalled) onSignal(signalled);
    },
    (err) => {
      if (starting.signal.aborted && (err as Error)?.name === 'AbortError') {
        process.stderr.write(`${name}: stopped (${signalled}) while starting\n`);
        process.exit(0);
      }
      process.stderr.write(
        err instanceof ConfigError || err instanceof UnavailableError
          ? `${name}: ${err.message}\n`
          : `${name} failed to start: ${err?.stack ?? err}\n`,
      );
      process.exit(1);
    },
  );
}

/**
 * A service's own process, as a container runs it: `api` (src/main.ts) serves the subgraph on
 * PORT, `worker` (src/worker.ts) consumes events and runs jobs, with health and metrics on
 * WORKER_PORT. Configuration comes from the environment.
 */
export function runServiceProcess<Cfg extends ServiceConfig, D extends ServiceDeps>(
  module: ServiceModule<Cfg, D>,
  role: 'api' | 'worker',
): void {
  runMain(`${module.name}${role === 'worker' ? ' worker' : ''}`, async (signal) => {
    const config = module.loadEnv();
    // Its queues live in this process: no other process could consume what it records.
    if (config.MOIM_BACKEND === 'embedded')
      throw new ConfigError(
        'Invalid configuration:\n  MOIM_BACKEND: embedded runs every service in one process: use npm start',
      );
    const logger = createLogger(module.name, config.LOG_LEVEL);
    const backend = await openBackend(config, logger);
    try {
      const service = await startService(module.define(config), config, { backend, role, logger, signal });
      const url = await service.listen(role === 'worker' ? config.WORKER_PORT : config.PORT, config.HOST);
      logger.info(
        { url, role, backend: backend.kind },
        `${module.name} ${role === 'worker' ? 'worker' : 'subgraph'} ready`,
      );
      return {
        logger,
        stop: async () => {
          await service.stop();
          await backend.close();
        },
      };
    } catch (err) {
      await backend.close();
      throw err;
    }
  });
}
