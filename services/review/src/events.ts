import type { EntityManager } from 'typeorm';
import type { EventHandlers } from '@moim/kit';
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
  const edge = await manager.findOne(FollowEdgeEntity, {
    where: { followerId, followeeId },
    lock: { mode: 'pessimistic_write' },
  });
  if (!edge) await manager.insert(FollowEdgeEntity, { followerId, followeeId, active, changedAt });
  else if (edge.changedAt <= changedAt)
    await manager.update(FollowEdgeEntity, { followerId, followeeId }, { active, changedAt });
}

export const reviewEventHandlers: EventHandlers = {
  'follow.created': (p, manager, event) =>
    applyFollow(manager, p.followerId, p.followeeId, true, event.occurredAt),
  'follow.deleted': (p, manager, event) =>
    applyFollow(manager, p.followerId, p.followeeId, false, event.occurredAt),
};
