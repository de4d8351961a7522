import { resolve } from 'node:path';
import type { ServiceName } from '@moim/events';
import { lockDataDir } from './data-dir';
import {
  openMysqlDatabase,
  openSqliteDatabase,
  UnavailableError,
  type Database,
  type DatabaseOptions,
} from './db';
import type { ReadinessCheck } from './http';
import type { Logger } from './logger';
import { createLocalPubSub } from './pubsub/local';
import type { PubSub } from './pubsub/pubsub';
import { createRedisPubSub } from './pubsub/redis';
import { createBullmqQueues } from './queues/bullmq';
import { createLocalQueues } from './queues/local';
import type { Queues } from './queues/queues';
import { createMemoryRateLimiter, createRateLimiter, type RateLimiter } from './rate-limit';
import { closeRedis, createRedis, logConnectionState, type Redis } from './redis';
import { addressOf } from './urls';

export type BackendKind = 'servers' | 'embedded';

export interface BackendConfig {
  MOIM_BACKEND: BackendKind;
  REDIS_URL: string;
  REDIS_PREFIX: string;
  DATA_DIR: string;
  /** See backendEnv; BullMQ's 30 s when absent. */
  JOB_LOCK_SECONDS?: number;
}

/**
 * Everything a process needs from outside itself: databases, job queues, pub/sub and rate-limit
 * counters. The only place that knows which implementation is in use — MySQL, Redis and BullMQ
 * (`servers`), or SQLite files and in-process queues (`embedded`). One backend is shared by the
 * services of a process (all of them in `npm start`).
 */
export interface Backend {
  kind: BackendKind;
  /** Where the data lives, for the start log: the data folder, or Redis's address (no credentials). */
  location: string;
  /** The service's database: `url` with `servers` (its DATABASE_URL), a file under DATA_DIR embedded. */
  openDatabase(service: ServiceName, url: string | undefined, options: DatabaseOptions): Promise<Database>;
  queues: Queues;
  pubsub: PubSub;
  rateLimiter: RateLimiter;
  readiness: ReadinessCheck[];
  close(): Promise<void>;
}

const redisAddress = (url: string) => addressOf(url, 6379);

export async function openBackend(config: BackendConfig, logger: Logger): Promise<Backend> {
  return config.MOIM_BACKEND === 'embedded'
    ? openEmbeddedBackend(resolve(config.DATA_DIR), logger)
    : openServersBackend(config, logger);
}

/**
 * The pub/sub alone, for a process that needs nothing else of a backend (the gateway, for
 * subscriptions). The embedded pub/sub lives inside one process: a gateway on its own cannot
 * share it, so it needs the services' process (npm start passes it their backend's).
 */
export function openPubSub(
  config: Pick<BackendConfig, 'MOIM_BACKEND' | 'REDIS_URL' | 'REDIS_PREFIX'>,
  logger: Logger,
): PubSub {
  if (config.MOIM_BACKEND === 'embedded')
    throw new Error(
      "MOIM_BACKEND=embedded: the pub/sub is inside the services' process; run the gateway with them (npm start) or use servers",
    );
  return createRedisPubSub({ redisUrl: config.REDIS_URL, prefix: config.REDIS_PREFIX, logger });
}

/** Waits for a first connection, so a Redis that is not there fails the start with its address. */
function connected(redis: Redis, url: string, timeoutMs = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (redis.status === 'ready') return resolve();
    const fail = (reason: string) => {
      clearTimeout(timer);
      redis.off('error', onError);
      reject(
        new UnavailableError(
          `Cannot reach Redis at ${redisAddress(url)} (${reason.replace(/^connect /, '')})`,
        ),
      );
    };
    // Refused or unknown host: nothing is there, say so now. Otherwise wait for an answer a while.
    const onError = (err: Error & { code?: string }) => {
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOTFOUND') fail(err.message);
    };
    const timer = setTimeout(() => fail('no answer'), timeoutMs);
    redis.on('error', onError);
    redis.once('ready', () => {
      clearTimeout(timer);
      redis.off('error', onError);
      resolve();
    });
  });
}

async function openServersBackend(config: BackendConfig, logger: Logger): Promise<Backend> {
  const redis = createRedis(config.REDIS_URL, 'command', config.REDIS_PREFIX);
  try {
    await connected(redis, config.REDIS_URL);
  } catch (err) {
    closeRedis(redis);
    throw err;
  }
  logConnectionState(redis, logger, 'redis');
  const lockMs = (config.JOB_LOCK_SECONDS ?? 30) * 1000;
  const queues = createBullmqQueues({
    redisUrl: config.REDIS_URL,
    prefix: config.REDIS_PREFIX,
    logger,
    lockDurationMs: lockMs,
    stalledIntervalMs: lockMs,
  });
  const pubsub = createRedisPubSub({ redisUrl: config.REDIS_URL, prefix: config.REDIS_PREFIX, logger });
  return {
    kind: 'servers',
    location: redisAddress(config.REDIS_URL),
    openDatabase: (service, url, options) => {
      if (!url) throw new Error(`${service}: DATABASE_URL is required with the servers backend`);
      return openMysqlDatabase(url, options);
    },
    queues,
    pubsub,
    rateLimiter: createRateLimiter(redis, logger),
    readiness: [{ name: 'redis', check: async () => void (await redis.ping()) }],
    async close() {
      await queues.close();
      await pubsub.close();
      closeRedis(redis);
    },
  };
}

async function openEmbeddedBackend(dataDir: string, logger: Logger): Promise<Backend> {
  const unlock = lockDataDir(dataDir);
  try {
    const queues = createLocalQueues({ file: `${dataDir}/jobs.sqlite`, logger });
    const pubsub = createLocalPubSub({ logger });
    return {
      kind: 'embedded',
      location: dataDir,
      openDatabase: (service, _url, options) => openSqliteDatabase(`${dataDir}/${service}.sqlite`, options),
      queues,
      pubsub,
      rateLimiter: createMemoryRateLimiter(),
      readiness: [],
      async close() {
        await queues.close();
        await pubsub.close();
        unlock();
      },
    };
  } catch (err) {
    unlock();
    throw err;
  }
}
