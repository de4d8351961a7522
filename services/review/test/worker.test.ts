import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventQueueName } from '@moim/events';
import { createLogger, EVENT_BACKOFF, openMysqlDatabase, type Database } from '@moim/kit';
import { eventually, openTestBackend, startProcess, testEnv, type TestBackend } from '@moim/kit/testing';
import { entities, FollowEdgeEntity } from '../src/entities';

// review's worker process (src/worker.ts), as its own Deployment runs it: events, no GraphQL.
const worker = fileURLToPath(new URL('../src/worker.ts', import.meta.url));
let test: TestBackend;
let databaseUrl: string;
let db: Database | undefined;

beforeAll(async () => {
  test = await openTestBackend('servers');
  databaseUrl = (await test.databaseUrl('review_worker'))!;
});
afterAll(async () => {
  await db?.close();
  await test?.cleanUp();
});

it('applies events from its queue, serves health and metrics only, and stops on SIGTERM', async () => {
  const proc = startProcess(
    worker,
    testEnv({
      ...test.env,
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'info',
      WORKER_PORT: '0',
      HOST: '127.0.0.1',
    }),
  );
  const [, url] = await proc.waitFor(/"url":"([^"]+)".*"role":"worker".*review worker ready/);
  const ready = await fetch(`${url}/health/ready`);
  expect(await ready.json()).toEqual({ status: 'ok', checks: { database: 'ok', redis: 'ok' } });
  expect((await fetch(`${url}/graphql`, { method: 'POST' })).status).toBe(404);

  const [a, b] = [randomUUID(), randomUUID()];
  await test.backend.queues.add(eventQueueName('review'), {
    name: 'follow.created',
    data: {
      id: randomUUID(),
      topic: 'follow.created',
      payload: { followerId: a, followeeId: b },
      sequence: 1,
      occurredAt: new Date().toISOString(),
    },
    attempts: 3,
    backoff: EVENT_BACKOFF,
  });
  db = await openMysqlDatabase(databaseUrl, {
    entities,
    migrations: [],
    logger: createLogger('t', 'silent'),
    migrate: false,
  });
  const edge = await eventually(() =>
    db!.dataSource.getRepository(FollowEdgeEntity).findOneBy({ followerId: a }),
  );
  expect(edge).toMatchObject({ followeeId: b, active: true, version: '1' });

  proc.child.kill('SIGTERM');
  expect(await proc.exited).toBe(0);
  expect(proc.out()).toContain('"msg":"stopped"');
});
