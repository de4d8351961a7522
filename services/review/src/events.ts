import type { EntityManager, EntitySchema } from 'typeorm';
import type { EventEnvelope, EventPayloads, LikeChange } from '@moim/events';
import { applyIfNewer, type EventHandlers } from '@moim/kit';
import {
  BlockEdgeEntity,
  FollowEdgeEntity,
  InteractionEntity,
  KnownUserEntity,
  type InteractionKind,
} from './entities';
import { mediaRefHandlers } from '@moim/media-refs';
import { setHiddenInTransaction } from './domain/reviews';

interface Edge {
  active: boolean;
  version: string;
}

/**
 * Applies an edge change (a follow, a block) unless a newer one for the same pair was applied
 * already, so the edge ends up as the latest event says whatever order retries deliver them in.
 */
async function applyEdge<E extends Edge>(
  manager: EntityManager,
  entity: EntitySchema<E>,
  columns: [string, string],
  pair: Omit<E, keyof Edge>,
  active: boolean,
  sequence: number,
) {
  const [from, to] = Object.values(pair) as [string, string];
  await applyIfNewer(
    manager,
    entity as never,
    { [columns[0]]: from, [columns[1]]: to },
    { active } as never,
    { ...pair, active } as never,
    sequence,
  );
}

/** The created and deleted handlers of one kind of edge. */
function edgeHandlers<E extends Edge, P>(
  entity: EntitySchema<E>,
  columns: [string, string],
  pairOf: (payload: P) => Omit<E, keyof Edge>,
) {
  const apply = (active: boolean) => (p: P, manager: EntityManager, event: { sequence: number }) =>
    applyEdge(manager, entity, columns, pairOf(p), active, event.sequence);
  return { created: apply(true), deleted: apply(false) };
}

const follows = edgeHandlers(
  FollowEdgeEntity,
  ['follower_id', 'followee_id'],
  (p: EventPayloads['follow.created']) => ({
    followerId: p.followerId,
    followeeId: p.followeeId,
  }),
);
const blocks = edgeHandlers(
  BlockEdgeEntity,
  ['blocker_id', 'blocked_id'],
  (p: EventPayloads['block.created']) => ({
    blockerId: p.blockerId,
    blockedId: p.blockedId,
  }),
);

/**
 * A like, scrap or comment on a review made or taken back, into the interaction log the popular
 * tab learns from (posts are not reviewed: ignored). Applied by sequence, like the edges.
 */
function interaction(kind: InteractionKind, active: boolean) {
  return async (p: LikeChange & { commentId?: string }, manager: EntityManager, event: EventEnvelope) => {
    if (p.targetKind !== 'REVIEW') return;
    const key = { userId: p.userId, reviewId: p.targetId, kind, ref: p.commentId ?? '' };
    // When it was made; events of older producers lack it: then the row's time stays (a
    // re-announcement of a like must not make it new), and a new row takes the event's time.
    const at = p.at ? new Date(p.at) : null;
    await applyIfNewer(
      manager,
      InteractionEntity,
      { user_id: key.userId, review_id: key.reviewId, kind, ref: key.ref },
      active && at ? { active, at } : { active },
      { ...key, active, at: at ?? new Date(event.occurredAt) },
      event.sequence,
    );
  };
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
  'follow.created': follows.created,
  'follow.deleted': follows.deleted,
  'block.created': blocks.created,
  'block.deleted': blocks.deleted,
  // Who uploaded what (docs/decisions/0009): attaching images checks this replica, not media.
  ...mediaRefHandlers,
  'like.created': interaction('LIKE', true),
  'like.deleted': interaction('LIKE', false),
  'scrap.created': interaction('SCRAP', true),
  'scrap.deleted': interaction('SCRAP', false),
  'comment.created': interaction('COMMENT', true),
  'comment.deleted': interaction('COMMENT', false),
  // An admin's HIDE on a report: the same change as hideReview (a review deleted since is no error).
  'report.resolved': async (p, manager) => {
    if (p.action === 'HIDE' && p.targetKind === 'REVIEW')
      await setHiddenInTransaction(manager, p.targetId, true);
  },
};
