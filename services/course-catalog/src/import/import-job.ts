import {
  defineJob,
  defineQueue,
  processor,
  repeatable,
  type JobProcessor,
  type RepeatableJob,
} from '@moim/kit';
import type { CatalogDeps } from '../domain/context';
import { runImport } from './run';

export const CATALOG_IMPORT_QUEUE = defineQueue('catalog-import');

/** Imports one term from one source (a university's catalog); rerunning it is harmless. */
export const IMPORT_TERM = defineJob<{ source: string; term: string }>(CATALOG_IMPORT_QUEUE, 'import-term', {
  attempts: 3,
  backoff: { delayMs: 60_000, maxDelayMs: 600_000 },
});

export const importProcessors = (deps: CatalogDeps): JobProcessor[] => [
  processor(IMPORT_TERM, async ({ source, term }) => {
    await runImport(deps, { source, term, datasets: deps.config.datasets });
  }),
];

/** One schedule per `<source>:<term>` of CATALOG_IMPORTS. */
export const importSchedule = (
  imports: Array<{ source: string; term: string }>,
  everyMs: number,
): RepeatableJob[] =>
  imports.map((i) => repeatable(IMPORT_TERM, everyMs, i, `import-term:${i.source}:${i.term}`));
