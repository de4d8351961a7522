import { allQueueNames } from '@moim/events';
import { badInput, requireAdmin, requireUser } from '@moim/kit';
import type { DevicePlatform } from '../entities';
import type { SocialContext } from '../domain/context';
import * as devices from '../domain/devices';

/** The queues there are: every service's events, jobs and maintenance. */
const QUEUES: ReadonlySet<string> = new Set(allQueueNames());

function knownQueue(queue: string): string {
  if (!QUEUES.has(queue)) throw badInput(`No queue ${queue}: one of ${[...QUEUES].join(', ')}`, 'queue');
  return queue;
}

const MAX_FAILED_JOBS = 100;
/** Deep enough for any dead-letter set worth reading page by page; each page is one range read. */
const MAX_FAILED_OFFSET = 100_000;

export const deviceResolvers = {
  Query: {
    failedJobs: async (
      _: unknown,
      args: { queue: string; first?: number | null; offset?: number | null },
      ctx: SocialContext,
    ) => {
      requireAdmin(ctx.caller);
      const first = args.first ?? 20;
      if (!Number.isInteger(first) || first < 1 || first > MAX_FAILED_JOBS)
        throw badInput(`first must be between 1 and ${MAX_FAILED_JOBS}`, 'first');
      const offset = args.offset ?? 0;
      if (!Number.isInteger(offset) || offset < 0 || offset > MAX_FAILED_OFFSET)
        throw badInput(`offset must be between 0 and ${MAX_FAILED_OFFSET}`, 'offset');
      const jobs = await ctx.deps.queues.failed(knownQueue(args.queue), first, offset);
      return jobs.map((job) => ({ ...job, data: JSON.stringify(job.data ?? null) }));
    },
    jobQueues: (_: unknown, __: unknown, ctx: SocialContext) => {
      requireAdmin(ctx.caller);
      return Promise.all(
        [...QUEUES].map(async (name) => ({ name, ...(await ctx.deps.queues.counts(name)) })),
      );
    },
  },
  Mutation: {
    registerDevice: async (
      _: unknown,
      args: { token: string; platform: DevicePlatform },
      ctx: SocialContext,
    ) => {
      await devices.registerDevice(ctx.deps, requireUser(ctx.caller), args.token, args.platform);
      return true;
    },
    unregisterDevice: async (_: unknown, args: { token: string }, ctx: SocialContext) => {
      await devices.unregisterDevice(ctx.deps, requireUser(ctx.caller), args.token);
      return true;
    },
    retryFailedJob: (_: unknown, args: { queue: string; id: string }, ctx: SocialContext) => {
      requireAdmin(ctx.caller);
      const queue = knownQueue(args.queue);
      if (!args.id.trim()) throw badInput('id must not be empty', 'id');
      return ctx.deps.queues.retry(queue, args.id);
    },
  },
};
