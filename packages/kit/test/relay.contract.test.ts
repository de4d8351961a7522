import { IsNull } from 'typeorm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventQueueName, topicsConsumedBy } from '@moim/events';
import {
  createLogger,
  CreateOutbox1764200000000,
  CreateProcessedEvents1764200000001,
  defineJob,
  defineQueue,
  EVENT_BACKOFF,
  newId,
  OutboxEvent,
  OutboxFailures1764500000000,
  ProcessedEvent,
  processor,
  pruneDelivered,
  recordEvent,
  recordJob,
  startEventConsumer,
  startJobWorkers,
  startOutboxRelay,
  type Backend,
  type BackendKind,
  type Database,
  type EventHandlers,
  type OutboxRelay,
  type Queues,
  type QueueWorker,
} from '../src';
import {
  eventually,
  hostAndPort,
  openTestBackend,
  startTcpProxy,
  TEST_REDIS_URL,
  type TcpProxy,
  type TestBackend,
} from '../src/testing';

// The outbox relay and event consumers on the queue port, on both backends: what an event or a
// job recorded in a transaction goes through, whatever fails on the way.
const logger = createLogger('relay-test', 'silent');

async function openDb(test: TestBackend): Promise<Database> {
  return test.backend.openDatabase('review', await test.databaseUrl('relay'), {
    entities: [OutboxEvent, ProcessedEvent],
    migrations: [CreateOutbox1764200000000, CreateProcessedEvents1764200000001, OutboxFailures1764500000000],
    logger,
    migrate: true,
  });
}

/** review's three topics, each recording what it saw. */
function recordingHandlers(seen: string[], fail?: () => boolean): EventHandlers {
  const handle = async (p: object) => {
    if (fail?.()) throw new Error('database briefly away');
    seen.push(JSON.stringify(p));
  };
  // Every topic review consumes (the consumer refuses to start otherwise).
  return Object.fromEntries(topicsConsumedBy('review').map((topic) => [topic, handle])) as EventHandlers;
}

/** A queue port whose sends fail (reject or hang) while `mode` says so. */
function faulty(queues: Queues) {
  const state = { mode: 'ok' as 'ok' | 'reject' | 'hang', sends: 0 };
  const wrapped: Queues = {
    ...queues,
    add: (queue, job) => {
      state.sends++;
      if (state.mode === 'reject') return Promise.reject(new Error('send refused'));
      if (state.mode === 'hang') return new Promise(() => {});
      return queues.add(queue, job);
    },
  };
  return { queues: wrapped, state };
}

/** Records a user.created event in a transaction of its own; resolves to the outbox row's id. */
async function userCreated(db: Database): Promise<string> {
  const userId = newId();
  await db.transaction((m) => recordEvent(m, 'user.created', { userId }));
  return (
    await db.dataSource.getRepository(OutboxEvent).findOneByOrFail({ payload: JSON.stringify({ userId }) })
  ).id;
}

const pending = (db: Database) =>
  db.dataSource.getRepository(OutboxEvent).find({ where: { publishedAt: IsNull() }, order: { seq: 'ASC' } });
const processedCount = (db: Database, eventId: string) =>
  db.dataSource.getRepository(ProcessedEvent).countBy({ eventId });

describe.each<BackendKind>(['servers', 'embedded'])('on the %s backend', (kind) => {
  let test: TestBackend;
  let backend: Backend;
  let db: Database;
  const stops: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    test = await openTestBackend(kind);
    backend = test.backend;
    db = await openDb(test);
  });
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    await db.dataSource.getRepository(OutboxEvent).clear();
    await db.dataSource.getRepository(ProcessedEvent).clear();
  });
  afterAll(async () => {
    await db?.close();
    await test?.cleanUp();
  });

  function relay(
    options: { queues?: Queues; intervalMs?: number; sendTimeoutMs?: number } = {},
  ): OutboxRelay {
    const r = startOutboxRelay({ db, queues: backend.queues, logger, intervalMs: 60_000, ...options });
    stops.push(() => r.stop());
    return r;
  }
  function consumer(handlers: EventHandlers): QueueWorker {
    const c = startEventConsumer({ service: 'review', db, queues: backend.queues, logger, handlers });
    stops.push(() => c.close());
    return c;
  }

  it('wakes the relay when a transaction that recorded an event commits', async () => {
    const seen: string[] = [];
    consumer(recordingHandlers(seen));
    relay({ intervalMs: 60_000 }); // its timer alone would wait a minute
    const eventId = await userCreated(db);
    await eventually(async () => (await processedCount(db, eventId)) === 1, 5000);
    expect(seen).toHaveLength(1);
  });

  it('leaves nothing behind from a transaction that rolled back', async () => {
    const seen: string[] = [];
    consumer(recordingHandlers(seen));
    const r = relay();
    await expect(
      db.transaction(async (m) => {
        await recordEvent(m, 'user.created', { userId: newId() });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await r.publishPending()).toBe(0);
    expect(await db.dataSource.getRepository(OutboxEvent).count()).toBe(0);
  });

  it('delivers an event committed before a crash, when the relay starts again, once', async () => {
    const eventId = await userCreated(db); // committed; no relay ran: the process "died" here
    expect((await pending(db)).map((e) => e.id)).toEqual([eventId]);
    const seen: string[] = [];
    consumer(recordingHandlers(seen));
    const r = relay(); // its first pass finds the row
    await eventually(async () => (await processedCount(db, eventId)) === 1);
    // A crash between sending and marking the row sends it again: still applied once.
    await db.dataSource.getRepository(OutboxEvent).update({ id: eventId }, { publishedAt: null });
    expect(await r.publishPending()).toBe(1);
    await eventually(async () => {
      const c = await backend.queues.counts(eventQueueName('review'));
      return c.waiting + c.active + c.delayed === 0;
    });
    expect(await processedCount(db, eventId)).toBe(1);
    expect(seen).toHaveLength(1);
  });

  it('keeps an event whose send fails, in order, and sends it when the queue takes it again', async () => {
    const { queues, state } = faulty(backend.queues);
    const seen: string[] = [];
    consumer(recordingHandlers(seen));
    const r = relay({ queues });
    state.mode = 'reject';
    const first = await userCreated(db);
    const second = await userCreated(db);
    await eventually(async () => (await pending(db))[0]?.attempts === 1); // the pass the commit woke
    expect(await r.publishPending()).toBe(0);
    const rows = await pending(db);
    expect(rows.map((e) => e.id)).toEqual([first, second]);
    expect(rows[0]!.attempts).toBeGreaterThanOrEqual(2);
    expect(rows[1]!.attempts).toBe(0); // the later event waits behind the one that failed
    state.mode = 'ok';
    expect(await r.publishPending()).toBe(2);
    await eventually(async () => (await processedCount(db, second)) === 1);
    expect(seen.map((s) => JSON.parse(s).userId)).toHaveLength(2);
  });

  it('counts a send that hangs as failed, without holding the pass', async () => {
    const { queues, state } = faulty(backend.queues);
    const r = relay({ queues, sendTimeoutMs: 200 });
    state.mode = 'hang';
    const eventId = await userCreated(db);
    // The pass the commit woke gives up on the send after 200 ms, keeps the row and lets go of it.
    await eventually(async () => (await pending(db))[0]?.attempts === 1, 3000);
    expect((await pending(db)).map((e) => e.id)).toEqual([eventId]);
    state.mode = 'ok';
    consumer(recordingHandlers([]));
    expect(await r.publishPending()).toBe(1);
    await eventually(async () => (await processedCount(db, eventId)) === 1);
  });

  it('retries a failing handler with backoff until it succeeds, applying the event once', async () => {
    const calls: number[] = [];
    const seen: string[] = [];
    consumer(recordingHandlers(seen, () => (calls.push(Date.now()), calls.length < 3)));
    relay();
    const eventId = await userCreated(db);
    await eventually(async () => (await processedCount(db, eventId)) === 1, 15_000);
    expect(calls).toHaveLength(3);
    expect(seen).toHaveLength(1);
    // The waits between attempts follow the capped exponential backoff (1 s, then 2 s).
    expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(EVENT_BACKOFF.delayMs - 50);
    expect(calls[2]! - calls[1]!).toBeGreaterThanOrEqual(2 * EVENT_BACKOFF.delayMs - 50);
  });

  it('runs a job recorded through the outbox if and only if its transaction commits', async () => {
    const type = defineJob<{ n: number }>(defineQueue(`relay-test-${kind}-${newId().slice(0, 8)}`), 'count');
    const ran: number[] = [];
    const workers = startJobWorkers(backend.queues, [processor(type, async ({ n }) => void ran.push(n))]);
    stops.push(() => Promise.all(workers.map((w) => w.close())));
    relay();
    await db.transaction((m) => recordJob(m, type, { n: 1 }));
    await expect(
      db.transaction(async (m) => {
        await recordJob(m, type, { n: 2 });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await db.transaction((m) => recordJob(m, type, { n: 3 }));
    await eventually(() => ran.length === 2);
    expect(ran.sort()).toEqual([1, 3]);
  });

  it('parks a row that can never be delivered and lets the rows behind it go', async () => {
    const seen: string[] = [];
    consumer(recordingHandlers(seen));
    const type = defineJob<object>(defineQueue('relay-test-parked'), 'count');
    // Refused in the caller's transaction, before anything is recorded.
    await expect(db.transaction((m) => recordJob(m, type, {}, { id: 'photo:42' }))).rejects.toThrow(
      /contains ':'/,
    );
    expect(await db.dataSource.getRepository(OutboxEvent).count()).toBe(0);
    // A row written by hand that no queue accepts (as an older producer might have written).
    await db.dataSource.getRepository(OutboxEvent).insert({
      id: newId(),
      topic: 'job:relay-test-parked:count',
      payload: JSON.stringify({ data: {}, id: '42', attempts: 1, backoff: EVENT_BACKOFF }),
      createdAt: new Date(),
      publishedAt: null,
      attempts: 0,
      failedAt: null,
      error: null,
    });
    const eventId = await userCreated(db);
    relay();
    await eventually(async () => (await processedCount(db, eventId)) === 1);
    const [parked] = await db.dataSource
      .getRepository(OutboxEvent)
      .findBy({ topic: 'job:relay-test-parked:count' });
    expect(parked).toMatchObject({ publishedAt: null, error: expect.stringMatching(/integer/) });
    expect(parked!.failedAt).toBeInstanceOf(Date);
  });

  it('prunes delivered outbox rows and applied event ids past their retention only', async () => {
    const day = 86_400_000;
    const now = Date.now();
    const outbox = db.dataSource.getRepository(OutboxEvent);
    const row = (publishedAt: Date | null) => ({
      id: newId(),
      topic: 'user.created',
      payload: '{}',
      createdAt: new Date(now - 30 * day),
      publishedAt,
      attempts: 0,
      failedAt: null,
      error: null,
    });
    const [oldSent, recentSent, oldPending] = [
      row(new Date(now - 8 * day)),
      row(new Date(now - day)),
      row(null),
    ];
    await outbox.insert([oldSent, recentSent, oldPending]);
    const events = db.dataSource.getRepository(ProcessedEvent);
    const [oldEvent, recentEvent] = [newId(), newId()];
    await events.insert([
      { eventId: oldEvent, processedAt: new Date(now - 31 * day) },
      { eventId: recentEvent, processedAt: new Date(now - 29 * day) },
    ]);
    expect(await pruneDelivered(db, { outboxDays: 7, processedEventsDays: 30 }, now)).toEqual({
      outbox: 1,
      processedEvents: 1,
    });
    expect((await outbox.find()).map((r) => r.id).sort()).toEqual([recentSent.id, oldPending.id].sort());
    expect((await events.find()).map((e) => e.eventId)).toEqual([recentEvent]);
  });
});

describe('on BullMQ, when Redis goes away during a relay pass', () => {
  let proxy: TcpProxy;
  let test: TestBackend;
  let db: Database;
  let relay: OutboxRelay;
  let worker: QueueWorker;
  const seen: string[] = [];

  beforeAll(async () => {
    const { host, port } = hostAndPort(TEST_REDIS_URL, 6379);
    proxy = await startTcpProxy(port, host);
    test = await openTestBackend('servers', { redisUrl: proxy.url('redis') });
    db = await openDb(test);
    relay = startOutboxRelay({
      db,
      queues: test.backend.queues,
      logger,
      intervalMs: 60_000,
      sendTimeoutMs: 300,
    });
    worker = startEventConsumer({
      service: 'review',
      db,
      queues: test.backend.queues,
      logger,
      handlers: recordingHandlers(seen),
    });
  });
  beforeEach(() => {
    seen.length = 0;
  });
  afterAll(async () => {
    await worker?.close();
    await relay?.stop();
    await db?.close();
    await test?.cleanUp();
    await proxy?.close();
  });

  it('keeps the event while Redis refuses connections and delivers it once Redis is back', async () => {
    await proxy.down();
    const eventId = await userCreated(db); // the change itself must not fail
    expect(await relay.publishPending()).toBe(0);
    expect((await pending(db)).map((e) => e.id)).toContain(eventId);
    await proxy.up();
    await eventually(
      async () => (await relay.publishPending()) >= 0 && (await processedCount(db, eventId)) === 1,
      20_000,
    );
    expect(seen).toHaveLength(1);
  });

  it('counts a Redis that stops answering as a failed send, and delivers once it answers again', async () => {
    await eventually(async () => (await pending(db)).length === 0, 20_000);
    proxy.pause();
    const eventId = await userCreated(db);
    // The pass the commit woke gives up on Redis after 300 ms and keeps the row; so does the next.
    await eventually(async () => (await pending(db))[0]?.attempts === 1, 3000);
    const started = Date.now();
    expect(await relay.publishPending()).toBe(0);
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await pending(db)).map((e) => [e.id, e.attempts])).toEqual([[eventId, 2]]);
    proxy.resume();
    await eventually(
      async () => (await relay.publishPending()) >= 0 && (await processedCount(db, eventId)) === 1,
      20_000,
    );
    expect(seen).toHaveLength(1);
  });
});
