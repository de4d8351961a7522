import { Table, TableIndex, type QueryRunner, type TableColumnOptions } from 'typeorm';

export interface ColumnFlags {
  primary?: boolean;
  nullable?: boolean;
  unique?: boolean;
}

const flags = (f: ColumnFlags) => ({
  isPrimary: f.primary ?? false,
  isNullable: f.nullable ?? false,
  isUnique: f.unique ?? false,
});

/**
 * Portable column shapes for migrations written with TypeORM's Table API: the same migration
 * creates the same table on MySQL today and on SQLite in embedded mode.
 */
export const column = {
  /** IDs are UUID strings. */
  id: (name: string, f: ColumnFlags = {}): TableColumnOptions => ({
    name,
    type: 'varchar',
    length: '36',
    ...flags(f),
  }),
  text: (name: string, length: number, f: ColumnFlags = {}): TableColumnOptions => ({
    name,
    type: 'varchar',
    length: String(length),
    ...flags(f),
  }),
  /** Millisecond precision: keyset cursors compare created_at exactly. */
  time: (name: string, f: ColumnFlags = {}): TableColumnOptions => ({
    name,
    type: 'datetime',
    precision: 3,
    ...flags(f),
  }),
};

/** `table(name, columns, [[indexName, columns, unique?]…])`: a table and its indexes, in a migration. */
export function tableMaker(q: QueryRunner) {
  return async (
    name: string,
    columns: TableColumnOptions[],
    indexes: Array<[string, string[], boolean?]> = [],
  ): Promise<void> => {
    await q.createTable(new Table({ name, columns }));
    for (const [indexName, columnNames, isUnique] of indexes)
      await q.createIndex(
        name,
        new TableIndex({ name: indexName, columnNames, isUnique: isUnique ?? false }),
      );
  };
}
