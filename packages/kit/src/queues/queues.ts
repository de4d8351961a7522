/**
 * The job queue port: named queues of JSON jobs with retries, delays, repeatable jobs and a
 * failed set. Two adapters keep the same contract (test/queues.contract.test.ts runs against
 * both): BullMQ on Redis for production, and an in-process one whose jobs live in a local
 * SQLite file for the embedded backend. Services never use this directly: they declare job types
 * and processors (jobs.ts) and enqueue through the outbox.
 */

/** Exponential backoff from `delayMs`, doubling per failed attempt, capped at `maxDelayMs`. */
export interface Backoff {
  delayMs: number;
  maxDelayMs: number;
}

export interface NewJob {
  /** The job type within its queue (e.g. "resize", or an event topic on an events queue). */
  name: string;
  /** JSON-serialisable payload. */
  data: unknown;
  /**
   * Deduplication key: while a job with this id is waiting, delayed, running or failed, adding
   * another with the same id does nothing. Defaults to a random id.
   */
  id?: string;
  /** Run no earlier than this many milliseconds from now. */
  delayMs?: number;
  /** Total runs allowed, the first included; after the last failure the job is in the failed set. */
  attempts: number;
  backoff: Backoff;
}

/** A job as its handler sees it. */
export interface RunningJob {
  id: string;
  name: string;
  data: unknown;
  /** Runs before this one (0 on the first run). */
  attemptsMade: number;
}

export interface FailedJob {
  id: string;
  name: string;
  data: unknown;
  attemptsMade: number;
  /** The last error's message. */
  error: string;
  failedAt: Date;
}

export interface JobCounts {
  /** Ready to run now. */
  waiting: number;
  active: number;
  /** Waiting for their delay or backoff to pass. */
  delayed: number;
  failed: number;
}

export interface WorkOptions {
  /** Jobs of this queue run at once in this worker. */
  concurrency: number;
  /**
   * Times a job may be found abandoned by a dead worker and run again before it is moved to the
   * failed set instead (so one job that crashes its worker cannot block a queue forever).
   */
  maxStalls?: number;
}

export interface QueueWorker {
  /** Stops taking jobs and resolves once the running ones have finished (graceful drain). */
  close(): Promise<void>;
}

export interface Queues {
  /**
   * Adds a job. Rejects when the backend cannot take it (Redis away): callers that must not lose
   * the job keep it (the outbox does) and try again.
   */
  add(queue: string, job: NewJob): Promise<void>;
  /**
   * Runs `handler` for the queue's jobs. A handler that throws fails that run: the job is retried
   * after its backoff while attempts remain, then kept in the failed set.
   */
  work(queue: string, handler: (job: RunningJob) => Promise<void>, options: WorkOptions): QueueWorker;
  /**
   * Creates or replaces the repeatable job `key`: a job built from `job` is added every
   * `everyMs`, the first one `everyMs` from now. One schedule per key, however often this is called.
   */
  repeat(queue: string, key: string, everyMs: number, job: Omit<NewJob, 'id' | 'delayMs'>): Promise<void>;
  /** Removes the repeatable job `key`; resolves to whether it existed. */
  unrepeat(queue: string, key: string): Promise<boolean>;
  /** The keys of the queue's repeatable jobs. */
  schedules(queue: string): Promise<string[]>;
  /** The failed set, most recently failed first; `offset` skips that many (the next page). */
  failed(queue: string, limit?: number, offset?: number): Promise<FailedJob[]>;
  /** Moves a failed job back to waiting with its attempts reset; false when no such failed job. */
  retry(queue: string, id: string): Promise<boolean>;
  counts(queue: string): Promise<JobCounts>;
  /** Closes connections (or the store); call after every worker has been closed. */
  close(): Promise<void>;
}

/** The delay before run number `attemptsMade + 1`, after `attemptsMade` failed runs. */
export function backoffDelay(backoff: Backoff, attemptsMade: number): number {
  return Math.min(backoff.delayMs * 2 ** Math.max(attemptsMade - 1, 0), backoff.maxDelayMs);
}

/** A job no backend can take (a bad id or queue name): failing again will not help. */
export class InvalidJobError extends Error {
  override name = 'InvalidJobError';
}

/** BullMQ refuses these ids; so does the local adapter, so that both accept the same jobs. */
export function checkJobId(id: string): void {
  if (`${parseInt(id, 10)}` === id)
    throw new InvalidJobError(`job id ${id} is an integer, which BullMQ keeps for its own ids`);
  if (id.includes(':')) throw new InvalidJobError(`job id ${id} contains ':', which BullMQ refuses`);
}
