import { defineJob, defineQueue, processor, type JobProcessor } from '@moim/kit';
import type { SocialDeps } from '../domain/context';

export const PUSH_QUEUE = defineQueue('push', { concurrency: 4 });

/** Pushes one notification to its recipient's devices. */
export const SEND_PUSH = defineJob<{ notificationId: string; tokens?: string[] }>(PUSH_QUEUE, 'send', {
  attempts: 6,
  backoff: { delayMs: 2000, maxDelayMs: 300_000 },
});

// TODO(helper B): the push processor.
export function pushProcessors(deps: SocialDeps): JobProcessor[] {
  void deps;
  return [processor(SEND_PUSH, async () => {})];
}
