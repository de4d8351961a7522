import { In, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import {
  pageOf,
  newestFirst,
  dialectOf,
  lockRows,
  newId,
  notFound,
  parseId,
  recordJob,
  type Connection,
  type PageArgs,
} from '@moim/kit';
import {
  NotificationActorEntity,
  NotificationEntity,
  NotificationMuteEntity,
  TargetEntity,
  UserEntity,
  type Notification,
  type NotificationKind,
} from '../entities';
import type { SocialConfig } from '../env';
import { SEND_PUSH } from '../push/push-job';
import { isBlocking, withoutBlocked } from './blocks';
import type { SocialDeps } from './context';

export interface NewNotification {
  kind: NotificationKind;
  recipientId: string;
  actorId: string;
  /** The liked or commented review or post (absent for follows). */
  targetId?: string | null;
  /** The comment or reply (COMMENT, REPLY). */
  commentId?: string | null;
}

export const NOTIFICATION_KINDS: readonly NotificationKind[] = ['LIKE', 'COMMENT', 'REPLY', 'FOLLOW'];

/**
 * A read that sees the latest committed rows and holds them to the end of the transaction: a
 * plain read on MySQL sees the snapshot the transaction started with, which may predate the
 * commit of whoever held the lock before us. SQLite runs one transaction at a time.
 */
function forUpdate<T extends object>(qb: SelectQueryBuilder<T>): SelectQueryBuilder<T> {
  return dialectOf(qb.connection) === 'sqlite' ? qb : qb.setLock('pessimistic_write');
}

/**
 * Records a notification in the caller's transaction (the like, comment or follow that caused it
 * commits with it): never to yourself, never from someone the recipient blocks; likes of one
 * target within the collapse window join one entry; unless the recipient muted the kind, a push
 * job goes through the outbox.
 */
export async function notify(
  manager: EntityManager,
  config: Pick<SocialConfig, 'NOTIFICATION_COLLAPSE_MINUTES'>,
  n: NewNotification,
): Promise<void> {
  if (n.recipientId === n.actorId) return;
  if (await isBlocking(manager, n.recipientId, n.actorId)) return;
  const now = new Date();
  if (n.kind === 'LIKE' && n.targetId && config.NOTIFICATION_COLLAPSE_MINUTES > 0) {
    const since = new Date(now.getTime() - config.NOTIFICATION_COLLAPSE_MINUTES * 60_000);
    if (await joinRecentLike(manager, { ...n, targetId: n.targetId }, since, now)) return;
  }
  const id = newId();
  await manager.insert(NotificationEntity, {
    id,
    recipientId: n.recipientId,
    kind: n.kind,
    actorId: n.actorId,
    actorCount: 1,
    targetId: n.targetId ?? null,
    commentId: n.commentId ?? null,
    readAt: null,
    createdAt: now,
    updatedAt: now,
  });
  await manager.insert(NotificationActorEntity, { notificationId: id, actorId: n.actorId });
  if (!(await manager.existsBy(NotificationMuteEntity, { userId: n.recipientId, kind: n.kind })))
    await recordJob(manager, SEND_PUSH, { notificationId: id }, { id: `push-${id}` });
}

/** A follow tells the person followed (no collapse window is involved). */
export function notifyFollow(manager: EntityManager, followerId: string, followeeId: string): Promise<void> {
  return notify(
    manager,
    { NOTIFICATION_COLLAPSE_MINUTES: 0 },
    { kind: 'FOLLOW', recipientId: followeeId, actorId: followerId },
  );
}

/**
 * Adds the actor to the recipient's LIKE entry for the target created since `since`, if there is
 * one: the actor becomes its latest, the count grows only for someone new, and it is unread
 * again. No push: the entry was pushed when it was new. Resolves to whether there was one.
 */
async function joinRecentLike(
  manager: EntityManager,
  n: NewNotification & { targetId: string },
  since: Date,
  now: Date,
): Promise<boolean> {
  // Likes of one target take turns here, so two at once cannot both start an entry.
  await lockRows(manager, TargetEntity, { id: n.targetId });
  const existing = await forUpdate(
    manager
      .createQueryBuilder(NotificationEntity, 'n')
      .where('n.target_id = :targetId AND n.recipient_id = :recipientId AND n.kind = :kind', {
        targetId: n.targetId,
        recipientId: n.recipientId,
        kind: 'LIKE',
      })
      .andWhere('n.created_at >= :since', { since }),
  )
    .orderBy('n.created_at', 'DESC')
    .addOrderBy('n.id', 'DESC')
    .limit(1)
    .getOne();
  if (!existing) return false;
  const known = await forUpdate(
    manager
      .createQueryBuilder(NotificationActorEntity, 'a')
      .where('a.notification_id = :id AND a.actor_id = :actorId', { id: existing.id, actorId: n.actorId }),
  ).getOne();
  if (!known)
    await manager.insert(NotificationActorEntity, { notificationId: existing.id, actorId: n.actorId });
  await manager.update(
    NotificationEntity,
    { id: existing.id },
    {
      actorId: n.actorId,
      actorCount: existing.actorCount + (known ? 0 : 1),
      updatedAt: now,
      readAt: null,
    },
  );
  return true;
}

/** The caller's inbox, newest first by (created_at, id); what people they block did is left out. */
export async function inboxPage(
  deps: SocialDeps,
  recipientId: string,
  args: PageArgs,
): Promise<Connection<Notification>> {
  const page = pageOf(args);
  const qb = deps.db.dataSource
    .getRepository(NotificationEntity)
    .createQueryBuilder('n')
    .where('n.recipient_id = :recipientId', { recipientId });
  withoutBlocked(qb, 'n.actor_id', recipientId);
  return newestFirst(qb, 'n', page);
}

/** Unread entries the inbox shows (people the recipient blocks left out, as there). */
export function unreadCount(deps: SocialDeps, recipientId: string): Promise<number> {
  const qb = deps.db.dataSource
    .getRepository(NotificationEntity)
    .createQueryBuilder('n')
    .where('n.recipient_id = :recipientId AND n.read_at IS NULL', { recipientId });
  return withoutBlocked(qb, 'n.actor_id', recipientId).getCount();
}

/**
 * Marks the caller's notifications read up to and including `upTo` in inbox order (all when
 * absent); resolves to how many are left unread.
 */
export async function markRead(
  deps: SocialDeps,
  recipientId: string,
  upTo: string | null | undefined,
): Promise<number> {
  const upToId = upTo == null ? null : parseId(upTo, 'upTo');
  await deps.db.transaction(async (manager) => {
    const qb = manager
      .createQueryBuilder()
      .update(NotificationEntity)
      .set({ readAt: new Date() })
      .where('recipient_id = :recipientId AND read_at IS NULL', { recipientId });
    if (upToId) {
      const last = await manager.findOneBy(NotificationEntity, { id: upToId, recipientId });
      if (!last) throw notFound('No notification of yours with this upTo');
      qb.andWhere('(created_at < :createdAt OR (created_at = :createdAt AND id <= :id))', {
        createdAt: last.createdAt,
        id: last.id,
      });
    }
    await qb.execute();
  });
  return unreadCount(deps, recipientId);
}

/** The kinds the user does not want pushed, in the schema's order. */
export async function mutedKinds(deps: SocialDeps, userId: string): Promise<NotificationKind[]> {
  const rows = await deps.db.dataSource.getRepository(NotificationMuteEntity).findBy({ userId });
  const muted = new Set(rows.map((r) => r.kind));
  return NOTIFICATION_KINDS.filter((k) => muted.has(k));
}

/** Replaces the user's muted kinds. */
export async function setMutedKinds(
  deps: SocialDeps,
  userId: string,
  kinds: readonly NotificationKind[],
): Promise<NotificationKind[]> {
  const wanted = NOTIFICATION_KINDS.filter((k) => kinds.includes(k));
  await deps.db.transaction(async (manager) => {
    // One change of a user's settings at a time: two at once would insert the same rows.
    if (!(await lockRows(manager, UserEntity, { id: userId })))
      throw notFound('Your account no longer exists');
    const drop = NOTIFICATION_KINDS.filter((k) => !wanted.includes(k));
    if (drop.length) await manager.delete(NotificationMuteEntity, { userId, kind: In(drop) });
    const have = new Set(
      (await manager.findBy(NotificationMuteEntity, { userId })).map((r) => r.kind as NotificationKind),
    );
    const add = wanted.filter((k) => !have.has(k));
    if (add.length)
      await manager.insert(
        NotificationMuteEntity,
        add.map((kind) => ({ userId, kind })),
      );
  });
  return wanted;
}
