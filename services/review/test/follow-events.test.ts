import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventQueueName, type EventEnvelope } from '@moim/events';
import { ProcessedEvent } from '@moim/kit';
import {
  createTestDatabase,
  eventually,
  TEST_REDIS_URL,
  testServiceConfig,
  dropRedisKeys,
  newTestRedisPrefix,
  type TestDatabase,
} from '@moim/kit/testing';
import { createReviewService, FollowEdgeEntity, loadReviewEnv, type ReviewService } from '../src';

let db: TestDatabase;
let review: ReviewService;
let queue: Queue;
const prefix = newTestRedisPrefix();

beforeAll(async () => {
  db = await createTestDatabase('review_events');
  const config = testServiceConfig(db.url, prefix);
  review = await createReviewService(loadReviewEnv({ ...config, MIGRATE_ON_START: 'true' }));
  queue = new Queue(eventQueueName('review'), {
    connection: { host: new URL(TEST_REDIS_URL).hostname, port: Number(new URL(TEST_REDIS_URL).port) },
    prefix: config.REDIS_PREFIX,
  });
});

afterAll(async () => {
  await queue?.close();
  await review?.stop();
  await db?.drop();
  await dropRedisKeys(prefix);
});

const envelope = (
  topic: 'follow.created' | 'follow.deleted',
  followerId: string,
  followeeId: string,
  sequence: number,
): EventEnvelope => ({
  id: randomUUID(),
  topic,
  payload: { followerId, followeeId },
  sequence,
  occurredAt: new Date().toISOString(),
});

it('applies a redelivered event once', async () => {
  const [a, b] = [randomUUID(), randomUUID()];
  const event = envelope('follow.created', a, b, 7);
  // Two jobs, one event: what a crash between publishing and marking the outbox row produces.
  await queue.add(event.topic, event, { jobId: `${event.id}-1` });
  await queue.add(event.topic, event, { jobId: `${event.id}-2` });
  const processed = review.deps.db.dataSource.getRepository(ProcessedEvent);
  await eventually(async () => ((await queue.getJobCounts('completed')).completed ?? 0) >= 2);
  expect(await processed.countBy({ eventId: event.id })).toBe(1);
  expect(await review.deps.db.dataSource.getRepository(FollowEdgeEntity).findBy({ followerId: a })).toEqual([
    { followerId: a, followeeId: b, active: true, version: '7' },
  ]);
});

it('keeps the newest state when an unfollow arrives before the follow it undoes', async () => {
  const [a, b] = [randomUUID(), randomUUID()];
  const followed = envelope('follow.created', a, b, 10);
  const unfollowed = envelope('follow.deleted', a, b, 11);
  await queue.add(unfollowed.topic, unfollowed, { jobId: unfollowed.id });
  await queue.add(followed.topic, followed, { jobId: followed.id });
  const processed = review.deps.db.dataSource.getRepository(ProcessedEvent);
  await eventually(async () => (await processed.countBy({ eventId: followed.id })) === 1);
  expect(
    await review.deps.db.dataSource
      .getRepository(FollowEdgeEntity)
      .findOneBy({ followerId: a, followeeId: b }),
  ).toMatchObject({ active: false, version: '11' });

  const refollowed = envelope('follow.created', a, b, 12);
  await queue.add(refollowed.topic, refollowed, { jobId: refollowed.id });
  await eventually(async () => (await processed.countBy({ eventId: refollowed.id })) === 1);
  expect(
    await review.deps.db.dataSource.getRepository(FollowEdgeEntity).findOneBy({ followerId: a }),
  ).toMatchObject({ active: true, version: '12' });
});
