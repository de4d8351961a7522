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

// Count and start the window in one atomic step: a crash between INCR and EXPIRE would leave a
// counter that never expires. A script works on every Redis version (EXPIRE NX needs 7).
const HIT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return { count, redis.call('TTL', KEYS[1]) }
`;

export function createRateLimiter(redis: Redis): RateLimiter {
  const keyOf = (limit: RateLimit, subject: string) => `ratelimit:${limit.name}:${subject}`;
  return {
    async hit(limit, subject) {
      const [count, ttl] = (await redis.eval(HIT, 1, keyOf(limit, subject), limit.windowSeconds)) as [
        number,
        number,
      ];
      if (count > limit.max)
        throw rateLimited('Too many attempts: try again later', ttl > 0 ? ttl : limit.windowSeconds);
    },
    async reset(limit, subject) {
      await redis.del(keyOf(limit, subject));
    },
  };
}
