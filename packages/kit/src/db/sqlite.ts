import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource, type EntityManager, type QueryRunner, type TableColumn } from 'typeorm';
import {
  addOutboxListener,
  countingLogger,
  notifyOutboxCommit,
  takeOutboxWrite,
  type Database,
  type DatabaseOptions,
} from './database';

/** A waiting statement gives up after this long: it is almost surely waiting on itself. */
const WAIT_LIMIT_MS = 30_000;

/** One holder of the SQLite connection at a time, in arrival order. */
class Turns {
  private busy = false;
  private readonly waiting: Array<() => void> = [];

  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(take), 1);
        reject(
          new Error(
            `Waited ${WAIT_LIMIT_MS / 1000} s for the SQLite connection: is code inside a transaction ` +
              'querying without its EntityManager (the transaction holds the connection)?',
          ),
        );
      }, WAIT_LIMIT_MS).unref();
      const take = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiting.push(take);
    });
  }

  private release() {
    const next = this.waiting.shift();
    if (next) next();
    else this.busy = false;
  }
}

/**
 * TypeORM talks to SQLite through one connection. Left alone, two requests' transactions would
 * interleave on it (the second BEGIN becomes a savepoint of the first, and a rollback takes the
 * other's writes with it). So the kit takes turns: a transaction holds the connection until it
 * ends, on a query runner of its own; a statement outside any transaction, on the shared runner,
 * waits for its turn. Code inside a transaction must use the transaction's EntityManager.
 */
function takeTurns(
  dataSource: DataSource,
  turns: Turns,
): { holder: QueryRunner; duringMigrations<T>(run: () => Promise<T>): Promise<T> } {
  const driver = dataSource.driver as unknown as {
    createQueryRunner(mode: string): QueryRunner;
    createFullType(c: TableColumn): string;
  };
  const shared = driver.createQueryRunner('master');
  const Runner = shared.constructor as new (d: unknown) => QueryRunner;
  const holder = new Runner(driver);
  const query = shared.query.bind(shared);
  shared.query = ((...args: Parameters<QueryRunner['query']>) =>
    turns.run(() => query(...args))) as QueryRunner['query'];
  const startTransaction = shared.startTransaction.bind(shared);
  let migrating = false;
  shared.startTransaction = (isolation) => {
    if (!migrating)
      throw new Error(
        'On SQLite, transactions start with Database.transaction() (the kit runs them one at a time); ' +
          'outside one, use insert/update/delete: repository.save() starts a transaction of its own',
      );
    return startTransaction(isolation);
  };
  // SQLite allows AUTOINCREMENT only on "integer" (which is 64-bit there); migrations declare the
  // outbox sequence as bigint, which MySQL needs.
  const fullType = driver.createFullType.bind(driver);
  driver.createFullType = (column) =>
    column.isGenerated && column.generationStrategy === 'increment' ? 'integer' : fullType(column);
  return {
    holder,
    // Migrations run alone at start, on the shared runner, in transactions of their own.
    async duringMigrations(run) {
      migrating = true;
      try {
        return await run();
      } finally {
        migrating = false;
      }
    },
  };
}

export async function openSqliteDatabase(file: string, options: DatabaseOptions): Promise<Database> {
  mkdirSync(dirname(file), { recursive: true });
  const turns = new Turns();
  let queries = 0;
  const dataSource = new DataSource({
    type: 'better-sqlite3',
    database: file,
    entities: options.entities,
    migrations: options.migrations,
    // Write-ahead logging: a commit is one append; a process crash loses no committed transaction
    // (with synchronous=NORMAL a power loss may lose the last few, never corrupt the file).
    enableWAL: true,
    prepareDatabase: (db: { pragma(sql: string): unknown }) => void db.pragma('synchronous = NORMAL'),
    maxQueryExecutionTime: 500,
    logger: countingLogger(
      options.logger,
      (runner) => runner?.data?.background === true,
      () => queries++,
    ),
  });
  await dataSource.initialize();
  const { holder, duringMigrations } = takeTurns(dataSource, turns);
  const manager: EntityManager = dataSource.createEntityManager(holder);
  if (options.migrate) {
    try {
      await duringMigrations(() => dataSource.runMigrations({ transaction: 'each' }));
    } catch (err) {
      await dataSource.destroy();
      throw err;
    }
  }
  return {
    dialect: 'sqlite',
    dataSource,
    transaction: (work, { background = false } = {}) =>
      turns.run(async () => {
        holder.data = { background };
        takeOutboxWrite(holder); // a mark left by a rolled-back transaction
        const result = await manager.transaction(work);
        if (takeOutboxWrite(holder)) notifyOutboxCommit(dataSource);
        return result;
      }),
    queryCount: () => queries,
    onOutboxCommit: (listener) => addOutboxListener(dataSource, listener),
    ping: async () => {
      await dataSource.query('SELECT 1');
    },
    close: () => turns.run(() => dataSource.destroy()),
  };
}
