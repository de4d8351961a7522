import { parseId, requireUser } from '@moim/kit';
import type { CatalogContext } from '../domain/context';
import { addToTimetable, removeFromTimetable, setMyUniversity, timetableOf } from '../domain/timetable';

const ownTimetable = (ctx: CatalogContext, userId: string, termId: string) =>
  timetableOf(ctx.deps.db.dataSource.manager, userId, parseId(termId, 'termId'));

/** The caller's university and timetables. */
export const timetableResolvers = {
  Query: {
    timetable: (_: unknown, args: { termId: string }, ctx: CatalogContext) =>
      ownTimetable(ctx, requireUser(ctx.caller), args.termId),
  },
  Mutation: {
    setMyUniversity: async (_: unknown, args: { universityId: string | null }, ctx: CatalogContext) => {
      const userId = requireUser(ctx.caller);
      await setMyUniversity(ctx.deps, userId, args.universityId);
      return { id: userId };
    },
    addToTimetable: (_: unknown, args: { sectionId: string }, ctx: CatalogContext) =>
      addToTimetable(ctx.deps, requireUser(ctx.caller), args.sectionId),
    removeFromTimetable: (_: unknown, args: { sectionId: string }, ctx: CatalogContext) =>
      removeFromTimetable(ctx.deps, requireUser(ctx.caller), args.sectionId),
  },
  User: {
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    university: async (user: { id: string }, _: unknown, ctx: CatalogContext) => {
      const student = await ctx.loaders.student.load(user.id);
      return student && ctx.loaders.university.load(student.universityId);
    },
    // Private: a timetable tells where someone will be, hour by hour.
    timetable: (user: { id: string }, args: { termId: string }, ctx: CatalogContext) =>
      ctx.caller.userId === user.id ? ownTimetable(ctx, user.id, args.termId) : null,
  },
};
