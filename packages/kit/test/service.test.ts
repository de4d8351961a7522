import { randomBytes } from 'node:crypto';
import { EntitySchema, type MigrationInterface, type QueryRunner } from 'typeorm';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createLogger,
  dropMysqlDatabase,
  serviceMigration,
  CALLER_HEADER,
  defineJob,
  defineQueue,
  loadEnv,
  processor,
  repeatable,
  serviceEnv,
  signCaller,
  startService,
  type BackendKind,
  type RequestContext,
  type RunningService,
  type ServiceDefinition,
  type ServiceDeps,
} from '../src';
import {
  eventually,
  openTestBackend,
  TEST_MYSQL_URL,
  TEST_SECRET,
  testEnv,
  type TestBackend,
} from '../src/testing';

// What the kit does with a service definition, whatever the service: here a small one without
// tables, the kind search will be, named media so it may use media's job queues (JOB_QUEUES).
const typeDefs = 'type Query { hello: String! }';
const base = {
  name: 'media' as const,
  typeDefs,
  resolvers: { Query: { hello: () => 'hi' } },
  deps: (kit: ServiceDeps) => kit,
  context: (b: RequestContext) => b,
};

describe.each<BackendKind>(['servers', 'embedded'])('on the %s backend', (kind) => {
  let test: TestBackend;
  const running: RunningService[] = [];
  afterEach(async () => {
    for (const s of running.splice(0)) await s.stop();
    await test?.cleanUp();
  });
  async function start(
    def: ServiceDefinition<RequestContext, ServiceDeps>,
    role: 'api' | 'worker' | 'all' = 'all',
    env: Record<string, string> = {},
  ) {
    test = await openTestBackend(kind);
    const config = loadEnv(serviceEnv(4001), testEnv({ ...test.env, ...env }));
    const service = await startService(def, config, { backend: test.backend, role });
    running.push(service);
    return service;
  }

  it('runs a service that declares no database: GraphQL, readiness without a database, no db', async () => {
    const service = await start(base);
    const url = await service.listen(0, '127.0.0.1');
    const body = JSON.stringify({ query: '{ hello }' });
    const caller = signCaller(
      { userId: null, role: null, ip: null, requestId: 'r1' },
      TEST_SECRET,
      'media',
      body,
    );
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [CALLER_HEADER]: caller },
      body,
    });
    expect(await res.json()).toEqual({ data: { hello: 'hi' } });
    const ready = (await (await fetch(`${url}/health/ready`)).json()) as { checks: object };
    expect(Object.keys(ready.checks)).toEqual(kind === 'servers' ? ['redis'] : []);
    expect(service.hasDatabase).toBe(false);
    expect(() => service.deps.db.dataSource).toThrow('media declares no database');
  });

  it('with MIGRATE_ON_START=false waits for the migrate job before it serves, or gives up on a stop signal (embedded: refused, no job runs there)', async () => {
    const Note = new EntitySchema<{ id: string }>({
      name: 'Note',
      tableName: 'note',
      columns: { id: { type: 'varchar', length: 36, primary: true } },
    });
    class CreateNote1700000000000 implements MigrationInterface {
      name = 'CreateNote1700000000000';
      async up(runner: QueryRunner) {
        await runner.query('CREATE TABLE note (id varchar(36) PRIMARY KEY)');
      }
      async down(runner: QueryRunner) {
        await runner.query('DROP TABLE note');
      }
    }
    const def = { ...base, database: { entities: [Note], migrations: [CreateNote1700000000000] } };
    if (kind === 'embedded') {
      await expect(start(def, 'api', { MIGRATE_ON_START: 'false' })).rejects.toThrow(
        /MIGRATE_ON_START: false waits for the migrate job of a deployment/,
      );
      return;
    }
    test = await openTestBackend(kind);
    // A database the migrate job has not even created yet (a first install).
    const missing = `${TEST_MYSQL_URL}/moim_test_missing_${randomBytes(4).toString('hex')}`;
    const env = testEnv({ ...test.env, DATABASE_URL: missing });
    const config = (migrate: boolean) =>
      loadEnv(serviceEnv(4001), { ...env, MIGRATE_ON_START: String(migrate) });
    try {
      // A stop signal ends the wait (here a second into it).
      const stopping = new AbortController();
      const abandoned = startService(def, config(false), {
        backend: test.backend,
        role: 'api',
        signal: stopping.signal,
      });
      await new Promise((resolve) => setTimeout(resolve, 1200));
      stopping.abort();
      await expect(abandoned).rejects.toMatchObject({ name: 'AbortError' });

      let started = false;
      const starting = startService(def, config(false), { backend: test.backend, role: 'api' }).then((s) => {
        started = true;
        running.push(s);
        return s;
      });
      // It checks every second: still waiting after two checks.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(started).toBe(false);
      const module = { name: 'media' as const, loadEnv: () => config(true), define: () => def };
      expect(await serviceMigration(module, env).run(createLogger('test', 'silent'))).toBe(true);
      const service = await starting;
      const url = await service.listen(0, '127.0.0.1');
      expect((await fetch(`${url}/health/ready`)).status).toBe(200);
    } finally {
      await dropMysqlDatabase(missing);
    }
  });

  it('refuses to start a service that consumes events without a database', async () => {
    await expect(start({ ...base, events: () => ({}) })).rejects.toThrow(
      'media consumes events but declares no database',
    );
  });

  it('runs its jobs and repeatable jobs in the worker role, not in the api role', async () => {
    const queue = defineQueue('image-resize');
    const tick = defineJob<{ n: number }>(queue, 'tick', { attempts: 1 });
    const ticks: number[] = [];
    const def = {
      ...base,
      jobs: () => [processor(tick, async ({ n }) => void ticks.push(n))],
      repeatable: [repeatable(tick, 200, { n: 1 })],
    };
    await start(def, 'api');
    // The api role schedules nothing: a schedule would show as the next run, delayed.
    expect(await test.backend.queues.counts(queue.name)).toEqual({
      waiting: 0,
      active: 0,
      delayed: 0,
      failed: 0,
    });
    for (const s of running.splice(0)) await s.stop();
    await test.cleanUp();

    await start(def, 'worker');
    await eventually(() => ticks.filter((n) => n === 1).length >= 2, 5000);
  });

  it('removes at start the schedules its configuration no longer has', async () => {
    const queue = defineQueue('image-resize');
    const tick = defineJob<{ n: number }>(queue, 'tick', { attempts: 1 });
    const def = (keys: string[]) => ({
      ...base,
      jobs: () => [processor(tick, async () => {})],
      repeatable: keys.map((key, n) => repeatable(tick, 60_000, { n }, key)),
    });
    await start(def(['a', 'b']), 'worker');
    expect((await test.backend.queues.schedules(queue.name)).sort()).toEqual(['a', 'b']);
    for (const s of running.splice(0)) await s.stop();
    await start(def(['a']), 'worker');
    expect(await test.backend.queues.schedules(queue.name)).toEqual(['a']);
  });

  it('runs only the queues WORKER_QUEUES names, and refuses a queue the service does not have', async () => {
    const fast = defineQueue('image-resize');
    const slow = defineQueue('media-cleanup');
    const ran: string[] = [];
    const def = {
      ...base,
      jobs: () => [
        processor(defineJob<object>(fast, 'go', { attempts: 1 }), async () => void ran.push('fast')),
        processor(defineJob<object>(slow, 'go', { attempts: 1 }), async () => void ran.push('slow')),
      ],
    };
    await start(def, 'worker', { WORKER_QUEUES: fast.name });
    const job = { name: 'go', data: {}, attempts: 1, backoff: { delayMs: 10, maxDelayMs: 10 } };
    await test.backend.queues.add(fast.name, job);
    await test.backend.queues.add(slow.name, job);
    await eventually(() => ran.includes('fast'), 5000);
    expect(ran).toEqual(['fast']);
    expect(await test.backend.queues.counts(slow.name)).toMatchObject({ waiting: 1, active: 0 });
    for (const s of running.splice(0)) await s.stop();
    await test.cleanUp();

    await expect(start(def, 'worker', { WORKER_QUEUES: `${fast.name},nope` })).rejects.toThrow(
      /WORKER_QUEUES: media has no queue nope/,
    );
  });

  it('refuses jobs on a queue the service does not declare in JOB_QUEUES', async () => {
    const stray = defineJob<object>(defineQueue('stray'), 'go', { attempts: 1 });
    await expect(
      start({ ...base, jobs: () => [processor(stray, async () => {})] }, 'worker'),
    ).rejects.toThrow('media runs jobs on stray: list it in JOB_QUEUES (@moim/events)');
  });
});
