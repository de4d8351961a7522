import { createLogger, type Logger } from '../logger';
import { deliver, encode, type PubSub, type Subscriber } from './pubsub';

/**
 * The in-process pub/sub of the embedded backend, with the Redis adapter's semantics: delivery
 * is asynchronous (never inside `publish`'s call stack, as a network hop would make it), in
 * publish order, and every subscriber gets its own copy through a JSON round trip.
 */
export function createLocalPubSub(options: { logger?: Logger } = {}): PubSub {
  const logger = options.logger ?? createLogger('pubsub');
  const channels = new Map<string, Set<Subscriber>>();
  let closed = false;

  return {
    async publish(channel, message) {
      if (closed) throw new Error('pub/sub is closed');
      const json = encode(message);
      // Those subscribed now hear it, as Redis routes a message when it receives it; someone who
      // unsubscribes before delivery does not.
      const subscribers = [...(channels.get(channel) ?? [])];
      if (subscribers.length === 0) return;
      // setImmediate runs in scheduling order, so delivery keeps publish order; unlike a
      // microtask it lets I/O in between, so a subscriber that publishes cannot starve the process.
      setImmediate(() => {
        for (const subscriber of subscribers) {
          if (closed) return;
          if (subscriber.active) deliver(subscriber, JSON.parse(json), channel, logger);
        }
      });
    },

    async subscribe(channel, onMessage) {
      if (closed) throw new Error('pub/sub is closed');
      const subscriber: Subscriber = { onMessage, active: true };
      let subscribers = channels.get(channel);
      if (!subscribers) channels.set(channel, (subscribers = new Set()));
      subscribers.add(subscriber);
      return async () => {
        subscriber.active = false;
        subscribers.delete(subscriber);
        if (subscribers.size === 0 && channels.get(channel) === subscribers) channels.delete(channel);
      };
    },

    async listening(names) {
      return names.map((name) => (channels.get(name)?.size ?? 0) > 0);
    },

    async close() {
      closed = true;
      channels.clear();
    },
  };
}
