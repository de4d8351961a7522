import { createConnection } from 'mysql2/promise';
import { Redis } from 'ioredis';
import { TEST_MYSQL_URL, TEST_REDIS_URL } from './index';

/** Fails the run at once, with what to do, when the local MariaDB or Redis is not up. */
export default async function setup(): Promise<void> {
  try {
    const conn = await createConnection(TEST_MYSQL_URL);
    await conn.end();
  } catch (err) {
    throw new Error(
      `Integration tests need MariaDB at ${TEST_MYSQL_URL} (set TEST_MYSQL_URL): ${(err as Error).message}`,
      { cause: err },
    );
  }
  const redis = new Redis(TEST_REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(
      `Integration tests need Redis at ${TEST_REDIS_URL} (set TEST_REDIS_URL): ${(err as Error).message}`,
      { cause: err },
    );
  } finally {
    redis.disconnect();
  }
}
