import { randomUUID } from 'node:crypto';
import type { Database, Logger, ServiceLoop } from '@moim/kit';
import type { AlgoliaSearchIndex } from '../backends/algolia';
import { ChangeFollower } from './changes';
import { buildIndex, GENERATION, pollingLoop } from './indexes';
import { readState, swapState, writeState } from './store';

const LEASE = 'algolia_lease';
const CURSOR = 'algolia_cursor';
const SYNCED_GENERATION = 'algolia_generation';
const LEASE_MS = 30_000;

/**
 * Keeps the Algolia index current from the change log, in search's workers. One worker at a time
 * holds a lease (a row of search_state, renewed each tick), so two never push the same document's
 * states out of order; the position in the log is kept in the database, so another worker goes
 * on where the last one stopped. With no position yet, or after a reindex bumped the generation,
 * the index is rebuilt beside the live one from the tables and moved onto it (Algolia's atomic
 * reindexing): search answers throughout.
 */
export function algoliaSync(options: {
  db: Database;
  logger: Logger;
  pollMs: number;
  index: AlgoliaSearchIndex;
}): ServiceLoop {
  const { db, logger, pollMs, index } = options;
  const holder = randomUUID();
  let follower: ChangeFollower | null = null;

  const holdLease = async (): Promise<boolean> => {
    const current = await readState(db, LEASE);
    const [expires, owner] = current?.split('|') ?? [];
    if (current && owner !== holder && Number(expires) > Date.now()) return false;
    return swapState(db, LEASE, current, `${Date.now() + LEASE_MS}|${holder}`);
  };

  const loop = pollingLoop('algolia sync', pollMs, logger, async () => {
    if (!(await holdLease())) {
      follower = null;
      return;
    }
    const [cursor, current, synced] = await Promise.all([
      readState(db, CURSOR),
      readState(db, GENERATION),
      readState(db, SYNCED_GENERATION),
    ]);
    const generation = current ?? '';
    if (cursor === null || generation !== synced) {
      const started = Date.now();
      const rebuild = await index.rebuildBeside();
      const built = await buildIndex(db, rebuild.index);
      await rebuild.swap();
      await writeState(db, CURSOR, String(built.follower.position));
      await writeState(db, SYNCED_GENERATION, generation);
      follower = built.follower;
      logger.info(
        { generation, ms: Date.now() - started },
        'algolia index rebuilt and moved onto the live one',
      );
      return;
    }
    follower ??= new ChangeFollower(db, BigInt(cursor));
    await follower.catchUp(index);
    if (String(follower.position) !== cursor) await swapState(db, CURSOR, cursor, String(follower.position));
  });
  return { name: 'algolia-sync', start: async () => loop.start(), stop: () => loop.stop() };
}
