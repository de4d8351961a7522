import { Redis } from 'ioredis';
import type { Logger } from './logger';

export type { Redis };

/**
 * `role` decides how a connection behaves while Redis is away: commands on a `command`
 * connection fail at once (the outbox keeps what could not be sent), while a `worker`
 * connection waits for Redis to return, as BullMQ workers require.
 */
export function createRedis(url: string, role: 'command' | 'worker' = 'command', keyPrefix?: string): Redis {
  return new Redis(url, {
    // Only for plain commands: BullMQ namespaces its keys with its own `prefix` option instead.
    keyPrefix: keyPrefix ? `${keyPrefix}:` : undefined,
    lazyConnect: false,
    enableOfflineQueue: role === 'worker',
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    // A Redis that stops answering fails a command instead of piling it up (workers block on
    // purpose, so they have no limit).
    commandTimeout: role === 'worker' ? undefined : 10_000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
}

/** Logs a lost connection once and its return once, instead of every reconnect attempt. */
export function logConnectionState(redis: Redis, logger: Logger, name: string): Redis {
  let down = false;
  redis.on('error', (err) => {
    if (!down) logger.warn({ err: String(err) }, `${name}: Redis unreachable, retrying`);
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info(`${name}: Redis reachable again`);
    down = false;
  });
  return redis;
}

/** Closes a connection without reporting the errors its own closing may raise. */
export function closeRedis(redis: Redis): void {
  redis.removeAllListeners('error');
  redis.on('error', () => {});
  redis.disconnect();
}
