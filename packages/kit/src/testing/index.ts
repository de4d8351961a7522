import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { openBackend, type Backend, type BackendKind } from '../backend';
import { dropMysqlDatabase, ensureMysqlDatabase } from '../db';
import { createLogger } from '../logger';

export const TEST_MYSQL_URL = (process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306').replace(
  /\/$/,
  '',
);
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The backend the end-to-end suite runs on: each vitest project sets it (see vitest.config.ts). */
export const TEST_BACKEND: BackendKind = process.env.TEST_BACKEND === 'embedded' ? 'embedded' : 'servers';
export const TEST_LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';

export { hostAndPort } from '../urls';

export const TEST_SECRET = 'test-internal-secret-0123456789abcdef';
export const TEST_JWT_SECRET = 'test-jwt-secret-0123456789abcdef0123';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, uniquely named database on the local MariaDB; drop it when the test file ends. */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const url = `${TEST_MYSQL_URL}/moim_test_${prefix.replace(/-/g, '_')}_${randomBytes(4).toString('hex')}`;
  await ensureMysqlDatabase(url);
  return { url, drop: () => dropMysqlDatabase(url) };
}

/** A fresh Redis key namespace: a test's queues and counters never meet another run's. */
export const newTestRedisPrefix = (): string => `moim-test-${randomBytes(4).toString('hex')}`;

/** Deletes every key under a test's prefix, so repeated runs do not fill the shared Redis. */
export async function dropRedisKeys(prefix: string, url = TEST_REDIS_URL): Promise<void> {
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** The variables every service reads, for tests (each test adds DATABASE_URL etc.). */
export function testEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: TEST_LOG_LEVEL,
    INTERNAL_SECRET: TEST_SECRET,
    JWT_SECRET: TEST_JWT_SECRET,
    MIGRATE_ON_START: 'true',
    ...extra,
  };
}

/**
 * A throwaway backend for one test file: on `servers`, fresh MySQL databases and a fresh Redis
 * prefix; embedded, a fresh temporary data folder. `cleanUp` closes it and removes every trace.
 */
export interface TestBackend {
  kind: BackendKind;
  backend: Backend;
  /** Backend variables a service process on this backend reads (MOIM_BACKEND, REDIS_*, DATA_DIR). */
  env: Record<string, string>;
  /** A fresh database for a service (servers), or undefined (embedded: the backend picks a file). */
  databaseUrl(service: string): Promise<string | undefined>;
  cleanUp(): Promise<void>;
}

export async function openTestBackend(
  kind: BackendKind = TEST_BACKEND,
  options: { redisUrl?: string } = {},
): Promise<TestBackend> {
  const prefix = newTestRedisPrefix();
  const dataDir = kind === 'embedded' ? mkdtempSync(join(tmpdir(), 'moim-test-')) : null;
  const env: Record<string, string> = dataDir
    ? { MOIM_BACKEND: kind, DATA_DIR: dataDir }
    : { MOIM_BACKEND: kind, REDIS_URL: options.redisUrl ?? TEST_REDIS_URL, REDIS_PREFIX: prefix };
  const backend = await openBackend(
    {
      MOIM_BACKEND: kind,
      REDIS_URL: options.redisUrl ?? TEST_REDIS_URL,
      REDIS_PREFIX: prefix,
      DATA_DIR: dataDir ?? '.data',
    },
    createLogger('test-backend', TEST_LOG_LEVEL),
  );
  const databases: TestDatabase[] = [];
  return {
    kind,
    backend,
    env,
    async databaseUrl(service) {
      if (kind === 'embedded') return undefined;
      const db = await createTestDatabase(service);
      databases.push(db);
      return db.url;
    },
    async cleanUp() {
      await backend.close();
      await Promise.all(databases.map((db) => db.drop()));
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      else await dropRedisKeys(prefix);
    },
  };
}

/**
 * Waits until `check` stops throwing (or returns truthy), for effects that happen in the
 * background such as queued events. Fails with the last error after `timeoutMs`.
 */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    try {
      const value = await check();
      if (value) return value;
      lastError = new Error('condition still false');
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw lastError;
    await sleep(delay);
  }
}

export interface TcpProxy {
  url(scheme: string): string;
  /** Cut every connection and refuse new ones, as if the server went away. */
  down(): Promise<void>;
  up(): Promise<void>;
  /**
   * Keep connections open but stop forwarding bytes (held, not dropped), as if the server hung:
   * requests get no answer until `resume()`.
   */
  pause(): void;
  resume(): void;
  /** Client connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** A TCP proxy to a real server that a test can take down and bring back. */
export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  let server: Server | null = null;
  let port = 0;
  let paused = false;
  let accepted = 0;
  // Unpiped and paused, a socket stops reading: bytes wait in the kernel buffers until it flows again.
  const connect2 = ([a, b]: [Socket, Socket]) => {
    a.pipe(b);
    b.pipe(a);
  };
  const hold = ([a, b]: [Socket, Socket]) => {
    a.unpipe(b);
    b.unpipe(a);
    a.pause();
    b.pause();
  };
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        accepted++;
        const upstream = connect(targetPort, targetHost);
        const pair: [Socket, Socket] = [client, upstream];
        pairs.add(pair);
        for (const s of pair) {
          sockets.add(s);
          s.on('close', () => {
            sockets.delete(s);
            pairs.delete(pair);
          });
          s.on('error', () => s.destroy());
        }
        if (paused) hold(pair);
        else connect2(pair);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as AddressInfo).port;
        resolve();
      });
    });
  const down = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      if (!server) return resolve();
      server.close(() => resolve());
      server = null;
    });
  await listen();
  return {
    url: (scheme) => `${scheme}://127.0.0.1:${port}`,
    down,
    up: listen,
    pause() {
      paused = true;
      for (const pair of pairs) hold(pair);
    },
    resume() {
      paused = false;
      for (const pair of pairs) connect2(pair);
    },
    connections: () => accepted,
    close: down,
  };
}

// tsx's loader in the process itself: the tsx command would run the script in a child of its
// own, and signals sent to it would not reach the real process.
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface TestProcess {
  child: ChildProcess;
  /** The exit code, once the process ended and its output was read to the end. */
  exited: Promise<number>;
  out(): string;
  err(): string;
  /** Resolves to the first match of `pattern` in stdout (waiting for it); rejects if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

/** Runs a TypeScript entry point as a real process, with exactly `env` (plus PATH). */
export function startProcess(
  script: string,
  env: Record<string, string | undefined>,
  args: string[] = [],
): TestProcess {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, script, ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  // 'close', not 'exit': it fires only after the output pipes are drained.
  const exited = once(child, 'close').then(([code]) => code as number);
  return {
    child,
    exited,
    out: () => stdout,
    err: () => stderr,
    waitFor: (pattern, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(stdout);
          if (!match) return;
          cleanUp();
          resolve(match);
        };
        const timer = setTimeout(() => {
          cleanUp();
          reject(new Error(`no ${pattern} in ${timeoutMs} ms; stdout:\n${stdout}\nstderr:\n${stderr}`));
        }, timeoutMs);
        const cleanUp = () => {
          clearTimeout(timer);
          child.stdout!.off('data', check);
        };
        child.stdout!.on('data', check);
        void exited.then((code) => {
          cleanUp();
          reject(new Error(`exited ${code} before ${pattern}; stdout:\n${stdout}\nstderr:\n${stderr}`));
        });
        check();
      }),
  };
}

/** A logger (the kit's, redaction included) whose JSON lines land in `lines`, for tests of logs. */
export function captureLogs(level = 'trace', name = 'test') {
  const lines: string[] = [];
  const logger = createLogger(name, level, { write: (line: string) => void lines.push(line) });
  return {
    logger,
    lines,
    /** The lines, parsed. */
    entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/**
 * A TCP port nothing listens on (taken and released at once), below Linux's ephemeral range
 * (32768–60999): a port from that range can be taken again, before the test listens on it, as the
 * local end of any outgoing connection (a MySQL or Redis client's).
 */
export async function closedPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + randomInt(12_000);
    const server = createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (free) {
      await new Promise((resolve) => server.close(resolve));
      return port;
    }
  }
}
export { eventFeed } from './events';
export { createLocalPubSub } from '../pubsub/local';
