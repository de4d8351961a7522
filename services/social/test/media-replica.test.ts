import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventQueueName, type EventEnvelope, type EventPayloads } from '@moim/events';
import { EVENT_BACKOFF, ProcessedEvent, startService, type BackendKind } from '@moim/kit';
import { eventually, openTestBackend, testEnv, type TestBackend } from '@moim/kit/testing';
import { MediaRefEntity, service, type SocialService } from '../src';

// social's replica of media's uploads (media_refs), fed straight through the queue port by
// media.created and media.failed: what redelivery and reordering do to it, on both backends.
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

  const occurredAt = '2030-01-02T03:04:05.678Z';
  const created = (mediaId: string, ownerId: string, sequence: number): EventEnvelope => ({
    id: randomUUID(),
    topic: 'media.created',
    payload: { mediaId, ownerId, purpose: 'POST' } satisfies EventPayloads['media.created'],
    sequence,
    occurredAt,
  });
  const failed = (mediaId: string, ownerId: string, sequence: number): EventEnvelope => ({
    id: randomUUID(),
    topic: 'media.failed',
    payload: { mediaId, ownerId } satisfies EventPayloads['media.failed'],
    sequence,
    occurredAt,
  });
  const send = (event: EventEnvelope, jobId = event.id) =>
    test.backend.queues.add(eventQueueName('social'), {
      name: event.topic,
      data: event,
      id: jobId,
      attempts: 3,
      backoff: EVENT_BACKOFF,
    });
  const applied = (eventId: string) =>
    social.deps.db.dataSource.getRepository(ProcessedEvent).countBy({ eventId });
  const settle = (...events: EventEnvelope[]) =>
    eventually(async () => {
      for (const e of events) if ((await applied(e.id)) !== 1) return false;
      const c = await test.backend.queues.counts(eventQueueName('social'));
      return c.waiting + c.active + c.delayed === 0;
    });
  const refs = () => social.deps.db.dataSource.getRepository(MediaRefEntity);

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
        purpose: 'POST',
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
    await refs().update({ id: mediaId }, { subject: 'post:x' });
    const then = failed(mediaId, ownerId, 21);
    await send(then);
    await settle(then);
    expect(await refs().findOneByOrFail({ id: mediaId })).toMatchObject({
      state: 'FAILED',
      version: '21',
      purpose: 'POST',
      subject: 'post:x',
      detachedAt: null,
    });
  });
});
