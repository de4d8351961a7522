import type { EntityManager } from 'typeorm';
import {
  pageOf,
  newestFirst,
  badInput,
  isUniqueViolation,
  lockRows,
  newId,
  notFound,
  parseId,
  recordEvent,
  requireAdmin,
  requireUser,
  type Caller,
  type Connection,
  type PageArgs,
  type RateLimit,
} from '@moim/kit';
import { ReportEntity, TargetEntity, type Report, type ReportReason, type ReportStatus } from '../entities';
import type { SocialDeps } from './context';
import { setPostHidden } from './posts';
import { findTarget } from './targets';

/** Ten reports an hour per user: enough for anyone who reads, too few to bury the admins. */
export const REPORTS_PER_USER: RateLimit = {
  name: 'reports:user',
  max: 10,
  windowSeconds: 3600,
  whenUnavailable: 'allow',
};

export const MAX_REPORT_NOTE_LENGTH = 500;

export type ReportAction = 'DISMISS' | 'HIDE';

/** Trimmed; empty is no note. */
function validNote(value: string | null | undefined): string | null {
  const note = value?.trim() ?? '';
  if (!note) return null;
  if ([...note].length > MAX_REPORT_NOTE_LENGTH)
    throw badInput(`note must be at most ${MAX_REPORT_NOTE_LENGTH} characters`, 'note');
  return note;
}

/** Once per user and target (the unique key decides, so two parallel reports make one). */
export async function report(
  deps: SocialDeps,
  caller: Caller,
  input: { targetId: string; reason: ReportReason; note?: string | null },
): Promise<Report> {
  const reporterId = requireUser(caller);
  const targetId = parseId(input.targetId, 'targetId');
  const note = validNote(input.note);
  await deps.rateLimiter.hit(REPORTS_PER_USER, reporterId);
  return deps.db.transaction(async (manager) => {
    const target = await findTarget(manager, targetId);
    const row: Report = {
      id: newId(),
      targetId: target.id,
      reporterId,
      reason: input.reason,
      note,
      status: 'OPEN',
      createdAt: new Date(),
      resolvedAt: null,
      resolvedBy: null,
    };
    try {
      await manager.insert(ReportEntity, row);
    } catch (err) {
      if (isUniqueViolation(err)) throw badInput('You have already reported this', 'targetId');
      throw err;
    }
    return row;
  });
}

/** Admin only: reports in one status, newest first, by keyset on (created_at, id). */
export async function reportsPage(
  deps: SocialDeps,
  caller: Caller,
  status: ReportStatus,
  args: PageArgs,
): Promise<Connection<Report>> {
  requireAdmin(caller);
  const page = pageOf(args);
  const qb = deps.db.dataSource
    .getRepository(ReportEntity)
    .createQueryBuilder('r')
    .where('r.status = :status', { status });
  return newestFirst(qb, 'r', page);
}

/**
 * Admin only. DISMISS closes the report. HIDE closes it and every other open report on the same
 * target, and hides the target: a post at once; a review in social's replica at once (no more
 * likes or comments from this moment), and in review when `report.resolved` arrives there.
 */
export async function resolveReport(
  deps: SocialDeps,
  caller: Caller,
  rawId: string,
  action: ReportAction,
): Promise<Report> {
  const adminId = requireAdmin(caller);
  const id = parseId(rawId);
  return deps.db.transaction(async (manager) => {
    await lockRows(manager, ReportEntity, { id });
    const row = await manager.findOneBy(ReportEntity, { id });
    if (!row) throw notFound('No report with this id');
    if (row.status !== 'OPEN') throw badInput('This report is already resolved', 'id');
    const resolvedAt = new Date();
    const status: ReportStatus = action === 'HIDE' ? 'HIDDEN' : 'DISMISSED';
    const closed = { status, resolvedAt, resolvedBy: adminId };
    if (action === 'DISMISS') {
      await manager.update(ReportEntity, { id }, closed);
    } else {
      await manager
        .createQueryBuilder()
        .update(ReportEntity)
        .set(closed)
        .where('(id = :id OR (target_id = :targetId AND status = :open))', {
          id,
          targetId: row.targetId,
          open: 'OPEN',
        })
        .execute();
    }
    const kind = await hideIfAsked(manager, row.targetId, action);
    if (kind)
      await recordEvent(manager, 'report.resolved', {
        reportId: id,
        targetId: row.targetId,
        targetKind: kind,
        action,
        adminId,
      });
    return { ...row, ...closed };
  });
}

/** Hides the target for HIDE; resolves to its kind (null when its row is gone). */
async function hideIfAsked(manager: EntityManager, targetId: string, action: ReportAction) {
  const target = await manager.findOneBy(TargetEntity, { id: targetId });
  if (!target) return null;
  if (action === 'HIDE' && target.state === 'VISIBLE') {
    if (target.kind === 'POST') await setPostHidden(manager, target.id, true);
    else await manager.update(TargetEntity, { id: target.id, state: 'VISIBLE' }, { state: 'HIDDEN' });
  }
  return target.kind;
}
