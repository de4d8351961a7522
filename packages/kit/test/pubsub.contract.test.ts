import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { Logger } from '../src/logger';
import { createLocalPubSub } from '../src/pubsub/local';
import type { PubSub } from '../src/pubsub/pubsub';
import { createRedisPubSub } from '../src/pubsub/redis';
import { eventually, hostAndPort, newTestRedisPrefix, startTcpProxy, TEST_REDIS_URL } from '../src/testing';

// One contract, two adapters: what the embedded backend's pub/sub does, Redis's does too.

interface LogEntry {
  msg: string;
  channel?: string;
  err?: { message: string };
}

/** A logger whose entries a test can read, to check what was reported and how often. */
function recordingLogger(): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void entries.push(JSON.parse(line)) });
  return { logger, entries };
}

/** Records what a subscriber receives. */
function inbox() {
  const messages: unknown[] = [];
  return { messages, onMessage: (message: unknown) => void messages.push(message) };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

// Looks at Redis from outside the adapter: how many connections are subscribed to a channel.
let inspector: Redis;
beforeAll(() => {
  inspector = new Redis(TEST_REDIS_URL);
});
afterAll(() => inspector.disconnect());
const subscriptions = async (prefix: string, channel: string) =>
  Number(((await inspector.pubsub('NUMSUB', `${prefix}:${channel}`)) as [string, number])[1]);

interface Adapter {
  name: string;
  /** A pub/sub that no other test hears. */
  open(logger: Logger): {
    pubsub: PubSub;
    /** Resolves once nothing still in flight can reach `pubsub`, which the test has closed. */
    drained(channel: string): Promise<void>;
  };
}

const adapters: Adapter[] = [
  {
    name: 'Redis',
    open(logger) {
      const prefix = newTestRedisPrefix();
      return {
        pubsub: createRedisPubSub({ redisUrl: TEST_REDIS_URL, prefix, logger }),
        // Once Redis has dropped the subscriber connection, it sends nothing more.
        drained: (channel) =>
          eventually(async () => (await subscriptions(prefix, channel)) === 0).then(() => {}),
      };
    },
  },
  {
    name: 'in-process',
    open: (logger) => ({
      pubsub: createLocalPubSub({ logger }),
      // Deliveries are scheduled with setImmediate when published: one more turn runs after all of them.
      drained: () => new Promise<void>((resolve) => setImmediate(resolve)),
    }),
  },
];

describe.each(adapters)('$name pub/sub', (adapter) => {
  let pubsub: PubSub;
  let drained: (channel: string) => Promise<void>;
  let logs: LogEntry[];

  beforeEach(() => {
    const recording = recordingLogger();
    logs = recording.entries;
    ({ pubsub, drained } = adapter.open(recording.logger));
  });
  afterEach(() => pubsub.close());

  it('delivers every message to every subscriber in publish order', async () => {
    const [a, b, c] = [inbox(), inbox(), inbox()];
    await pubsub.subscribe('room', a.onMessage);
    await pubsub.subscribe('room', b.onMessage);
    await pubsub.subscribe('room', c.onMessage);
    // Published right after subscribing: a subscription is active once `subscribe` resolves.
    for (const n of range(100)) await pubsub.publish('room', { n });
    await eventually(() => [a, b, c].every((s) => s.messages.length === 100));
    for (const s of [a, b, c]) expect(s.messages).toEqual(range(100).map((n) => ({ n })));
  });

  it('takes a message published as soon as it is open, with no one listening', async () => {
    await expect(pubsub.publish('nobody', 'hello')).resolves.toBeUndefined();
  });

  it('delivers after publish has returned, never inside its call', async () => {
    const order: string[] = [];
    await pubsub.subscribe('room', (message) => void order.push(`delivered ${message}`));
    const published = pubsub.publish('room', 1);
    order.push('publish returned');
    await published;
    await eventually(() => order.length === 2);
    expect(order).toEqual(['publish returned', 'delivered 1']);
  });

  it('says which channels someone listens to, and stops saying it once they unsubscribed', async () => {
    expect(await pubsub.listening([])).toEqual([]);
    const unsubscribe = await pubsub.subscribe('user:1', () => {});
    await pubsub.subscribe('user:3', () => {});
    expect(await pubsub.listening(['user:1', 'user:2', 'user:3'])).toEqual([true, false, true]);
    await unsubscribe();
    await eventually(async () => (await pubsub.listening(['user:1']))[0] === false);
  });

  it('delivers a message only to the subscribers of its channel', async () => {
    const [a, b] = [inbox(), inbox()];
    await pubsub.subscribe('a', a.onMessage);
    await pubsub.subscribe('b', b.onMessage);
    await pubsub.publish('b', 'for b');
    await pubsub.publish('a', 'for a');
    // Delivery keeps publish order across channels too: "for b" would have reached `a` first.
    await eventually(() => a.messages.length === 1 && b.messages.length === 1);
    expect(a.messages).toEqual(['for a']);
    expect(b.messages).toEqual(['for b']);
  });

  it('stops delivering to a subscriber that unsubscribed, and only to it', async () => {
    const [a, b, c] = [inbox(), inbox(), inbox()];
    const unsubscribeA = await pubsub.subscribe('room', a.onMessage);
    const unsubscribeB = await pubsub.subscribe('room', b.onMessage);
    await pubsub.publish('room', 1);
    await eventually(() => a.messages.length === 1 && b.messages.length === 1);

    // `a` leaves while 2 is on its way: what has not reached it yet, never will.
    const inFlight = pubsub.publish('room', 2);
    await unsubscribeA();
    await unsubscribeA(); // twice is harmless: it must not take `b`'s place away
    await inFlight;
    await eventually(() => b.messages.length === 2);
    expect(a.messages).toEqual([1]); // `b` heard 2 in the same round that would have reached `a`
    expect(b.messages).toEqual([1, 2]);

    // The channel's last subscriber leaves, and a new one starts from nothing.
    await unsubscribeB();
    await pubsub.subscribe('room', c.onMessage);
    await pubsub.publish('room', 3);
    await eventually(() => c.messages.length === 1);
    expect(c.messages).toEqual([3]);
    expect(b.messages).toEqual([1, 2]);
  });

  it('gives every subscriber its own copy, taken when the message is published', async () => {
    const seen: unknown[] = [];
    await pubsub.subscribe('room', (message) => {
      const m = message as { n: number; tags: string[] };
      m.n = -1;
      m.tags.push('changed by the first subscriber');
    });
    await pubsub.subscribe('room', (message) => void seen.push(message));
    const sent = { n: 1, tags: ['x'], at: new Date('2026-01-02T03:04:05.000Z') };
    await pubsub.publish('room', sent);
    sent.tags.push('changed by the publisher');
    await eventually(() => seen.length === 1);
    // JSON all the way: a Date arrives as its ISO string, over Redis and in process alike.
    expect(seen).toEqual([{ n: 1, tags: ['x'], at: '2026-01-02T03:04:05.000Z' }]);
  });

  it('refuses a message that JSON cannot carry', async () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const message of [1n, cycle, undefined, () => {}])
      await expect(pubsub.publish('room', message)).rejects.toThrow(TypeError);
  });

  it('keeps delivering to the others when a subscriber fails, and logs each failure', async () => {
    const c = inbox();
    await pubsub.subscribe('room', () => {
      throw new Error('thrown by a subscriber');
    });
    await pubsub.subscribe('room', async () => {
      throw new Error('rejected by a subscriber');
    });
    await pubsub.subscribe('room', c.onMessage);
    for (const n of range(3)) await pubsub.publish('room', n);
    const failures = () => logs.filter((entry) => entry.msg === 'pub/sub subscriber failed');
    await eventually(() => c.messages.length === 3 && failures().length === 6);
    expect(c.messages).toEqual([0, 1, 2]);
    expect(
      failures()
        .map((entry) => [entry.channel, entry.err?.message])
        .sort(),
    ).toEqual([
      ...Array(3).fill(['room', 'rejected by a subscriber']),
      ...Array(3).fill(['room', 'thrown by a subscriber']),
    ]);
  });

  it('delivers nothing once closed, not even what was already on its way', async () => {
    const [closer, other] = [inbox(), inbox()];
    await pubsub.subscribe('room', (message) => {
      closer.onMessage(message);
      if (closer.messages.length === 10) void pubsub.close();
    });
    await pubsub.subscribe('room', other.onMessage);
    // All at once, so most are in flight when the tenth closes the pub/sub; those sent after it are refused.
    await Promise.allSettled(range(100).map((n) => pubsub.publish('room', n)));
    await drained('room');
    expect(closer.messages).toEqual(range(10));
    expect(other.messages).toEqual(range(9)); // the tenth closed the pub/sub before reaching it
    await expect(pubsub.publish('room', 'late')).rejects.toThrow(/closed/);
    await expect(pubsub.subscribe('room', () => {})).rejects.toThrow(/closed/);
  });
});

describe('Redis pub/sub across connections', () => {
  const open: PubSub[] = [];
  const connect = (prefix: string, redisUrl = TEST_REDIS_URL, logger = recordingLogger().logger) => {
    const pubsub = createRedisPubSub({ redisUrl, prefix, logger });
    open.push(pubsub);
    return pubsub;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((pubsub) => pubsub.close()));
  });

  it('shares one Redis subscription among the local subscribers of a channel', async () => {
    const prefix = newTestRedisPrefix();
    const pubsub = connect(prefix);
    const unsubscribes = [
      await pubsub.subscribe('room', () => {}),
      await pubsub.subscribe('room', () => {}),
      await pubsub.subscribe('room', () => {}),
    ];
    expect(await subscriptions(prefix, 'room')).toBe(1);
    await unsubscribes[0]!();
    await unsubscribes[1]!();
    expect(await subscriptions(prefix, 'room')).toBe(1);
    await unsubscribes[2]!();
    expect(await subscriptions(prefix, 'room')).toBe(0);
  });

  it('lets replicas with the same prefix hear each other, and no one with another prefix', async () => {
    const [prefix, otherPrefix] = [newTestRedisPrefix(), newTestRedisPrefix()];
    const [replica1, replica2, otherDeployment] = [connect(prefix), connect(prefix), connect(otherPrefix)];
    const [heard, other] = [inbox(), inbox()];
    await replica2.subscribe('room', heard.onMessage);
    await otherDeployment.subscribe('room', other.onMessage);
    await replica1.publish('room', 'hello');
    await otherDeployment.publish('room', 'marker');
    // Redis handled "hello" before "marker": had it reached the other deployment, it would be first.
    await eventually(() => heard.messages.length === 1 && other.messages.length === 1);
    expect(heard.messages).toEqual(['hello']);
    expect(other.messages).toEqual(['marker']);
  });

  it('keeps its subscriptions through a lost connection, logging the outage once', async () => {
    const redis = hostAndPort(TEST_REDIS_URL, 6379);
    const proxy = await startTcpProxy(redis.port, redis.host);
    try {
      const prefix = newTestRedisPrefix();
      const { logger, entries } = recordingLogger();
      const pubsub = connect(prefix, proxy.url('redis'), logger);
      const [a, b, late] = [inbox(), inbox(), inbox()];
      await pubsub.subscribe('room', a.onMessage);
      await pubsub.subscribe('room', b.onMessage);
      await pubsub.publish('room', 'before');
      await eventually(() => a.messages.length === 1);

      await proxy.down();
      const subscriberLogs = () => entries.filter((e) => e.msg.startsWith('pub/sub subscriber'));
      await eventually(() => subscriberLogs().length === 1); // a reconnection attempt has failed
      await expect(pubsub.publish('room', 'lost')).rejects.toThrow(); // fire-and-forget: refused, not queued
      // A subscription asked for during the outage waits for Redis instead of failing.
      const lateSubscription = pubsub.subscribe('late', late.onMessage);

      await proxy.up();
      // The first publishes may come before the subscriber is back: keep publishing until one is heard.
      let n = 0;
      await eventually(async () => {
        await pubsub.publish('room', `after ${n++}`);
        return a.messages.length > 1;
      });
      await lateSubscription;
      await pubsub.publish('late', 'welcome');
      await eventually(() => late.messages.length === 1 && b.messages.length === a.messages.length);

      // Each message heard once by each subscriber, in order, over one subscription again.
      const heard = a.messages.map(String);
      expect(heard[0]).toBe('before');
      const after = heard.slice(1).map((m) => Number(m.replace('after ', '')));
      expect(after.length).toBeGreaterThan(0);
      expect(after.every((n, i) => i === 0 || n > after[i - 1]!)).toBe(true);
      expect(b.messages).toEqual(a.messages);
      expect(late.messages).toEqual(['welcome']);
      expect(await subscriptions(prefix, 'room')).toBe(1);
      expect(subscriberLogs().map((e) => e.msg)).toEqual([
        'pub/sub subscriber: Redis unreachable, retrying',
        'pub/sub subscriber: Redis reachable again',
      ]);
    } finally {
      await proxy.close();
    }
  });
});
