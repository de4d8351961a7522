import type { Redis } from 'ioredis';
import { rateLimited } from './errors';

export interface RateLimit {
  /** Key prefix, e.g. "login:ip". */
  name: string;
  max: number;
  windowSeconds: number;
}

const keyOf = (limit: RateLimit, subject: string) => `ratelimit:${limit.name}:${subject}`;

/**
 * Fixed-window counters in Redis, so every replica sees the same count.
 * `hit` counts one attempt and throws RATE_LIMITED once the window holds more than `max`.
 */
export async function hit(redis: Redis, limit: RateLimit, subject: string): Promise<void> {
  const key = keyOf(limit, subject);
  const [[, count], [, ttl]] = (await redis.multi().incr(key).ttl(key).exec()) as [
    [null, number],
    [null, number],
  ];
  if (ttl < 0) await redis.expire(key, limit.windowSeconds);
  if (count > limit.max)
    throw rateLimited('Too many attempts: try again later', ttl > 0 ? ttl : limit.windowSeconds);
}

/** Throws RATE_LIMITED when `max` attempts were already counted, without counting this one. */
export async function check(redis: Redis, limit: RateLimit, subject: string): Promise<void> {
  const key = keyOf(limit, subject);
  const [[, count], [, ttl]] = (await redis.multi().get(key).ttl(key).exec()) as [
    [null, string | null],
    [null, number],
  ];
  if (Number(count ?? 0) >= limit.max)
    throw rateLimited('Too many attempts: try again later', ttl > 0 ? ttl : limit.windowSeconds);
}

export async function reset(redis: Redis, limit: RateLimit, subject: string): Promise<void> {
  await redis.del(keyOf(limit, subject));
}
