import {
  defineJob,
  defineQueue,
  processor,
  repeatable,
  sqlParams,
  type JobProcessor,
  type RepeatableJob,
} from '@moim/kit';
import type { SearchDeps } from './context';

/**
 * How long the change log keeps a change. Replicas follow it within seconds and build from the
 * tables at start; only an Algolia worker stopped for longer would miss changes (then: reindex).
 */
export const CHANGE_RETENTION_DAYS = 7;

export const SEARCH_CHANGES_QUEUE = defineQueue('search-changes');
export const PRUNE_CHANGES = defineJob<Record<string, never>>(SEARCH_CHANGES_QUEUE, 'prune-changes');

export const pruneProcessors = (deps: SearchDeps): JobProcessor[] => [
  processor(PRUNE_CHANGES, async () => {
    const ds = deps.db.dataSource;
    const before = new Date(Date.now() - CHANGE_RETENTION_DAYS * 86_400_000);
    await ds.query('DELETE FROM search_changes WHERE created_at < ?', sqlParams(ds, [before]));
  }),
];

export const pruneSchedule: RepeatableJob[] = [repeatable(PRUNE_CHANGES, 3_600_000, {})];
