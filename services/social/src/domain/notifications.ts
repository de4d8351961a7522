import type { EntityManager } from 'typeorm';
import type { NotificationKind } from '../entities';
import type { SocialConfig } from '../env';

export interface NewNotification {
  kind: NotificationKind;
  recipientId: string;
  actorId: string;
  /** The liked or commented review or post (absent for follows). */
  targetId?: string | null;
  /** The comment or reply (COMMENT, REPLY). */
  commentId?: string | null;
}

/**
 * Records a notification in the caller's transaction (the like, comment or follow that caused it
 * commits with it): never to yourself, never from someone the recipient blocks; likes of one
 * target within the collapse window join one entry; unless the recipient muted the kind, a push
 * job goes through the outbox.
 */
// TODO(helper B): implement.
export async function notify(
  manager: EntityManager,
  config: SocialConfig,
  n: NewNotification,
): Promise<void> {
  void manager;
  void config;
  void n;
}
