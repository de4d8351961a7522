import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import {
  createMemoryRateLimiter,
  createRateLimiter,
  type RateLimit,
  type RateLimiter,
} from '../src/rate-limit';
import type { Logger } from '../src/logger';
import { closeRedis, createRedis } from '../src/redis';
import { dropRedisKeys, eventually, newTestRedisPrefix, TEST_REDIS_URL } from '../src/testing';

// One contract, two adapters: the embedded backend's counters behave as the Redis ones do.

interface Adapter {
  name: string;
  open(): Promise<{ limiter: RateLimiter; close(): Promise<void> }>;
}

const adapters: Adapter[] = [
  {
    name: 'Redis',
    async open() {
      const prefix = newTestRedisPrefix();
      const redis = createRedis(TEST_REDIS_URL, 'command', prefix);
      // A `command` connection refuses commands until it is ready.
      await new Promise((resolve) => redis.once('ready', resolve));
      return {
        limiter: createRateLimiter(redis),
        async close() {
          closeRedis(redis);
          await dropRedisKeys(prefix);
        },
      };
    },
  },
  {
    name: 'in-memory',
    open: async () => ({ limiter: createMemoryRateLimiter(), close: async () => {} }),
  },
];

/** What `hit` threw, or null when it passed. */
async function outcome(hit: Promise<void>): Promise<GraphQLError | null> {
  try {
    await hit;
    return null;
  } catch (err) {
    if (err instanceof GraphQLError) return err;
    throw err;
  }
}

// Every test has its own limit names, so counters never carry over between tests.
let nextLimit = 0;
const limit = (max: number, windowSeconds: number): RateLimit => ({
  name: `test-${nextLimit++}`,
  max,
  windowSeconds,
});

describe.each(adapters)('$name rate limiter', (adapter) => {
  let limiter: RateLimiter;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ limiter, close } = await adapter.open());
  });
  afterAll(() => close?.());

  it('lets `max` attempts through and refuses the next with the seconds left in the window', async () => {
    const login = limit(3, 60);
    for (let i = 0; i < 3; i++) await limiter.hit(login, 'ip-1');
    const refused = await outcome(limiter.hit(login, 'ip-1'));
    expect(refused?.extensions.code).toBe('RATE_LIMITED');
    const retryAfter = refused?.extensions.retryAfterSeconds as number;
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // A refused attempt counts too: the subject stays refused.
    expect((await outcome(limiter.hit(login, 'ip-1')))?.extensions.code).toBe('RATE_LIMITED');
  });

  it('counts every subject and every limit on its own', async () => {
    const [login, signup] = [limit(1, 60), limit(1, 60)];
    await limiter.hit(login, 'ip-1');
    expect(await outcome(limiter.hit(login, 'ip-1'))).not.toBeNull();
    expect(await outcome(limiter.hit(login, 'ip-2'))).toBeNull();
    expect(await outcome(limiter.hit(signup, 'ip-1'))).toBeNull();
  });

  it('starts a subject afresh after reset, leaving the others counted', async () => {
    const login = limit(2, 60);
    for (const subject of ['ip-1', 'ip-2']) {
      await limiter.hit(login, subject);
      await limiter.hit(login, subject);
    }
    await limiter.reset(login, 'ip-1');
    await limiter.hit(login, 'ip-1');
    await limiter.hit(login, 'ip-1');
    expect(await outcome(limiter.hit(login, 'ip-1'))).not.toBeNull();
    expect(await outcome(limiter.hit(login, 'ip-2'))).not.toBeNull();
  });

  it('opens again when the window is over, with a new window', async () => {
    const login = limit(1, 1);
    const start = Date.now();
    await limiter.hit(login, 'ip-1');
    expect(await outcome(limiter.hit(login, 'ip-1'))).not.toBeNull();
    // Refused attempts meanwhile do not stretch the window: it ends a second after the first hit.
    await eventually(async () => (await outcome(limiter.hit(login, 'ip-1'))) === null, 5000);
    expect(Date.now() - start).toBeGreaterThanOrEqual(900);
    expect(Date.now() - start).toBeLessThan(2500);
    // The hit that passed opened the next window, which holds `max` again.
    expect(await outcome(limiter.hit(login, 'ip-1'))).not.toBeNull();
  });

  it('lets exactly `max` of many simultaneous attempts through', async () => {
    const login = limit(5, 60);
    const results = await Promise.all(Array.from({ length: 20 }, () => outcome(limiter.hit(login, 'ip-1'))));
    expect(results.filter((r) => r === null)).toHaveLength(5);
    expect(results.filter((r) => r?.extensions.code === 'RATE_LIMITED')).toHaveLength(15);
  });
});

describe('Redis rate limiter while Redis is away', () => {
  it('refuses a hit by default, and lets a hit of a limit marked allow through, warning once', async () => {
    // A connection that never reaches Redis: commands fail at once, as when Redis is down.
    const redis = createRedis('redis://127.0.0.1:1', 'command');
    const warnings: string[] = [];
    const logger = { warn: (_: object, message: string) => warnings.push(message) } as unknown as Logger;
    const limiter = createRateLimiter(redis, logger);
    try {
      await expect(limiter.hit(limit(1, 60), 'ip-1')).rejects.toThrow();
      const likes: RateLimit = { ...limit(1, 60), whenUnavailable: 'allow' };
      // Not counted: even past max, nothing is refused while the counters cannot be reached.
      for (let i = 0; i < 3; i++) expect(await outcome(limiter.hit(likes, 'user-1'))).toBeNull();
      expect(warnings).toEqual(['rate limit not counted: Redis unavailable']);
    } finally {
      closeRedis(redis);
    }
  });
});

describe('in-memory rate limiter', () => {
  it('measures the window from the first hit and rounds what is left up to whole seconds', async () => {
    let now = 1_000_000_500; // not on a second boundary: the window follows the first hit, not the clock
    const limiter = createMemoryRateLimiter(() => now);
    const login = limit(1, 10);
    await limiter.hit(login, 'ip-1');
    const retryAfter = async () => (await outcome(limiter.hit(login, 'ip-1')))?.extensions.retryAfterSeconds;
    expect(await retryAfter()).toBe(10);
    now += 8_001;
    expect(await retryAfter()).toBe(2); // 1.999 s left
    now += 1_998;
    expect(await retryAfter()).toBe(1); // 1 ms left: never 0
    now += 1;
    expect(await retryAfter()).toBeUndefined(); // over: this hit opened a new window
  });

  it('forgets expired windows without being asked, so memory stays bounded', async () => {
    let now = 0;
    const limiter = createMemoryRateLimiter(() => now);
    const long = limit(1, 120);
    await limiter.hit(long, 'ip-0');
    for (let i = 0; i < 1000; i++) await limiter.hit(limit(5, 1), `ip-${i}`);
    expect(limiter.size()).toBe(1001);
    now += 60_000;
    await limiter.hit(limit(5, 60), 'ip-new');
    expect(limiter.size()).toBe(2); // the new subject and the two-minute window, still running
    expect(await outcome(limiter.hit(long, 'ip-0'))).not.toBeNull();
  });
});
