import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Sqlite from 'better-sqlite3';
import type { Logger } from '../logger';
import {
  backoffDelay,
  checkJobId,
  type NewJob,
  type Queues,
  type QueueWorker,
  type RunningJob,
} from './queues';

export interface LocalQueuesOptions {
  /** The SQLite file that holds the jobs (created if missing). One process owns it at a time. */
  file: string;
  logger: Logger;
  /** Idle workers look for due jobs at least this often (they are woken earlier by changes). */
  pollIntervalMs?: number;
}

type SqliteDatabase = Sqlite.Database;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    data TEXT,
    state TEXT NOT NULL CHECK (state IN ('waiting', 'active', 'failed')),
    attempts_made INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    backoff_ms INTEGER NOT NULL,
    backoff_max_ms INTEGER NOT NULL,
    run_at INTEGER NOT NULL,
    stalls INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    failed_at INTEGER,
    created_at INTEGER NOT NULL,
    schedule_key TEXT,
    UNIQUE (queue, id)
  );
  CREATE INDEX IF NOT EXISTS jobs_due ON jobs (queue, state, run_at, seq);
  CREATE TABLE IF NOT EXISTS schedules (
    queue TEXT NOT NULL,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    data TEXT,
    attempts INTEGER NOT NULL,
    backoff_ms INTEGER NOT NULL,
    backoff_max_ms INTEGER NOT NULL,
    every_ms INTEGER NOT NULL,
    next_run_at INTEGER NOT NULL,
    PRIMARY KEY (queue, key)
  );
`;

interface JobRow {
  seq: number;
  queue: string;
  id: string;
  name: string;
  data: string | null;
  attempts_made: number;
  max_attempts: number;
  backoff_ms: number;
  backoff_max_ms: number;
  stalls: number;
  error: string | null;
  failed_at: number | null;
  schedule_key: string | null;
}

interface ScheduleRow {
  queue: string;
  key: string;
  name: string;
  data: string | null;
  attempts: number;
  backoff_ms: number;
  backoff_max_ms: number;
  every_ms: number;
  next_run_at: number;
}

// NULL stands for undefined, which JSON cannot hold, so a handler gets back exactly what was added.
const toJson = (data: unknown): string | null => (data === undefined ? null : JSON.stringify(data));
const fromJson = (text: string | null): unknown => (text === null ? undefined : JSON.parse(text));
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
/** The job a schedule adds for its run at `runAt` (the same shape as BullMQ's). */
const iterationId = (key: string, runAt: number) => `repeat:${key}:${runAt}`;

/**
 * Opens the file for this process alone (exclusive locking): jobs found active on opening were
 * then surely abandoned by a process that died, and a second process fails here instead of
 * taking jobs that another is running.
 */
function openFile(file: string): SqliteDatabase {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Sqlite(file, { timeout: 1000 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    // FULL: an added job is on disk before the outbox row that carried it is marked sent, so not
    // even a power loss drops it (the services' own files may lose their last commits then, which
    // at worst sends an event twice).
    db.pragma('synchronous = FULL');
    db.exec(SCHEMA);
    db.exec('BEGIN IMMEDIATE; COMMIT'); // takes the write lock now, and keeps it
    return db;
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY')
      throw new Error(`queue file ${file} is in use by another process`, { cause: err });
    throw err;
  }
}

/**
 * The job queue port in this process, for the embedded backend: jobs live in a SQLite file, so
 * they survive a restart and a crash. See queues.ts for the contract. better-sqlite3 is
 * synchronous, so every claim and state change is atomic within the process without locks.
 */
export function createLocalQueues({ file, logger, pollIntervalMs = 1000 }: LocalQueuesOptions): Queues {
  const db = openFile(file);
  const sql = {
    insert: db.prepare(
      `INSERT OR IGNORE INTO jobs (queue, id, name, data, state, max_attempts, backoff_ms, backoff_max_ms,
         run_at, created_at, schedule_key)
       VALUES (@queue, @id, @name, @data, 'waiting', @attempts, @backoffMs, @backoffMaxMs, @runAt, @now, @scheduleKey)`,
    ),
    due: db.prepare<Record<string, unknown>, JobRow>(
      `SELECT * FROM jobs WHERE queue = @queue AND state = 'waiting' AND run_at <= @now
       ORDER BY run_at, seq LIMIT 1`,
    ),
    nextRunAt: db.prepare<Record<string, unknown>, { at: number | null }>(
      `SELECT MIN(run_at) AS at FROM jobs WHERE queue = @queue AND state = 'waiting'`,
    ),
    activate: db.prepare(`UPDATE jobs SET state = 'active' WHERE seq = @seq`),
    complete: db.prepare(`DELETE FROM jobs WHERE seq = @seq`),
    backOff: db.prepare(
      `UPDATE jobs SET state = 'waiting', attempts_made = @attemptsMade, error = @error, run_at = @runAt
       WHERE seq = @seq`,
    ),
    fail: db.prepare(
      `UPDATE jobs SET state = 'failed', attempts_made = @attemptsMade, error = @error, failed_at = @now
       WHERE seq = @seq`,
    ),
    retry: db.prepare(
      `UPDATE jobs SET state = 'waiting', attempts_made = 0, stalls = 0, error = NULL, failed_at = NULL,
         run_at = @now
       WHERE queue = @queue AND id = @id AND state = 'failed'`,
    ),
    failed: db.prepare<Record<string, unknown>, JobRow>(
      `SELECT * FROM jobs WHERE queue = @queue AND state = 'failed' ORDER BY failed_at DESC, seq DESC
       LIMIT @limit OFFSET @offset`,
    ),
    counts: db.prepare<
      Record<string, unknown>,
      { waiting: number; active: number; delayed: number; failed: number }
    >(
      `SELECT COUNT(*) FILTER (WHERE state = 'waiting' AND run_at <= @now) AS waiting,
              COUNT(*) FILTER (WHERE state = 'active') AS active,
              COUNT(*) FILTER (WHERE state = 'waiting' AND run_at > @now) AS delayed,
              COUNT(*) FILTER (WHERE state = 'failed') AS failed
       FROM jobs WHERE queue = @queue`,
    ),
    recoverStalled: db.prepare(
      `UPDATE jobs SET state = 'waiting', stalls = stalls + 1 WHERE state = 'active'`,
    ),
    schedule: db.prepare<Record<string, unknown>, ScheduleRow>(
      `SELECT * FROM schedules WHERE queue = @queue AND key = @key`,
    ),
    upsertSchedule: db.prepare(
      `INSERT OR REPLACE INTO schedules (queue, key, name, data, attempts, backoff_ms, backoff_max_ms, every_ms,
         next_run_at)
       VALUES (@queue, @key, @name, @data, @attempts, @backoff_ms, @backoff_max_ms, @every_ms, @next_run_at)`,
    ),
    advanceSchedule: db.prepare(
      `UPDATE schedules SET next_run_at = @nextRunAt WHERE queue = @queue AND key = @key`,
    ),
    deleteSchedule: db.prepare(`DELETE FROM schedules WHERE queue = @queue AND key = @key`),
    scheduleKeys: db.prepare<Record<string, unknown>, { key: string }>(
      `SELECT key FROM schedules WHERE queue = @queue ORDER BY key`,
    ),
    deleteWaiting: db.prepare(`DELETE FROM jobs WHERE queue = @queue AND id = @id AND state = 'waiting'`),
  };

  const stalled = sql.recoverStalled.run().changes;
  if (stalled) logger.warn({ file, jobs: stalled }, 'jobs left running by a stopped process will run again');

  type JobFields = Omit<NewJob, 'id' | 'delayMs'>;
  const insertJob = (queue: string, id: string, job: JobFields, runAt: number, scheduleKey: string | null) =>
    sql.insert.run({
      queue,
      id,
      name: job.name,
      data: toJson(job.data),
      attempts: Math.max(job.attempts, 1),
      backoffMs: job.backoff.delayMs,
      backoffMaxMs: job.backoff.maxDelayMs,
      runAt,
      now: Date.now(),
      scheduleKey,
    }).changes;

  const insertIteration = (s: ScheduleRow) =>
    insertJob(
      s.queue,
      iterationId(s.key, s.next_run_at),
      {
        name: s.name,
        data: fromJson(s.data),
        attempts: s.attempts,
        backoff: { delayMs: s.backoff_ms, maxDelayMs: s.backoff_max_ms },
      },
      s.next_run_at,
      s.key,
    );

  /**
   * A schedule always has its next run waiting as a job (so counts show it, as BullMQ's do), and
   * adds the one after when that one is claimed: at the first slot still ahead, so a process that
   * was stopped for a while runs a schedule once, not once per missed slot.
   */
  function advance(job: JobRow, now: number): void {
    const s = job.schedule_key ? sql.schedule.get({ queue: job.queue, key: job.schedule_key }) : undefined;
    if (!s || job.id !== iterationId(s.key, s.next_run_at)) return; // an older run, or a removed schedule
    const missed = Math.floor(Math.max(now - s.next_run_at, 0) / s.every_ms);
    const next = { ...s, next_run_at: s.next_run_at + (missed + 1) * s.every_ms };
    sql.advanceSchedule.run({ queue: s.queue, key: s.key, nextRunAt: next.next_run_at });
    insertIteration(next);
  }

  /** The oldest due job of the queue, now active; undefined when none is due. */
  const claim = db.transaction((queue: string, maxStalls: number): JobRow | undefined => {
    const now = Date.now();
    for (;;) {
      const job = sql.due.get({ queue, now });
      if (!job) return undefined;
      advance(job, now);
      if (job.stalls <= maxStalls) {
        sql.activate.run({ seq: job.seq });
        return job;
      }
      // It killed its worker every time: keep it for inspection rather than kill the next one.
      // The abandoned run counts as an attempt, as with BullMQ.
      const error = `stalled more than ${maxStalls} times`;
      sql.fail.run({ seq: job.seq, attemptsMade: job.attempts_made + 1, error, now });
      logger.error({ queue, jobId: job.id, job: job.name, error }, 'job failed');
    }
  });

  function settle(job: JobRow, err: unknown, ok: boolean): void {
    if (ok) {
      sql.complete.run({ seq: job.seq });
      return;
    }
    const attemptsMade = job.attempts_made + 1;
    const error = message(err);
    const now = Date.now();
    if (attemptsMade >= job.max_attempts) {
      sql.fail.run({ seq: job.seq, attemptsMade, error, now });
    } else {
      const backoff = { delayMs: job.backoff_ms, maxDelayMs: job.backoff_max_ms };
      sql.backOff.run({
        seq: job.seq,
        attemptsMade,
        error,
        runAt: now + backoffDelay(backoff, attemptsMade),
      });
    }
    logger.warn({ queue: job.queue, jobId: job.id, job: job.name, attemptsMade, err: error }, 'job failed');
  }

  // Workers of a queue, woken when a job becomes due sooner than they expect.
  const wakers = new Map<string, Set<() => void>>();
  const wake = (queue: string) => wakers.get(queue)?.forEach((w) => w());
  const workers = new Set<QueueWorker>();
  let closed = false;
  const open = () => {
    if (closed) throw new Error('queues are closed');
  };

  return {
    async add(queue, job) {
      open();
      const id = job.id ?? randomUUID();
      checkJobId(id);
      if (insertJob(queue, id, job, Date.now() + (job.delayMs ?? 0), null)) wake(queue);
    },

    work(queue, handler, { concurrency, maxStalls = 5 }) {
      open();
      const running = new Set<Promise<void>>();
      let closing: Promise<void> | undefined;
      let timer: NodeJS.Timeout | undefined;
      let woken = false;

      async function run(job: JobRow): Promise<void> {
        const seen: RunningJob = {
          id: job.id,
          name: job.name,
          data: fromJson(job.data),
          attemptsMade: job.attempts_made,
        };
        let ok = true;
        let error: unknown;
        try {
          await handler(seen);
        } catch (err) {
          ok = false;
          error = err;
        }
        try {
          settle(job, error, ok);
        } catch (err) {
          // The job stays active in the file and runs again after the next start.
          logger.error({ queue, jobId: job.id, err }, 'could not record the end of a job');
        }
      }

      function pump(): void {
        if (closing) return;
        clearTimeout(timer);
        let wait = pollIntervalMs;
        try {
          while (running.size < concurrency) {
            const job = claim(queue, maxStalls);
            if (!job) break;
            const done: Promise<void> = run(job).finally(() => {
              running.delete(done);
              pump();
            });
            running.add(done);
          }
          // Sleep until the next delayed job is due; the poll bounds the wait should a wake be missed.
          const at = sql.nextRunAt.get({ queue })?.at;
          if (at != null) wait = Math.min(Math.max(at - Date.now(), 0), pollIntervalMs);
        } catch (err) {
          logger.error({ queue, err }, 'could not claim jobs; trying again');
        }
        if (running.size < concurrency) timer = setTimeout(pump, wait).unref();
      }

      // Deferred, so that a job added inside a handler or a caller's loop starts after it yields.
      const waker = () => {
        if (woken) return;
        woken = true;
        setImmediate(() => {
          woken = false;
          pump();
        });
      };
      if (!wakers.has(queue)) wakers.set(queue, new Set());
      wakers.get(queue)!.add(waker);

      const handle: QueueWorker = {
        close() {
          closing ??= (async () => {
            clearTimeout(timer);
            wakers.get(queue)?.delete(waker);
            await Promise.all(running);
            workers.delete(handle);
          })();
          return closing;
        },
      };
      workers.add(handle);
      waker();
      return handle;
    },

    async repeat(queue, key, everyMs, job) {
      open();
      db.transaction(() => {
        const existing = sql.schedule.get({ queue, key });
        // The same period keeps the schedule's rhythm, so calling this at every start changes nothing.
        const nextRunAt = existing?.every_ms === everyMs ? existing.next_run_at : Date.now() + everyMs;
        // The waiting next run is replaced: it takes the new template, or the new period's time.
        if (existing) sql.deleteWaiting.run({ queue, id: iterationId(key, existing.next_run_at) });
        const schedule: ScheduleRow = {
          queue,
          key,
          name: job.name,
          data: toJson(job.data),
          attempts: job.attempts,
          backoff_ms: job.backoff.delayMs,
          backoff_max_ms: job.backoff.maxDelayMs,
          every_ms: everyMs,
          next_run_at: nextRunAt,
        };
        sql.upsertSchedule.run(schedule);
        insertIteration(schedule);
      })();
      wake(queue);
    },

    async unrepeat(queue, key) {
      open();
      return db.transaction(() => {
        const s = sql.schedule.get({ queue, key });
        if (!s) return false;
        sql.deleteWaiting.run({ queue, id: iterationId(key, s.next_run_at) });
        sql.deleteSchedule.run({ queue, key });
        return true;
      })();
    },

    async schedules(queue) {
      open();
      return sql.scheduleKeys.all({ queue }).map((s) => s.key);
    },

    async failed(queue, limit = 100, offset = 0) {
      open();
      return sql.failed.all({ queue, limit, offset }).map((job) => ({
        id: job.id,
        name: job.name,
        data: fromJson(job.data),
        attemptsMade: job.attempts_made,
        error: job.error ?? '',
        failedAt: new Date(job.failed_at ?? 0),
      }));
    },

    async retry(queue, id) {
      open();
      const retried = sql.retry.run({ queue, id, now: Date.now() }).changes > 0;
      if (retried) wake(queue);
      return retried;
    },

    async counts(queue) {
      open();
      return sql.counts.get({ queue, now: Date.now() })!; // an aggregate: always one row
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...workers].map((w) => w.close()));
      db.close();
    },
  };
}
