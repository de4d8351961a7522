import type { EntityManager } from 'typeorm';
import { applyIfNewer, badInput, forbidden, isAdmin, notFound, parseId, type Caller } from '@moim/kit';
import { TargetEntity, type Target, type TargetKind, type TargetState } from '../entities';
import { isBlocking } from './blocks';

/** The GraphQL type of a target, for the InteractionTarget union and entity references. */
export const typenameOf = (kind: TargetKind) => (kind === 'REVIEW' ? 'Review' : 'Post');

/** A reference the gateway resolves in the subgraph that owns the target. */
export const targetRef = (target: Pick<Target, 'id' | 'kind'>) => ({
  __typename: typenameOf(target.kind),
  id: target.id,
});

/**
 * Records what a review event says, unless a newer event for the same review was applied
 * already (a larger sequence): retries and reordering cannot bring a deleted review back.
 */
export async function applyReviewChange(
  manager: EntityManager,
  reviewId: string,
  authorId: string,
  state: TargetState,
  sequence: number,
): Promise<void> {
  await applyIfNewer(
    manager,
    TargetEntity,
    { id: reviewId, kind: 'REVIEW' },
    { state, authorId },
    { id: reviewId, kind: 'REVIEW', authorId, state },
    sequence,
  );
}

/** Posts are social's own: their target row changes in the same transaction as the post. */
export async function savePostTarget(
  manager: EntityManager,
  postId: string,
  authorId: string,
  state: TargetState,
): Promise<void> {
  const updated = await manager.update(TargetEntity, { id: postId }, { state });
  if (!updated.affected)
    await manager.insert(TargetEntity, { id: postId, kind: 'POST', authorId, state, version: '0' });
}

/** A target by a client-given id (field `targetId`), whatever its state; NOT_FOUND when unknown. */
export async function findTarget(manager: EntityManager, targetId: string): Promise<Target> {
  const target = await manager.findOneBy(TargetEntity, { id: parseId(targetId, 'targetId') });
  if (!target || target.state === 'DELETED') throw notFound('No review or post with this targetId');
  return target;
}

/**
 * A target the caller may like, scrap, comment on or report: visible (a hidden one only to
 * admins), and not by someone who blocks the caller.
 */
export async function interactableTarget(
  manager: EntityManager,
  caller: Caller,
  targetId: string,
): Promise<Target> {
  const target = await findTarget(manager, targetId);
  if (target.state !== 'VISIBLE' && !isAdmin(caller)) throw notFound('No review or post with this targetId');
  if (caller.userId && (await isBlocking(manager, target.authorId, caller.userId)))
    throw forbidden('The author has blocked you');
  return target;
}

/** Checks a text field: trimmed, not empty, at most `max` characters. */
export function requiredText(value: string, field: string, max: number): string {
  const text = value.trim();
  if (!text) throw badInput(`${field} must not be empty`, field);
  if ([...text].length > max) throw badInput(`${field} must be at most ${max} characters`, field);
  return text;
}
