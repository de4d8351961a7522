import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger';
import { createBullmqQueues } from '../src/queues/bullmq';
import type { NewJob, Queues, RunningJob } from '../src/queues/queues';
import {
  dropRedisKeys,
  eventually,
  hostAndPort,
  newTestRedisPrefix,
  startTcpProxy,
  TEST_REDIS_URL,
} from '../src/testing';
import { openQueues, type QueueStore } from './fixtures/queue-adapters';

// The job queue contract, run against both adapters: what a service may rely on whichever runs.
const logger = createLogger('queues-test', 'silent');
// tsx's loader in the worker process itself: the tsx command would run the script in a child of
// its own, which a SIGKILL of the command leaves running.
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const WORKER_SCRIPT = fileURLToPath(new URL('./fixtures/queue-worker.ts', import.meta.url));

interface Backend {
  name: string;
  /** A fresh, empty store for one test, and how to remove it. */
  newStore(): { store: QueueStore; drop(): Promise<void> };
}

const backends: Backend[] = [
  {
    name: 'bullmq',
    newStore() {
      const prefix = newTestRedisPrefix();
      return {
        // Small stall timings, so a killed worker's job is found abandoned within seconds.
        store: {
          kind: 'bullmq',
          redisUrl: TEST_REDIS_URL,
          prefix,
          stalledIntervalMs: 500,
          lockDurationMs: 1000,
        },
        drop: () => dropRedisKeys(prefix),
      };
    },
  },
  {
    name: 'local',
    newStore() {
      const dir = mkdtempSync(join(tmpdir(), 'moim-queues-'));
      return {
        store: { kind: 'local', file: join(dir, 'queues.db') },
        drop: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
];

const newQueueName = () => `q-${randomBytes(4).toString('hex')}`;
const backoff = { delayMs: 100, maxDelayMs: 1000 };
const job = (data: unknown, more: Partial<NewJob> = {}): NewJob => ({
  name: 'test',
  data,
  attempts: 1,
  backoff,
  ...more,
});
const idle = { waiting: 0, active: 0, delayed: 0, failed: 0 };

/** A promise that the test opens, for handlers that must wait for it. */
function gate(): { opened: Promise<void>; open(): void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe.each(backends.map((b) => [b.name, b] as const))('queues on %s', (_name, backend) => {
  let store: QueueStore;
  let drop: () => Promise<void>;
  const adapters: Queues[] = [];
  const children: ChildProcess[] = [];

  /** An adapter on this test's store; several opened one after another reach the same jobs. */
  const open = (): Queues => {
    const queues = openQueues(store, logger);
    adapters.push(queues);
    return queues;
  };

  /**
   * Runs a worker in a child process until it has started a job, then kills it without warning,
   * as a crash or an OOM kill would. Resolves to the line it printed (`running <job id>`).
   */
  async function killWorkerMidJob(queue: string, maxStalls: number): Promise<string> {
    const args = ['--import', TSX_LOADER, WORKER_SCRIPT, JSON.stringify(store), queue, String(maxStalls)];
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const exited = once(child, 'exit');
    const line = await Promise.race([
      once(createInterface({ input: child.stdout! }), 'line').then(([text]) => text as string),
      exited.then(([code]) => Promise.reject(new Error(`worker exited (${code}) before running a job`))),
    ]);
    child.kill('SIGKILL');
    await exited;
    return line;
  }

  beforeEach(() => {
    ({ store, drop } = backend.newStore());
  });

  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    // Closing an adapter also closes the workers that a failed test left open.
    await Promise.all(adapters.splice(0).map((queues) => queues.close()));
    await drop();
  });

  it('runs a job with its data, and counts return to zero', async () => {
    const queues = open();
    const q = newQueueName();
    const data = { text: 'héllo', list: [1, 2.5, null], nested: { ok: true } };
    await queues.add(q, job(data, { name: 'greet', id: 'greeting-1' }));
    await queues.add(q, job('no id given'));
    expect(await queues.counts(q)).toEqual({ ...idle, waiting: 2 });

    const seen: RunningJob[] = [];
    const worker = queues.work(q, async (j) => void seen.push(j), { concurrency: 1 });
    await eventually(() => seen.length === 2);
    expect(seen[0]).toEqual({ id: 'greeting-1', name: 'greet', data, attemptsMade: 0 });
    expect(seen[1]).toMatchObject({ name: 'test', data: 'no id given', attemptsMade: 0 });
    expect(seen[1]!.id).not.toBe('');
    await eventually(async () => expect(await queues.counts(q)).toEqual(idle));
    await worker.close();
  });

  it('retries a failing job with capped exponential backoff until it succeeds', async () => {
    const queues = open();
    const q = newQueueName();
    await queues.add(q, job({ n: 1 }, { attempts: 5, backoff: { delayMs: 100, maxDelayMs: 200 } }));
    const runs: { at: number; attemptsMade: number }[] = [];
    const worker = queues.work(
      q,
      async (j) => {
        runs.push({ at: Date.now(), attemptsMade: j.attemptsMade });
        if (runs.length < 5) throw new Error('not yet');
      },
      { concurrency: 1 },
    );
    await eventually(() => runs.length === 5);
    expect(runs.map((r) => r.attemptsMade)).toEqual([0, 1, 2, 3, 4]);
    const gaps = runs.slice(1).map((r, i) => r.at - runs[i]!.at);
    // 100 ms, doubled, then capped at 200 ms where doubling would have waited 400 and 800 ms.
    expect(gaps[0]).toBeGreaterThanOrEqual(100);
    expect(gaps[1]).toBeGreaterThanOrEqual(200);
    expect(gaps[2]).toBeGreaterThanOrEqual(200);
    expect(gaps[3]).toBeGreaterThanOrEqual(200);
    expect(gaps[3]).toBeLessThan(800);
    await eventually(async () => expect(await queues.counts(q)).toEqual(idle));
    await worker.close();
  });

  it('keeps a job that used up its attempts in the failed set, and retry() runs it again', async () => {
    const queues = open();
    const q = newQueueName();
    const before = Date.now();
    await queues.add(q, job({ photo: 7 }, { name: 'resize', id: 'resize-7', attempts: 2 }));
    let healthy = false;
    const runs: number[] = [];
    const worker = queues.work(
      q,
      async (j) => {
        runs.push(j.attemptsMade);
        if (!healthy) throw new Error(`disk full (run ${runs.length})`);
      },
      { concurrency: 1 },
    );
    await eventually(async () => (await queues.counts(q)).failed === 1);
    expect(await queues.counts(q)).toEqual({ ...idle, failed: 1 });
    expect(runs).toEqual([0, 1]);
    const [failed] = await queues.failed(q);
    expect(failed).toMatchObject({
      id: 'resize-7',
      name: 'resize',
      data: { photo: 7 },
      attemptsMade: 2,
      error: 'disk full (run 2)',
    });
    expect(failed!.failedAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(failed!.failedAt.getTime()).toBeLessThanOrEqual(Date.now());

    expect(await queues.retry(q, 'no-such-job')).toBe(false);
    healthy = true;
    expect(await queues.retry(q, 'resize-7')).toBe(true);
    await eventually(() => runs.length === 3);
    expect(runs[2]).toBe(0); // its attempts start again
    await eventually(async () => expect(await queues.counts(q)).toEqual(idle));
    expect(await queues.failed(q)).toEqual([]);
    expect(await queues.retry(q, 'resize-7')).toBe(false); // done, no longer failed
    await worker.close();
  });

  it('lists failed jobs most recent first, up to the limit', async () => {
    const queues = open();
    const q = newQueueName();
    const worker = queues.work(q, async (j) => Promise.reject(new Error(`${j.id} failed`)), {
      concurrency: 1,
    });
    for (const [i, id] of ['older', 'newer'].entries()) {
      await queues.add(q, job({}, { id }));
      await eventually(async () => (await queues.counts(q)).failed === i + 1);
    }
    expect((await queues.failed(q)).map((f) => [f.id, f.error])).toEqual([
      ['newer', 'newer failed'],
      ['older', 'older failed'],
    ]);
    expect((await queues.failed(q, 1)).map((f) => f.id)).toEqual(['newer']);
    expect((await queues.failed(q, 1, 1)).map((f) => f.id)).toEqual(['older']);
    expect(await queues.failed(q, 5, 2)).toEqual([]);
    await worker.close();
  });

  it('runs a delayed job no earlier than its delay, counting it as delayed meanwhile', async () => {
    const queues = open();
    const q = newQueueName();
    const ran: number[] = [];
    const worker = queues.work(q, async () => void ran.push(Date.now()), { concurrency: 1 });
    const addedAt = Date.now();
    await queues.add(q, job({}, { delayMs: 300 }));
    expect(await queues.counts(q)).toEqual({ ...idle, delayed: 1 });
    await eventually(() => ran.length === 1);
    expect(ran[0]! - addedAt).toBeGreaterThanOrEqual(300);
    await eventually(async () => expect(await queues.counts(q)).toEqual(idle));
    await worker.close();
  });

  it('adds a job once per id while it is delayed, waiting, running or failed', async () => {
    const queues = open();
    const q = newQueueName();
    await queues.add(q, job({ v: 0 }, { id: 'later', delayMs: 60_000 }));
    await queues.add(q, job({ v: 0 }, { id: 'later' }));
    await queues.add(q, job({ v: 1 }, { id: 'once' }));
    await queues.add(q, job({ v: 2 }, { id: 'once' }));
    expect(await queues.counts(q)).toEqual({ ...idle, waiting: 1, delayed: 1 });

    const runs: unknown[] = [];
    const release = gate();
    const worker = queues.work(
      q,
      async (j) => {
        runs.push(j.data);
        await release.opened;
        throw new Error('failed for good');
      },
      { concurrency: 1 },
    );
    await eventually(() => runs.length === 1);
    await queues.add(q, job({ v: 3 }, { id: 'once' }));
    expect(await queues.counts(q)).toEqual({ ...idle, active: 1, delayed: 1 });
    release.open();
    await eventually(async () => (await queues.counts(q)).failed === 1);
    await queues.add(q, job({ v: 4 }, { id: 'once' }));
    expect(await queues.counts(q)).toEqual({ ...idle, failed: 1, delayed: 1 });
    expect(runs).toEqual([{ v: 1 }]);
    expect((await queues.failed(q)).map((f) => f.data)).toEqual([{ v: 1 }]);
    await worker.close();
  });

  it('refuses job ids that BullMQ cannot store', async () => {
    const queues = open();
    const q = newQueueName();
    await expect(queues.add(q, job({}, { id: '42' }))).rejects.toThrow(/id/i);
    await expect(queues.add(q, job({}, { id: 'user:42' }))).rejects.toThrow(/id/i);
    expect(await queues.counts(q)).toEqual(idle);
  });

  it('runs a repeatable job every period from one period on, once per key, until unrepeat()', async () => {
    const queues = open();
    const q = newQueueName();
    const every = 200;
    const start = Date.now();
    await queues.repeat(q, 'tick', every, { name: 'tick', data: { v: 1 }, attempts: 1, backoff });
    // As every process start does: the same key replaces the job, never adds a second schedule.
    await queues.repeat(q, 'tick', every, { name: 'tick', data: { v: 2 }, attempts: 1, backoff });
    const runs: { at: number; job: RunningJob }[] = [];
    const worker = queues.work(q, async (j) => void runs.push({ at: Date.now(), job: j }), {
      concurrency: 1,
    });
    await eventually(() => runs.length >= 5);
    expect(runs[0]!.at - start).toBeGreaterThanOrEqual(every);
    // Four periods apart when on time; two schedules would have run five times within about two.
    // (A run may start late, the first especially, while the worker is still connecting.)
    expect(runs[4]!.at - runs[0]!.at).toBeGreaterThanOrEqual(3 * every);
    expect(runs.map((r) => [r.job.name, r.job.data])).toEqual(runs.map(() => ['tick', { v: 2 }]));

    await queues.repeat(q, 'tock', 60_000, { name: 'tock', data: {}, attempts: 1, backoff });
    expect(await queues.schedules(q)).toEqual(expect.arrayContaining(['tick', 'tock']));
    expect(await queues.unrepeat(q, 'tock')).toBe(true);
    expect(await queues.schedules(q)).toEqual(['tick']);
    expect(await queues.unrepeat(q, 'tick')).toBe(true);
    expect(await queues.unrepeat(q, 'tick')).toBe(false);
    expect(await queues.schedules(q)).toEqual([]);
    await eventually(async () => expect(await queues.counts(q)).toEqual(idle));
    const ran = runs.length;
    // Nothing is queued any more; that nothing runs either can only be watched for a while.
    await sleep(3 * every);
    expect(runs.length).toBe(ran);
    await worker.close();
  });

  it('runs a schedule once, not once per missed period, after being stopped for a while', async () => {
    const q = newQueueName();
    const every = 100;
    const before = open();
    await before.repeat(q, 'tick', every, { name: 'tick', data: {}, attempts: 1, backoff });
    await before.close();
    await sleep(6 * every); // stopped: five runs missed

    const queues = open();
    const runs: number[] = [];
    const worker = queues.work(q, async () => void runs.push(Date.now()), { concurrency: 1 });
    await eventually(() => runs.length >= 3);
    // The overdue run, then the next slot still ahead, then one period later: never a burst.
    expect(runs[2]! - runs[0]!).toBeGreaterThanOrEqual(every - 30);
    await worker.close();
  });

  it('runs at most `concurrency` jobs of a queue at once', async () => {
    const queues = open();
    const q = newQueueName();
    for (let i = 0; i < 8; i++) await queues.add(q, job({ i }));
    let inFlight = 0;
    let most = 0;
    let done = 0;
    const release = gate();
    const worker = queues.work(
      q,
      async () => {
        most = Math.max(most, ++inFlight);
        await release.opened;
        await sleep(20); // some work, so that runs overlap
        inFlight--;
        done++;
      },
      { concurrency: 3 },
    );
    await eventually(() => inFlight === 3);
    expect(await queues.counts(q)).toEqual({ ...idle, active: 3, waiting: 5 });
    release.open();
    await eventually(() => done === 8);
    expect(most).toBe(3);
    await worker.close();
  });

  it('closing a worker waits for its running job and takes no new one', async () => {
    const queues = open();
    const q = newQueueName();
    await queues.add(q, job({}, { id: 'first' }));
    const events: string[] = [];
    const release = gate();
    const worker = queues.work(
      q,
      async (j) => {
        events.push(`start ${j.id}`);
        await release.opened;
        events.push(`end ${j.id}`);
      },
      { concurrency: 1 },
    );
    await eventually(() => events.length === 1);
    await queues.add(q, job({}, { id: 'second' }));
    const closed = worker.close().then(() => events.push('closed'));
    await sleep(100); // time enough for a close() that does not wait to resolve first
    release.open();
    await closed;
    expect(events).toEqual(['start first', 'end first', 'closed']);
    expect(await queues.counts(q)).toEqual({ ...idle, waiting: 1 });
  });

  it('keeps jobs across a restart', async () => {
    const q = newQueueName();
    const before = open();
    await before.add(q, job({ kept: true }, { id: 'survivor' }));
    await before.close();

    const queues = open();
    expect(await queues.counts(q)).toEqual({ ...idle, waiting: 1 });
    const seen: RunningJob[] = [];
    const worker = queues.work(q, async (j) => void seen.push(j), { concurrency: 1 });
    await eventually(() => seen.length === 1);
    expect(seen[0]).toEqual({ id: 'survivor', name: 'test', data: { kept: true }, attemptsMade: 0 });
    await worker.close();
  });

  it('runs again a job whose worker was killed mid-run', async () => {
    const q = newQueueName();
    const producer = open();
    await producer.add(q, job({ photo: 1 }, { id: 'crashy' }));
    await producer.close();
    expect(await killWorkerMidJob(q, 5)).toBe('running crashy');

    const queues = open();
    const seen: RunningJob[] = [];
    const worker = queues.work(q, async (j) => void seen.push(j), { concurrency: 1, maxStalls: 5 });
    await eventually(() => seen.length === 1);
    // The abandoned run is not a failed attempt.
    expect(seen[0]).toEqual({ id: 'crashy', name: 'test', data: { photo: 1 }, attemptsMade: 0 });
    await eventually(async () => expect(await queues.counts(q)).toEqual(idle));
    await worker.close();
  });

  it('fails a job that killed its worker more than maxStalls times, and keeps it retryable', async () => {
    const q = newQueueName();
    const producer = open();
    await producer.add(q, job({ photo: 2 }, { id: 'deadly' }));
    await producer.close();
    expect(await killWorkerMidJob(q, 1)).toBe('running deadly');
    expect(await killWorkerMidJob(q, 1)).toBe('running deadly'); // found abandoned once, run again

    const queues = open();
    let runs = 0;
    const worker = queues.work(q, async () => void runs++, { concurrency: 1, maxStalls: 1 });
    await eventually(async () => (await queues.counts(q)).failed === 1);
    const [failed] = await queues.failed(q);
    expect(failed).toMatchObject({
      id: 'deadly',
      data: { photo: 2 },
      error: expect.stringMatching(/stalled more than/),
    });
    expect(runs).toBe(0);

    expect(await queues.retry(q, 'deadly')).toBe(true);
    await eventually(() => runs === 1);
    await eventually(async () => expect(await queues.counts(q)).toEqual(idle));
    await worker.close();
  });
});

describe('queues on bullmq while Redis is away', () => {
  it('add rejects within a second while Redis is unreachable, and works again once it is back', async () => {
    const { host, port } = hostAndPort(TEST_REDIS_URL, 6379);
    const proxy = await startTcpProxy(port, host);
    const prefix = newTestRedisPrefix();
    const queues = createBullmqQueues({ redisUrl: proxy.url('redis'), prefix, logger });
    const q = newQueueName();
    try {
      await queues.add(q, job({}, { id: 'before' }));
      await proxy.down();
      // Right away, and again once the connection knows it is gone.
      for (const id of ['during-1', 'during-2']) {
        const started = Date.now();
        await expect(queues.add(q, job({}, { id }))).rejects.toThrow();
        expect(Date.now() - started).toBeLessThan(1000);
      }
      await proxy.up();
      await eventually(async () => {
        await queues.add(q, job({}, { id: 'after' }));
        return true;
      }, 15_000);

      const seen: string[] = [];
      const worker = queues.work(q, async (j) => void seen.push(j.id), { concurrency: 1 });
      await eventually(() => seen.length === 2);
      expect(seen.sort()).toEqual(['after', 'before']);
      await eventually(async () => expect(await queues.counts(q)).toEqual(idle));
      await worker.close();
    } finally {
      await queues.close();
      await proxy.close();
      await dropRedisKeys(prefix);
    }
  });
});
