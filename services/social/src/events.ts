import type { EventHandlers } from '@moim/kit';
import type { ReviewChange } from '@moim/events';
import type { TargetState } from './entities';
import { mediaRefHandlers } from '@moim/media-refs';
import { applyReviewChange } from './domain/targets';

const stateOf = (p: ReviewChange): TargetState => (p.hidden ? 'HIDDEN' : 'VISIBLE');

/**
 * review tells social what exists to like and comment on; social keeps it in `targets`. Each
 * event carries the review's whole state, so the one with the largest sequence wins. media tells
 * social whose uploads exist (`media_refs`), the same way.
 */
export const socialEventHandlers: EventHandlers = {
  'review.created': (p, manager, event) =>
    applyReviewChange(manager, p.reviewId, p.authorId, stateOf(p), event.sequence),
  'review.updated': (p, manager, event) =>
    applyReviewChange(manager, p.reviewId, p.authorId, stateOf(p), event.sequence),
  'review.hidden': (p, manager, event) =>
    applyReviewChange(manager, p.reviewId, p.authorId, stateOf(p), event.sequence),
  'review.unhidden': (p, manager, event) =>
    applyReviewChange(manager, p.reviewId, p.authorId, stateOf(p), event.sequence),
  // Who uploaded what (docs/decisions/0009): attaching images checks this replica, not media.
  ...mediaRefHandlers,
  'review.deleted': (p, manager, event) =>
    applyReviewChange(manager, p.reviewId, p.authorId, 'DELETED', event.sequence),
};
