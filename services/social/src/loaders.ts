import { In } from 'typeorm';
import { countLoader, keyedLoader } from '@moim/kit';
import DataLoader from 'dataloader';
import { FollowEntity, UserEntity, type User } from './entities';
import type { SocialDeps } from './domain/context';

export interface SocialLoaders {
  user: DataLoader<string, User | null>;
  followerCount: DataLoader<string, number>;
  followingCount: DataLoader<string, number>;
  /** Whether the viewer follows each key. */
  viewerFollows: DataLoader<string, boolean>;
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
  return {
    user: keyedLoader(
      (ids) => ds.getRepository(UserEntity).findBy({ id: In([...ids]) }),
      (u) => u.id,
    ),
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
