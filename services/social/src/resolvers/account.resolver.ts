import { notFound, parseId, requireUser } from '@moim/kit';
import * as accounts from '../domain/accounts';
import type { SocialContext } from '../domain/context';
import * as follows from '../domain/follows';
import * as phone from '../domain/phone';
import * as sessions from '../domain/sessions';

const loadUser = (ctx: SocialContext) => (id: string) => ctx.loaders.user.load(id);

async function existingUser(ctx: SocialContext, id: string) {
  const user = await ctx.loaders.user.load(id);
  if (!user) throw notFound('No user with this id');
  return user;
}

export const accountResolvers = {
  Mutation: {
    signUp: (
      _: unknown,
      { input }: { input: { email: string; password: string; nickname: string } },
      ctx: SocialContext,
    ) => accounts.signUp(ctx.deps, ctx.caller, input),
    logIn: (_: unknown, { input }: { input: { email: string; password: string } }, ctx: SocialContext) =>
      accounts.logIn(ctx.deps, ctx.caller, input),
    refreshSession: (_: unknown, { refreshToken }: { refreshToken: string }, ctx: SocialContext) =>
      sessions.refreshSession(ctx.deps, refreshToken, loadUser(ctx)),
    logOut: async (_: unknown, { refreshToken }: { refreshToken: string }, ctx: SocialContext) => {
      await sessions.revokeSession(ctx.deps, refreshToken);
      return true;
    },
    updateProfile: (
      _: unknown,
      { input }: { input: { nickname?: string; bio?: string; avatarId?: string | null } },
      ctx: SocialContext,
    ) => accounts.updateProfile(ctx.deps, requireUser(ctx.caller), input),
    requestPhoneCode: (_: unknown, args: { phone: string }, ctx: SocialContext) =>
      phone.requestPhoneCode(ctx.deps, { userId: requireUser(ctx.caller), ip: ctx.caller.ip }, args.phone),
    verifyPhone: (_: unknown, args: { phone: string; code: string }, ctx: SocialContext) =>
      phone.verifyPhone(ctx.deps, requireUser(ctx.caller), args.phone, args.code),
    follow: async (_: unknown, args: { userId: string }, ctx: SocialContext) => {
      const followeeId = parseId(args.userId, 'userId');
      await follows.follow(ctx.deps, requireUser(ctx.caller), followeeId);
      return existingUser(ctx, followeeId);
    },
    unfollow: async (_: unknown, args: { userId: string }, ctx: SocialContext) => {
      const followeeId = parseId(args.userId, 'userId');
      await follows.unfollow(ctx.deps, requireUser(ctx.caller), followeeId);
      return existingUser(ctx, followeeId);
    },
  },
};
