import { isAdmin, parseId, type PageArgs } from '@moim/kit';
import type { User } from '../entities';
import type { SocialContext } from '../domain/context';
import { followPage } from '../domain/follows';
import type { AuthPayload } from '../domain/sessions';

const loadUsers = (ctx: SocialContext) => async (ids: string[]) =>
  (await ctx.loaders.user.loadMany(ids)).map((u) => (u instanceof Error ? null : u));

export const userResolvers = {
  AuthPayload: {
    user: (payload: AuthPayload, _: unknown, ctx: SocialContext) => {
      ctx.selfIds.add(payload.user.id);
      return payload.user;
    },
  },
  Query: {
    me: (_: unknown, __: unknown, ctx: SocialContext) =>
      ctx.caller.userId ? ctx.loaders.user.load(ctx.caller.userId) : null,
    user: (_: unknown, args: { id: string }, ctx: SocialContext) => ctx.loaders.user.load(parseId(args.id)),
  },
  User: {
    __resolveReference: (ref: { id: string }, ctx: SocialContext) => ctx.loaders.user.load(ref.id),
    email: (user: User, _: unknown, ctx: SocialContext) =>
      ctx.selfIds.has(user.id) || isAdmin(ctx.caller) ? user.email : null,
    phoneVerified: (user: User) => user.phoneVerifiedAt != null,
    followers: (user: User, args: PageArgs, ctx: SocialContext) =>
      followPage(ctx.deps, user.id, 'followers', args, loadUsers(ctx)),
    following: (user: User, args: PageArgs, ctx: SocialContext) =>
      followPage(ctx.deps, user.id, 'following', args, loadUsers(ctx)),
    followerCount: (user: User, _: unknown, ctx: SocialContext) => ctx.loaders.followerCount.load(user.id),
    followingCount: (user: User, _: unknown, ctx: SocialContext) => ctx.loaders.followingCount.load(user.id),
    viewerIsFollowing: (user: User, _: unknown, ctx: SocialContext) =>
      ctx.loaders.viewerFollows.load(user.id),
  },
};
