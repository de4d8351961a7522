import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '@moim/events';
import { startService, type RunningService, type ServiceModule } from '@moim/kit';
import { eventFeed, openTestBackend, TEST_BACKEND, testEnv, type TestBackend } from '@moim/kit/testing';
import { MediaRefEntity } from '@moim/media-refs';
import { service as reviewService } from '@moim/review';
import { service as socialService } from '@moim/social';

// The replicas of media's uploads (media_refs, @moim/media-refs) that review and social keep, fed
// straight through each one's queue by media.created and media.failed: what redelivery and
// reordering do to them.
const replicas = [
  { module: reviewService as unknown as ServiceModule, purpose: 'REVIEW' as const, subject: 'review:x' },
  { module: socialService as unknown as ServiceModule, purpose: 'POST' as const, subject: 'post:x' },
];

describe.each(replicas)('$module.name', ({ module: service, purpose, subject }) => {
  let test: TestBackend;
  let replica: RunningService;

  beforeAll(async () => {
    test = await openTestBackend(TEST_BACKEND);
    const config = service.loadEnv(
      testEnv({ ...test.env, DATABASE_URL: await test.databaseUrl(service.name) }),
    );
    replica = await startService(service.define(config), config, { backend: test.backend, role: 'worker' });
  });
  afterAll(async () => {
    await replica?.stop();
    await test?.cleanUp();
  });

  const occurredAt = '2030-01-02T03:04:05.678Z';
  const { send, settle, ...feed } = eventFeed(() => ({
    queues: test.backend.queues,
    service: replica,
  }));
  // A fixed event time: the replica keeps it as the upload's time.
  const created = (mediaId: string, ownerId: string, sequence: number): EventEnvelope => ({
    ...feed.envelope('media.created', { mediaId, ownerId, purpose }, sequence),
    occurredAt,
  });
  const failed = (mediaId: string, ownerId: string, sequence: number): EventEnvelope => ({
    ...feed.envelope('media.failed', { mediaId, ownerId }, sequence),
    occurredAt,
  });
  const refs = () => replica.deps.db.dataSource.getRepository(MediaRefEntity);

  it('learns an upload once from a redelivered media.created', async () => {
    const [mediaId, ownerId] = [randomUUID(), randomUUID()];
    const event = created(mediaId, ownerId, 7);
    await send(event, `${event.id}-1`);
    await send(event, `${event.id}-2`);
    await settle(event);
    expect(await refs().findBy({ id: mediaId })).toEqual([
      {
        id: mediaId,
        ownerId,
        purpose,
        state: 'ACTIVE',
        version: '7',
        uploadedAt: new Date(occurredAt),
        subject: null,
        detachedAt: null,
      },
    ]);
  });

  it('keeps FAILED when media.failed arrives before the media.created it follows', async () => {
    const [mediaId, ownerId] = [randomUUID(), randomUUID()];
    const late = created(mediaId, ownerId, 10);
    const early = failed(mediaId, ownerId, 11);
    await send(early);
    await settle(early);
    await send(late);
    await settle(late);
    expect(await refs().findOneByOrFail({ id: mediaId })).toMatchObject({
      ownerId,
      state: 'FAILED',
      version: '11',
    });
  });

  it('marks an attached upload FAILED without touching where it is attached', async () => {
    const [mediaId, ownerId] = [randomUUID(), randomUUID()];
    const first = created(mediaId, ownerId, 20);
    await send(first);
    await settle(first);
    await refs().update({ id: mediaId }, { subject });
    const then = failed(mediaId, ownerId, 21);
    await send(then);
    await settle(then);
    expect(await refs().findOneByOrFail({ id: mediaId })).toMatchObject({
      state: 'FAILED',
      version: '21',
      purpose,
      subject,
      detachedAt: null,
    });
  });
});
