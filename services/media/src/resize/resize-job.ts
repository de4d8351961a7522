import { defineJob, defineQueue, processor, type JobProcessor } from '@moim/kit';
import type { MediaDeps } from '../domain/context';

/** Resizing is CPU-bound: a worker runs RESIZE_CONCURRENCY at once (see resizeProcessors). */
export const IMAGE_RESIZE_QUEUE = defineQueue('image-resize', { concurrency: 2 });

/** Turns an uploaded original into its variants (recorded by completeUpload, through the outbox). */
export const RESIZE_IMAGE = defineJob<{ mediaId: string }>(IMAGE_RESIZE_QUEUE, 'resize', {
  attempts: 5,
  backoff: { delayMs: 2000, maxDelayMs: 60_000 },
});

// TODO(helper M2): the sharp pipeline.
export function resizeProcessors(deps: MediaDeps): JobProcessor[] {
  void deps;
  return [processor(RESIZE_IMAGE, async () => {})];
}
