import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventQueueName } from '@moim/events';
import { startService, type BackendKind } from '@moim/kit';
import { eventFeed, eventually, openTestBackend, testEnv, type TestBackend } from '@moim/kit/testing';
import { FollowEdgeEntity, service, type ReviewService } from '../src';

// review's consumer of social's follow events, fed straight through the queue port: what
// redelivery and reordering do to its copy of the follow graph, on both backends.
describe.each<BackendKind>(['servers', 'embedded'])('on the %s backend', (kind) => {
  let test: TestBackend;
  let review: ReviewService;

  beforeAll(async () => {
    test = await openTestBackend(kind);
    const config = service.loadEnv(testEnv({ ...test.env, DATABASE_URL: await test.databaseUrl('review') }));
    review = await startService(service.define(config), config, { backend: test.backend, role: 'worker' });
  });
  afterAll(async () => {
    await review?.stop();
    await test?.cleanUp();
  });

  const { send, applied, ...feed } = eventFeed(() => ({ queues: test.backend.queues, service: review }));
  const envelope = (
    topic: 'follow.created' | 'follow.deleted',
    followerId: string,
    followeeId: string,
    sequence: number,
  ) => feed.envelope(topic, { followerId, followeeId }, sequence);
  const edge = (followerId: string) =>
    review.deps.db.dataSource.getRepository(FollowEdgeEntity).findBy({ followerId });

  it('applies a redelivered event once', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const event = envelope('follow.created', a, b, 7);
    // Two jobs, one event: what a crash between publishing and marking the outbox row produces.
    await send(event, `${event.id}-1`);
    await send(event, `${event.id}-2`);
    await eventually(async () => {
      const c = await test.backend.queues.counts(eventQueueName('review'));
      return (await applied(event.id)) === 1 && c.waiting + c.active === 0;
    });
    expect(await applied(event.id)).toBe(1);
    expect(await edge(a)).toEqual([{ followerId: a, followeeId: b, active: true, version: '7' }]);
  });

  it('keeps the newest state when an unfollow arrives before the follow it undoes', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const followed = envelope('follow.created', a, b, 10);
    const unfollowed = envelope('follow.deleted', a, b, 11);
    await send(unfollowed);
    await send(followed);
    await eventually(async () => (await applied(followed.id)) === 1 && (await applied(unfollowed.id)) === 1);
    expect(await edge(a)).toEqual([{ followerId: a, followeeId: b, active: false, version: '11' }]);

    const refollowed = envelope('follow.created', a, b, 12);
    await send(refollowed);
    await eventually(async () => (await applied(refollowed.id)) === 1);
    expect(await edge(a)).toEqual([{ followerId: a, followeeId: b, active: true, version: '12' }]);
  });
});
