import { EntitySchema } from 'typeorm';

/** One import of a term, as its summary line reported it. */
export interface ImportRun {
  id: string;
  termId: string;
  source: string;
  created: number;
  updated: number;
  unchanged: number;
  cancelled: number;
  rejected: number;
  /** The first rejected rows (line and reason), as JSON. */
  rejections: Array<{ line: number; reason: string }>;
  finishedAt: Date;
}

export const ImportRunEntity = new EntitySchema<ImportRun>({
  name: 'ImportRun',
  tableName: 'import_runs',
  columns: {
    id: { type: 'varchar', length: 36, primary: true },
    termId: { name: 'term_id', type: 'varchar', length: 36 },
    source: { type: 'varchar', length: 40 },
    created: { type: 'int' },
    updated: { type: 'int' },
    unchanged: { type: 'int' },
    cancelled: { type: 'int' },
    rejected: { type: 'int' },
    rejections: { type: 'simple-json' },
    finishedAt: { name: 'finished_at', type: 'datetime', precision: 3 },
  },
});
