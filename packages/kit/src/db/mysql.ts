import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { addressOf } from '../urls';
import {
  addOutboxListener,
  countingLogger,
  notifyOutboxCommit,
  takeOutboxWrite,
  UnavailableError,
  type Database,
  type DatabaseOptions,
} from './database';

/** `mysql://root:secret@127.0.0.1:3306/moim_social` → `127.0.0.1:3306/moim_social`, for logs. */
export const mysqlLabel = (url: string): string => `${addressOf(url, 3306)}${new URL(url).pathname}`;

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH']);

/** Connection failures become one clear line naming the address tried; other errors pass. */
/** The service's database does not exist (yet): the migrate job creates it. */
export class MissingDatabaseError extends UnavailableError {}

async function reachable<T>(url: string, connect: () => Promise<T>): Promise<T> {
  try {
    return await connect();
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (UNREACHABLE.has(code))
      throw new UnavailableError(`Cannot reach MySQL at ${addressOf(url, 3306)} (${code})`, { cause: err });
    if (code === 'ER_BAD_DB_ERROR')
      throw new MissingDatabaseError(
        `MySQL at ${addressOf(url, 3306)} has no database ${databaseName(url)}`,
        {
          cause: err,
        },
      );
    if (code === 'ER_ACCESS_DENIED_ERROR')
      throw new UnavailableError(`MySQL at ${addressOf(url, 3306)} refused the user and password (${code})`, {
        cause: err,
      });
    throw err;
  }
}

function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`Database name "${name}" must be letters, digits and _`);
  return name;
}

async function onServer(url: string, sql: string): Promise<void> {
  const server = new URL(url);
  server.pathname = '/';
  const conn = await reachable(url, () => createConnection(server.toString()));
  try {
    await conn.query(sql);
  } finally {
    await conn.end();
  }
}

/** Creates the database named in a mysql:// URL when it does not exist yet. */
export const ensureMysqlDatabase = (url: string): Promise<void> =>
  onServer(
    url,
    `CREATE DATABASE IF NOT EXISTS \`${databaseName(url)}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
  );

export const dropMysqlDatabase = (url: string): Promise<void> =>
  onServer(url, `DROP DATABASE IF EXISTS \`${databaseName(url)}\``);

/**
 * Applies pending migrations under a lock named after the database: replicas starting together
 * migrate one after another instead of racing on the same DDL (MySQL commits each DDL statement
 * at once), while other databases on the server migrate undisturbed.
 */
async function migrate(dataSource: DataSource, logger: DatabaseOptions['logger']): Promise<void> {
  const runner = dataSource.createQueryRunner();
  try {
    const [{ locked }] = await runner.query(
      "SELECT GET_LOCK(CONCAT('moim_migrations:', MD5(DATABASE())), 60) AS locked",
    );
    if (Number(locked) !== 1) throw new Error('Timed out waiting for another process to finish migrating');
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      if (applied.length) logger.info({ migrations: applied.map((m) => m.name) }, 'migrations applied');
    } finally {
      await runner.query("SELECT RELEASE_LOCK(CONCAT('moim_migrations:', MD5(DATABASE())))");
    }
  } finally {
    await runner.release();
  }
}

export async function openMysqlDatabase(url: string, options: DatabaseOptions): Promise<Database> {
  if (options.migrate) await ensureMysqlDatabase(url);
  let queries = 0;
  const dataSource = new DataSource({
    type: 'mysql',
    url,
    entities: options.entities,
    migrations: options.migrations,
    // Dates are stored and read as UTC whatever the server's zone.
    timezone: 'Z',
    charset: 'utf8mb4_unicode_ci',
    poolSize: 10,
    maxQueryExecutionTime: 500,
    // mysql2 captures a stack per statement to put the caller's frames into errors: a cost on every
    // query, for frames TypeORM's QueryFailedError (with the statement) makes unnecessary.
    trace: false,
    logger: countingLogger(
      options.logger,
      (runner) => runner?.data?.background === true,
      () => queries++,
    ),
  });
  await reachable(url, () => dataSource.initialize());
  if (options.migrate) {
    try {
      await migrate(dataSource, options.logger);
    } catch (err) {
      await dataSource.destroy();
      throw err;
    }
  }
  return {
    dialect: 'mysql',
    dataSource,
    async transaction(work, { isolation, background } = {}) {
      // Each transaction on a connection of its own, so the commit hook knows what it wrote.
      const runner = dataSource.createQueryRunner();
      if (background) runner.data = { background: true };
      let result;
      try {
        result = isolation
          ? await runner.manager.transaction(isolation, work)
          : await runner.manager.transaction(work);
      } finally {
        await runner.release();
      }
      if (takeOutboxWrite(runner)) notifyOutboxCommit(dataSource);
      return result;
    },
    queryCount: () => queries,
    onOutboxCommit: (listener) => addOutboxListener(dataSource, listener),
    ping: async () => {
      await dataSource.query('SELECT 1');
    },
    close: () => dataSource.destroy(),
  };
}
