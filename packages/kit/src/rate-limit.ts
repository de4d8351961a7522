import type { Redis } from 'ioredis';
import { rateLimited } from './errors';

export interface RateLimit {
  /** Key prefix, e.g. "login:ip". */
  name: string;
  max: number;
  windowSeconds: number;
}

/** Fixed-window attempt counters shared by every replica. */
export interface RateLimiter {
  /** Counts one attempt; throws RATE_LIMITED once the window holds more than `max`. */
  hit(limit: RateLimit, subject: string): Promise<void>;
  reset(limit: RateLimit, subject: string): Promise<void>;
}

export function createRateLimiter(redis: Redis): RateLimiter {
  const keyOf = (limit: RateLimit, subject: string) => `ratelimit:${limit.name}:${subject}`;
  return {
    async hit(limit, subject) {
      const key = keyOf(limit, subject);
      // INCR and the TTL set in one round trip; NX keeps the window from sliding on every hit.
      const [[, count], , [, ttl]] = (await redis
        .multi()
        .incr(key)
        .expire(key, limit.windowSeconds, 'NX')
        .ttl(key)
        .exec()) as [[null, number], unknown, [null, number]];
      if (count > limit.max)
        throw rateLimited('Too many attempts: try again later', ttl > 0 ? ttl : limit.windowSeconds);
    },
    async reset(limit, subject) {
      await redis.del(keyOf(limit, subject));
    },
  };
}
