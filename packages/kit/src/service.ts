import type { IncomingMessage } from 'node:http';
import { ApolloServer, type BaseContext } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
} from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { GraphQLError, parse } from 'graphql';
import type { EntitySchema, MigrationInterface } from 'typeorm';
import type { ServiceName } from '@moim/events';
import { CALLER_HEADER, verifyCaller, type Caller } from './caller';
import {
  startEventConsumer,
  ProcessedEvent,
  CreateProcessedEvents1764200000001,
  type EventHandlers,
} from './consumer';
import { openDatabase, type Database } from './db';
import { createHttpApp, type HttpApp } from './http';
import { createLogger, type Logger } from './logger';
import { createMetrics } from './metrics';
import { CreateOutbox1764200000000, OutboxEvent, startOutboxRelay, type OutboxRelay } from './outbox';
import { ConfigError } from './env';
import { createRateLimiter, type RateLimiter } from './rate-limit';
import { closeRedis, createRedis, logConnectionState } from './redis';
import { DateTime } from './scalars';

/** What every resolver gets, whatever the service. */
export interface RequestContext extends BaseContext {
  caller: Caller;
  requestId: string;
  logger: Logger;
}

export interface ServiceConfig {
  NODE_ENV: 'development' | 'test' | 'production';
  LOG_LEVEL: string;
  DATABASE_URL: string;
  REDIS_URL: string;
  REDIS_PREFIX: string;
  INTERNAL_SECRET: string;
  MIGRATE_ON_START: boolean;
}

export interface ServiceDeps {
  db: Database;
  rateLimiter: RateLimiter;
  /** Wakes the outbox relay after a commit that recorded events. */
  relay: OutboxRelay;
  logger: Logger;
}

export interface ServiceDefinition<C extends RequestContext, D extends ServiceDeps> {
  name: ServiceName;
  config: ServiceConfig;
  typeDefs: string;
  /** Resolver map keyed by type name, federation's __resolveReference included. */
  resolvers: object;
  entities: EntitySchema[];
  migrations: Array<new () => MigrationInterface>;
  /** Adds the service's own long-lived dependencies (ports, config) to the kit's, once. */
  deps: (kit: ServiceDeps) => D;
  /** Builds the per-request context (DataLoaders are made here, once per request). */
  context: (base: RequestContext, deps: D) => C;
  /** Handlers for the events routed to this service (see @moim/events). */
  consumes?: (deps: D) => EventHandlers;
  logger?: Logger;
}

export interface RunningService<D extends ServiceDeps = ServiceDeps> {
  deps: D;
  http: HttpApp;
  /** Listens on `port` (0 picks a free one) and resolves to the base URL. */
  listen(port: number, host?: string): Promise<string>;
  /** Drains HTTP, stops workers and the relay, closes Redis and the database. */
  stop(): Promise<void>;
}

/**
 * The one place that wires a subgraph to its backends: database and migrations, Redis, the outbox
 * relay, event consumers, the signed-caller check, health and metrics. Services describe their
 * schema, entities and handlers; this decides how they run.
 */
export async function createService<C extends RequestContext, D extends ServiceDeps>(
  def: ServiceDefinition<C, D>,
): Promise<RunningService<D>> {
  const { config } = def;
  const logger = def.logger ?? createLogger(def.name, config.LOG_LEVEL);

  const apollo = new ApolloServer<C>({
    schema: buildSubgraphSchema({
      typeDefs: parse(def.typeDefs),
      resolvers: { DateTime, ...def.resolvers } as GraphQLResolverMap<unknown>,
    }),
    includeStacktraceInErrorResponses: config.NODE_ENV === 'development',
    // runMain (or npm start) owns SIGTERM and stops everything in order.
    stopOnTerminationSignals: false,
    // Traces are for Apollo Studio, which Moim does not report to; cache hints are unused, and
    // computing them wraps every resolver.
    plugins: [ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginCacheControlDisabled()],
    formatError: (formatted, error) => {
      if (formatted.extensions?.code === 'INTERNAL_SERVER_ERROR') {
        logger.error(
          { err: (error as GraphQLError).originalError ?? error, path: formatted.path },
          'resolver failed',
        );
        if (config.NODE_ENV === 'production') return { ...formatted, message: 'Internal server error' };
      }
      return formatted;
    },
  });
  await apollo.start();

  // Whatever is opened is closed again, newest first, on stop or when a later step of start fails.
  const opened: Array<() => unknown> = [() => apollo.stop()];
  const closeAll = async () => {
    for (const close of opened.splice(0).reverse()) await close();
  };
  try {
    const db = await openDatabase({
      url: config.DATABASE_URL,
      entities: [...def.entities, OutboxEvent, ProcessedEvent],
      migrations: [CreateOutbox1764200000000, CreateProcessedEvents1764200000001, ...def.migrations],
      logger,
      migrate: config.MIGRATE_ON_START,
    });
    opened.push(() => db.close());
    const redis = logConnectionState(
      createRedis(config.REDIS_URL, 'command', config.REDIS_PREFIX),
      logger,
      'redis',
    );
    opened.push(() => closeRedis(redis));
    const relay = startOutboxRelay({
      dataSource: db.dataSource,
      redisUrl: config.REDIS_URL,
      redisPrefix: config.REDIS_PREFIX,
      logger,
    });
    opened.push(() => relay.stop());
    const deps = def.deps({ db, rateLimiter: createRateLimiter(redis), relay, logger });
    if (def.consumes) {
      const consumer = startEventConsumer({
        service: def.name,
        dataSource: db.dataSource,
        redisUrl: config.REDIS_URL,
        redisPrefix: config.REDIS_PREFIX,
        logger,
        handlers: def.consumes(deps),
      });
      opened.push(() => consumer.close());
    }

    const context = async (req: IncomingMessage, requestId: string): Promise<C> => {
      const header = req.headers[CALLER_HEADER];
      let caller: Caller;
      try {
        caller = verifyCaller(
          typeof header === 'string' ? header : undefined,
          config.INTERNAL_SECRET,
          def.name,
        );
      } catch (err) {
        const e = err as GraphQLError;
        throw new GraphQLError(e.message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
      }
      return def.context({ caller, requestId, logger: logger.child({ requestId }) }, deps);
    };

    const http = createHttpApp({
      logger,
      metrics: createMetrics(def.name),
      graphql: { path: '/graphql', apollo, context },
      readiness: [
        { name: 'database', check: db.ping },
        { name: 'redis', check: async () => void (await redis.ping()) },
      ],
    });

    return {
      deps,
      http,
      listen: (port, host) => http.listen(port, host),
      async stop() {
        await http.close();
        await closeAll();
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/**
 * Process entry: starts the service, stops it cleanly on SIGTERM/SIGINT (exit 0), and exits 1
 * with a readable message when configuration is invalid or starting fails.
 */
export function runMain(
  name: string,
  start: () => Promise<{ logger: Logger; stop: () => Promise<void> }>,
): void {
  start().then(
    ({ logger, stop }) => {
      let stopping = false;
      const handler = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'shutting down');
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
      process.on('SIGTERM', handler);
      process.on('SIGINT', handler);
    },
    (err) => {
      process.stderr.write(
        err instanceof ConfigError
          ? `${name}: ${err.message}\n`
          : `${name} failed to start: ${err?.stack ?? err}\n`,
      );
      process.exit(1);
    },
  );
}
