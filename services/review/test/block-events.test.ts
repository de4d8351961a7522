import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxEvent, startService, type BackendKind, type Caller } from '@moim/kit';
import { eventFeed, openTestBackend, testEnv, type TestBackend } from '@moim/kit/testing';
import { BlockEdgeEntity, ReviewEntity, service, type Review, type ReviewService } from '../src';
import { feedPage } from '../src/domain/feeds';

// review's consumers of social's block and report events, fed straight through the queue port:
// the block-edge replica under redelivery and reordering (and what it does to the blocker's
// feed), and an admin's HIDE on a report hiding the review as hideReview does, announced in
// review's outbox; on both backends.
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

  const { envelope, send, applied, settle } = eventFeed(() => ({
    queues: test.backend.queues,
    service: review,
  }));
  const block = (
    topic: 'block.created' | 'block.deleted',
    blockerId: string,
    blockedId: string,
    sequence: number,
  ) => envelope(topic, { blockerId, blockedId }, sequence);
  const resolved = (
    targetId: string,
    action: 'HIDE' | 'DISMISS',
    targetKind: 'REVIEW' | 'POST' = 'REVIEW',
    sequence = 1,
  ) =>
    envelope(
      'report.resolved',
      { reportId: randomUUID(), targetId, targetKind, action, adminId: randomUUID() },
      sequence,
    );
  const edges = (blockerId: string) =>
    review.deps.db.dataSource.getRepository(BlockEdgeEntity).findBy({ blockerId });
  const reviews = () => review.deps.db.dataSource.getRepository(ReviewEntity);
  const aReview = async (authorId = randomUUID()): Promise<Review> => {
    const now = new Date();
    const row: Review = {
      id: randomUUID(),
      kind: 'SOSOLOG',
      title: null,
      body: 'A fine bowl of noodles',
      rating: 4,
      placeId: null,
      productId: null,
      authorId,
      hidden: false,
      createdAt: now,
      updatedAt: now,
    };
    await reviews().insert(row);
    return row;
  };
  /** review's announcements about one review, oldest first. */
  const announced = async (reviewId: string) =>
    (await review.deps.db.dataSource.getRepository(OutboxEvent).find({ order: { seq: 'ASC' } }))
      .map((row) => ({ topic: row.topic, payload: JSON.parse(row.payload) as { reviewId?: string } }))
      .filter((row) => row.payload.reviewId === reviewId);
  const callerFor = (userId: string): Caller => ({ userId, role: 'USER', ip: null, requestId: 'test' });
  const latestIds = async (viewerId: string) =>
    (await feedPage(review.deps, callerFor(viewerId), 'LATEST', { first: 50 })).edges.map((e) => e.node.id);

  describe('block events', () => {
    it('applies a redelivered block.created once, and the blocked author leaves the blocker’s feed', async () => {
      const [blocker, blocked] = [randomUUID(), randomUUID()];
      const theirs = await aReview(blocked);
      expect(await latestIds(blocker)).toContain(theirs.id);

      const event = block('block.created', blocker, blocked, 7);
      // Two jobs, one event: what a crash between publishing and marking the outbox row produces.
      await send(event, `${event.id}-1`);
      await send(event, `${event.id}-2`);
      await settle(event);
      expect(await applied(event.id)).toBe(1);
      expect(await edges(blocker)).toEqual([
        { blockerId: blocker, blockedId: blocked, active: true, version: '7' },
      ]);
      expect(await latestIds(blocker)).not.toContain(theirs.id);
      // Only for the blocker: everyone else still sees it.
      expect(await latestIds(randomUUID())).toContain(theirs.id);
    });

    it('keeps the newest state when an unblock arrives before the block it undoes', async () => {
      const [blocker, blocked] = [randomUUID(), randomUUID()];
      const theirs = await aReview(blocked);
      const blocked1 = block('block.created', blocker, blocked, 10);
      const unblocked = block('block.deleted', blocker, blocked, 11);
      await send(unblocked);
      await settle(unblocked);
      await send(blocked1);
      await settle(blocked1);
      expect(await edges(blocker)).toEqual([
        { blockerId: blocker, blockedId: blocked, active: false, version: '11' },
      ]);
      expect(await latestIds(blocker)).toContain(theirs.id);

      const reblocked = block('block.created', blocker, blocked, 12);
      await send(reblocked);
      await settle(reblocked);
      expect(await edges(blocker)).toEqual([
        { blockerId: blocker, blockedId: blocked, active: true, version: '12' },
      ]);
      expect(await latestIds(blocker)).not.toContain(theirs.id);

      // The old unblock redelivered: the block stands.
      await send(unblocked, `${unblocked.id}-again`);
      await settle(unblocked);
      expect(await edges(blocker)).toEqual([
        { blockerId: blocker, blockedId: blocked, active: true, version: '12' },
      ]);
    });
  });

  describe('report.resolved', () => {
    it('with HIDE hides the review and announces review.hidden once, however often it is delivered', async () => {
      const target = await aReview();
      const event = resolved(target.id, 'HIDE');
      await send(event, `${event.id}-1`);
      await send(event, `${event.id}-2`);
      await settle(event);
      expect(await reviews().findOneByOrFail({ id: target.id })).toMatchObject({ hidden: true });
      expect(await announced(target.id)).toEqual([
        { topic: 'review.hidden', payload: { reviewId: target.id, authorId: target.authorId, hidden: true } },
      ]);
      // Hidden from the feed for everyone but admins.
      expect(await latestIds(randomUUID())).not.toContain(target.id);

      // Another report on the same review, also HIDE: already hidden, nothing more to announce.
      const second = resolved(target.id, 'HIDE', 'REVIEW', 2);
      await send(second);
      await settle(second);
      expect(await announced(target.id)).toHaveLength(1);
    });

    it('with DISMISS changes nothing and announces nothing', async () => {
      const target = await aReview();
      const before = await reviews().findOneByOrFail({ id: target.id });
      const event = resolved(target.id, 'DISMISS');
      await send(event);
      await settle(event);
      expect(await reviews().findOneByOrFail({ id: target.id })).toEqual(before);
      expect(await announced(target.id)).toEqual([]);
      expect(await latestIds(randomUUID())).toContain(target.id);
    });

    it('leaves posts to social, and takes a review deleted since as nothing to do', async () => {
      const target = await aReview();
      const post = resolved(target.id, 'HIDE', 'POST');
      const goneId = randomUUID();
      const gone = resolved(goneId, 'HIDE');
      await send(post);
      await send(gone);
      await settle(post, gone);
      expect(await reviews().findOneByOrFail({ id: target.id })).toMatchObject({ hidden: false });
      expect(await announced(target.id)).toEqual([]);
      expect(await announced(goneId)).toEqual([]);
    });
  });
});
