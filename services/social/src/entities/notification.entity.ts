import { EntitySchema } from 'typeorm';

export type NotificationKind = 'LIKE' | 'COMMENT' | 'REPLY' | 'FOLLOW';

/**
 * An inbox entry. Likes of one target within a window collapse into one entry: `actorId` is the
 * latest, `actorCount` counts the distinct people (see NotificationActorEntity).
 */
export interface Notification {
  id: string;
  recipientId: string;
  kind: NotificationKind;
  actorId: string;
  actorCount: number;
  targetId: string | null;
  commentId: string | null;
  readAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export const NotificationEntity = new EntitySchema<Notification>({
  name: 'Notification',
  tableName: 'notifications',
  columns: {
    id: { type: 'varchar', length: 36, primary: true },
    recipientId: { name: 'recipient_id', type: 'varchar', length: 36 },
    kind: { type: 'varchar', length: 10 },
    actorId: { name: 'actor_id', type: 'varchar', length: 36 },
    actorCount: { name: 'actor_count', type: 'int' },
    targetId: { name: 'target_id', type: 'varchar', length: 36, nullable: true },
    commentId: { name: 'comment_id', type: 'varchar', length: 36, nullable: true },
    readAt: { name: 'read_at', type: 'datetime', precision: 3, nullable: true },
    createdAt: { name: 'created_at', type: 'datetime', precision: 3 },
    updatedAt: { name: 'updated_at', type: 'datetime', precision: 3 },
  },
});

/** Who is in a collapsed notification, so the same person liking again is not counted twice. */
export interface NotificationActor {
  notificationId: string;
  actorId: string;
}

export const NotificationActorEntity = new EntitySchema<NotificationActor>({
  name: 'NotificationActor',
  tableName: 'notification_actors',
  columns: {
    notificationId: { name: 'notification_id', type: 'varchar', length: 36, primary: true },
    actorId: { name: 'actor_id', type: 'varchar', length: 36, primary: true },
  },
});

/** A kind of notification the user does not want pushed. */
export interface NotificationMute {
  userId: string;
  kind: NotificationKind;
}

export const NotificationMuteEntity = new EntitySchema<NotificationMute>({
  name: 'NotificationMute',
  tableName: 'notification_mutes',
  columns: {
    userId: { name: 'user_id', type: 'varchar', length: 36, primary: true },
    kind: { type: 'varchar', length: 10, primary: true },
  },
});
