import {
  badInput,
  isUniqueViolation,
  loadPages,
  lockRows,
  newestPerParent,
  notFound,
  recordEvent,
  type Keyset,
} from '@moim/kit';
import type { EntityManager } from 'typeorm';
import { FollowEntity, UserEntity, type User } from '../entities';
import type { SocialDeps } from './context';

/**
 * Writes a follow and its event in the caller's transaction; false when it already existed.
 * Changes by one follower serialize on their user row, so the outbox sequence of their events
 * is their commit order.
 */
export async function followInTransaction(
  manager: EntityManager,
  followerId: string,
  followeeId: string,
): Promise<boolean> {
  if (followerId === followeeId) throw badInput('You cannot follow yourself', 'userId');
  await lockFollower(manager, followerId);
  if (!(await manager.existsBy(UserEntity, { id: followeeId }))) throw notFound('No user with this id');
  try {
    await manager.insert(FollowEntity, { followerId, followeeId, createdAt: new Date() });
  } catch (err) {
    if (isUniqueViolation(err)) return false; // already following (perhaps by a parallel request)
    throw err;
  }
  await recordEvent(manager, 'follow.created', { followerId, followeeId });
  return true;
}

/**
 * One person's follows and unfollows run one after another: racing on the follow row itself
 * (insert, duplicate check, delete) deadlocks in InnoDB.
 */
async function lockFollower(manager: EntityManager, followerId: string) {
  if (!(await lockRows(manager, UserEntity, { id: followerId })))
    throw notFound('Your account no longer exists');
}

/** Idempotent; the follow row and its event commit together. */
export async function follow(deps: SocialDeps, followerId: string, followeeId: string): Promise<void> {
  await deps.db.transaction((manager) => followInTransaction(manager, followerId, followeeId));
}

export async function unfollow(deps: SocialDeps, followerId: string, followeeId: string): Promise<void> {
  await deps.db.transaction(async (manager) => {
    await lockFollower(manager, followerId);
    if (!(await manager.existsBy(UserEntity, { id: followeeId }))) throw notFound('No user with this id');
    const result = await manager.delete(FollowEntity, { followerId, followeeId });
    if (result.affected) await recordEvent(manager, 'follow.deleted', { followerId, followeeId });
  });
}

/** A follow seen from one side: the other user, and when the follow began (the page key). */
export interface FollowLink {
  user: User;
  createdAt: Date;
}

/**
 * Fetches a page of followers (or followees) for many users at once: the newest `size + 1`
 * follows per user in one statement, then their users in one batch.
 */
export function followLinks(
  deps: SocialDeps,
  direction: 'followers' | 'following',
  loadUsers: (ids: string[]) => Promise<Array<User | null>>,
) {
  const [self, other] =
    direction === 'followers' ? ['followee_id', 'follower_id'] : ['follower_id', 'followee_id'];
  return async (
    userIds: readonly string[],
    size: number,
    after: Keyset | null,
  ): Promise<Map<string, FollowLink[]>> => {
    const qb = deps.db.dataSource.getRepository(FollowEntity).createQueryBuilder('f');
    if (after)
      qb.where(`(f.created_at < :createdAt OR (f.created_at = :createdAt AND f.${other} < :id))`, after);
    const pages = await newestPerParent(qb, { alias: 'f', parent: self, id: other }, userIds, size + 1);
    return loadPages(pages, loadUsers, (row, user) => ({ user, createdAt: row.createdAt }));
  };
}
