import type { TableColumnOptions } from 'typeorm';

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
