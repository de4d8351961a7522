import type { Logger } from '../logger';
import { closeRedis, createRedis, logConnectionState, type Redis } from '../redis';
import { deliver, encode, type PubSub, type Subscriber } from './pubsub';

export interface RedisPubSubOptions {
  redisUrl: string;
  /** Namespaces channels, so deployments sharing a Redis never hear each other. */
  prefix: string;
  logger: Logger;
}

/** Local subscribers of one Redis channel share its one SUBSCRIBE. */
interface Channel {
  /** As the application names it, for logs. */
  name: string;
  subscribers: Set<Subscriber>;
  /** Settles when Redis has confirmed the SUBSCRIBE. */
  subscribed: Promise<unknown>;
}

/**
 * Redis pub/sub, so every replica hears every message. Publishing uses a `command` connection:
 * a message published while Redis is away is refused at once (nothing here is durable). The
 * subscriber connection is a `worker` one: it waits for Redis and, once back, ioredis subscribes
 * it again to every channel it held, so subscriptions outlive an outage.
 */
export function createRedisPubSub({ redisUrl, prefix, logger }: RedisPubSubOptions): PubSub {
  const publisher = logConnectionState(createRedis(redisUrl, 'command'), logger, 'pub/sub publisher');
  // A `command` connection refuses commands until its first connection is ready: wait for that
  // first outcome, so a message published at start-up is not refused for a socket still opening.
  const started = new Promise<void>((resolve) => {
    for (const event of ['ready', 'error', 'end']) publisher.once(event, () => resolve());
  });
  let subscriber: Redis | null = null;
  const channels = new Map<string, Channel>();
  let closed = false;
  const fullName = (channel: string) => `${prefix}:${channel}`;

  const dispatch = (redisChannel: string, json: string) => {
    const channel = channels.get(redisChannel);
    if (!channel || closed) return;
    const { name } = channel;
    let message: unknown;
    try {
      message = JSON.parse(json);
    } catch {
      return logger.warn({ channel: name }, 'pub/sub: ignored a message that is not JSON');
    }
    // A snapshot: a subscriber that joins during delivery waits for the next message. The first
    // subscriber takes the parse that checked the text; every other one gets its own copy.
    for (const [i, s] of [...channel.subscribers].entries()) {
      if (closed) return; // a subscriber may close the pub/sub while the rest of a batch is parsed
      if (s.active) deliver(s, i === 0 ? message : JSON.parse(json), name, logger);
    }
  };

  const connectSubscriber = (): Redis => {
    if (!subscriber) {
      subscriber = logConnectionState(createRedis(redisUrl, 'worker'), logger, 'pub/sub subscriber');
      subscriber.on('message', dispatch);
    }
    return subscriber;
  };

  return {
    async publish(channel, message) {
      if (closed) throw new Error('pub/sub is closed');
      const json = encode(message);
      await started;
      await publisher.publish(fullName(channel), json);
    },

    async subscribe(channel, onMessage) {
      if (closed) throw new Error('pub/sub is closed');
      const redis = connectSubscriber();
      const redisChannel = fullName(channel);
      let entry = channels.get(redisChannel);
      if (!entry) {
        entry = { name: channel, subscribers: new Set(), subscribed: redis.subscribe(redisChannel) };
        channels.set(redisChannel, entry);
      }
      const s: Subscriber = { onMessage, active: true };
      entry.subscribers.add(s);
      try {
        await entry.subscribed;
      } catch (err) {
        // No SUBSCRIBE to share: whoever subscribes next sends a new one.
        s.active = false;
        if (channels.get(redisChannel) === entry) channels.delete(redisChannel);
        throw err;
      }
      const current = entry;
      return async () => {
        if (!s.active) return;
        s.active = false;
        current.subscribers.delete(s);
        if (current.subscribers.size > 0 || channels.get(redisChannel) !== current) return;
        channels.delete(redisChannel);
        // Sent after any earlier SUBSCRIBE on this connection and before any later one, so a
        // subscribe that follows at once ends subscribed.
        if (closed) return;
        try {
          await redis.unsubscribe(redisChannel);
        } catch (err) {
          if (!closed) throw err; // a close() that overtook it has dropped every subscription anyway
        }
      };
    },

    async listening(names) {
      if (closed) throw new Error('pub/sub is closed');
      if (names.length === 0) return [];
      await started;
      // NUMSUB answers [channel, count, channel, count…] in the order asked.
      const counts = (await publisher.call('PUBSUB', 'NUMSUB', ...names.map(fullName))) as Array<
        string | number
      >;
      return names.map((_, i) => Number(counts[2 * i + 1]) > 0);
    },

    async close() {
      closed = true;
      channels.clear();
      closeRedis(publisher);
      if (subscriber) closeRedis(subscriber);
    },
  };
}
