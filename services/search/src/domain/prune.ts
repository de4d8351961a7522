import {
  defineJob,
  defineQueue,
  processor,
  repeatable,
  sqlParams,
  type JobProcessor,
  type RepeatableJob,
} from '@moim/kit';
import { SearchChangeEntity } from '../entities';
import type { SearchDeps } from './context';
import { readState } from './store';

/**
 * How long the change log keeps a change. Replicas follow it within seconds and build from the
 * tables at start; the Algolia worker's position is kept whatever its age (a worker stopped for
 * longer goes on where it stopped).
 */
export const CHANGE_RETENTION_DAYS = 7;
const DELETE_BATCH = 10_000;
/** The Algolia worker's position in the log (algolia-sync.ts). */
const ALGOLIA_CURSOR = 'algolia_cursor';

export const SEARCH_CHANGES_QUEUE = defineQueue('search-changes');
export const PRUNE_CHANGES = defineJob<Record<string, never>>(SEARCH_CHANGES_QUEUE, 'prune-changes');

/** Deletes changes older than the retention (and behind the Algolia worker), in batches. */
export async function pruneChanges(deps: SearchDeps, now = Date.now()): Promise<number> {
  const ds = deps.db.dataSource;
  const [row] = (await ds.query(
    'SELECT MAX(seq) AS seq FROM search_changes WHERE created_at < ?',
    sqlParams(ds, [new Date(now - CHANGE_RETENTION_DAYS * 86_400_000)]),
  )) as Array<{ seq: unknown }>;
  if (row?.seq == null) return 0;
  let upTo = BigInt(String(row.seq));
  // The Algolia worker's position counts only while Algolia is the index (a leftover one would stop pruning).
  const cursor = deps.config.SEARCH_INDEX === 'algolia' ? await readState(deps.db, ALGOLIA_CURSOR) : null;
  if (cursor !== null && BigInt(cursor) < upTo) upTo = BigInt(cursor);
  const [first] = (await ds.query('SELECT MIN(seq) AS seq FROM search_changes')) as Array<{ seq: unknown }>;
  let deleted = 0;
  for (let from = BigInt(String(first?.seq ?? upTo + 1n)); from <= upTo; from += BigInt(DELETE_BATCH)) {
    const to = from + BigInt(DELETE_BATCH) - 1n < upTo ? from + BigInt(DELETE_BATCH) - 1n : upTo;
    const result = await ds
      .createQueryBuilder()
      .delete()
      .from(SearchChangeEntity)
      .where('seq >= :from AND seq <= :to', { from: String(from), to: String(to) })
      .execute();
    deleted += result.affected ?? 0;
  }
  return deleted;
}

export const pruneProcessors = (deps: SearchDeps): JobProcessor[] => [
  processor(PRUNE_CHANGES, async () => {
    await pruneChanges(deps);
  }),
];

export const pruneSchedule: RepeatableJob[] = [repeatable(PRUNE_CHANGES, 3_600_000, {})];
