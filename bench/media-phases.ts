/** The two phases of bench/media.ts, each run in a process of its own. */
import { availableParallelism } from 'node:os';
import { In } from 'typeorm';
import { configureSharp, loadMediaEnv, MediaEntity, processImage } from '@moim/media';
import { startGraph, type Account } from '@moim/testing';

type Measure = (
  phase: string,
  work: () => Promise<void>,
) => Promise<{
  phase: string;
  images: number;
  seconds: number;
  peakRssMb: number;
}>;

/** Runs `work` over `items`, `concurrency` at a time. */
async function pool<T>(items: T[], concurrency: number, work: (item: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i]!, i);
      }
    }),
  );
}

// The worker's settings (RESIZE_CONCURRENCY from the environment, else media's default), so the
// baseline does what one worker process does.
const config = loadMediaEnv({
  INTERNAL_SECRET: 'x'.repeat(32),
  MOIM_BACKEND: 'embedded',
  RESIZE_CONCURRENCY: process.env.RESIZE_CONCURRENCY,
});

/** Plain sharp: the same variants (sizes, formats, settings) of the same files, in memory. */
export async function rawSharp(input: Array<{ bytes: Buffer }>): Promise<void> {
  configureSharp(config.RESIZE_CONCURRENCY);
  await pool(input, config.RESIZE_CONCURRENCY, async ({ bytes }) => {
    await processImage(bytes, { maxPixels: config.MAX_IMAGE_PIXELS });
  });
}

/** Uploads per user and hour are limited: a new uploader every 50 images. */
const PER_UPLOADER = 50;

/**
 * The whole pipeline in one process, as `npm start` runs it (embedded backend): each photo is
 * asked for through the gateway, PUT to media, completed, and resized by the worker; the phase
 * ends when every media is READY.
 */
export async function pipeline(input: Array<{ bytes: Buffer }>, measured: Measure) {
  const graph = await startGraph({
    backend: 'embedded',
    env: { media: { RESIZE_CONCURRENCY: String(config.RESIZE_CONCURRENCY) } },
  });
  try {
    const uploaders: Account[] = [];
    for (let i = 0; i < Math.ceil(input.length / PER_UPLOADER); i++)
      uploaders.push(await graph.person('bench'));
    const media = graph.service('media').deps.db.dataSource.getRepository(MediaEntity);
    return await measured('pipeline', async () => {
      // Clients upload in parallel; more than the CPUs keeps the worker fed while it resizes.
      await pool(input, availableParallelism() * 2, async ({ bytes }, i) => {
        await graph.upload(uploaders[Math.floor(i / PER_UPLOADER)]!.token, bytes);
      });
      for (;;) {
        const done = await media.countBy({ state: In(['READY', 'FAILED']) });
        if (done === input.length) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const failed = await media.countBy({ state: 'FAILED' });
      if (failed) throw new Error(`${failed} media FAILED`);
    });
  } finally {
    await graph.stop();
  }
}
