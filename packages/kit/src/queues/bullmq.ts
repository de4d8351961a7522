import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Queue,
  Worker,
  type BackoffOptions,
  type BackoffStrategy,
  type Job,
  type JobSchedulerTemplateOptions,
} from 'bullmq';
import type { Logger } from '../logger';
import { closeRedis, createRedis, logConnectionState } from '../redis';
import { backoffDelay, checkJobId, type NewJob, type Queues, type QueueWorker } from './queues';

export interface BullmqQueuesOptions {
  redisUrl: string;
  /** BullMQ's own key prefix: every queue of this instance lives under `<prefix>:`. */
  prefix: string;
  logger: Logger;
  /** How often workers look for jobs abandoned by a dead worker (BullMQ's default: 30 s). */
  stalledIntervalMs?: number;
  /** How long a worker's claim on a running job lasts without renewal (BullMQ's default: 30 s). */
  lockDurationMs?: number;
}

/**
 * BullMQ has exponential backoff but no cap. Jobs carry their cap beside the delay in their
 * backoff options, which BullMQ stores with the job as given, and every worker registers this
 * strategy for the type. So the job's data stays exactly what the caller added, for handlers,
 * dashboards and producers that add to the same queues with BullMQ directly.
 */
const CAPPED = 'capped-exponential';

interface CappedBackoffOptions extends BackoffOptions {
  delay: number;
  maxDelay: number;
}

const cappedBackoff: BackoffStrategy = (attemptsMade, _type, _err, job) => {
  const { delay = 0, maxDelay = Number.POSITIVE_INFINITY } = (job?.opts.backoff ??
    {}) as Partial<CappedBackoffOptions>;
  return backoffDelay({ delayMs: delay, maxDelayMs: maxDelay }, attemptsMade);
};

/** Completed jobs kept for inspection; also makes re-adding a recently completed id a no-op. */
const KEEP_COMPLETED = 1000;

function jobOptions({
  attempts,
  backoff,
}: Pick<NewJob, 'attempts' | 'backoff'>): JobSchedulerTemplateOptions {
  const capped: CappedBackoffOptions = { type: CAPPED, delay: backoff.delayMs, maxDelay: backoff.maxDelayMs };
  // The failed set is kept whole: it is the dead-letter view, and retry() works from it.
  return { attempts, backoff: capped, removeOnComplete: KEEP_COMPLETED, removeOnFail: false };
}

/** How long a call made while the first connection is still opening waits for it. */
const FIRST_CONNECT_WAIT_MS = 1000;

/** The job queue port on BullMQ: see queues.ts for the contract. */
export function createBullmqQueues({
  redisUrl,
  prefix,
  logger,
  stalledIntervalMs,
  lockDurationMs,
}: BullmqQueuesOptions): Queues {
  // Commands fail at once while Redis is away instead of queueing in memory.
  const command = logConnectionState(createRedis(redisUrl, 'command'), logger, 'queues');
  let connectedOnce = false;
  command.on('ready', () => (connectedOnce = true));
  const queues = new Map<string, Queue>();
  const workers = new Set<QueueWorker>();
  let closed = false;

  /**
   * BullMQ waits for a connection that is not ready instead of failing, and a caller such as the
   * outbox relay must learn at once that a job could not be added so it keeps it for later. Only
   * the very first connection, still opening as the process starts, is worth a short wait.
   */
  async function ready(): Promise<void> {
    if (closed) throw new Error('queues are closed');
    if (command.status === 'ready') return;
    if (!connectedOnce && ['wait', 'connecting', 'connect'].includes(command.status)) {
      try {
        await once(command, 'ready', { signal: AbortSignal.timeout(FIRST_CONNECT_WAIT_MS) });
        return;
      } catch {
        // reported below
      }
    }
    throw new Error(`Redis is not reachable (connection ${command.status})`);
  }

  async function queue(name: string): Promise<Queue> {
    await ready();
    let q = queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: command, prefix });
      q.on('error', () => {}); // connection trouble is logged once by logConnectionState
      queues.set(name, q);
    }
    return q;
  }

  return {
    async add(name, job) {
      if (job.id !== undefined) checkJobId(job.id);
      const q = await queue(name);
      await q.add(job.name, job.data, {
        ...jobOptions(job),
        // A fixed id makes a second add of the same job a no-op while the first is kept.
        jobId: job.id ?? randomUUID(),
        delay: job.delayMs,
      });
    },

    work(name, handler, { concurrency, maxStalls = 5 }) {
      if (closed) throw new Error('queues are closed');
      const connection = logConnectionState(createRedis(redisUrl, 'worker'), logger, `queue worker ${name}`);
      const worker = new Worker(
        name,
        (job: Job) =>
          handler({ id: String(job.id), name: job.name, data: job.data, attemptsMade: job.attemptsMade }),
        {
          connection,
          prefix,
          concurrency,
          maxStalledCount: maxStalls,
          // Unset keys, not undefined ones: BullMQ would take an undefined for a value.
          ...(stalledIntervalMs !== undefined && { stalledInterval: stalledIntervalMs }),
          ...(lockDurationMs !== undefined && { lockDuration: lockDurationMs }),
          settings: { backoffStrategy: cappedBackoff },
        },
      );
      worker.on('failed', (job, err) =>
        logger.warn(
          { queue: name, jobId: job?.id, job: job?.name, attemptsMade: job?.attemptsMade, err: err.message },
          'job failed',
        ),
      );
      worker.on('error', (err) => {
        // Errors while Redis is away are its symptoms, logged once by logConnectionState.
        if (connection.status === 'ready') logger.error({ queue: name, err }, 'queue worker error');
      });
      // Not events.once: it gives up on the first error, and connection errors come before 'ready'.
      const started = new Promise<void>((resolve) => worker.once('ready', () => resolve()));
      let closing: Promise<void> | undefined;
      const handle: QueueWorker = {
        close() {
          closing ??= (async () => {
            // Closing a worker whose connections are still opening makes BullMQ emit an error after
            // its listeners are gone, which would crash the process: give it a moment to connect.
            await Promise.race([started, sleep(2000, undefined, { ref: false })]);
            await worker.close(); // waits for the running jobs
            closeRedis(connection);
            workers.delete(handle);
          })();
          return closing;
        },
      };
      workers.add(handle);
      return handle;
    },

    async repeat(name, key, everyMs, job) {
      // BullMQ runs an `every` schedule's first job at once; the contract is one period from now.
      // A start date only counts when the schedule is new or its period changes, so calling this
      // again (every process start) keeps the schedule's rhythm.
      const q = await queue(name);
      const template = { name: job.name, data: job.data, opts: jobOptions(job) };
      await q.upsertJobScheduler(key, { every: everyMs, startDate: Date.now() + everyMs }, template);
    },

    async unrepeat(name, key) {
      return (await queue(name)).removeJobScheduler(key);
    },

    async schedules(name) {
      return (await (await queue(name)).getJobSchedulers(0, -1)).map((s) => s.key);
    },

    async failed(name, limit = 100, offset = 0) {
      const jobs = await (await queue(name)).getFailed(offset, offset + limit - 1);
      return jobs
        .filter((job) => job !== undefined)
        .map((job) => ({
          id: String(job.id),
          name: job.name,
          data: job.data,
          attemptsMade: job.attemptsMade,
          error: job.failedReason,
          failedAt: new Date(job.finishedOn ?? job.timestamp),
        }));
    },

    async retry(name, id) {
      const job = await (await queue(name)).getJob(id);
      if (!job || (await job.getState()) !== 'failed') return false;
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      return true;
    },

    async counts(name) {
      const q = await queue(name);
      const c = await q.getJobCounts('wait', 'paused', 'prioritized', 'active', 'delayed', 'failed');
      return {
        waiting: (c.wait ?? 0) + (c.paused ?? 0) + (c.prioritized ?? 0),
        active: c.active ?? 0,
        delayed: c.delayed ?? 0,
        failed: c.failed ?? 0,
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...workers].map((w) => w.close()));
      await Promise.all([...queues.values()].map((q) => q.close()));
      closeRedis(command);
    },
  };
}
