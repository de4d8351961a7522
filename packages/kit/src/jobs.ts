import type { EntityManager } from 'typeorm';
import { recordOutboxRow } from './outbox';
import { checkJobId, type Backoff, type QueueWorker, type Queues, type RunningJob } from './queues/queues';

/**
 * The typed job registry. A queue is a unit of concurrency (`image-resize` runs four at once); a
 * job type names its queue, its payload type and its retry policy, declared once beside the
 * code that owns it. Services list processors and repeatable jobs in their definition; the kit
 * checks at start that every job type has exactly one processor and runs them.
 */
export interface QueueDefinition {
  name: string;
  /** Jobs of this queue running at once in one worker process. */
  concurrency: number;
  /** Worker crashes a job may cause before it is parked in the failed set. */
  maxStalls: number;
}

export interface JobType<P> {
  queue: QueueDefinition;
  name: string;
  attempts: number;
  backoff: Backoff;
  /** Only carries the payload type. */
  readonly payload?: P;
}

export function defineQueue(
  name: string,
  options: { concurrency?: number; maxStalls?: number } = {},
): QueueDefinition {
  // The outbox writes a job as `job:<queue>:<name>`; BullMQ keys use ':' as a separator too.
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`Queue name ${name}: lowercase letters, digits and - only`);
  return { name, concurrency: options.concurrency ?? 1, maxStalls: options.maxStalls ?? 5 };
}

export function defineJob<P>(
  queue: QueueDefinition,
  name: string,
  options: { attempts?: number; backoff?: Backoff } = {},
): JobType<P> {
  return {
    queue,
    name,
    attempts: options.attempts ?? 5,
    backoff: options.backoff ?? { delayMs: 1000, maxDelayMs: 60_000 },
  };
}

export interface JobProcessor {
  type: JobType<unknown>;
  run(payload: unknown, job: RunningJob): Promise<void>;
}

export function processor<P>(
  type: JobType<P>,
  run: (payload: P, job: RunningJob) => Promise<void>,
): JobProcessor {
  return { type: type as JobType<unknown>, run: run as JobProcessor['run'] };
}

export interface RepeatableJob {
  type: JobType<unknown>;
  everyMs: number;
  payload: unknown;
  /** Names the schedule: one job type may repeat with several payloads (one import per term). */
  key: string;
}

export function repeatable<P>(type: JobType<P>, everyMs: number, payload: P, key = type.name): RepeatableJob {
  return { type: type as JobType<unknown>, everyMs, payload, key };
}

/**
 * Enqueues a job through the outbox, in the caller's transaction: it runs if and only if the
 * change that asked for it commits, and a crash between commit and enqueue delays it, never
 * loses it. `id` deduplicates (a second job with the same id is dropped while the first exists).
 */
export async function recordJob<P>(
  manager: EntityManager,
  type: JobType<P>,
  payload: P,
  options: { id?: string; delayMs?: number } = {},
): Promise<void> {
  // Refused here, in the caller's transaction, rather than by the relay after the commit.
  if (options.id !== undefined) checkJobId(options.id);
  await recordOutboxRow(manager, jobTopic(type), {
    data: payload,
    id: options.id,
    delayMs: options.delayMs,
    attempts: type.attempts,
    backoff: type.backoff,
  });
}

/** How a job travels in the outbox: `job:<queue>:<name>`. */
export const jobTopic = (type: JobType<unknown>): string => `job:${type.queue.name}:${type.name}`;

const key = (type: JobType<unknown>) => `${type.queue.name}/${type.name}`;

/** Fails at start when a job type has two processors or a repeatable job has none. */
export function checkJobs(service: string, processors: JobProcessor[], repeatables: RepeatableJob[]): void {
  const seen = new Set<string>();
  for (const p of processors) {
    if (seen.has(key(p.type))) throw new Error(`${service} has two processors for the job ${key(p.type)}`);
    seen.add(key(p.type));
  }
  const schedules = new Set<string>();
  for (const r of repeatables) {
    if (!seen.has(key(r.type)))
      throw new Error(`${service} repeats the job ${key(r.type)} but has no processor for it`);
    if (schedules.has(`${r.type.queue.name}/${r.key}`))
      throw new Error(`${service} has two schedules named ${r.key} on ${r.type.queue.name}`);
    schedules.add(`${r.type.queue.name}/${r.key}`);
  }
}

/** One worker per queue, running each job with its type's processor. */
export function startJobWorkers(queues: Queues, processors: JobProcessor[]): QueueWorker[] {
  const byQueue = new Map<string, { queue: QueueDefinition; run: Map<string, JobProcessor> }>();
  for (const p of processors) {
    const entry = byQueue.get(p.type.queue.name) ?? { queue: p.type.queue, run: new Map() };
    entry.run.set(p.type.name, p);
    byQueue.set(p.type.queue.name, entry);
  }
  return [...byQueue.values()].map(({ queue, run }) =>
    queues.work(
      queue.name,
      // A failure is logged by the queue adapter, with the job's id and attempt.
      async (job) => {
        const p = run.get(job.name);
        if (!p) throw new Error(`No processor for the job ${queue.name}/${job.name}`);
        await p.run(job.data, job);
      },
      { concurrency: queue.concurrency, maxStalls: queue.maxStalls },
    ),
  );
}

/**
 * Creates or updates the schedules, then removes the other schedules of the `owned` queues: a
 * schedule taken out of the configuration (a term no longer imported) stops with the next start.
 */
export async function scheduleRepeatables(
  queues: Queues,
  repeatables: RepeatableJob[],
  owned: readonly string[] = [],
): Promise<void> {
  for (const queue of owned) {
    const wanted = new Set(repeatables.filter((r) => r.type.queue.name === queue).map((r) => r.key));
    for (const key of await queues.schedules(queue)) if (!wanted.has(key)) await queues.unrepeat(queue, key);
  }
  for (const r of repeatables)
    await queues.repeat(r.type.queue.name, r.key, r.everyMs, {
      name: r.type.name,
      data: r.payload,
      attempts: r.type.attempts,
      backoff: r.type.backoff,
    });
}
