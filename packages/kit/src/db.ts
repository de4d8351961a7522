import { createConnection } from 'mysql2/promise';
import {
  DataSource,
  type EntitySchema,
  type Logger as OrmLogger,
  type MigrationInterface,
  type ObjectLiteral,
  type SelectQueryBuilder,
} from 'typeorm';
import type { Logger } from './logger';

export interface DatabaseOptions {
  url: string;
  entities: EntitySchema[];
  migrations: Array<new () => MigrationInterface>;
  logger: Logger;
  /** Create the database if missing and apply pending migrations (dev, test, all-in-one start). */
  migrate: boolean;
}

export interface Database {
  dataSource: DataSource;
  /** SQL statements sent since start: tests use it to prove lists are batched. */
  queryCount(): number;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Creates the database named in a mysql:// URL when it does not exist yet. */
export async function ensureDatabase(url: string): Promise<void> {
  const parsed = new URL(url);
  const name = decodeURIComponent(parsed.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`Database name "${name}" must be letters, digits and _`);
  parsed.pathname = '/';
  const conn = await createConnection(parsed.toString());
  try {
    await conn.query(
      `CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } finally {
    await conn.end();
  }
}

export async function dropDatabase(url: string): Promise<void> {
  const parsed = new URL(url);
  const name = decodeURIComponent(parsed.pathname.slice(1));
  parsed.pathname = '/';
  const conn = await createConnection(parsed.toString());
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await conn.end();
  }
}

function countingLogger(logger: Logger, onQuery: () => void): OrmLogger {
  return {
    logQuery: (query) => {
      onQuery();
      logger.trace({ query }, 'sql');
    },
    logQueryError: (error, query) => logger.error({ err: error, query }, 'sql failed'),
    logQuerySlow: (time, query) => logger.warn({ ms: time, query }, 'slow sql'),
    logSchemaBuild: (message) => logger.debug(message),
    logMigration: (message) => logger.info(message),
    log: (level, message) => (level === 'warn' ? logger.warn(message) : logger.debug(String(message))),
  };
}

/** True for an insert or update that broke a unique index (a duplicate email, an event seen before). */
export function isUniqueViolation(err: unknown): boolean {
  const code =
    (err as { code?: string; driverError?: { code?: string } }).code ??
    (err as { driverError?: { code?: string } }).driverError?.code;
  return (
    code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

/**
 * Applies pending migrations under a named server lock: replicas starting together migrate one
 * after another instead of racing on the same DDL (MySQL commits each DDL statement at once).
 */
async function migrate(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  try {
    const [{ locked }] = await runner.query("SELECT GET_LOCK('moim_migrations', 60) AS locked");
    if (Number(locked) !== 1) throw new Error('Timed out waiting for another process to finish migrating');
    try {
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query("SELECT RELEASE_LOCK('moim_migrations')");
    }
  } finally {
    await runner.release();
  }
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.migrate) await ensureDatabase(options.url);
  let queries = 0;
  const dataSource = new DataSource({
    type: 'mysql',
    url: options.url,
    entities: options.entities,
    migrations: options.migrations,
    // Dates are stored and read as UTC whatever the server's zone.
    timezone: 'Z',
    charset: 'utf8mb4_unicode_ci',
    poolSize: 10,
    maxQueryExecutionTime: 500,
    logger: countingLogger(options.logger, () => queries++),
  });
  await dataSource.initialize();
  if (options.migrate) await migrate(dataSource);
  return {
    dataSource,
    queryCount: () => queries,
    ping: async () => {
      await dataSource.query('SELECT 1');
    },
    close: () => dataSource.destroy(),
  };
}

export interface RankedRow {
  parent: string;
  id: string;
  createdAt: Date;
}

/**
 * The newest `limit` rows per parent in one query: `qb` selects from one table (alias `alias`)
 * with its filters applied; rows are ranked per parent by (created_at, id) descending with
 * ROW_NUMBER, which MariaDB 10.2+, MySQL 8 and SQLite 3.25+ all have. Column names are the
 * table's, not the entity's.
 */
export async function newestPerParent(
  qb: SelectQueryBuilder<ObjectLiteral>,
  columns: { alias: string; parent: string; id: string; createdAt?: string },
  limit: number,
): Promise<RankedRow[]> {
  const { alias, parent, id, createdAt = 'created_at' } = columns;
  const ranked = qb
    .select(`${alias}.${parent}`, 'parent')
    .addSelect(`${alias}.${id}`, 'id')
    .addSelect(`${alias}.${createdAt}`, 'createdAt')
    .addSelect(
      `ROW_NUMBER() OVER (PARTITION BY ${alias}.${parent} ORDER BY ${alias}.${createdAt} DESC, ${alias}.${id} DESC)`,
      'rn',
    );
  const [sql, params] = ranked.getQueryAndParameters();
  const rows: Array<{ parent: string; id: string; createdAt: Date | string }> = await qb.connection.query(
    `SELECT parent, id, createdAt FROM (${sql}) ranked WHERE rn <= ? ORDER BY parent, rn`,
    [...params, limit],
  );
  return rows.map((r) => ({ parent: r.parent, id: r.id, createdAt: new Date(r.createdAt) }));
}
