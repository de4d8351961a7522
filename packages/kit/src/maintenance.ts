import { In, LessThan, type EntityTarget, type ObjectLiteral } from 'typeorm';
import { maintenanceQueueName, type ServiceName } from '@moim/events';
import { ProcessedEvent } from './consumer';
import type { Database } from './db';
import { defineJob, defineQueue, processor, repeatable, type JobProcessor, type RepeatableJob } from './jobs';
import { OutboxEvent } from './outbox';

export interface Retention {
  /** Published outbox rows are kept this long (to read what was sent), then deleted. */
  outboxDays: number;
  /**
   * Ids of applied events are kept this long. Redelivery of one event happens within seconds
   * (the relay resending after a crash), so a month is a wide margin.
   */
  processedEventsDays: number;
}

const BATCH = 1000;
const DAY_MS = 86_400_000;

/** Deletes rows matching `where`, a thousand at a time, so no statement holds locks for long. */
async function deleteInBatches<T extends ObjectLiteral>(
  db: Database,
  entity: EntityTarget<T>,
  key: keyof T & string,
  where: object,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const count = await db.transaction(
      async (manager) => {
        const rows = await manager.find(entity, { select: { [key]: true } as never, where, take: BATCH });
        if (!rows.length) return 0;
        await manager.delete(entity, { [key]: In(rows.map((r) => r[key])) } as never);
        return rows.length;
      },
      { background: true },
    );
    deleted += count;
    if (count < BATCH) return deleted;
  }
}

/** Deletes delivered outbox rows and applied-event ids older than the retention. */
export async function pruneDelivered(
  db: Database,
  retention: Retention,
  now = Date.now(),
): Promise<{ outbox: number; processedEvents: number }> {
  const outbox = await deleteInBatches(db, OutboxEvent, 'id', {
    publishedAt: LessThan(new Date(now - retention.outboxDays * DAY_MS)),
  });
  const processedEvents = await deleteInBatches(db, ProcessedEvent, 'eventId', {
    processedAt: LessThan(new Date(now - retention.processedEventsDays * DAY_MS)),
  });
  return { outbox, processedEvents };
}

/** Every service with a database runs this repeatable job on its own maintenance queue. */
export function maintenanceJobs(
  service: ServiceName,
  db: Database,
  retention: Retention,
  everyMs: number,
): { processors: JobProcessor[]; repeatables: RepeatableJob[] } {
  const prune = defineJob<Record<string, never>>(defineQueue(maintenanceQueueName(service)), 'prune', {
    attempts: 3,
    backoff: { delayMs: 10_000, maxDelayMs: 60_000 },
  });
  return {
    processors: [processor(prune, async () => void (await pruneDelivered(db, retention)))],
    repeatables: [repeatable(prune, everyMs, {})],
  };
}
