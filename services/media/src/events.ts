import type { EventHandlers } from '@moim/kit';
import { MediaEntity } from './entities';

/**
 * review and social tell media where uploads went (docs/decisions/0009). Each media is attached
 * once and detached at most once after, so neither handler needs the events in order: an
 * attachment marks the media used, a detachment marks it for the cleanup job, whichever comes first.
 */
export const mediaEventHandlers: EventHandlers = {
  // Only the owner's uploads: an id of someone else's, however it got here, changes nothing.
  'media.attached': async (p, manager) => {
    if (!p.mediaIds.length) return;
    await manager
      .createQueryBuilder()
      .update(MediaEntity)
      .set({ attachedTo: p.subject, updatedAt: new Date() })
      .where('id IN (:...ids) AND owner_id = :ownerId', { ids: p.mediaIds, ownerId: p.ownerId })
      .andWhere('(attached_to IS NULL OR attached_to = :subject)', { subject: p.subject })
      .execute();
  },
  // Taken off what it was on: the cleanup job removes its objects and row. A detachment that
  // overtook its attachment (a retried event) still counts: the media never comes back.
  'media.detached': async (p, manager) => {
    if (!p.mediaIds.length) return;
    await manager
      .createQueryBuilder()
      .update(MediaEntity)
      .set({ detachedAt: new Date(), updatedAt: new Date() })
      .where('id IN (:...ids) AND detached_at IS NULL', { ids: p.mediaIds })
      .andWhere('(attached_to IS NULL OR attached_to = :subject)', { subject: p.subject })
      .execute();
  },
};
