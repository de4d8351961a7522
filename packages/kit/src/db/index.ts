export {
  dialectOf,
  markOutboxWrite,
  UnavailableError,
  type Database,
  type DatabaseOptions,
  type Dialect,
  type MigrationClass,
  type TransactionOptions,
} from './database';
export {
  dropMysqlDatabase,
  ensureMysqlDatabase,
  MissingDatabaseError,
  mysqlLabel,
  openMysqlDatabase,
} from './mysql';
export { openSqliteDatabase } from './sqlite';
export * from './queries';
export { marks, rowReader, sqlParams, sqlPerShape, type RowReader } from './reads';
