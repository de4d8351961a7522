import { setTimeout as sleep } from 'node:timers/promises';
import { IsNull } from 'typeorm';
import { eventQueueName } from '@moim/events';
import { OutboxEvent } from './outbox';
import type { Queues } from './queues/queues';
import type { RunningService } from './service';

/**
 * Resolves once every event the services recorded has been relayed and applied: no pending outbox
 * row, nothing waiting, running or retrying on their event queues, and nothing waiting or running
 * on their job queues (a job waiting for its backoff or delay, or a repeatable job's next run, does
 * not count). For seeding and tests, which wait for a quiet graph instead of sleeping and hoping.
 */
export async function waitUntilSettled(
  services: RunningService[],
  queues: Queues,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // Queues first, then outboxes: a row relayed between the two reads is seen in one of them. A
  // handler may record new events as it ends, so quiet must hold for two rounds in a row.
  let quietRounds = 0;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    const busy: string[] = [];
    for (const s of services) {
      const c = await queues.counts(eventQueueName(s.name));
      if (c.waiting + c.active + c.delayed) busy.push(`${s.name}-events: ${JSON.stringify(c)}`);
      for (const queue of s.jobQueues) {
        const j = await queues.counts(queue);
        if (j.waiting + j.active) busy.push(`${queue}: ${JSON.stringify(j)}`);
      }
    }
    for (const s of services) {
      const pending = await pendingOutbox(s);
      if (pending) busy.push(`${s.name}: ${pending} outbox rows pending`);
    }
    quietRounds = busy.length ? 0 : quietRounds + 1;
    if (quietRounds === 2) return;
    if (Date.now() > deadline) throw new Error(`Not settled after ${timeoutMs} ms: ${busy.join('; ')}`);
    await sleep(busy.length ? delay : 5);
  }
}

async function pendingOutbox(service: RunningService): Promise<number> {
  if (!service.hasDatabase) return 0;
  return service.deps.db.dataSource
    .getRepository(OutboxEvent)
    .countBy({ publishedAt: IsNull(), failedAt: IsNull() });
}
