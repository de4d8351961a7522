import type { Logger } from '../logger';

/**
 * The pub/sub port: fire-and-forget messages on named channels, for live fan-out such as chat
 * (nothing here is durable: what must not be lost goes through the outbox). Redis pub/sub in
 * production, so every replica of a service hears every message; in process for the embedded
 * backend. The contract test (test/pubsub.contract.test.ts) runs against both.
 */
export interface PubSub {
  /** Delivers `message` (JSON-serialisable) to every current subscriber of `channel`, in order. */
  publish(channel: string, message: unknown): Promise<void>;
  /**
   * Calls `onMessage` with each message published on `channel` from now on (a copy: subscribers
   * never share an object). Resolves, once the subscription is active, to an unsubscribe function.
   */
  subscribe(channel: string, onMessage: (message: unknown) => void): Promise<() => Promise<void>>;
  /**
   * For each channel, whether anyone (any replica) is subscribed to it right now: presence for
   * free where subscriptions are per user (chat pushes only to members not listening).
   */
  listening(channels: string[]): Promise<boolean[]>;
  close(): Promise<void>;
}

// Shared by both adapters, so they refuse and isolate exactly alike.

export interface Subscriber {
  onMessage: (message: unknown) => void;
  active: boolean;
}

/** JSON text of a message; what Redis could not carry is refused here too. */
export function encode(message: unknown): string {
  const json = JSON.stringify(message); // throws on a BigInt or a cycle
  if (json === undefined) throw new TypeError('A pub/sub message must be JSON-serialisable');
  return json;
}

/** One failing subscriber must not cost the others their message, nor crash the process. */
export function deliver(subscriber: Subscriber, message: unknown, channel: string, logger: Logger): void {
  try {
    const result: unknown = subscriber.onMessage(message);
    if (result instanceof Promise) result.catch((err) => logFailure(err, channel, logger));
  } catch (err) {
    logFailure(err, channel, logger);
  }
}

const logFailure = (err: unknown, channel: string, logger: Logger) =>
  logger.error({ err, channel }, 'pub/sub subscriber failed');
