import { IsNull, LessThan, MoreThan, Not, type EntityManager } from 'typeorm';
import { defineJob, defineQueue, processor, repeatable, type JobProcessor } from '@moim/kit';
import type { MediaDeps } from './domain/context';
import { MediaEntity, type Media } from './entities';
import { fail } from './resize/resize-job';
import { uploadKey } from './storage/storage.port';

export const MEDIA_CLEANUP_QUEUE = defineQueue('media-cleanup');

/** Removes unattached uploads older than a day and the objects of detached media. */
export const CLEAN_UP_MEDIA = defineJob<Record<string, never>>(MEDIA_CLEANUP_QUEUE, 'clean-up', {
  attempts: 3,
});

export const cleanupSchedule = [repeatable(CLEAN_UP_MEDIA, 3_600_000, {})];

/** Uploads never attached are removed once this old (review and social refuse them earlier). */
export const UNATTACHED_TTL_MS = 24 * 3600_000;
/** An upload still not completed this long after createUpload fails (attached or not). */
export const PENDING_TTL_MS = 24 * 3600_000;
/** A resize still running this long has died with its worker (a crash, a kill): it fails. */
export const PROCESSING_TTL_MS = 3600_000;

const VARIANTS = ['thumb', 'medium', 'large'] as const;
const EXTENSIONS = ['webp', 'avif', 'jpg'] as const;

/** Every object a media may have: its original and each variant in each format. */
export function keysOf(mediaId: string): string[] {
  return [
    uploadKey(mediaId),
    ...VARIANTS.flatMap((v) => EXTENSIONS.map((ext) => `media/${mediaId}/${v}.${ext}`)),
  ];
}

/** Media removed per round; rounds repeat until none is left. */
const BATCH = 100;

/**
 * One run of the cleanup. First it marks unattached uploads older than a day as detached (one
 * conditional update: an attachment that lands later no longer saves them, and review and social
 * stop accepting an upload hours before). Then, for every detached media, it removes all its
 * objects and only then its row, so a run that dies halfway leaves rows the next run finishes;
 * removing objects that are already gone is fine. Idempotent: a second run finds nothing.
 * Returns how many media it removed.
 */
export async function cleanUpMedia(deps: MediaDeps, now = new Date()): Promise<number> {
  // Background work: left out of the request query count, on either database.
  const background = <T>(work: (manager: EntityManager) => Promise<T>) =>
    deps.db.transaction(work, { isolation: 'READ COMMITTED', background: true });
  // Uploads never completed, and resizes whose worker died (the queue parks such a job without
  // running it again): FAILED, announced, their objects removed — never kept unchecked for ever,
  // whether attached or not (their bytes were never checked nor stripped of their metadata).
  const stale = await background((manager) =>
    manager.find(MediaEntity, {
      select: { id: true, ownerId: true, state: true },
      where: [
        { state: 'PENDING', createdAt: LessThan(new Date(now.getTime() - PENDING_TTL_MS)) },
        { state: 'PROCESSING', updatedAt: LessThan(new Date(now.getTime() - PROCESSING_TTL_MS)) },
      ],
      take: BATCH,
    }),
  );
  for (const media of stale)
    await fail(
      deps,
      media,
      media.state === 'PENDING'
        ? 'the upload was never completed: upload it again'
        : 'the image could not be processed: upload it again',
      media.state,
    );
  await background((manager) =>
    manager.update(
      MediaEntity,
      {
        attachedTo: IsNull(),
        detachedAt: IsNull(),
        createdAt: LessThan(new Date(now.getTime() - UNATTACHED_TTL_MS)),
      },
      { detachedAt: now, updatedAt: now },
    ),
  );
  let removed = 0;
  let after: string | null = null;
  for (;;) {
    const from = after;
    const batch: Array<Pick<Media, 'id'>> = await background((manager) =>
      manager.find(MediaEntity, {
        select: { id: true },
        where: { detachedAt: Not(IsNull()), ...(from ? { id: MoreThan(from) } : {}) },
        order: { id: 'ASC' },
        take: BATCH,
      }),
    );
    for (const { id } of batch) {
      // Objects first: a row is only gone once nothing of it is left in storage.
      await deps.storage.remove(keysOf(id));
      const deleted = await background((manager) =>
        manager.delete(MediaEntity, { id, detachedAt: Not(IsNull()) }),
      );
      removed += deleted.affected ?? 0;
    }
    if (batch.length < BATCH) break;
    after = batch[batch.length - 1]!.id;
  }
  if (removed) deps.logger.info({ removed }, 'media cleanup removed unused and detached media');
  return removed;
}

export function cleanupProcessors(deps: MediaDeps): JobProcessor[] {
  return [
    processor(CLEAN_UP_MEDIA, async () => {
      await cleanUpMedia(deps);
    }),
  ];
}
