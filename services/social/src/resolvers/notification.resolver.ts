import { requireUser, type PageArgs } from '@moim/kit';
import type { Notification, NotificationKind, User } from '../entities';
import type { SocialContext } from '../domain/context';
import * as notifications from '../domain/notifications';
import { targetObject } from './target.resolver';

export const notificationResolvers = {
  Query: {
    notifications: (_: unknown, args: PageArgs, ctx: SocialContext) =>
      notifications.inboxPage(ctx.deps, requireUser(ctx.caller), args),
    unreadNotificationCount: (_: unknown, __: unknown, ctx: SocialContext) =>
      notifications.unreadCount(ctx.deps, requireUser(ctx.caller)),
  },
  Mutation: {
    markNotificationsRead: (_: unknown, args: { upTo?: string | null }, ctx: SocialContext) =>
      notifications.markRead(ctx.deps, requireUser(ctx.caller), args.upTo),
    updateNotificationSettings: async (
      _: unknown,
      args: { mutedKinds: NotificationKind[] },
      ctx: SocialContext,
    ) => ({
      mutedKinds: await notifications.setMutedKinds(ctx.deps, requireUser(ctx.caller), args.mutedKinds),
    }),
  },
  User: {
    notificationSettings: async (user: User, _: unknown, ctx: SocialContext) =>
      ctx.selfIds.has(user.id) ? { mutedKinds: await notifications.mutedKinds(ctx.deps, user.id) } : null,
  },
  Notification: {
    actor: (n: Notification, _: unknown, ctx: SocialContext) => ctx.loaders.user.load(n.actorId),
    // Only while it can be seen by everyone: a hidden or deleted target is null in the inbox.
    target: async (n: Notification, _: unknown, ctx: SocialContext) => {
      if (!n.targetId) return null;
      const target = await ctx.loaders.target.load(n.targetId);
      return target?.state === 'VISIBLE' ? targetObject(ctx, target) : null;
    },
    comment: async (n: Notification, _: unknown, ctx: SocialContext) => {
      if (!n.commentId) return null;
      const comment = await ctx.loaders.comment.load(n.commentId);
      return comment ? { __typename: 'Comment', ...comment } : null;
    },
    read: (n: Notification) => n.readAt != null,
  },
};
