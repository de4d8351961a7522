import type { PageArgs } from '@moim/kit';
import type { Report, ReportReason, ReportStatus } from '../entities';
import type { SocialContext } from '../domain/context';
import * as reports from '../domain/reports';
import { targetObject } from './target.resolver';

export const reportResolvers = {
  Query: {
    reports: (_: unknown, args: PageArgs & { status?: ReportStatus | null }, ctx: SocialContext) =>
      reports.reportsPage(ctx.deps, ctx.caller, args.status ?? 'OPEN', args),
  },
  Mutation: {
    report: (
      _: unknown,
      args: { targetId: string; reason: ReportReason; note?: string | null },
      ctx: SocialContext,
    ) => reports.report(ctx.deps, ctx.caller, args),
    resolveReport: (_: unknown, args: { id: string; action: reports.ReportAction }, ctx: SocialContext) =>
      reports.resolveReport(ctx.deps, ctx.caller, args.id, args.action),
  },
  Report: {
    // Admins see hidden targets too; a deleted one is null.
    target: async (r: Report, _: unknown, ctx: SocialContext) =>
      targetObject(ctx, await ctx.loaders.target.load(r.targetId)),
    reporter: (r: Report, _: unknown, ctx: SocialContext) => ctx.loaders.user.load(r.reporterId),
    resolvedBy: (r: Report, _: unknown, ctx: SocialContext) =>
      r.resolvedBy ? ctx.loaders.user.load(r.resolvedBy) : null,
  },
};
