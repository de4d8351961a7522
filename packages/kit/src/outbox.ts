import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import {
  EntitySchema,
  Table,
  TableIndex,
  type DataSource,
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
import { backgroundTransaction } from './db';
import { newId } from './ids';
import { column } from './migration-columns';
import type { Logger } from './logger';
import { closeRedis, createRedis } from './redis';

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
}

export const OutboxEvent = new EntitySchema<OutboxRow>({
  name: 'OutboxEvent',
  tableName: 'outbox_events',
  columns: {
    seq: { type: 'bigint', primary: true, generated: 'increment' },
    id: { type: 'varchar', length: 36, unique: true },
    topic: { type: 'varchar', length: 100 },
    // JSON kept as text: portable to SQLite, and only the relay ever reads it.
    payload: { type: 'text' },
    createdAt: { name: 'created_at', type: 'datetime', precision: 3 },
    publishedAt: { name: 'published_at', type: 'datetime', precision: 3, nullable: true },
    attempts: { type: 'int', default: 0 },
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
 * Records an event in the caller's transaction: it is published if and only if the change
 * that caused it commits.
 */
export async function recordEvent<T extends Topic>(
  manager: EntityManager,
  topic: T,
  payload: EventPayloads[T],
): Promise<void> {
  await manager.insert(OutboxEvent, {
    id: newId(),
    topic,
    payload: JSON.stringify(payload),
    createdAt: new Date(),
    publishedAt: null,
    attempts: 0,
  });
}

/** A send that hangs (Redis gone mid-pass) must not hold the claimed rows' locks forever. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  const timeout = sleep(ms, undefined, { ref: false }).then(() => {
    throw new Error(`Redis did not answer within ${ms} ms`);
  });
  return Promise.race([promise, timeout]);
}

/** Effectively unlimited: an event waits out any outage of its consumer (about 70 days at 1/min). */
export const EVENT_ATTEMPTS = 100_000;

/** Exponential from 1 s, capped at a minute; registered on every event worker. */
export const cappedBackoff = (attemptsMade: number): number =>
  Math.min(1000 * 2 ** Math.max(attemptsMade - 1, 0), 60_000);

export interface OutboxRelay {
  /** Ask for a pass now (after a commit) instead of at the next interval. */
  wake(): void;
  /** One pass; resolves to the number of events published. */
  publishPending(): Promise<number>;
  stop(): Promise<void>;
}

export interface RelayOptions {
  dataSource: DataSource;
  redisUrl: string;
  redisPrefix: string;
  logger: Logger;
  intervalMs?: number;
  batchSize?: number;
}

/**
 * Moves committed outbox rows to the consumers' BullMQ queues. While Redis is away the rows
 * stay pending and are retried every interval; the outbox id is the job id, so a row sent twice
 * (crash between send and mark) is one job, and consumers dedupe by event id anyway.
 * Rows are claimed with SKIP LOCKED, so any number of replicas can relay side by side.
 */
export function startOutboxRelay({
  dataSource,
  redisUrl,
  redisPrefix,
  logger,
  intervalMs = 1000,
  batchSize = 100,
}: RelayOptions): OutboxRelay {
  const connection = createRedis(redisUrl, 'command');
  connection.on('error', () => {}); // reported once by reportDown, not on every reconnect attempt
  const queues = new Map<string, Queue>();
  const queue = (name: string) => {
    let q = queues.get(name);
    if (!q) {
      q = new Queue(name, { connection, prefix: redisPrefix });
      q.on('error', () => {}); // connection trouble is reported by reportDown
      queues.set(name, q);
    }
    return q;
  };
  let redisWasDown = false;

  function reportDown(reason: unknown) {
    if (!redisWasDown)
      logger.warn({ reason: String(reason) }, 'outbox relay cannot reach Redis; events stay pending');
    redisWasDown = true;
  }

  async function publishPending(): Promise<number> {
    // BullMQ waits for a connection that is not ready instead of failing, so do not start a pass
    // while Redis is away; ioredis keeps reconnecting in the background.
    if (connection.status !== 'ready') {
      if (connection.status !== 'connecting') reportDown(`redis connection is ${connection.status}`);
      return 0;
    }
    // READ COMMITTED: SKIP LOCKED then locks only the claimed rows, not the gap where new events
    // are inserted, so writers never wait for a relay pass.
    return backgroundTransaction(dataSource, 'READ COMMITTED', async (manager) => {
      const rows = await manager
        .createQueryBuilder(OutboxEvent, 'e')
        .where('e.publishedAt IS NULL')
        .orderBy('e.seq', 'ASC')
        .limit(batchSize)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getMany();
      const published: string[] = [];
      for (const row of rows) {
        const topic = row.topic as Topic;
        const envelope: EventEnvelope = {
          id: row.id,
          topic,
          payload: JSON.parse(row.payload),
          sequence: Number(row.seq),
          occurredAt: row.createdAt.toISOString(),
        };
        try {
          for (const service of consumersOf[topic] ?? []) {
            const job = queue(eventQueueName(service)).add(topic, envelope, {
              jobId: row.id,
              // Nothing is dropped: a failing handler retries every minute at most until it succeeds.
              attempts: EVENT_ATTEMPTS,
              backoff: { type: 'capped' },
              removeOnComplete: 1000,
              removeOnFail: false,
            });
            await within(job, 5000);
          }
          published.push(row.id);
        } catch (err) {
          reportDown(err);
          await manager.increment(OutboxEvent, { id: row.id }, 'attempts', 1);
          break;
        }
      }
      if (published.length) {
        await manager
          .createQueryBuilder()
          .update(OutboxEvent)
          .set({ publishedAt: new Date() })
          .where('id IN (:...ids)', { ids: published })
          .execute();
        if (redisWasDown) logger.info('outbox relay reached Redis again');
        redisWasDown = false;
      }
      return published.length;
    });
  }

  let running = true;
  let wakeUp: () => void = () => {};
  connection.on('ready', () => wakeUp());
  const loop = (async () => {
    while (running) {
      let sent = 0;
      try {
        sent = await publishPending();
      } catch (err) {
        logger.error({ err }, 'outbox relay pass failed');
      }
      if (sent === batchSize) continue; // more are waiting
      const ac = new AbortController();
      wakeUp = () => ac.abort();
      await sleep(intervalMs, undefined, { signal: ac.signal }).catch(() => {});
    }
  })();

  return {
    wake: () => wakeUp(),
    publishPending,
    async stop() {
      running = false;
      wakeUp();
      await loop;
      await Promise.all([...queues.values()].map((q) => q.close()));
      closeRedis(connection);
    },
  };
}
