import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import {
  defineJob,
  defineQueue,
  lockRows,
  processor,
  recordEvent,
  type JobProcessor,
  type RunningJob,
} from '@moim/kit';
import type { MediaDeps } from '../domain/context';
import { MediaEntity, type Media } from '../entities';
import { uploadKey, variantKey } from '../storage/storage.port';
import { decodeImage, ImageRejected, variantKeys, VARIANTS } from './pipeline';

/**
 * Resizing is CPU-bound: a worker runs RESIZE_CONCURRENCY images at once. The 2 here is only the
 * declaration's default; resizeProcessors runs the queue with the configured number.
 */
export const IMAGE_RESIZE_QUEUE = defineQueue('image-resize', { concurrency: 2 });

/** Turns an uploaded original into its variants (recorded by completeUpload, through the outbox). */
export const RESIZE_IMAGE = defineJob<{ mediaId: string }>(IMAGE_RESIZE_QUEUE, 'resize', {
  attempts: 5,
  backoff: { delayMs: 2000, maxDelayMs: 60_000 },
});

/**
 * TEST ONLY: with NODE_ENV=test, MEDIA_TEST_RESIZE_PAUSE_MS makes the job wait that long after
 * storing its first variant, so a test can kill the worker in the middle of a job
 * (test/resize.test.ts). Ignored in any other environment.
 */
const TEST_PAUSE_VARIABLE = 'MEDIA_TEST_RESIZE_PAUSE_MS';

/**
 * The resize worker's sharp settings, process-wide.
 * - Threads per image: the CPUs shared by the RESIZE_CONCURRENCY images a worker runs at once,
 *   so a busy worker uses every CPU without oversubscribing them (measured on 2 vCPUs, 2 images
 *   of one thread each resized 1.9× faster than 1 image of 2 threads, and 1 image with 2 threads
 *   1.4× faster than with 1). On glibc without jemalloc, sharp starts at one thread to limit
 *   memory fragmentation; more threads there cost ~10 % more RSS.
 * - No operation cache: a worker never sees the same image twice, and libvips's cache (50 MB by
 *   default) would only add to the peak RSS.
 * Encodes of one image run one after another (pipeline.ts): 9 encodes at once per image would
 * compete with the other images for the libuv pool (4 threads) and hold 9 outputs in memory.
 */
export function configureSharp(resizeConcurrency: number): number {
  const threads = Math.max(1, Math.floor(availableParallelism() / resizeConcurrency));
  sharp.concurrency(threads);
  sharp.cache(false);
  return threads;
}

export function resizeProcessors(deps: MediaDeps): JobProcessor[] {
  const concurrency = deps.config.RESIZE_CONCURRENCY;
  configureSharp(concurrency);
  // defineQueue runs at module load, before configuration: the processor carries a copy of the
  // queue with the configured concurrency (the kit starts each queue's worker from its processors).
  const type = { ...RESIZE_IMAGE, queue: { ...IMAGE_RESIZE_QUEUE, concurrency } };
  const pauseMs = deps.config.NODE_ENV === 'test' ? Number(process.env[TEST_PAUSE_VARIABLE] ?? 0) : 0;
  return [processor(type, (payload, job) => resizeImage(deps, payload.mediaId, job, { pauseMs }))];
}

const repository = (deps: MediaDeps) => deps.db.dataSource.getRepository(MediaEntity);

/**
 * One run of RESIZE_IMAGE. Image problems end the media FAILED with a reason; storage or database
 * trouble throws, so the queue runs the job again, and a run again writes the same keys with the
 * same bytes and ends in the same state. On the last attempt, trouble ends the media FAILED too
 * rather than PROCESSING for ever.
 */
export async function resizeImage(
  deps: MediaDeps,
  mediaId: string,
  job: Pick<RunningJob, 'attemptsMade'>,
  options: { pauseMs?: number } = {},
): Promise<void> {
  const log = deps.logger.child({ mediaId });
  const media = await repository(deps).findOneBy({ id: mediaId });
  if (!media) {
    // Deleted meanwhile: nothing may stay in storage for a media that does not exist.
    await deps.storage.remove([...variantKeys(mediaId), uploadKey(mediaId)]);
    return log.info('resize: the media is gone');
  }
  switch (media.state) {
    case 'READY':
      // Done by an earlier run; that run may have stopped before removing the original.
      await deps.storage.remove([uploadKey(mediaId)]);
      return;
    case 'FAILED':
      // Failed by an earlier run, which may have stopped before removing what it wrote.
      await deps.storage.remove([...variantKeys(mediaId), uploadKey(mediaId)]);
      return;
    case 'PENDING':
      // completeUpload moves a media to PROCESSING in the transaction that records this job.
      return log.warn('resize: the media was never completed');
  }

  try {
    await render(deps, media, options.pauseMs ?? 0);
  } catch (err) {
    if (err instanceof ImageRejected) return fail(deps, media, err.reason);
    if (job.attemptsMade + 1 >= RESIZE_IMAGE.attempts) {
      log.error({ err }, 'resize: the last attempt failed');
      return fail(deps, media, 'the image could not be processed: upload it again');
    }
    throw err;
  }
}

async function render(deps: MediaDeps, media: Media, pauseMs: number): Promise<void> {
  const { config, storage } = deps;
  const original = uploadKey(media.id);
  // The size first: an object larger than allowed (a bucket takes what a signed URL allows) is
  // refused without reading it into memory.
  const size = await storage.size(original);
  if (size === null) throw new ImageRejected('the upload is missing');
  if (size > config.MAX_UPLOAD_BYTES)
    throw new ImageRejected(
      `too large: ${+(size / 1024 / 1024).toFixed(1)} MB (limit ${+(config.MAX_UPLOAD_BYTES / 1024 / 1024).toFixed(1)} MB)`,
    );
  const bytes = await storage.read(original);
  if (!bytes) throw new ImageRejected('the upload is missing');

  const image = await decodeImage(bytes, { maxPixels: config.MAX_IMAGE_PIXELS });
  for (const [i, variant] of VARIANTS.entries()) {
    for (const out of await image.encode(variant))
      await storage.write(variantKey(media.id, out.variant, out.ext), out.bytes, out.contentType);
    if (i === 0 && pauseMs > 0) {
      deps.logger.info({ mediaId: media.id, ms: pauseMs }, 'resize: pausing after the first variant (test)');
      await sleep(pauseMs);
    }
  }
  const placeholder = await image.placeholder();

  const finished = await deps.db.transaction(
    async (manager) => {
      await lockRows(manager, MediaEntity, { id: media.id });
      const current = await manager.findOneBy(MediaEntity, { id: media.id });
      if (current?.state !== 'PROCESSING') return current;
      await manager.update(
        MediaEntity,
        { id: media.id },
        {
          state: 'READY',
          failureReason: null,
          width: image.width,
          height: image.height,
          placeholder,
          updatedAt: new Date(),
        },
      );
      return { ...current, state: 'READY' as const };
    },
    { background: true },
  );
  if (finished?.state === 'READY') {
    // The original is not kept: it holds the GPS position and the rest of the metadata the
    // variants leave out, and nothing reads it once the variants exist (a removal that fails
    // here is done again by a retried job, which finds the media READY).
    await storage.remove([original]);
  } else {
    // Removed (or failed by another run) while this one worked: what it wrote belongs to nothing.
    await storage.remove([...variantKeys(media.id), original]);
    return;
  }
  deps.logger.info(
    { mediaId: media.id, format: image.format, width: image.width, height: image.height },
    'media ready',
  );
}

/**
 * FAILED with a reason, announced as media.failed in the same transaction; then nothing is left in
 * storage. Only from `from` (PROCESSING for the worker; the cleanup also fails stale PENDING ones).
 */
export async function fail(
  deps: MediaDeps,
  media: Pick<Media, 'id' | 'ownerId'>,
  reason: string,
  from: Media['state'] = 'PROCESSING',
): Promise<void> {
  const state = await deps.db.transaction(
    async (manager) => {
      await lockRows(manager, MediaEntity, { id: media.id });
      const current = await manager.findOneBy(MediaEntity, { id: media.id });
      if (current?.state !== from) return current?.state ?? null;
      await manager.update(
        MediaEntity,
        { id: media.id },
        { state: 'FAILED', failureReason: reason, updatedAt: new Date() },
      );
      await recordEvent(manager, 'media.failed', { mediaId: media.id, ownerId: media.ownerId });
      return 'FAILED' as const;
    },
    { background: true },
  );
  // Another run finished it meanwhile (or its state moved on): its objects stay.
  if (state !== 'FAILED') return;
  // After the commit: a crash before this line leaves the objects to the next run (FAILED → remove).
  await deps.storage.remove([...variantKeys(media.id), uploadKey(media.id)]);
  deps.logger.info({ mediaId: media.id, reason }, 'media failed');
}
