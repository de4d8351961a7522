import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxEvent, startService, type BackendKind } from '@moim/kit';
import { eventFeed, eventually, openTestBackend, testEnv, type TestBackend } from '@moim/kit/testing';
import { MediaEntity, service, type Media, type MediaService } from '../src';
import { CLEAN_UP_MEDIA, cleanUpMedia, keysOf, MEDIA_CLEANUP_QUEUE } from '../src/cleanup';

// media's side of attaching (media.attached and media.detached, fed straight through the queue
// port) and its cleanup job, with rows backdated as a day's wait would leave them and objects
// really stored by the local adapter; on both backends.
describe.each<BackendKind>(['servers', 'embedded'])('on the %s backend', (kind) => {
  let test: TestBackend;
  let media: MediaService;
  let dir: string;

  beforeAll(async () => {
    test = await openTestBackend(kind);
    dir = mkdtempSync(join(tmpdir(), 'moim-media-cleanup-'));
    const config = service.loadEnv(
      testEnv({ ...test.env, DATABASE_URL: await test.databaseUrl('media'), MEDIA_DIR: dir }),
    );
    media = await startService(service.define(config), config, { backend: test.backend, role: 'worker' });
  });
  afterAll(async () => {
    await media?.stop();
    await test?.cleanUp();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const rows = () => media.deps.db.dataSource.getRepository(MediaEntity);
  const HOUR = 3_600_000;

  /** A media row as an upload leaves it, `ageMs` old, with every one of its objects stored. */
  async function aMedia(ageMs: number, changes: Partial<Media> = {}, objects = true): Promise<Media> {
    const at = new Date(Date.now() - ageMs);
    const row: Media = {
      id: randomUUID(),
      ownerId: randomUUID(),
      purpose: 'REVIEW',
      contentType: 'image/jpeg',
      byteSize: 3,
      state: 'READY',
      failureReason: null,
      width: 10,
      height: 10,
      placeholder: null,
      uploadedAt: at,
      attachedTo: null,
      detachedAt: null,
      createdAt: at,
      updatedAt: at,
      ...changes,
    };
    await rows().insert(row);
    if (objects)
      for (const key of keysOf(row.id)) await media.deps.storage.write(key, Buffer.from('abc'), 'image/jpeg');
    return row;
  }
  /** Every stored file of a media, original and variants. */
  const filesOf = (id: string) => [
    ...(existsSync(join(dir, 'uploads')) ? readdirSync(join(dir, 'uploads')).filter((f) => f === id) : []),
    ...(existsSync(join(dir, 'media', id)) ? readdirSync(join(dir, 'media', id)) : []),
  ];

  describe('the cleanup', () => {
    it('removes old unattached uploads and detached media with all their objects, and keeps the rest', async () => {
      const oldUnattached = await aMedia(25 * HOUR, { state: 'PENDING', uploadedAt: null });
      const oldFailed = await aMedia(30 * HOUR, { state: 'FAILED', failureReason: 'Not an image' });
      const recentUnattached = await aMedia(HOUR);
      const oldAttached = await aMedia(72 * HOUR, { attachedTo: `review:${randomUUID()}` });
      const detached = await aMedia(HOUR, {
        attachedTo: `post:${randomUUID()}`,
        detachedAt: new Date(),
      });
      const detachedWithoutObjects = await aMedia(
        2 * HOUR,
        { attachedTo: `avatar:${randomUUID()}`, detachedAt: new Date() },
        false,
      );
      expect(filesOf(detached.id)).toHaveLength(10);

      await cleanUpMedia(media.deps);
      for (const gone of [oldUnattached, oldFailed, detached, detachedWithoutObjects]) {
        expect(await rows().findOneBy({ id: gone.id })).toBeNull();
        expect(filesOf(gone.id)).toEqual([]);
      }
      for (const kept of [recentUnattached, oldAttached]) {
        expect(await rows().findOneBy({ id: kept.id })).toMatchObject({ detachedAt: null });
        expect(filesOf(kept.id)).toHaveLength(10);
      }

      // Idempotent: a second run finds nothing more to do.
      expect(await cleanUpMedia(media.deps)).toBe(0);
      for (const kept of [recentUnattached, oldAttached]) expect(filesOf(kept.id)).toHaveLength(10);
    });

    it('fails uploads never completed and resizes whose worker died, attached or not, and announces it', async () => {
      const neverCompleted = await aMedia(25 * HOUR, {
        state: 'PENDING',
        uploadedAt: null,
        attachedTo: `review:${randomUUID()}`,
      });
      const stuck = await aMedia(2 * HOUR, { state: 'PROCESSING', attachedTo: `post:${randomUUID()}` });
      const resizing = await aMedia(2 * HOUR, { state: 'PROCESSING', updatedAt: new Date() });
      const uploading = await aMedia(HOUR, { state: 'PENDING', uploadedAt: null });

      await cleanUpMedia(media.deps);
      expect(await rows().findOneBy({ id: neverCompleted.id })).toMatchObject({
        state: 'FAILED',
        failureReason: 'the upload was never completed: upload it again',
      });
      expect(await rows().findOneBy({ id: stuck.id })).toMatchObject({
        state: 'FAILED',
        failureReason: 'the image could not be processed: upload it again',
      });
      for (const failed of [neverCompleted, stuck]) expect(filesOf(failed.id)).toEqual([]);
      const announced = await media.deps.db.dataSource
        .getRepository(OutboxEvent)
        .findBy({ topic: 'media.failed' });
      const failedIds = announced.map((e) => (JSON.parse(e.payload) as { mediaId: string }).mediaId);
      expect(failedIds).toEqual(expect.arrayContaining([neverCompleted.id, stuck.id]));
      expect(failedIds).not.toContain(resizing.id);
      // Still within their time: untouched.
      expect(await rows().findOneBy({ id: resizing.id })).toMatchObject({ state: 'PROCESSING' });
      expect(await rows().findOneBy({ id: uploading.id })).toMatchObject({ state: 'PENDING' });
      expect(filesOf(resizing.id)).toHaveLength(10);
    });

    it('finishes what a run that died after removing the objects left: the rows', async () => {
      const half = await aMedia(HOUR, { attachedTo: 'review:x', detachedAt: new Date() });
      await media.deps.storage.remove(keysOf(half.id));
      expect(await cleanUpMedia(media.deps)).toBe(1);
      expect(await rows().findOneBy({ id: half.id })).toBeNull();
    });

    it('runs as the repeatable job', async () => {
      const old = await aMedia(48 * HOUR);
      await test.backend.queues.add(MEDIA_CLEANUP_QUEUE.name, {
        name: CLEAN_UP_MEDIA.name,
        data: {},
        id: `cleanup-${randomUUID()}`,
        attempts: 1,
        backoff: CLEAN_UP_MEDIA.backoff,
      });
      await eventually(async () => (await rows().findOneBy({ id: old.id })) === null);
      expect(filesOf(old.id)).toEqual([]);
    });
  });

  describe('media.attached and media.detached', () => {
    const { envelope, send, settle } = eventFeed(() => ({ queues: test.backend.queues, service: media }));

    it('marks the owner’s media attached (and nobody else’s), then detached', async () => {
      const mine = await aMedia(HOUR);
      const theirs = await aMedia(HOUR);
      const subject = `review:${randomUUID()}`;
      const attached = envelope('media.attached', {
        mediaIds: [mine.id, theirs.id],
        ownerId: mine.ownerId,
        subject,
      });
      await send(attached);
      await settle(attached);
      expect(await rows().findOneByOrFail({ id: mine.id })).toMatchObject({
        attachedTo: subject,
        detachedAt: null,
      });
      expect(await rows().findOneByOrFail({ id: theirs.id })).toMatchObject({ attachedTo: null });

      // Attached: the cleanup leaves it, however old it gets.
      await rows().update({ id: mine.id }, { createdAt: new Date(Date.now() - 72 * HOUR) });
      await cleanUpMedia(media.deps);
      expect(await rows().findOneBy({ id: mine.id })).not.toBeNull();

      // A detachment from another subject changes nothing; from its own, it lets go.
      const wrong = envelope('media.detached', { mediaIds: [mine.id], subject: `post:${randomUUID()}` });
      await send(wrong);
      await settle(wrong);
      expect(await rows().findOneByOrFail({ id: mine.id })).toMatchObject({ detachedAt: null });
      const detached = envelope('media.detached', { mediaIds: [mine.id], subject });
      await send(detached);
      await settle(detached);
      expect((await rows().findOneByOrFail({ id: mine.id })).detachedAt).toBeInstanceOf(Date);
      await cleanUpMedia(media.deps);
      expect(await rows().findOneBy({ id: mine.id })).toBeNull();
      expect(filesOf(mine.id)).toEqual([]);
    });

    it('keeps a detachment that overtook its attachment', async () => {
      const row = await aMedia(HOUR);
      const subject = `post:${randomUUID()}`;
      const detached = envelope('media.detached', { mediaIds: [row.id], subject });
      const attached = envelope('media.attached', { mediaIds: [row.id], ownerId: row.ownerId, subject });
      await send(detached);
      await settle(detached);
      await send(attached);
      await settle(attached);
      const after = await rows().findOneByOrFail({ id: row.id });
      expect(after.attachedTo).toBe(subject);
      expect(after.detachedAt).toBeInstanceOf(Date);
    });
  });
});
