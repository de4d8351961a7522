import type {
  DataSource,
  EntityManager,
  EntitySchema,
  Logger as OrmLogger,
  MigrationInterface,
  QueryRunner,
} from 'typeorm';
import type { Logger } from '../logger';

export type Dialect = 'mysql' | 'sqlite';

export type MigrationClass = new () => MigrationInterface;

export interface DatabaseOptions {
  entities: EntitySchema[];
  migrations: MigrationClass[];
  logger: Logger;
  /** Create the database if missing and apply pending migrations (dev, test, all-in-one start). */
  migrate: boolean;
}

export interface TransactionOptions {
  /**
   * MySQL only (SQLite runs one transaction at a time): READ COMMITTED lets background work on
   * several replicas wait for each other's rows instead of deadlocking on gap locks.
   */
  isolation?: 'READ COMMITTED';
  /** Background work (relay, event handlers, jobs) is left out of the request query count. */
  background?: boolean;
}

export interface Database {
  dialect: Dialect;
  dataSource: DataSource;
  /**
   * The one way to run a transaction, on either database. When the work recorded outbox rows,
   * the outbox relay is woken once the commit is done.
   */
  transaction<T>(work: (manager: EntityManager) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * SQL statements sent for requests since start (background work is not counted): tests use it
   * to prove lists are batched.
   */
  queryCount(): number;
  /** Calls `listener` after each commit (or autocommitted insert) that recorded outbox rows. */
  onOutboxCommit(listener: () => void): void;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const outboxWritten = new WeakSet<QueryRunner>();
const outboxListeners = new WeakMap<DataSource, Set<() => void>>();

export function notifyOutboxCommit(dataSource: DataSource): void {
  for (const listener of outboxListeners.get(dataSource) ?? []) listener();
}

export function addOutboxListener(dataSource: DataSource, listener: () => void): void {
  let listeners = outboxListeners.get(dataSource);
  if (!listeners) outboxListeners.set(dataSource, (listeners = new Set()));
  listeners.add(listener);
}

/**
 * Notes that `manager` wrote an outbox row: inside a transaction the relay is woken after the
 * commit (by `Database.transaction`), outside one at once.
 */
export function markOutboxWrite(manager: EntityManager): void {
  const runner = manager.queryRunner;
  if (runner?.isTransactionActive) outboxWritten.add(runner);
  else notifyOutboxCommit(manager.connection);
}

/** True once per transaction that wrote outbox rows (and forgets it). */
export function takeOutboxWrite(runner: QueryRunner): boolean {
  return outboxWritten.delete(runner);
}

export function dialectOf(manager: EntityManager | DataSource): Dialect {
  const options = 'connection' in manager ? manager.connection.options : manager.options;
  return options.type === 'better-sqlite3' ? 'sqlite' : 'mysql';
}

/**
 * What a failed statement's log says about it: the driver's error code and a message, never the
 * statement's parameters (a QueryFailedError carries them, and mysql2's error its SQL with the
 * values written in), which hold personal data and secrets.
 */
function describeQueryError(error: string | Error): Record<string, unknown> {
  if (typeof error === 'string') return { message: error };
  const driver = (error as { driverError?: Record<string, unknown> }).driverError ?? error;
  const { code, errno, sqlState } = driver as { code?: unknown; errno?: unknown; sqlState?: unknown };
  return { type: error.name, code, errno, sqlState, message: error.message, stack: error.stack };
}

/**
 * TypeORM's logger, counting the statements of requests and logging every one at trace level
 * (the SQL text with its placeholders; parameters are never logged, at any level).
 */
export function countingLogger(
  logger: Logger,
  isBackground: (runner: QueryRunner | undefined) => boolean,
  onQuery: () => void,
): OrmLogger {
  return {
    logQuery: (query, _parameters, queryRunner) => {
      if (!isBackground(queryRunner)) onQuery();
      logger.trace({ query }, 'sql');
    },
    logQueryError: (error, query) => logger.error({ err: describeQueryError(error), query }, 'sql failed'),
    logQuerySlow: (time, query) => logger.warn({ ms: time, query }, 'slow sql'),
    logSchemaBuild: (message) => logger.debug(message),
    logMigration: (message) => logger.info(message),
    log: (level, message) => (level === 'warn' ? logger.warn(message) : logger.debug(String(message))),
  };
}

/** Thrown at start when a server the configuration names cannot be reached. */
export class UnavailableError extends Error {
  override name = 'UnavailableError';
}
