import type { KeyObject } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IncomingMessage } from 'node:http';
import { ApolloServer, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
} from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { GraphQLError, Kind, parse } from 'graphql';
import { MigrationExecutor, type EntitySchema } from 'typeorm';
import { eventQueueName, JOB_QUEUES, maintenanceQueueName, type ServiceName } from '@moim/events';
import type { Backend } from './backend';
import { CALLER_HEADER, callerKey, verifyCaller, type Caller } from './caller';
import {
  checkHandlers,
  CreateProcessedEvents1764200000001,
  ProcessedEvent,
  startEventConsumer,
  type EventHandlers,
} from './consumer';
import {
  MissingDatabaseError,
  openMysqlDatabase,
  type Database,
  type DatabaseOptions,
  type MigrationClass,
} from './db';
import { ConfigError, type ServiceConfig } from './env';
import { createHttpApp, type HttpApp, type HttpRoute } from './http';
import {
  checkJobs,
  scheduleRepeatables,
  startJobWorkers,
  type JobProcessor,
  type RepeatableJob,
} from './jobs';
import { liveOpenRoute, type LiveField } from './live';
import { createLogger, requestScope, type Logger } from './logger';
import { maintenanceJobs } from './maintenance';
import { createMetrics, type Metrics } from './metrics';
import {
  CreateOutbox1764200000000,
  OutboxEvent,
  OutboxFailures1764500000000,
  startOutboxRelay,
} from './outbox';
import type { PubSub } from './pubsub/pubsub';
import type { QueueWorker, Queues } from './queues/queues';
import type { RateLimit, RateLimiter } from './rate-limit';
import { DateTime } from './scalars';
import { checkSearchableSource, searchableRoute, type SearchableSource } from './searchable';

/** What every resolver gets, whatever the service. */
export interface RequestContext extends BaseContext {
  caller: Caller;
  requestId: string;
  logger: Logger;
}

/** The kit's long-lived dependencies of a service; services add their own in `deps`. */
export interface ServiceDeps {
  /** The service's database (using it in a service that declares none throws). */
  db: Database;
  queues: Queues;
  pubsub: PubSub;
  /** Counters shared by every replica; limit names are the service's own. */
  rateLimiter: RateLimiter;
  logger: Logger;
}

/** What a subgraph is: the kit decides how it runs (API, worker, or both) and on which backend. */
export interface ServiceDefinition<C extends RequestContext, D extends ServiceDeps> {
  name: ServiceName;
  typeDefs: string;
  /** Resolver map keyed by type name, federation's __resolveReference included. */
  resolvers: object;
  /** Absent for a service without tables (it then has no outbox and consumes no events). */
  database?: { entities: EntitySchema[]; migrations: MigrationClass[] };
  /** Adds the service's own long-lived dependencies (ports, config) to the kit's, once. */
  deps: (kit: ServiceDeps) => D;
  /** Builds the per-request context (DataLoaders are made here, once per request). */
  context: (base: RequestContext, deps: D) => C;
  /** HTTP routes of the service's own beside GraphQL (media's uploads and files), API role only. */
  routes?: (deps: D) => HttpRoute[];
  /** The service's `Subscription` fields: who may listen and on which channel (see live.ts). */
  live?: (deps: D) => Record<string, LiveField<C>>;
  /** What the service owns that people can search for, served to reindexing (see searchable.ts). */
  searchable?: (deps: D) => SearchableSource;
  /** Handlers for the events routed to this service (see @moim/events). */
  events?: (deps: D) => EventHandlers;
  /** Processors of the service's job types. */
  jobs?: (deps: D) => JobProcessor[];
  repeatable?: RepeatableJob[];
  /**
   * Long-running loops of the service's own beside requests and jobs (search keeps its index
   * current with one), per role: started once the background work runs, stopped before it.
   */
  loops?: (deps: D, role: ServiceRole) => ServiceLoop[];
}

/** A loop a service runs while it is up; `ready` (when given) gates readiness. */
export interface ServiceLoop {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  ready?: () => Promise<void>;
}

/**
 * What `@moim/<service>` exports as `service`: from it the kit, `npm start`, the seed and the test
 * harness build the service without knowing which one it is.
 */
export interface ServiceModule<
  Cfg extends ServiceConfig = ServiceConfig,
  D extends ServiceDeps = ServiceDeps,
> {
  name: ServiceName;
  /** Parses (and checks) the service's environment; throws a ConfigError listing every problem. */
  loadEnv(source?: Record<string, string | undefined>): Cfg;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the context type is the service's own
  define(config: Cfg): ServiceDefinition<any, D>;
}

/**
 * `api` serves GraphQL and relays its outbox; `worker` consumes events and runs jobs (and relays
 * what they record); `all` is both, as `npm start` and the tests run.
 */
export type ServiceRole = 'api' | 'worker' | 'all';

export interface RunningService<D extends ServiceDeps = ServiceDeps> {
  name: ServiceName;
  role: ServiceRole;
  /** False for a service that declares no database (then `deps.db` throws). */
  hasDatabase: boolean;
  /** The job queues the service's processors read (not its events queue). */
  jobQueues: string[];
  deps: D;
  http: HttpApp;
  metrics: Metrics;
  /** Listens on `port` (0 picks a free one) and resolves to the base URL. */
  listen(port: number, host?: string): Promise<string>;
  /** Drains HTTP, then running jobs and the relay, then closes the database (not the backend). */
  stop(): Promise<void>;
}

function noDatabase(name: string): Database {
  return new Proxy({} as Database, {
    get: () => {
      throw new Error(`${name} declares no database`);
    },
  });
}

/** Counts root fields per operation (`_entities` batches among them) in the service's metrics. */
function rootFieldsPlugin(metrics: Metrics): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          for (const selection of operation?.selectionSet.selections ?? [])
            if (selection.kind === Kind.FIELD) metrics.rootFields.inc({ field: selection.name.value });
        },
      };
    },
  };
}

async function createApollo<C extends RequestContext, D extends ServiceDeps>(
  def: ServiceDefinition<C, D>,
  config: ServiceConfig,
  logger: Logger,
  metrics: Metrics,
): Promise<ApolloServer<C>> {
  const apollo = new ApolloServer<C>({
    schema: buildSubgraphSchema({
      typeDefs: parse(def.typeDefs),
      resolvers: { DateTime, ...def.resolvers } as GraphQLResolverMap<unknown>,
    }),
    includeStacktraceInErrorResponses: config.NODE_ENV === 'development',
    // runMain (or npm start) owns SIGTERM and stops everything in order.
    stopOnTerminationSignals: false,
    // The gateway sends the parallel fetches of one client request as one batch (its transport);
    // only a signed caller gets this far, and the operations share one context, so their
    // DataLoaders batch across them.
    allowBatchedHttpRequests: true,
    // Traces are for Apollo Studio, which Moim does not report to; cache hints are unused, and
    // computing them wraps every resolver.
    plugins: [
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      rootFieldsPlugin(metrics),
    ],
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
  return apollo;
}

/**
 * Subgraphs trust nobody: the caller comes from the gateway's signed header or not at all, and
 * the header is good only with the body it was signed for (`body`, the bytes received).
 */
function callerOf(req: IncomingMessage, body: Buffer, key: KeyObject, audience: string): Caller {
  const header = req.headers[CALLER_HEADER];
  try {
    return verifyCaller(header, key, audience, body);
  } catch (err) {
    throw new GraphQLError((err as Error).message, {
      extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
    });
  }
}

const KIT_MIGRATIONS = [
  CreateOutbox1764200000000,
  CreateProcessedEvents1764200000001,
  OutboxFailures1764500000000,
];

/** The service's database with the kit's tables (outbox, processed events), or null. */
async function openServiceDatabase(
  name: ServiceName,
  database: ServiceDefinition<RequestContext, ServiceDeps>['database'],
  config: ServiceConfig,
  backend: Backend,
  logger: Logger,
): Promise<Database | null> {
  if (!database) return null;
  return backend.openDatabase(
    name,
    config.DATABASE_URL,
    databaseOptions(database, logger, config.MIGRATE_ON_START),
  );
}

function databaseOptions(
  database: NonNullable<ServiceDefinition<RequestContext, ServiceDeps>['database']>,
  logger: Logger,
  migrate: boolean,
): DatabaseOptions {
  return {
    entities: [...database.entities, OutboxEvent, ProcessedEvent],
    migrations: [...KIT_MIGRATIONS, ...database.migrations],
    logger,
    migrate,
  };
}

/** How often a service started without migrating checks whether the migrate job has run. */
const MIGRATION_POLL_MS = 1000;

/** Opens the database once the migrate job has created it (a first install applies both at once). */
async function untilCreated<T>(open: () => Promise<T>, logger: Logger, signal?: AbortSignal): Promise<T> {
  let said = 0;
  for (;;) {
    try {
      return await open();
    } catch (err) {
      if (!(err instanceof MissingDatabaseError)) throw err;
      if (Date.now() - said >= 10_000) {
        said = Date.now();
        logger.warn(`waiting for the migrate job: ${err.message}`);
      }
    }
    await sleep(MIGRATION_POLL_MS, undefined, { signal });
  }
}

/**
 * Waits until no migration of this version is pending: a deployment's migrate job applies them
 * (MIGRATE_ON_START=false), and a process of a new release must neither serve nor consume jobs on
 * the previous schema. It says so every 10 s while it waits; a stop signal ends the wait.
 */
async function untilMigrated(database: Database, logger: Logger, signal?: AbortSignal): Promise<void> {
  let said = 0;
  for (;;) {
    const pending = await new MigrationExecutor(database.dataSource).getPendingMigrations();
    if (!pending.length) return;
    if (Date.now() - said >= 10_000) {
      said = Date.now();
      logger.warn(
        { pending: pending.map((m) => m.name) },
        `waiting for the migrate job: ${pending.length} migrations pending`,
      );
    }
    await sleep(MIGRATION_POLL_MS, undefined, { signal });
  }
}

/** One service's part of the migrate job, its configuration already parsed. */
export interface ServiceMigration {
  name: ServiceName;
  /** Creates the database if missing and applies pending migrations; false: no database. */
  run(logger: Logger): Promise<boolean>;
}

/**
 * The migrate job of a deployment, for one service: parses the service's whole configuration now
 * (throwing its ConfigError), so the job can refuse a bad value of any service before migrating
 * anything — and a rollout stops before a replica starts with it.
 */
export function serviceMigration(
  module: ServiceModule,
  env: Record<string, string | undefined>,
): ServiceMigration {
  const config = module.loadEnv(env);
  const { database } = module.define(config);
  if (database && !config.DATABASE_URL)
    throw new ConfigError('Invalid configuration:\n  DATABASE_URL: Required');
  return {
    name: module.name,
    async run(logger) {
      if (!database) return false;
      const db = await openMysqlDatabase(config.DATABASE_URL!, databaseOptions(database, logger, true));
      await db.close();
      return true;
    },
  };
}

function kitDeps(name: ServiceName, db: Database | null, backend: Backend, logger: Logger): ServiceDeps {
  const scoped = (limit: RateLimit) => ({ ...limit, name: `${name}:${limit.name}` });
  return {
    db: db ?? noDatabase(name),
    queues: backend.queues,
    pubsub: backend.pubsub,
    rateLimiter: {
      hit: (limit, subject) => backend.rateLimiter.hit(scoped(limit), subject),
      reset: (limit, subject) => backend.rateLimiter.reset(scoped(limit), subject),
    },
    logger,
  };
}

/**
 * The service's background work: the outbox relay in every role; event consumers, job workers
 * and repeatable jobs in workers. Wiring is checked in every role, so a mistake fails the first
 * start, not the first event. Resolves to what stops it, in order.
 */
async function startBackground<C extends RequestContext, D extends ServiceDeps>(
  def: ServiceDefinition<C, D>,
  deps: D,
  db: Database | null,
  options: { config: ServiceConfig; backend: Backend; role: ServiceRole; logger: Logger },
): Promise<{ stops: Array<() => Promise<unknown>>; jobQueues: string[] }> {
  const { config, backend, role, logger } = options;
  const handlers = def.events?.(deps);
  if (handlers && !db) throw new Error(`${def.name} consumes events but declares no database`);
  if (handlers) checkHandlers(def.name, handlers);
  const retention = {
    outboxDays: config.OUTBOX_RETENTION_DAYS,
    processedEventsDays: config.PROCESSED_EVENTS_RETENTION_DAYS,
  };
  const maintenance = db
    ? maintenanceJobs(def.name, db, retention, config.PRUNE_INTERVAL_SECONDS * 1000)
    : { processors: [], repeatables: [] };
  const processors = [...(def.jobs?.(deps) ?? []), ...maintenance.processors];
  const repeatables = [...(def.repeatable ?? []), ...maintenance.repeatables];
  checkJobs(def.name, processors, repeatables);
  const jobQueues = [...new Set(processors.map((p) => p.type.queue.name))];
  const undeclared = jobQueues.filter(
    (q) => q !== maintenanceQueueName(def.name) && !JOB_QUEUES[def.name].includes(q),
  );
  if (undeclared.length)
    throw new Error(
      `${def.name} runs jobs on ${undeclared.join(', ')}: list it in JOB_QUEUES (@moim/events)`,
    );
  const known = [eventQueueName(def.name), ...jobQueues];
  const unknown = config.WORKER_QUEUES?.filter((q) => !known.includes(q)) ?? [];
  if (unknown.length)
    throw new ConfigError(
      `WORKER_QUEUES: ${def.name} has no queue ${unknown.join(', ')} (it has ${known.join(', ')})`,
    );
  const runs = (queue: string) => !config.WORKER_QUEUES || config.WORKER_QUEUES.includes(queue);

  const stops: Array<() => Promise<unknown>> = [];
  if (role !== 'api') {
    const workers: QueueWorker[] = startJobWorkers(
      backend.queues,
      processors.filter((p) => runs(p.type.queue.name)),
    );
    if (handlers && runs(eventQueueName(def.name)))
      workers.push(
        startEventConsumer({ service: def.name, db: db!, queues: backend.queues, logger, handlers }),
      );
    // Running jobs finish first: what they record leaves with the relay's last pass.
    stops.push(() => Promise.all(workers.map((w) => w.close())));
    const running = processors.filter((p) => runs(p.type.queue.name)).map((p) => p.type.queue.name);
    await scheduleRepeatables(
      backend.queues,
      repeatables.filter((r) => runs(r.type.queue.name)),
      [...new Set(running)],
    );
  }
  if (db) {
    const relay = startOutboxRelay({ db, queues: backend.queues, logger });
    stops.push(() => relay.stop());
  }
  return { stops, jobQueues };
}

/**
 * Starts one service in `role` on `backend`: its database (migrated when configured), its
 * background work, and HTTP (GraphQL for the API; health and metrics always). Stopping drains
 * HTTP, then the background work, then closes the database; a start that fails halfway closes
 * what it opened.
 */
export async function startService<C extends RequestContext, D extends ServiceDeps>(
  def: ServiceDefinition<C, D>,
  config: ServiceConfig,
  options: {
    backend: Backend;
    role: ServiceRole;
    logger?: Logger;
    /** Ends a start that is still waiting (for the migrate job): the process was told to stop. */
    signal?: AbortSignal;
  },
): Promise<RunningService<D>> {
  const { backend, role } = options;
  const logger = options.logger ?? createLogger(def.name, config.LOG_LEVEL);
  const metrics = createMetrics(def.name);
  const stops: Array<() => Promise<unknown>> = [];
  let db: Database | null = null;
  // The database closes last, after everything that may still write to it.
  const stopAll = async () => {
    for (const stop of stops.splice(0)) await stop();
    await db?.close();
    db = null;
  };
  try {
    if (!config.MIGRATE_ON_START && backend.kind === 'embedded')
      throw new ConfigError(
        'Invalid configuration:\n  MIGRATE_ON_START: false waits for the migrate job of a deployment (servers backend); the embedded backend migrates at start',
      );
    const open = () => openServiceDatabase(def.name, def.database, config, backend, logger);
    const database = config.MIGRATE_ON_START
      ? await open()
      : await untilCreated(open, logger, options.signal);
    db = database;
    if (database && !config.MIGRATE_ON_START) await untilMigrated(database, logger, options.signal);
    const deps = def.deps(kitDeps(def.name, database, backend, logger));
    let graphql;
    const key = callerKey(config.INTERNAL_SECRET);
    const contextOf = (caller: Caller, requestId: string) => {
      const base = requestScope({ caller, requestId }, logger);
      const lazy = Object.getOwnPropertyDescriptor(base, 'logger')!;
      // Services spread the base into their context, and a spread calls getters: the base's lazy
      // logger is left out of the spread (not enumerable) and put on the context itself.
      Object.defineProperty(base, 'logger', { ...lazy, enumerable: false });
      return Object.defineProperty(def.context(base, deps), 'logger', lazy);
    };
    if (role !== 'worker') {
      const apollo = await createApollo(def, config, logger, metrics);
      stops.push(() => apollo.stop());
      graphql = {
        path: '/graphql',
        apollo,
        context: async (req: IncomingMessage, requestId: string, body: Buffer) =>
          contextOf(callerOf(req, body, key, def.name), requestId),
      };
    }
    const background = await startBackground(def, deps, database, { config, backend, role, logger });
    stops.push(...background.stops);
    const loops = def.loops?.(deps, role) ?? [];
    for (const loop of loops) {
      await loop.start();
      // Stopped before the background work and the database they read.
      stops.unshift(() => loop.stop());
    }
    const readiness = [
      ...(database ? [{ name: 'database', check: database.ping }] : []),
      ...backend.readiness,
      ...loops.flatMap((loop) => (loop.ready ? [{ name: loop.name, check: loop.ready }] : [])),
    ];
    const live = def.live?.(deps);
    const searchable = def.searchable?.(deps);
    if (searchable) checkSearchableSource(def.name, searchable);
    const routes =
      role === 'worker'
        ? []
        : [
            ...(def.routes?.(deps) ?? []),
            ...(live
              ? [liveOpenRoute({ service: def.name, fields: live, key, context: contextOf, logger })]
              : []),
            ...(searchable ? [searchableRoute({ service: def.name, source: searchable, key, logger })] : []),
          ];
    const http = createHttpApp({
      logger,
      metrics,
      graphql,
      readiness,
      routes,
      slowRequestMs: config.SLOW_REQUEST_MS,
    });

    return {
      name: def.name,
      role,
      hasDatabase: database !== null,
      jobQueues: background.jobQueues,
      deps,
      http,
      metrics,
      listen: (port, host) => http.listen(port, host),
      async stop() {
        await http.close();
        await stopAll();
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
