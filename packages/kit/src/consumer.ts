import { EntitySchema, Table, type EntityManager, type MigrationInterface, type QueryRunner } from 'typeorm';
import {
  eventQueueName,
  topicsConsumedBy,
  type EventEnvelope,
  type EventPayloads,
  type ServiceName,
  type Topic,
} from '@moim/events';
import { isUniqueViolation, type Database } from './db';
import { column } from './migration-columns';
import type { Logger } from './logger';
import type { QueueWorker, Queues } from './queues/queues';

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

/** Fails at start when a topic routed to the service has no handler. */
export function checkHandlers(service: ServiceName, handlers: EventHandlers): void {
  const missing = topicsConsumedBy(service).filter((t) => !handlers[t]);
  if (missing.length) throw new Error(`${service} consumes ${missing.join(', ')} but has no handler for it`);
}

export interface ConsumerOptions {
  service: ServiceName;
  db: Database;
  queues: Queues;
  logger: Logger;
  handlers: EventHandlers;
}

/**
 * Runs a service's event handlers. Each event is applied at most once: its id is written to
 * processed_events in the same transaction as the handler's changes, so a redelivered event is
 * a no-op and a failed handler leaves no trace (the queue retries it with backoff).
 */
export function startEventConsumer({ service, db, queues, logger, handlers }: ConsumerOptions): QueueWorker {
  checkHandlers(service, handlers);
  return queues.work(
    eventQueueName(service),
    async (job) => {
      const event = job.data as EventEnvelope;
      const handler = handlers[event.topic] as (
        p: unknown,
        m: EntityManager,
        e: EventEnvelope,
      ) => Promise<void>;
      const applied = await db.transaction(
        async (manager) => {
          try {
            // The primary key decides: a concurrent or earlier delivery of the same event fails here.
            await manager.insert(ProcessedEvent, { eventId: event.id, processedAt: new Date() });
          } catch (err) {
            if (isUniqueViolation(err)) return false;
            throw err;
          }
          await handler(event.payload, manager, event);
          return true;
        },
        { isolation: 'READ COMMITTED', background: true },
      );
      // A failure is logged by the queue adapter (job id = event id, job name = topic).
      logger.debug(
        { eventId: event.id, topic: event.topic, applied },
        applied ? 'event applied' : 'duplicate event skipped',
      );
    },
    // One at a time per worker: a handler never races another event of its own service in this
    // process. Order is not guaranteed (a retried event is overtaken by later ones): handlers that
    // mirror state compare the event's outbox sequence. A job whose worker died mid-run is retried
    // a few times; one that keeps killing workers is parked in the failed set (kept, retryable).
    { concurrency: 1, maxStalls: 5 },
  );
}

/**
 * Writes what an event says about one row of a replica unless a newer event (a larger outbox
 * sequence, kept in the row's `version` column) already did: retries and reordering cannot undo a
 * later change. `key` names the row by column; `insert` is the row to create when there is none.
 * Twice at most: when a parallel consumer inserts the row first, our insert fails and the
 * conditional update, run again, applies this event if it is the newer one. Resolves to whether
 * this event was applied (false: the row holds a newer change).
 */
export async function applyIfNewer<T extends { version: string }>(
  manager: EntityManager,
  entity: EntitySchema<T>,
  key: Record<string, string>,
  change: Partial<T>,
  insert: Omit<T, 'version'>,
  sequence: number,
): Promise<boolean> {
  const version = String(sequence);
  const where = Object.keys(key)
    .map((column) => `${column} = :${column}`)
    .join(' AND ');
  for (let attempt = 0; attempt < 2; attempt++) {
    const updated = await manager
      .createQueryBuilder()
      .update(entity)
      .set({ ...change, version } as never)
      .where(`${where} AND version < :sequence`, { ...key, sequence })
      .execute();
    if (updated.affected) return true;
    try {
      await manager.insert(entity, { ...insert, version } as never);
      return true;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }
  return false;
}
