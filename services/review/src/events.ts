import type { EntityManager } from 'typeorm';
import { isUniqueViolation, type EventHandlers } from '@moim/kit';
import { FollowEdgeEntity } from './entities';

/**
 * Applies a follow change unless a newer one for the same pair was applied already, so the
 * edge ends up as the latest event says whatever order retries deliver them in.
 */
async function applyFollow(
  manager: EntityManager,
  followerId: string,
  followeeId: string,
  active: boolean,
  occurredAt: string,
) {
  const changedAt = new Date(occurredAt);
  const updated = await manager
    .createQueryBuilder()
    .update(FollowEdgeEntity)
    .set({ active, changedAt })
    .where('follower_id = :followerId AND followee_id = :followeeId AND changed_at <= :changedAt', {
      followerId,
      followeeId,
      changedAt,
    })
    .execute();
  if (updated.affected) return;
  try {
    await manager.insert(FollowEdgeEntity, { followerId, followeeId, active, changedAt });
  } catch (err) {
    // The edge exists with a newer change: this event is stale and has nothing to add.
    if (!isUniqueViolation(err)) throw err;
  }
}

export const reviewEventHandlers: EventHandlers = {
  'follow.created': (p, manager, event) =>
    applyFollow(manager, p.followerId, p.followeeId, true, event.occurredAt),
  'follow.deleted': (p, manager, event) =>
    applyFollow(manager, p.followerId, p.followeeId, false, event.occurredAt),
};
