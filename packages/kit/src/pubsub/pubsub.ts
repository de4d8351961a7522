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
  close(): Promise<void>;
}
