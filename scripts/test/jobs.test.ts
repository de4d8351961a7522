import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EVENT_BACKOFF, type QueueWorker } from '@moim/kit';
import { eventually, openTestBackend, startProcess, type TestBackend } from '@moim/kit/testing';

// `npm run jobs` reads the failed set of a queue and retries a job from it, beside a running worker.
const JOBS = fileURLToPath(new URL('../jobs.ts', import.meta.url));
let test: TestBackend;
let worker: QueueWorker;
let broken = true;
const done: string[] = [];

beforeAll(async () => {
  test = await openTestBackend('servers');
  worker = test.backend.queues.work(
    'ops-test',
    async (job) => {
      if (broken) throw new Error('the photo service is down');
      done.push(job.id);
    },
    { concurrency: 1 },
  );
});
afterAll(async () => {
  await worker?.close();
  await test?.cleanUp();
});

const jobs = async (...args: string[]) => {
  const proc = startProcess(JOBS, { ...test.env, MOIM_BACKEND: 'servers' }, args);
  return { code: await proc.exited, out: proc.out(), err: proc.err() };
};

it('lists a failed job with its error and retries it', async () => {
  await test.backend.queues.add('ops-test', {
    name: 'resize',
    data: { photo: 42 },
    id: 'photo-42',
    attempts: 1,
    backoff: EVENT_BACKOFF,
  });
  await eventually(async () => (await test.backend.queues.failed('ops-test')).length === 1);

  const failed = await jobs('failed', 'ops-test');
  expect(failed.code).toBe(0);
  expect(failed.out).toMatch(/photo-42 {2}resize {2}after 1 attempts: the photo service is down/);
  expect(failed.out).toContain('data: {"photo":42}');

  expect(await jobs('retry', 'ops-test', 'nope')).toMatchObject({
    code: 1,
    err: 'No failed job nope in ops-test.\n',
  });
  broken = false;
  expect((await jobs('retry', 'ops-test', 'photo-42')).code).toBe(0);
  await eventually(() => done.includes('photo-42'));
  expect(await test.backend.queues.failed('ops-test')).toEqual([]);

  const counts = await jobs('counts', 'ops-test');
  expect(counts.code).toBe(0);
  expect(counts.out).toMatch(/review-events/);
  expect(counts.out).toMatch(/ops-test/);
  expect((await jobs('frobnicate')).code).toBe(2);
});
