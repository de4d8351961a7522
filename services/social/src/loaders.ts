import { In } from 'typeorm';
import { connectionLoader, countLoader, keyedLoader, type Connection, type PageArgs } from '@moim/kit';
import DataLoader from 'dataloader';
import { FollowEntity, UserEntity, type User } from './entities';
import type { SocialDeps } from './domain/context';
import { followLinks, type FollowLink } from './domain/follows';

export interface SocialLoaders {
  user: DataLoader<string, User | null>;
  followerCount: DataLoader<string, number>;
  followingCount: DataLoader<string, number>;
  /** Whether the viewer follows each key. */
  viewerFollows: DataLoader<string, boolean>;
  followers: (args: PageArgs) => DataLoader<string, Connection<FollowLink>>;
  following: (args: PageArgs) => DataLoader<string, Connection<FollowLink>>;
}

/** Built per request, so batching and caching never leak between callers. */
export function createLoaders(deps: SocialDeps, viewerId: string | null): SocialLoaders {
  const ds = deps.db.dataSource;
  const follows = ds.getRepository(FollowEntity);
  const countBy = (column: 'follower_id' | 'followee_id') =>
    countLoader<string>((ids) =>
      follows
        .createQueryBuilder('f')
        .select(`f.${column}`, 'key')
        .addSelect('COUNT(*)', 'count')
        .where(`f.${column} IN (:...ids)`, { ids })
        .groupBy(`f.${column}`)
        .getRawMany(),
    );
  const user = keyedLoader(
    (ids: readonly string[]) => ds.getRepository(UserEntity).findBy({ id: In([...ids]) }),
    (u) => u.id,
  );
  const loadUsers = async (ids: string[]) =>
    (await user.loadMany(ids)).map((u) => (u instanceof Error ? null : u));
  const pageKey = (link: FollowLink) => ({ createdAt: link.createdAt, id: link.user.id });
  return {
    user,
    followers: connectionLoader(followLinks(deps, 'followers', loadUsers), pageKey),
    following: connectionLoader(followLinks(deps, 'following', loadUsers), pageKey),
    followerCount: countBy('followee_id'),
    followingCount: countBy('follower_id'),
    viewerFollows: new DataLoader(async (ids) => {
      if (!viewerId) return ids.map(() => false);
      const followed = new Set(
        (await follows.findBy({ followerId: viewerId, followeeId: In([...ids]) })).map((f) => f.followeeId),
      );
      return ids.map((id) => followed.has(id));
    }),
  };
}
