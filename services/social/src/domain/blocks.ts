import { In, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import {
  afterKeyset,
  badInput,
  isUniqueViolation,
  loadPages,
  lockRows,
  newestPerParent,
  notFound,
  recordEvent,
  type Keyset,
} from '@moim/kit';
import { BlockEntity, FollowEntity, UserEntity, type User } from '../entities';
import type { SocialDeps } from './context';

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

/**
 * Locks both users' rows, the blocker's included, in one statement (primary key order, so two
 * people blocking each other at once wait for each other instead of deadlocking). A block ends
 * follows both ways, and each person's follow changes serialize on their own row (follows.ts):
 * the outbox sequence of every follow and block event stays its commit order.
 */
async function lockPair(manager: EntityManager, blockerId: string, blockedId: string) {
  await lockRows(manager, UserEntity, { id: In([blockerId, blockedId]) });
  const found = new Set(
    (await manager.find(UserEntity, { select: { id: true }, where: { id: In([blockerId, blockedId]) } })).map(
      (u) => u.id,
    ),
  );
  if (!found.has(blockerId)) throw notFound('Your account no longer exists');
  if (!found.has(blockedId)) throw notFound('No user with this id');
}

/** Ends a follow, if there is one, with its event (as unfollow does). */
async function endFollow(manager: EntityManager, followerId: string, followeeId: string) {
  const result = await manager.delete(FollowEntity, { followerId, followeeId });
  if (result.affected) await recordEvent(manager, 'follow.deleted', { followerId, followeeId });
}

/**
 * Idempotent. A new block ends the follows between the two in both directions; the block and
 * those unfollows commit with their events, which review applies to its feeds.
 */
export async function block(deps: SocialDeps, blockerId: string, blockedId: string): Promise<void> {
  if (blockerId === blockedId) throw badInput('You cannot block yourself', 'userId');
  await deps.db.transaction(async (manager) => {
    await lockPair(manager, blockerId, blockedId);
    try {
      await manager.insert(BlockEntity, { blockerId, blockedId, createdAt: new Date() });
    } catch (err) {
      if (isUniqueViolation(err)) return; // blocked already
      throw err;
    }
    await recordEvent(manager, 'block.created', { blockerId, blockedId });
    await endFollow(manager, blockerId, blockedId);
    await endFollow(manager, blockedId, blockerId);
  });
}

/** Idempotent: unblocking someone not blocked changes nothing. Follows ended by the block stay ended. */
export async function unblock(deps: SocialDeps, blockerId: string, blockedId: string): Promise<void> {
  if (blockerId === blockedId) throw badInput('You cannot block yourself', 'userId');
  await deps.db.transaction(async (manager) => {
    if (!(await lockRows(manager, UserEntity, { id: blockerId })))
      throw notFound('Your account no longer exists');
    if (!(await manager.existsBy(UserEntity, { id: blockedId }))) throw notFound('No user with this id');
    const result = await manager.delete(BlockEntity, { blockerId, blockedId });
    if (result.affected) await recordEvent(manager, 'block.deleted', { blockerId, blockedId });
  });
}

/** A block seen from the blocker: whom, and since when (the page key). */
export interface BlockLink {
  user: User;
  createdAt: Date;
}

/**
 * Pages of the people each blocker blocks, newest first: the newest `size + 1` blocks per blocker
 * in one statement, then their users in one batch.
 */
export function blockLinks(deps: SocialDeps, loadUsers: (ids: string[]) => Promise<Array<User | null>>) {
  return async (
    blockerIds: readonly string[],
    size: number,
    after: Keyset | null,
  ): Promise<Map<string, BlockLink[]>> => {
    const qb = deps.db.dataSource.getRepository(BlockEntity).createQueryBuilder('b');
    afterKeyset(qb, after, 'b', 'blocked_id');
    const pages = await newestPerParent(
      qb,
      { alias: 'b', parent: 'blocker_id', id: 'blocked_id' },
      blockerIds,
      size + 1,
    );
    return loadPages(pages, loadUsers, (row, user) => ({ user, createdAt: row.createdAt }));
  };
}
