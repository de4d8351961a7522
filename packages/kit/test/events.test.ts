import { afterAll, beforeAll, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { eventQueueName } from '@moim/events';
import {
  cappedBackoff,
  createLogger,
  CreateOutbox1764200000000,
  CreateProcessedEvents1764200000001,
  newId,
  openDatabase,
  OutboxEvent,
  ProcessedEvent,
  recordEvent,
  startEventConsumer,
  startOutboxRelay,
  type Database,
  type OutboxRelay,
} from '../src';
import {
  createTestDatabase,
  dropRedisKeys,
  eventually,
  newTestRedisPrefix,
  TEST_REDIS_URL,
  type TestDatabase,
} from '../src/testing';

// The outbox relay and an event consumer on their own: what a handler that fails goes through.
const logger = createLogger('events-test', 'silent');
const prefix = newTestRedisPrefix();
let testDb: TestDatabase;
let db: Database;
let relay: OutboxRelay;

beforeAll(async () => {
  testDb = await createTestDatabase('kit_events');
  db = await openDatabase({
    url: testDb.url,
    entities: [OutboxEvent, ProcessedEvent],
    migrations: [CreateOutbox1764200000000, CreateProcessedEvents1764200000001],
    logger,
    migrate: true,
  });
  relay = startOutboxRelay({
    dataSource: db.dataSource,
    redisUrl: TEST_REDIS_URL,
    redisPrefix: prefix,
    logger,
    intervalMs: 100,
  });
});

afterAll(async () => {
  await relay?.stop();
  await db?.close();
  await testDb?.drop();
  await dropRedisKeys(prefix);
});

it('backs off exponentially up to a minute', () => {
  expect([1, 2, 3, 6, 7, 50].map(cappedBackoff)).toEqual([1000, 2000, 4000, 32_000, 60_000, 60_000]);
});

it('retries a failing handler with backoff until it succeeds, applying the event once', async () => {
  const calls: number[] = [];
  const consumer = startEventConsumer({
    service: 'review',
    dataSource: db.dataSource,
    redisUrl: TEST_REDIS_URL,
    redisPrefix: prefix,
    logger,
    handlers: {
      'user.created': async () => {
        calls.push(Date.now());
        if (calls.length < 3) throw new Error('database briefly away');
      },
      'follow.created': async () => {},
      'follow.deleted': async () => {},
    },
  });
  try {
    const userId = newId();
    await db.dataSource.transaction((manager) => recordEvent(manager, 'user.created', { userId }));
    relay.wake();
    await eventually(() => calls.length === 3, 15_000);
    const [event] = await db.dataSource.getRepository(OutboxEvent).find();
    await eventually(
      async () => (await db.dataSource.getRepository(ProcessedEvent).countBy({ eventId: event!.id })) === 1,
    );
    // The waits between attempts follow the capped exponential backoff (1 s, then 2 s).
    expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(1000);
    expect(calls[2]! - calls[1]!).toBeGreaterThanOrEqual(2000);
    const queue = new Queue(eventQueueName('review'), {
      connection: { host: '127.0.0.1', port: Number(new URL(TEST_REDIS_URL).port) },
      prefix,
    });
    const job = await queue.getJob(event!.id);
    expect(job?.attemptsMade).toBe(3); // two failures and the success
    expect(job?.opts.attempts).toBeGreaterThan(1000);
    await queue.close();
  } finally {
    await consumer.close();
  }
});

it('refuses to start a consumer that lacks a handler for an event routed to it', () => {
  expect(() =>
    startEventConsumer({
      service: 'review',
      dataSource: db.dataSource,
      redisUrl: TEST_REDIS_URL,
      redisPrefix: prefix,
      logger,
      handlers: { 'user.created': async () => {} },
    }),
  ).toThrow(/review consumes follow.created, follow.deleted but has no handler for it/);
});
