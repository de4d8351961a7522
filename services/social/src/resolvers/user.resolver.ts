import { isAdmin, parseId, type Connection, type PageArgs } from '@moim/kit';
import type { User } from '../entities';
import type { SocialContext } from '../domain/context';
import type { FollowLink } from '../domain/follows';
import type { AuthPayload } from '../domain/sessions';
import { usersPage, type UserListArgs } from '../domain/admin-users';

/** Connections of follows show the other user as the node; the cursor stays the follow's key. */
const usersOf = (page: Connection<FollowLink>) => ({
  pageInfo: page.pageInfo,
  edges: page.edges.map((e) => ({ cursor: e.cursor, node: e.node.user })),
});

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
    users: (_: unknown, args: UserListArgs, ctx: SocialContext) => usersPage(ctx.deps, ctx.caller, args),
  },
  User: {
    __resolveReference: (ref: { id: string }, ctx: SocialContext) => ctx.loaders.user.load(ref.id),
    email: (user: User, _: unknown, ctx: SocialContext) =>
      ctx.selfIds.has(user.id) || isAdmin(ctx.caller) ? user.email : null,
    phoneVerified: (user: User) => user.phoneVerifiedAt != null,
    followers: async (user: User, args: PageArgs, ctx: SocialContext) =>
      usersOf(await ctx.loaders.followers(args).load(user.id)),
    following: async (user: User, args: PageArgs, ctx: SocialContext) =>
      usersOf(await ctx.loaders.following(args).load(user.id)),
    followerCount: (user: User, _: unknown, ctx: SocialContext) => ctx.loaders.followerCount.load(user.id),
    followingCount: (user: User, _: unknown, ctx: SocialContext) => ctx.loaders.followingCount.load(user.id),
    viewerIsFollowing: (user: User, _: unknown, ctx: SocialContext) =>
      ctx.loaders.viewerFollows.load(user.id),
    // A reference media resolves (one batch per page); an upload media failed to process is left out.
    avatar: async (user: User, _: unknown, ctx: SocialContext) => {
      if (!user.avatarId) return null;
      const ref = await ctx.loaders.mediaRef.load(user.avatarId);
      return ref?.state === 'ACTIVE' ? { __typename: 'Media', id: user.avatarId } : null;
    },
  },
};
