import type { EntityManager, SelectQueryBuilder } from 'typeorm';
import { BlockEntity } from '../entities';

/** Whether `blockerId` blocks `blockedId`. */
export function isBlocking(manager: EntityManager, blockerId: string, blockedId: string): Promise<boolean> {
  return manager.existsBy(BlockEntity, { blockerId, blockedId });
}

/**
 * Leaves out rows whose author (`authorColumn`, e.g. "c.author_id") the viewer blocks: what
 * someone blocks disappears for them from every list.
 */
export function withoutBlocked<T extends object>(
  qb: SelectQueryBuilder<T>,
  authorColumn: string,
  viewerId: string | null,
): SelectQueryBuilder<T> {
  if (!viewerId) return qb;
  return qb.andWhere(
    `NOT EXISTS (SELECT 1 FROM blocks bl WHERE bl.blocker_id = :blockViewerId AND bl.blocked_id = ${authorColumn})`,
    { blockViewerId: viewerId },
  );
}
