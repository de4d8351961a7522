import type { Redis } from 'ioredis';
import { rateLimited } from './errors';
import type { Logger } from './logger';

export interface RateLimit {
  /** Key prefix, e.g. "login:ip". */
  name: string;
  max: number;
  windowSeconds: number;
  /**
   * What a hit does while the counters cannot be reached (Redis away): `refuse` (the default)
   * fails it, as limits that guard accounts must; `allow` lets it through, for limits on ordinary
   * writes (a like, a comment), which an outage of Redis should not stop.
   */
  whenUnavailable?: 'refuse' | 'allow';
}

/** While Redis is away, at most one warning per limit in this long. */
const UNAVAILABLE_WARNING_INTERVAL_MS = 60_000;

/** Fixed-window attempt counters shared by every replica. */
export interface RateLimiter {
  /** Counts one attempt; throws RATE_LIMITED once the window holds more than `max`. */
  hit(limit: RateLimit, subject: string): Promise<void>;
  reset(limit: RateLimit, subject: string): Promise<void>;
}

// Count and start the window in one atomic step: a crash between INCR and EXPIRE would leave a
// counter that never expires. A script works on every Redis version (EXPIRE NX needs 7).
const HIT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return { count, redis.call('TTL', KEYS[1]) }
`;

const keyOf = (limit: RateLimit, subject: string) => `ratelimit:${limit.name}:${subject}`;

export function createRateLimiter(redis: Redis, logger?: Logger): RateLimiter {
  const warnedAt = new Map<string, number>();
  // The count after this hit and the seconds left in its window, or null when not counted.
  const counted = async (limit: RateLimit, subject: string): Promise<[number, number] | null> => {
    try {
      return (await redis.eval(HIT, 1, keyOf(limit, subject), limit.windowSeconds)) as [number, number];
    } catch (err) {
      if (limit.whenUnavailable !== 'allow') throw err;
      const now = Date.now();
      if (now - (warnedAt.get(limit.name) ?? 0) >= UNAVAILABLE_WARNING_INTERVAL_MS) {
        warnedAt.set(limit.name, now);
        logger?.warn({ limit: limit.name, err: String(err) }, 'rate limit not counted: Redis unavailable');
      }
      return null;
    }
  };
  return {
    async hit(limit, subject) {
      const result = await counted(limit, subject);
      if (!result) return;
      const [count, ttl] = result;
      if (count > limit.max)
        throw rateLimited('Too many attempts: try again later', ttl > 0 ? ttl : limit.windowSeconds);
    },
    async reset(limit, subject) {
      await redis.del(keyOf(limit, subject));
    },
  };
}

/** Counters in this process: for the embedded backend, where there is one process and no Redis. */
export interface MemoryRateLimiter extends RateLimiter {
  /** Subjects counted at the moment, expired windows not yet swept included (for metrics and tests). */
  size(): number;
}

// Often enough that only windows expired in the last few seconds are held, rarely enough that
// the walk over every counter costs nothing per hit.
const SWEEP_INTERVAL_MS = 10_000;

/**
 * The Redis limiter's semantics in a Map: the window starts at a subject's first hit, the hit
 * is counted before it is checked, and `retryAfterSeconds` is what is left of the window. An
 * expired window is dropped when its subject is hit again or by a sweep run from `hit`, so memory
 * stays bounded without a timer.
 */
export function createMemoryRateLimiter(now: () => number = Date.now): MemoryRateLimiter {
  const windows = new Map<string, { count: number; endsAt: number }>();
  let nextSweepAt = now() + SWEEP_INTERVAL_MS;
  const sweep = (at: number) => {
    for (const [key, window] of windows) if (window.endsAt <= at) windows.delete(key);
    nextSweepAt = at + SWEEP_INTERVAL_MS;
  };
  return {
    async hit(limit, subject) {
      const at = now();
      if (at >= nextSweepAt) sweep(at);
      const key = keyOf(limit, subject);
      let window = windows.get(key);
      if (!window || window.endsAt <= at) {
        window = { count: 0, endsAt: at + limit.windowSeconds * 1000 };
        windows.set(key, window);
      }
      window.count += 1;
      if (window.count > limit.max) {
        // Whole seconds, rounded up so a client that waits that long finds the window over.
        const retryAfterSeconds = Math.max(1, Math.ceil((window.endsAt - at) / 1000));
        throw rateLimited('Too many attempts: try again later', retryAfterSeconds);
      }
    },
    async reset(limit, subject) {
      windows.delete(keyOf(limit, subject));
    },
    size: () => windows.size,
  };
}
