import type { EntityManager } from 'typeorm';
import { isUniqueViolation, type EventHandlers } from '@moim/kit';
import { FollowEdgeEntity, KnownUserEntity } from './entities';

/**
 * Applies a follow change unless a newer one for the same pair was applied already, so the
 * edge ends up as the latest event says whatever order retries deliver them in.
 */
async function applyFollow(
  manager: EntityManager,
  followerId: string,
  followeeId: string,
  active: boolean,
  sequence: number,
) {
  const version = String(sequence);
  // Twice at most: when another replica inserts the edge first, our insert fails and the
  // conditional update, run again, now finds the row and applies this event if it is newer.
  for (let attempt = 0; attempt < 2; attempt++) {
    const updated = await manager
      .createQueryBuilder()
      .update(FollowEdgeEntity)
      .set({ active, version })
      .where('follower_id = :followerId AND followee_id = :followeeId AND version < :sequence', {
        followerId,
        followeeId,
        sequence,
      })
      .execute();
    if (updated.affected) return;
    try {
      await manager.insert(FollowEdgeEntity, { followerId, followeeId, active, version });
      return;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }
  // The edge holds a newer change: this event is stale and has nothing to add.
}

export const reviewEventHandlers: EventHandlers = {
  'user.created': async (p, manager) => {
    await manager
      .createQueryBuilder()
      .insert()
      .into(KnownUserEntity)
      .values({ id: p.userId })
      .orIgnore()
      .execute();
  },
  'follow.created': (p, manager, event) =>
    applyFollow(manager, p.followerId, p.followeeId, true, event.sequence),
  'follow.deleted': (p, manager, event) =>
    applyFollow(manager, p.followerId, p.followeeId, false, event.sequence),
};
