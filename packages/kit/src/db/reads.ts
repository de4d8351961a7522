import { DateUtils, type DataSource, type EntityTarget, type ObjectLiteral, type QueryRunner } from 'typeorm';
import { dialectOf } from './database';

type ColumnMetadata = ReturnType<DataSource['getMetadata']>['columns'][number];

/*
 * Hand-written reads for hot paths (feeds, nested pages, `__resolveReference` batches), where
 * TypeORM's query building and hydration cost more than they give: the SQL text is written once
 * (per shape: per number of `IN` placeholders, per filter set) with `?` placeholders, which both
 * mysql2 and better-sqlite3 take through `dataSource.query`, and so through the kit's statement
 * count. Rows come back as the entity, converted value by value by the driver as getMany would.
 */

/**
 * Parameters as each driver needs them. better-sqlite3 binds neither booleans nor Dates: they
 * become 1/0 and the UTC text TypeORM's SQLite driver stores and binds ("2026-01-31 12:00:00.000",
 * fixed width, so `<` and `=` on the text order as the times do). mysql2 writes both itself (Dates
 * in the DataSource's zone, 'Z').
 */
export function sqlParams(dataSource: DataSource, params: readonly unknown[]): unknown[] {
  if (dialectOf(dataSource) !== 'sqlite') return params as unknown[]; // mysql2 only reads them
  return params.map((p) =>
    typeof p === 'boolean' ? (p ? 1 : 0) : p instanceof Date ? DateUtils.mixedDateToUtcDatetimeString(p) : p,
  );
}

export interface RowReader<T> {
  /**
   * Runs a SELECT of whole rows (`SELECT r.* …`, `?` placeholders) and reads each as the entity;
   * on `runner` when given (inside a transaction, the transaction's).
   */
  all(sql: string, params: readonly unknown[], runner?: QueryRunner): Promise<T[]>;
  /** One raw row as the entity: every column by its property name, converted by the driver. */
  read(row: Record<string, unknown>): T;
}

const readers = new WeakMap<DataSource, Map<EntityTarget<ObjectLiteral>, RowReader<ObjectLiteral>>>();

/**
 * Reads raw rows of `entity`'s table as getMany would hydrate them: each column's value through
 * the driver's own conversion (booleans, dates, value transformers). Made once per data source
 * and entity, so calling it per request costs a map lookup.
 */
export function rowReader<T extends ObjectLiteral>(
  dataSource: DataSource,
  entity: EntityTarget<T>,
): RowReader<T> {
  let byEntity = readers.get(dataSource);
  if (!byEntity) readers.set(dataSource, (byEntity = new Map()));
  let reader = byEntity.get(entity);
  if (!reader) byEntity.set(entity, (reader = makeReader(dataSource, entity)));
  return reader as RowReader<T>;
}

function makeReader<T extends ObjectLiteral>(dataSource: DataSource, entity: EntityTarget<T>): RowReader<T> {
  const metadata = dataSource.getMetadata(entity);
  const columns: Array<{ databaseName: string; propertyName: string; column: ColumnMetadata }> = [];
  for (const column of metadata.columns) {
    if (column.isVirtual) continue;
    if (column.embeddedMetadata || column.relationMetadata)
      throw new Error(`rowReader: ${metadata.name}.${column.propertyPath} is embedded or a relation`);
    columns.push({ databaseName: column.databaseName, propertyName: column.propertyName, column });
  }
  const driver = dataSource.driver;
  const read = (row: Record<string, unknown>): T => {
    const item: Record<string, unknown> = {};
    for (const { databaseName, propertyName, column } of columns) {
      const value = row[databaseName];
      if (value !== undefined) item[propertyName] = driver.prepareHydratedValue(value, column);
    }
    return item as T;
  };
  return {
    read,
    async all(sql, params, runner) {
      const rows: Array<Record<string, unknown>> = await dataSource.query(
        sql,
        sqlParams(dataSource, params),
        runner,
      );
      return rows.map(read);
    },
  };
}

/** Shapes kept per statement: every batch size up to a few hundred; rarer ones are built each time. */
const MAX_SHAPES = 512;

/**
 * SQL text built once per shape: `build` is called the first time a key is asked for (a number
 * of `IN` placeholders, a set of filters), its text reused after. `marks(n)` writes n placeholders.
 */
export function sqlPerShape<K extends string | number>(build: (key: K) => string): (key: K) => string {
  const texts = new Map<K, string>();
  return (key) => {
    let sql = texts.get(key);
    if (sql === undefined) {
      sql = build(key);
      if (texts.size < MAX_SHAPES) texts.set(key, sql);
    }
    return sql;
  };
}

/** `?, ?, ?` for an `IN` list of `count` values. */
export const marks = (count: number): string => Array.from({ length: count }, () => '?').join(', ');
