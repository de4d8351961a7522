import {
  afterKeyset,
  badInput,
  forbidden,
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
import { isBlocking } from './blocks';
import type { SocialDeps } from './context';
import { notifyFollow } from './notifications';

/**
 * Writes a follow, its event and the followee's notification in the caller's transaction; false
 * when it already existed.
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
  // Blocking ends follows both ways and keeps them ended (block takes both users' rows, so it
  // waits for this follow or this follow sees the block).
  if (
    (await isBlocking(manager, followeeId, followerId)) ||
    (await isBlocking(manager, followerId, followeeId))
  )
    throw forbidden('You cannot follow this user');
  try {
    await manager.insert(FollowEntity, { followerId, followeeId, createdAt: new Date() });
  } catch (err) {
    if (isUniqueViolation(err)) return false; // already following (perhaps by a parallel request)
    throw err;
  }
  await recordEvent(manager, 'follow.created', { followerId, followeeId });
  await notifyFollow(manager, followerId, followeeId);
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
    afterKeyset(qb, after, 'f', other);
    const pages = await newestPerParent(qb, { alias: 'f', parent: self, id: other }, userIds, size + 1);
    return loadPages(pages, loadUsers, (row, user) => ({ user, createdAt: row.createdAt }));
  };
}
