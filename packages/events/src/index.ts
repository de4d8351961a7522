import type { ServiceName } from './services';

export * from './services';

/**
 * The catalogue of events that cross service boundaries: the topic, its payload, and which
 * services consume it. The outbox relay routes by this table, and a consumer fails at start
 * when it lacks a handler for a topic routed to it, so the two sides cannot drift apart.
 */
export interface EventPayloads {
  'user.created': { userId: string };
  'follow.created': { followerId: string; followeeId: string };
  'follow.deleted': { followerId: string; followeeId: string };
}

export type Topic = keyof EventPayloads;

export const consumersOf: { readonly [T in Topic]: readonly ServiceName[] } = {
  // review checks that the author of an admin-written review exists.
  'user.created': ['review'],
  'follow.created': ['review'],
  'follow.deleted': ['review'],
};

/** What travels on a queue: the outbox row's id doubles as the idempotency key. */
export interface EventEnvelope<T extends Topic = Topic> {
  id: string;
  topic: T;
  payload: EventPayloads[T];
  /**
   * The event's place in its producer's outbox: of two events about the same thing, the larger
   * sequence is the later change, whatever the replicas' clocks said.
   */
  sequence: number;
  occurredAt: string;
}

export function topicsConsumedBy(service: ServiceName): Topic[] {
  return (Object.keys(consumersOf) as Topic[]).filter((topic) => consumersOf[topic].includes(service));
}

/** The BullMQ queue a service reads its events from. */
export function eventQueueName(service: ServiceName): string {
  return `${service}-events`;
}
