import type { SocialContext } from '../domain/context';
import { signInWithFirebase } from '../domain/firebase-accounts';

export const firebaseResolvers = {
  Mutation: {
    signInWithFirebase: (_: unknown, { idToken }: { idToken: string }, ctx: SocialContext) =>
      signInWithFirebase(ctx.deps, ctx.caller, idToken),
  },
};
