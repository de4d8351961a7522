import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import type { ReviewChange } from '@moim/events';
import { startService, type BackendKind, type Caller } from '@moim/kit';
import { eventFeed, openTestBackend, testEnv, type TestBackend } from '@moim/kit/testing';
import { service, type SocialService } from '../src';
import { interactableTarget } from '../src/domain/targets';
import { TargetEntity } from '../src/entities';

// social's replica of review's reviews (`targets`), fed straight through the queue port by
// review's events: what redelivery and reordering do to it, on both backends. Each event carries
// the review's whole state; the one with the largest outbox sequence wins.
describe.each<BackendKind>(['servers', 'embedded'])('on the %s backend', (kind) => {
  let test: TestBackend;
  let social: SocialService;

  beforeAll(async () => {
    test = await openTestBackend(kind);
    const config = service.loadEnv(testEnv({ ...test.env, DATABASE_URL: await test.databaseUrl('social') }));
    social = await startService(service.define(config), config, { backend: test.backend, role: 'worker' });
  });
  afterAll(async () => {
    await social?.stop();
    await test?.cleanUp();
  });

  type ReviewTopic =
    'review.created' | 'review.updated' | 'review.hidden' | 'review.unhidden' | 'review.deleted';
  const envelope = (
    topic: ReviewTopic,
    review: { reviewId: string; authorId: string },
    sequence: number,
    hidden = topic === 'review.hidden',
  ) => feed.envelope(topic, { ...review, hidden } satisfies ReviewChange, sequence);
  const { send, applied, settle, ...feed } = eventFeed(() => ({
    queues: test.backend.queues,
    service: social,
  }));
  const target = (id: string) => social.deps.db.dataSource.getRepository(TargetEntity).findOneBy({ id });
  const aReview = () => ({ reviewId: randomUUID(), authorId: randomUUID() });
  const viewer: Caller = { userId: randomUUID(), role: 'USER', ip: null, requestId: 'test' };
  const admin: Caller = { userId: randomUUID(), role: 'ADMIN', ip: null, requestId: 'test' };
  /** What liking or commenting would find: the target, or the error code. */
  const interactable = (id: string, caller = viewer) =>
    social.deps.db.transaction((manager) =>
      interactableTarget(manager, caller, id).then(
        (t) => t.state,
        (err: unknown) => (err instanceof GraphQLError ? err.extensions.code : err),
      ),
    );

  it('applies a redelivered review.created once', async () => {
    const review = aReview();
    const created = envelope('review.created', review, 5);
    // Two jobs, one event: what a crash between publishing and marking the outbox row produces.
    await send(created, `${created.id}-1`);
    await send(created, `${created.id}-2`);
    await settle(created);
    expect(await applied(created.id)).toBe(1);
    expect(await target(review.reviewId)).toEqual({
      id: review.reviewId,
      kind: 'REVIEW',
      authorId: review.authorId,
      state: 'VISIBLE',
      version: '5',
    });
    expect(await interactable(review.reviewId)).toBe('VISIBLE');
  });

  it('does not bring a deleted review back when its review.created arrives late', async () => {
    const review = aReview();
    const created = envelope('review.created', review, 10);
    const deleted = envelope('review.deleted', review, 11);
    await send(deleted);
    await settle(deleted);
    await send(created);
    await settle(created);
    expect(await target(review.reviewId)).toMatchObject({ state: 'DELETED', version: '11' });

    // An update retried long after, and the created event redelivered: still deleted.
    const updated = envelope('review.updated', review, 10);
    await send(updated);
    await send(created, `${created.id}-again`);
    await settle(updated, created);
    expect(await target(review.reviewId)).toMatchObject({ state: 'DELETED', version: '11' });
    expect(await interactable(review.reviewId)).toBe('NOT_FOUND');
    expect(await interactable(review.reviewId, admin)).toBe('NOT_FOUND');
  });

  it('orders hidden and unhidden by sequence, whatever order they arrive in', async () => {
    const review = aReview();
    const created = envelope('review.created', review, 20);
    const hidden = envelope('review.hidden', review, 21);
    const unhidden = envelope('review.unhidden', review, 22);

    await send(created);
    await send(hidden);
    await settle(created, hidden);
    expect(await target(review.reviewId)).toMatchObject({ state: 'HIDDEN', version: '21' });
    expect(await interactable(review.reviewId)).toBe('NOT_FOUND');
    expect(await interactable(review.reviewId, admin)).toBe('HIDDEN');

    await send(unhidden);
    await send(hidden, `${hidden.id}-again`);
    await settle(unhidden, hidden);
    expect(await target(review.reviewId)).toMatchObject({ state: 'VISIBLE', version: '22' });

    // Hidden again later, with the unhide before it retried after: hidden it stays.
    const hiddenAgain = envelope('review.hidden', review, 23);
    const lateUnhidden = envelope('review.unhidden', review, 22);
    await send(hiddenAgain);
    await settle(hiddenAgain);
    await send(lateUnhidden);
    await settle(lateUnhidden);
    expect(await target(review.reviewId)).toMatchObject({ state: 'HIDDEN', version: '23' });
  });

  it('starts from whichever event comes first: a review first heard of hidden is hidden', async () => {
    const review = aReview();
    const hidden = envelope('review.hidden', review, 31);
    const created = envelope('review.created', review, 30);
    const updated = envelope('review.updated', review, 32, true);
    await send(hidden);
    await settle(hidden);
    expect(await target(review.reviewId)).toMatchObject({ kind: 'REVIEW', state: 'HIDDEN', version: '31' });
    await send(created);
    await settle(created);
    expect(await target(review.reviewId)).toMatchObject({ state: 'HIDDEN', version: '31' });
    // review.updated carries the hidden flag too: an edit of a hidden review keeps it hidden.
    await send(updated);
    await settle(updated);
    expect(await target(review.reviewId)).toMatchObject({ state: 'HIDDEN', version: '32' });
  });
});
