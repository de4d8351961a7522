import { randomUUID } from 'node:crypto';
import type { Database, Logger, ServiceLoop } from '@moim/kit';
import type { AlgoliaSearchIndex } from '../backends/algolia';
import type { SearchIndex } from '../port';
import { ChangeFollower } from './changes';
import { buildIndex, GENERATION, pollingLoop } from './indexes';
import { readState, swapState, writeState } from './store';

const LEASE = 'algolia_lease';
const CURSOR = 'algolia_cursor';
const SYNCED_GENERATION = 'algolia_generation';
/** The `settingsHash` of what the live index was last configured with (settings and synonyms). */
const SETTINGS = 'algolia_settings';
const LEASE_MS = 30_000;

/** A write refused because this worker no longer holds the lease: another may be writing now. */
class LeaseLost extends Error {
  constructor() {
    super('the algolia lease was lost');
  }
}

/**
 * Keeps the Algolia index current from the change log, in search's workers. One worker at a time
 * holds a lease (a row of search_state, renewed while it works: a rebuild of a large index or a
 * long backlog outlasts the lease), so two never push the same document's states out of order nor
 * rebuild beside each other; a worker that can no longer be sure it holds the lease writes nothing
 * more. The position in the log is kept in the database, so another worker goes on where the last
 * one stopped. With no position yet, or after a reindex bumped the generation, the index is
 * rebuilt beside the live one from the tables and moved onto it (Algolia's atomic reindexing):
 * search answers throughout. The live index's settings and synonyms are those of the code and
 * configuration of the worker that holds the lease: recorded (as a hash) by each rebuild, applied
 * again without a rebuild when they differ (a changed SEARCH_SYNONYMS, or ALGOLIA_SETTINGS).
 */
export function algoliaSync(options: {
  db: Database;
  logger: Logger;
  pollMs: number;
  index: AlgoliaSearchIndex;
  /** How long the lease lasts unless renewed (tests shorten it). */
  leaseMs?: number;
}): ServiceLoop {
  const { db, logger, pollMs, index, leaseMs = LEASE_MS } = options;
  const holder = randomUUID();
  let follower: ChangeFollower | null = null;
  /** Whether the live index's settings were found (or made) this worker's, since it took the lease. */
  let settingsChecked = false;
  /** When the lease runs out as this worker last renewed it (reckoned from before the renewal). */
  let heldUntil = 0;

  const holdLease = async (): Promise<boolean> => {
    const asked = Date.now();
    const current = await readState(db, LEASE);
    const [expires, owner] = current?.split('|') ?? [];
    if (current && owner !== holder && Number(expires) > Date.now()) return false;
    const held = await swapState(db, LEASE, current, `${Date.now() + leaseMs}|${holder}`);
    if (held) heldUntil = asked + leaseMs;
    return held;
  };

  /**
   * Runs `work` under the lease: renewed every third of its length meanwhile; `check` throws
   * LeaseLost once another worker took it or it may have run out (the database away too long).
   */
  const underLease = async (work: (check: () => void) => Promise<void>): Promise<void> => {
    let lost = false;
    const check = () => {
      if (lost || Date.now() >= heldUntil) throw new LeaseLost();
    };
    let renewing = Promise.resolve();
    const timer = setInterval(() => {
      renewing = renewing.then(async () => {
        if (lost) return;
        try {
          if (!(await holdLease())) lost = true;
        } catch {
          // The database is away: `check` fails once the lease may have run out.
        }
      });
    }, leaseMs / 3);
    try {
      await work(check);
    } finally {
      clearInterval(timer);
      await renewing;
    }
  };

  /** The index's writes, each made only while the lease is still this worker's. */
  const guarded = (target: SearchIndex, check: () => void): SearchIndex => ({
    ...target,
    async upsert(docs) {
      check();
      await target.upsert(docs);
    },
    async remove(keys) {
      check();
      await target.remove(keys);
    },
  });

  const sync = async (check: () => void) => {
    const [cursor, current, synced] = await Promise.all([
      readState(db, CURSOR),
      readState(db, GENERATION),
      readState(db, SYNCED_GENERATION),
    ]);
    const generation = current ?? '';
    if (cursor === null || generation !== synced) {
      const started = Date.now();
      check();
      const rebuild = await index.rebuildBeside();
      const built = await buildIndex(db, guarded(rebuild.index, check));
      // Not moved once the lease is lost: another worker's rebuild may be under way beside it.
      await rebuild.swap(check);
      await writeState(db, CURSOR, String(built.follower.position));
      await writeState(db, SYNCED_GENERATION, generation);
      // The moved index has this worker's settings and synonyms (the rebuild applied them).
      await writeState(db, SETTINGS, index.settingsHash);
      settingsChecked = true;
      follower = built.follower;
      logger.info(
        { generation, ms: Date.now() - started },
        'algolia index rebuilt and moved onto the live one',
      );
      return;
    }
    if (!settingsChecked) {
      const applied = await readState(db, SETTINGS);
      if (applied !== index.settingsHash) {
        check();
        await index.applySettings();
        check();
        await writeState(db, SETTINGS, index.settingsHash);
        logger.info('algolia settings or synonyms changed: applied to the live index');
      }
      settingsChecked = true;
    }
    follower ??= new ChangeFollower(db, BigInt(cursor));
    await follower.catchUp(guarded(index, check));
    if (String(follower.position) !== cursor) await swapState(db, CURSOR, cursor, String(follower.position));
  };

  const loop = pollingLoop('algolia sync', pollMs, logger, async () => {
    if (!(await holdLease())) {
      follower = null;
      settingsChecked = false;
      return;
    }
    try {
      await underLease(sync);
    } catch (err) {
      if (!(err instanceof LeaseLost)) throw err;
      // What was pushed is re-pushed from the stored cursor by the next holder (harmless).
      follower = null;
      settingsChecked = false;
      logger.warn('algolia sync lost its lease midway; another worker goes on');
    }
  });
  return { name: 'algolia-sync', start: async () => loop.start(), stop: () => loop.stop() };
}
