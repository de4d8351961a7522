import { setTimeout as sleep } from 'node:timers/promises';
import {
  EntitySchema,
  Table,
  TableColumn,
  TableIndex,
  type EntityManager,
  type MigrationInterface,
  type QueryRunner,
} from 'typeorm';
import {
  consumersOf,
  eventQueueName,
  type EventEnvelope,
  type EventPayloads,
  type Topic,
} from '@moim/events';
import { bigintAsString, markOutboxWrite, skipLocked, type Database } from './db';
import { newId } from './ids';
import { column } from './migration-columns';
import type { Logger } from './logger';
import { InvalidJobError, type Backoff, type NewJob, type Queues } from './queues/queues';

export interface OutboxRow {
  /**
   * Position in this service's outbox, assigned at insert. Consumers order changes to one thing
   * by it, not by clocks; that is the commit order as long as the producer serializes changes to
   * that thing on a row lock (social locks the follower's row for follows).
   */
  seq: string;
  id: string;
  topic: string;
  payload: string;
  createdAt: Date;
  publishedAt: Date | null;
  attempts: number;
  /** Set when the row can never be delivered (a malformed job): kept for inspection, skipped. */
  failedAt: Date | null;
  error: string | null;
}

export const OutboxEvent = new EntitySchema<OutboxRow>({
  name: 'OutboxEvent',
  tableName: 'outbox_events',
  columns: {
    seq: { type: 'bigint', primary: true, generated: 'increment', transformer: bigintAsString },
    id: { type: 'varchar', length: 36, unique: true },
    topic: { type: 'varchar', length: 100 },
    // JSON kept as text: portable to SQLite, and only the relay ever reads it.
    payload: { type: 'text' },
    createdAt: { name: 'created_at', type: 'datetime', precision: 3 },
    publishedAt: { name: 'published_at', type: 'datetime', precision: 3, nullable: true },
    attempts: { type: 'int', default: 0 },
    failedAt: { name: 'failed_at', type: 'datetime', precision: 3, nullable: true },
    error: { type: 'varchar', length: 500, nullable: true },
  },
});

export class CreateOutbox1764200000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'outbox_events',
        columns: [
          {
            name: 'seq',
            type: 'bigint',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          column.id('id', { unique: true }),
          column.text('topic', 100),
          { name: 'payload', type: 'text' },
          column.time('created_at'),
          column.time('published_at', { nullable: true }),
          { name: 'attempts', type: 'int', default: 0 },
        ],
      }),
    );
    await q.createIndex(
      'outbox_events',
      new TableIndex({ name: 'idx_outbox_pending', columnNames: ['published_at', 'seq'] }),
    );
  }
  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('outbox_events');
  }
}

/**
 * Outbox rows that can never be delivered are parked, not retried forever in front of the others;
 * and pruning applied event ids by age needs an index on their age.
 */
export class OutboxFailures1764500000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('outbox_events', [
      new TableColumn(column.time('failed_at', { nullable: true })),
      new TableColumn(column.text('error', 500, { nullable: true })),
    ]);
    await q.createIndex(
      'processed_events',
      new TableIndex({ name: 'idx_processed_events_age', columnNames: ['processed_at'] }),
    );
  }
  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('processed_events', 'idx_processed_events_age');
    await q.dropColumns('outbox_events', ['failed_at', 'error']);
  }
}

/**
 * Records an event in the caller's transaction: it is published if and only if the change
 * that caused it commits. Committing wakes the relay.
 */
export async function recordEvent<T extends Topic>(
  manager: EntityManager,
  topic: T,
  payload: EventPayloads[T],
): Promise<void> {
  await recordOutboxRow(manager, topic, payload);
}

/** The one insert into the outbox, for events and for jobs (see jobs.ts). */
export async function recordOutboxRow(
  manager: EntityManager,
  topic: string,
  payload: unknown,
): Promise<void> {
  await manager.insert(OutboxEvent, {
    id: newId(),
    topic,
    payload: JSON.stringify(payload),
    createdAt: new Date(),
    publishedAt: null,
    attempts: 0,
    failedAt: null,
    error: null,
  });
  markOutboxWrite(manager);
}

/** A send that hangs (Redis gone mid-pass) must not hold the claimed rows' locks forever. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  const timeout = sleep(ms, undefined, { ref: false }).then(() => {
    throw new Error(`the queue did not answer within ${ms} ms`);
  });
  return Promise.race([promise, timeout]);
}

/** Effectively unlimited: an event waits out any outage of its consumer (about 70 days at 1/min). */
export const EVENT_ATTEMPTS = 100_000;

/** Exponential from 1 s, capped at a minute. */
export const EVENT_BACKOFF: Backoff = { delayMs: 1000, maxDelayMs: 60_000 };

/** Where one outbox row goes: an event to each consuming service's queue, a job to its queue. */
function deliveries(row: OutboxRow): Array<{ queue: string; job: NewJob }> {
  const payload = JSON.parse(row.payload);
  if (row.topic.startsWith('job:')) {
    const [, queue, name] = row.topic.split(':') as [string, string, string];
    const { data, id, delayMs, attempts, backoff } = payload as {
      data: unknown;
      id?: string;
      delayMs?: number;
      attempts: number;
      backoff: Backoff;
    };
    return [{ queue, job: { name, data, id: id ?? row.id, delayMs, attempts, backoff } }];
  }
  const topic = row.topic as Topic;
  const envelope: EventEnvelope = {
    id: row.id,
    topic,
    payload,
    sequence: Number(row.seq),
    occurredAt: row.createdAt.toISOString(),
  };
  // The outbox id is the job id: a row sent twice (crash between send and mark) is one job.
  // Nothing is dropped: a failing handler retries every minute at most until it succeeds.
  return (consumersOf[topic] ?? []).map((service) => ({
    queue: eventQueueName(service),
    job: { name: topic, data: envelope, id: row.id, attempts: EVENT_ATTEMPTS, backoff: EVENT_BACKOFF },
  }));
}

/** Commits that record rows wake the relay; otherwise it passes every interval. */
export interface OutboxRelay {
  /** One pass; resolves to the number of rows published. */
  publishPending(): Promise<number>;
  /** Stops the loop after one last pass, so what the last requests recorded leaves now. */
  stop(): Promise<void>;
}

export interface RelayOptions {
  db: Database;
  queues: Queues;
  logger: Logger;
  intervalMs?: number;
  batchSize?: number;
  /** A send that takes longer counts as failed; the row stays pending. */
  sendTimeoutMs?: number;
}

/**
 * Moves committed outbox rows to their queues. While the queue backend is away (or hangs) the
 * rows stay pending and are retried every interval; consumers dedupe by event id anyway.
 * On MySQL rows are claimed with SKIP LOCKED, so any number of replicas can relay side by side.
 */
export function startOutboxRelay({
  db,
  queues,
  logger,
  intervalMs = 1000,
  batchSize = 100,
  sendTimeoutMs = 5000,
}: RelayOptions): OutboxRelay {
  /** Whether the last pass could not reach the queue. */
  let failing = false;

  async function publishPending(): Promise<number> {
    return db.transaction(
      async (manager) => {
        const rows = await skipLocked(
          manager
            .createQueryBuilder(OutboxEvent, 'e')
            .where('e.publishedAt IS NULL AND e.failedAt IS NULL')
            .orderBy('e.seq', 'ASC')
            .limit(batchSize),
        ).getMany();
        const published: string[] = [];
        let unreachable: unknown = null;
        for (const row of rows) {
          try {
            for (const { queue, job } of deliveries(row)) await within(queues.add(queue, job), sendTimeoutMs);
            published.push(row.id);
          } catch (err) {
            if (err instanceof InvalidJobError || err instanceof SyntaxError) {
              // No retry will deliver it: park it and let the rows behind it go.
              logger.error(
                { err, outboxId: row.id, topic: row.topic },
                'outbox row cannot be delivered; parked',
              );
              await manager.update(
                OutboxEvent,
                { id: row.id },
                { failedAt: new Date(), error: String(err).slice(0, 500) },
              );
              continue;
            }
            unreachable = err;
            await manager.increment(OutboxEvent, { id: row.id }, 'attempts', 1);
            break; // keep the order: later rows wait for this one
          }
        }
        if (published.length)
          await manager
            .createQueryBuilder()
            .update(OutboxEvent)
            .set({ publishedAt: new Date() })
            .where('id IN (:...ids)', { ids: published })
            .execute();
        if (unreachable && !failing)
          logger.warn(
            { reason: String(unreachable) },
            'outbox relay cannot reach the queue; events stay pending',
          );
        if (!unreachable && failing) logger.info('outbox relay reached the queue again');
        failing = unreachable !== null;
        return published.length;
      },
      { isolation: 'READ COMMITTED', background: true },
    );
  }

  let running = true;
  let wanted = false;
  let sleeping: AbortController | null = null;
  const wake = () => {
    wanted = true;
    // While the queue is failing, commits do not hurry the next try: it waits the interval.
    if (!failing) sleeping?.abort();
  };
  db.onOutboxCommit(wake);
  const loop = (async () => {
    while (running) {
      wanted = false;
      let sent = 0;
      try {
        sent = await publishPending();
      } catch (err) {
        logger.error({ err }, 'outbox relay pass failed');
      }
      if (!running) break;
      // More are waiting, or were committed during the pass.
      if (sent === batchSize || (wanted && !failing)) continue;
      sleeping = new AbortController();
      await sleep(intervalMs, undefined, { signal: sleeping.signal }).catch(() => {});
      sleeping = null;
    }
  })();

  return {
    publishPending,
    async stop() {
      running = false;
      sleeping?.abort();
      await loop;
      if (!failing)
        await publishPending().catch((err) => logger.warn({ err }, 'last outbox relay pass failed'));
    },
  };
}
