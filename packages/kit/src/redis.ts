import { Redis } from 'ioredis';

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
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
}
