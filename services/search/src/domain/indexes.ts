import { setTimeout as sleep } from 'node:timers/promises';
import type { Database, Logger, ServiceLoop } from '@moim/kit';
import type { SearchIndex } from '../port';
import { ChangeFollower, GAP_WAIT_MS } from './changes';
import { followFrom, readState, scanDocuments } from './store';

/** A reindex bumps it: every index then rebuilds from the tables beside the live one and swaps. */
export const GENERATION = 'generation';

/** An index being filled from the tables, then followed from the change log. */
export interface Projection<I extends SearchIndex> {
  index: I;
  follower: ChangeFollower;
  generation: string | null;
}

/** Builds a new index from every findable document; it follows the changes made meanwhile. */
export async function buildIndex<I extends SearchIndex>(db: Database, empty: I): Promise<Projection<I>> {
  const generation = await readState(db, GENERATION);
  const follower = new ChangeFollower(db, await followFrom(db, 2 * GAP_WAIT_MS));
  for await (const batch of scanDocuments(db)) await empty.upsert(batch);
  await follower.catchUp(empty);
  return { index: empty, follower, generation };
}

/**
 * Runs `tick` every `pollMs` until stopped, one at a time; a failed tick is logged and retried
 * on the next (the database may be briefly away).
 */
export function pollingLoop(
  name: string,
  pollMs: number,
  logger: Logger,
  tick: () => Promise<void>,
): { start(): void; stop(): Promise<void> } {
  const controller = new AbortController();
  let running: Promise<void> | null = null;
  let failing = false;
  const run = async () => {
    while (!controller.signal.aborted) {
      try {
        await tick();
        if (failing) logger.info(`${name}: working again`);
        failing = false;
      } catch (err) {
        if (!failing) logger.error({ err }, `${name} failed; retrying`);
        failing = true;
      }
      await sleep(pollMs, undefined, { signal: controller.signal }).catch(() => undefined);
    }
  };
  return {
    start() {
      running = run();
    },
    async stop() {
      controller.abort();
      await running;
    },
  };
}

/**
 * The embedded engine of one replica: built from the tables at start (before the replica
 * serves), then kept current from the change log; when a reindex bumps the generation, a new one
 * is built beside it and swapped in, so search answers throughout.
 */
export function embeddedReplica<I extends SearchIndex>(options: {
  db: Database;
  logger: Logger;
  pollMs: number;
  create: () => I;
}): ServiceLoop & { current(): I } {
  const { db, logger, pollMs, create } = options;
  let live: Projection<I> | null = null;
  const loop = pollingLoop('search index', pollMs, logger, async () => {
    const projection = live!;
    const generation = await readState(db, GENERATION);
    if (generation !== projection.generation) {
      const started = Date.now();
      live = await buildIndex(db, create());
      logger.info({ generation, ms: Date.now() - started }, 'search index rebuilt and swapped in');
      return;
    }
    await projection.follower.catchUp(projection.index);
  });
  return {
    name: 'search-index',
    current() {
      if (!live) throw new Error('the search index is not built yet');
      return live.index;
    },
    async start() {
      const started = Date.now();
      live = await buildIndex(db, create());
      logger.info({ ms: Date.now() - started }, 'search index built');
      loop.start();
    },
    stop: () => loop.stop(),
  };
}
