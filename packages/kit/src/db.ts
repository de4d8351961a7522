import { createConnection } from 'mysql2/promise';
import {
  DataSource,
  type EntitySchema,
  type Logger as OrmLogger,
  type MigrationInterface,
  type EntityManager,
  type EntityTarget,
  type FindOptionsWhere,
  type ObjectLiteral,
  type SelectQueryBuilder,
} from 'typeorm';
import type { Logger } from './logger';

type IsolationLevel = 'READ UNCOMMITTED' | 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';

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
  /**
   * SQL statements sent for requests since start (background work such as the outbox relay is not
   * counted): tests use it to prove lists are batched.
   */
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
    logQuery: (query, _parameters, queryRunner) => {
      if (!queryRunner?.data?.background) onQuery();
      logger.trace({ query }, 'sql');
    },
    logQueryError: (error, query) => logger.error({ err: error, query }, 'sql failed'),
    logQuerySlow: (time, query) => logger.warn({ ms: time, query }, 'slow sql'),
    logSchemaBuild: (message) => logger.debug(message),
    logMigration: (message) => logger.info(message),
    log: (level, message) => (level === 'warn' ? logger.warn(message) : logger.debug(String(message))),
  };
}

/**
 * A transaction for background work (outbox relay, event handlers), on its own connection and
 * kept out of the request query count.
 */
export async function backgroundTransaction<T>(
  dataSource: DataSource,
  isolation: IsolationLevel,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  runner.data = { background: true };
  try {
    return await runner.manager.transaction(isolation, work);
  } finally {
    await runner.release();
  }
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
 * Applies pending migrations under a lock named after the database: replicas starting together
 * migrate one after another instead of racing on the same DDL (MySQL commits each DDL statement
 * at once), while other databases on the server migrate undisturbed.
 */
async function migrate(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  try {
    const [{ locked }] = await runner.query(
      "SELECT GET_LOCK(CONCAT('moim_migrations:', MD5(DATABASE())), 60) AS locked",
    );
    if (Number(locked) !== 1) throw new Error('Timed out waiting for another process to finish migrating');
    try {
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query("SELECT RELEASE_LOCK(CONCAT('moim_migrations:', MD5(DATABASE())))");
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
  if (options.migrate) {
    try {
      await migrate(dataSource);
    } catch (err) {
      await dataSource.destroy();
      throw err;
    }
  }
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
 * The newest `limit` rows of each parent, newest first, in one statement: one index-bounded
 * `ORDER BY created_at DESC, id DESC LIMIT n` branch per parent, joined by UNION ALL (a window
 * function would read every row of a parent first). `qb` selects from one table as `alias` with
 * the filters every branch shares; column names are the table's, not the entity's.
 */
export async function newestPerParent(
  qb: SelectQueryBuilder<ObjectLiteral>,
  columns: { alias: string; parent: string; id: string; createdAt?: string },
  parentIds: readonly string[],
  limit: number,
): Promise<Map<string, RankedRow[]>> {
  const { alias, parent, id, createdAt = 'created_at' } = columns;
  const branches = parentIds.map((parentId, i) =>
    qb
      .clone()
      .select(`${alias}.${parent}`, 'parent')
      .addSelect(`${alias}.${id}`, 'id')
      .addSelect(`${alias}.${createdAt}`, 'createdAt')
      .andWhere(`${alias}.${parent} = :parent${i}`, { [`parent${i}`]: parentId })
      .orderBy(`${alias}.${createdAt}`, 'DESC')
      .addOrderBy(`${alias}.${id}`, 'DESC')
      .limit(limit)
      .getQueryAndParameters(),
  );
  const pages = new Map<string, RankedRow[]>();
  if (!branches.length) return pages;
  // Each branch is wrapped as a derived table: MySQL and SQLite both accept LIMIT there.
  const sql = branches.map(([query], i) => `SELECT * FROM (${query}) b${i}`).join(' UNION ALL ');
  const rows: Array<{ parent: string; id: string; createdAt: Date | string }> = await qb.connection.query(
    sql,
    branches.flatMap(([, params]) => params),
  );
  for (const r of rows) {
    const row = { parent: r.parent, id: r.id, createdAt: new Date(r.createdAt) };
    const page = pages.get(row.parent);
    if (page) page.push(row);
    else pages.set(row.parent, [row]);
  }
  // UNION ALL promises no order across branches; restore newest first within each parent.
  for (const page of pages.values())
    page.sort(
      (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
    );
  return pages;
}

/**
 * Locks rows for the rest of the transaction (SELECT … FOR UPDATE), so that transactions touching
 * the same thing run one after another instead of deadlocking halfway. Resolves to whether a row
 * matched.
 */
export async function lockRows<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  where: FindOptionsWhere<T>,
): Promise<boolean> {
  // TypeORM drops undefined conditions: `{ id: undefined }` would lock the whole table.
  if (Object.values(where).some((v) => v === undefined))
    throw new Error('lockRows: a condition is undefined');
  const rows = await manager.find(entity, { where, lock: { mode: 'pessimistic_write' } });
  return rows.length > 0;
}
