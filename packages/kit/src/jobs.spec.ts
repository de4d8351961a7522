import { describe, expect, it } from 'vitest';
import { topicsConsumedBy } from '@moim/events';
import { checkHandlers } from './consumer';
import { checkJobs, defineJob, defineQueue, processor, recordJob, repeatable } from './jobs';

const queue = defineQueue('image-resize', { concurrency: 4 });
const resize = defineJob<{ mediaId: string }>(queue, 'resize');
const cleanUp = defineJob<Record<string, never>>(queue, 'clean-up');
const noop = async () => {};

describe('the job registry fails at start when wiring is wrong', () => {
  it('refuses two processors for one job type', () => {
    expect(() => checkJobs('media', [processor(resize, noop), processor(resize, noop)], [])).toThrow(
      'media has two processors for the job image-resize/resize',
    );
  });

  it('refuses a repeatable job nobody processes', () => {
    expect(() => checkJobs('media', [processor(resize, noop)], [repeatable(cleanUp, 60_000, {})])).toThrow(
      'media repeats the job image-resize/clean-up but has no processor for it',
    );
    expect(() =>
      checkJobs(
        'media',
        [processor(resize, noop), processor(cleanUp, noop)],
        [repeatable(cleanUp, 60_000, {})],
      ),
    ).not.toThrow();
  });

  it('runs one job type on several schedules only when each has its own key', () => {
    const processors = [processor(resize, noop)];
    const twice = [
      repeatable(resize, 60_000, { mediaId: 'a' }),
      repeatable(resize, 60_000, { mediaId: 'b' }),
    ];
    expect(() => checkJobs('media', processors, twice)).toThrow(
      'media has two schedules named resize on image-resize',
    );
    const keyed = [
      repeatable(resize, 60_000, { mediaId: 'a' }, 'resize:a'),
      repeatable(resize, 60_000, { mediaId: 'b' }, 'resize:b'),
    ];
    expect(() => checkJobs('media', processors, keyed)).not.toThrow();
  });

  it('refuses an event routed to a service that has no handler for it', () => {
    const missing = topicsConsumedBy('review').filter((t) => t !== 'user.created');
    expect(missing).toContain('follow.created');
    expect(() => checkHandlers('review', { 'user.created': noop })).toThrow(
      `review consumes ${missing.join(', ')} but has no handler for it`,
    );
  });

  it('refuses queue names and job ids the queues cannot carry', async () => {
    expect(() => defineQueue('image:resize')).toThrow(/lowercase letters, digits and - only/);
    // Checked before anything is written (the manager is never used).
    await expect(recordJob(null as never, resize, { mediaId: 'm' }, { id: '42' })).rejects.toThrow(/integer/);
  });

  it('declares options beside the job, with defaults', () => {
    expect(queue).toEqual({ name: 'image-resize', concurrency: 4, maxStalls: 5 });
    expect(resize).toMatchObject({ attempts: 5, backoff: { delayMs: 1000, maxDelayMs: 60_000 } });
  });
});
