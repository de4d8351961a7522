import { connectionLoader, notFound, parseId, requireUser, type Connection, type PageArgs } from '@moim/kit';
import type { User } from '../entities';
import * as blocks from '../domain/blocks';
import type { SocialContext } from '../domain/context';
import { perRequest } from '../request-cache';

/** Each blocker's page of blocked users, batched per request. */
const blockedPages = perRequest((ctx: SocialContext) =>
  connectionLoader(
    blocks.blockLinks(ctx.deps, async (ids) =>
      (await ctx.loaders.user.loadMany(ids)).map((u) => (u instanceof Error || !u ? null : u)),
    ),
    (link: blocks.BlockLink) => ({ createdAt: link.createdAt, id: link.user.id }),
  ),
);

const usersOf = (page: Connection<blocks.BlockLink>) => ({
  pageInfo: page.pageInfo,
  edges: page.edges.map((e) => ({ cursor: e.cursor, node: e.node.user })),
});

async function existingUser(ctx: SocialContext, id: string) {
  const user = await ctx.loaders.user.load(id);
  if (!user) throw notFound('No user with this id');
  return user;
}

export const blockResolvers = {
  Mutation: {
    block: async (_: unknown, args: { userId: string }, ctx: SocialContext) => {
      const blockedId = parseId(args.userId, 'userId');
      await blocks.block(ctx.deps, requireUser(ctx.caller), blockedId);
      return existingUser(ctx, blockedId);
    },
    unblock: async (_: unknown, args: { userId: string }, ctx: SocialContext) => {
      const blockedId = parseId(args.userId, 'userId');
      await blocks.unblock(ctx.deps, requireUser(ctx.caller), blockedId);
      return existingUser(ctx, blockedId);
    },
  },
  User: {
    blockedUsers: async (user: User, args: PageArgs, ctx: SocialContext) =>
      ctx.selfIds.has(user.id) ? usersOf(await blockedPages(ctx)(args).load(user.id)) : null,
  },
};
