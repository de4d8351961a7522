import { randomUUID } from 'node:crypto';
import { eventQueueName, type EventEnvelope, type EventPayloads, type Topic } from '@moim/events';
import { ProcessedEvent } from '../consumer';
import { EVENT_BACKOFF } from '../outbox';
import type { Queues } from '../queues/queues';
import type { RunningService } from '../service';
import { eventually } from './index';

/**
 * Feeds events straight into a service's event queue, as the outbox relay would, for tests of
 * its handlers under redelivery and reordering. `target` is read at each call (services start in
 * `beforeAll`).
 */
export function eventFeed(target: () => { queues: Queues; service: RunningService }) {
  const applied = (eventId: string) =>
    target().service.deps.db.dataSource.getRepository(ProcessedEvent).countBy({ eventId });
  return {
    /** An event as the relay delivers it: a fresh id, the given outbox sequence. */
    envelope: <T extends Topic>(topic: T, payload: EventPayloads[T], sequence = 1): EventEnvelope => ({
      id: randomUUID(),
      topic,
      payload,
      sequence,
      occurredAt: new Date().toISOString(),
    }),
    /** Enqueues the event; a second job id for one event is what a relay crash produces. */
    send: (event: EventEnvelope, jobId = event.id) => {
      const { queues, service } = target();
      return queues.add(eventQueueName(service.name), {
        name: event.topic,
        data: event,
        id: jobId,
        attempts: 3,
        backoff: EVENT_BACKOFF,
      });
    },
    /** How many times the event was applied (0 or 1). */
    applied,
    /** Waits until each event has been applied (or skipped as a duplicate) and the queue is idle. */
    settle: (...events: EventEnvelope[]) =>
      eventually(async () => {
        for (const e of events) if ((await applied(e.id)) !== 1) return false;
        const { queues, service } = target();
        const c = await queues.counts(eventQueueName(service.name));
        return c.waiting + c.active + c.delayed === 0;
      }),
  };
}
