import { EntitySchema } from 'typeorm';

export type ReportReason = 'SPAM' | 'ABUSE' | 'INAPPROPRIATE' | 'OTHER';
export type ReportStatus = 'OPEN' | 'DISMISSED' | 'HIDDEN';

/** One per reporter and target (a unique key). */
export interface Report {
  id: string;
  targetId: string;
  reporterId: string;
  reason: ReportReason;
  note: string | null;
  status: ReportStatus;
  createdAt: Date;
  resolvedAt: Date | null;
  resolvedBy: string | null;
}

export const ReportEntity = new EntitySchema<Report>({
  name: 'Report',
  tableName: 'reports',
  columns: {
    id: { type: 'varchar', length: 36, primary: true },
    targetId: { name: 'target_id', type: 'varchar', length: 36 },
    reporterId: { name: 'reporter_id', type: 'varchar', length: 36 },
    reason: { type: 'varchar', length: 20 },
    note: { type: 'varchar', length: 500, nullable: true },
    status: { type: 'varchar', length: 10 },
    createdAt: { name: 'created_at', type: 'datetime', precision: 3 },
    resolvedAt: { name: 'resolved_at', type: 'datetime', precision: 3, nullable: true },
    resolvedBy: { name: 'resolved_by', type: 'varchar', length: 36, nullable: true },
  },
});
