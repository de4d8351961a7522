import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'bullmq';
import {
  EntitySchema,
  Table,
  type DataSource,
  type EntityManager,
  type MigrationInterface,
  type QueryRunner,
} from 'typeorm';
import {
  eventQueueName,
  topicsConsumedBy,
  type EventEnvelope,
  type EventPayloads,
  type ServiceName,
  type Topic,
} from '@moim/events';
import { backgroundTransaction, isUniqueViolation } from './db';
import { cappedBackoff } from './outbox';
import { column } from './migration-columns';
import type { Logger } from './logger';
import { closeRedis, createRedis, logConnectionState } from './redis';

export interface ProcessedEventRow {
  eventId: string;
  processedAt: Date;
}

export const ProcessedEvent = new EntitySchema<ProcessedEventRow>({
  name: 'ProcessedEvent',
  tableName: 'processed_events',
  columns: {
    eventId: { name: 'event_id', type: 'varchar', length: 36, primary: true },
    processedAt: { name: 'processed_at', type: 'datetime', precision: 3 },
  },
});

export class CreateProcessedEvents1764200000001 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'processed_events',
        columns: [column.id('event_id', { primary: true }), column.time('processed_at')],
      }),
    );
  }
  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('processed_events');
  }
}

export type EventHandlers = {
  [T in Topic]?: (
    payload: EventPayloads[T],
    manager: EntityManager,
    event: EventEnvelope<T>,
  ) => Promise<void>;
};

export interface ConsumerOptions {
  service: ServiceName;
  dataSource: DataSource;
  redisUrl: string;
  redisPrefix: string;
  logger: Logger;
  handlers: EventHandlers;
}

/**
 * Runs a service's event handlers. Each event is applied at most once: its id is written to
 * processed_events in the same transaction as the handler's changes, so a redelivered event is
 * a no-op and a failed handler leaves no trace (BullMQ retries it with backoff).
 */
export function startEventConsumer({
  service,
  dataSource,
  redisUrl,
  redisPrefix,
  logger,
  handlers,
}: ConsumerOptions): {
  worker: Worker;
  close(): Promise<void>;
} {
  const missing = topicsConsumedBy(service).filter((t) => !handlers[t]);
  if (missing.length) throw new Error(`${service} consumes ${missing.join(', ')} but has no handler for it`);

  const connection = logConnectionState(createRedis(redisUrl, 'worker'), logger, `${service} event worker`);
  const worker = new Worker<EventEnvelope>(
    eventQueueName(service),
    async (job) => {
      const event = job.data;
      const handler = handlers[event.topic] as (
        p: unknown,
        m: EntityManager,
        e: EventEnvelope,
      ) => Promise<void>;
      // READ COMMITTED: handlers on several replicas then wait for each other's rows rather than
      // deadlocking on gap locks.
      const applied = await backgroundTransaction(dataSource, 'READ COMMITTED', async (manager) => {
        try {
          // The primary key decides: a concurrent or earlier delivery of the same event fails here.
          await manager.insert(ProcessedEvent, { eventId: event.id, processedAt: new Date() });
        } catch (err) {
          if (isUniqueViolation(err)) return false;
          throw err;
        }
        await handler(event.payload, manager, event);
        return true;
      });
      logger.debug(
        { eventId: event.id, topic: event.topic, applied },
        applied ? 'event applied' : 'duplicate event skipped',
      );
    },
    // One at a time keeps events of one queue in order, which follow/unfollow pairs rely on.
    {
      connection,
      prefix: redisPrefix,
      concurrency: 1,
      autorun: true,
      settings: { backoffStrategy: cappedBackoff },
      // A job whose worker died mid-run is retried a few times; one that keeps killing workers
      // moves to the failed set (kept, retryable) instead of blocking the queue forever.
      maxStalledCount: 5,
    },
  );
  worker.on('failed', (job, err) =>
    logger.error({ eventId: job?.data.id, topic: job?.data.topic, err }, 'event handler failed'),
  );
  worker.on('error', () => {}); // connection trouble is logged once by logConnectionState
  const ready = new Promise<void>((resolve) => worker.once('ready', () => resolve()));
  return {
    worker,
    async close() {
      // Closing a worker whose connections are still opening makes BullMQ emit an error after its
      // listeners are gone, which would crash the process: give it a moment to finish connecting.
      await Promise.race([ready, sleep(2000, undefined, { ref: false })]);
      await worker.close();
      closeRedis(connection);
    },
  };
}
