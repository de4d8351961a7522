import { defineJob, defineQueue, processor, repeatable, type JobProcessor } from '@moim/kit';
import type { MediaDeps } from './domain/context';

export const MEDIA_CLEANUP_QUEUE = defineQueue('media-cleanup');

/** Removes unattached uploads older than a day and the objects of detached media. */
export const CLEAN_UP_MEDIA = defineJob<Record<string, never>>(MEDIA_CLEANUP_QUEUE, 'clean-up', {
  attempts: 3,
});

export const cleanupSchedule = [repeatable(CLEAN_UP_MEDIA, 3_600_000, {})];

// TODO(helper M3): the cleanup.
export function cleanupProcessors(deps: MediaDeps): JobProcessor[] {
  void deps;
  return [processor(CLEAN_UP_MEDIA, async () => {})];
}
