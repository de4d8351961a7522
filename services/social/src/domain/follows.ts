import {
  badInput,
  isUniqueViolation,
  decodeCursor,
  notFound,
  pageSize,
  recordEvent,
  toConnection,
  type Connection,
  type PageArgs,
} from '@moim/kit';
import { FollowEntity, UserEntity, type Follow, type User } from '../entities';
import type { SocialDeps } from './context';

/** Idempotent; the follow row and its event commit together. */
export async function follow(deps: SocialDeps, followerId: string, followeeId: string): Promise<void> {
  if (followerId === followeeId) throw badInput('You cannot follow yourself', 'userId');
  const created = await deps.db.dataSource.transaction(async (manager) => {
    if (!(await manager.existsBy(UserEntity, { id: followeeId }))) throw notFound('No user with this id');
    try {
      await manager.insert(FollowEntity, { followerId, followeeId, createdAt: new Date() });
    } catch (err) {
      if (isUniqueViolation(err)) return false; // already following (perhaps by a parallel request)
      throw err;
    }
    await recordEvent(manager, 'follow.created', { followerId, followeeId });
    return true;
  });
  if (created) deps.relay.wake();
}

export async function unfollow(deps: SocialDeps, followerId: string, followeeId: string): Promise<void> {
  const deleted = await deps.db.dataSource.transaction(async (manager) => {
    if (!(await manager.existsBy(UserEntity, { id: followeeId }))) throw notFound('No user with this id');
    const result = await manager.delete(FollowEntity, { followerId, followeeId });
    if (!result.affected) return false;
    await recordEvent(manager, 'follow.deleted', { followerId, followeeId });
    return true;
  });
  if (deleted) deps.relay.wake();
}

/**
 * One page of a user's followers (direction "followers") or followees ("following"), newest
 * first, keyed by (createdAt, other user's id). Users are loaded in one batch by the caller.
 */
export async function followPage(
  deps: SocialDeps,
  userId: string,
  direction: 'followers' | 'following',
  args: PageArgs,
  loadUsers: (ids: string[]) => Promise<Array<User | null>>,
): Promise<Connection<User>> {
  const size = pageSize(args.first);
  const [self, other] =
    direction === 'followers' ? ['followeeId', 'followerId'] : ['followerId', 'followeeId'];
  const qb = deps.db.dataSource
    .getRepository(FollowEntity)
    .createQueryBuilder('f')
    .where(`f.${self} = :userId`, { userId })
    .orderBy('f.createdAt', 'DESC')
    .addOrderBy(`f.${other}`, 'DESC')
    .limit(size + 1);
  if (args.after) {
    const { createdAt, id } = decodeCursor(args.after);
    qb.andWhere(`(f.createdAt < :createdAt OR (f.createdAt = :createdAt AND f.${other} < :id))`, {
      createdAt,
      id,
    });
  }
  const rows = await qb.getMany();
  const otherId = (f: Follow) => (direction === 'followers' ? f.followerId : f.followeeId);
  const users = await loadUsers(rows.map(otherId));
  const byRow = rows
    .map((f, i) => ({ f, user: users[i] }))
    .filter((r): r is { f: Follow; user: User } => r.user != null);
  const connection = toConnection(byRow, size, ({ f }) => ({ createdAt: f.createdAt, id: otherId(f) }));
  return {
    pageInfo: connection.pageInfo,
    edges: connection.edges.map((e) => ({ cursor: e.cursor, node: e.node.user })),
  };
}
