import { z } from 'zod';
import { loadEnv, serviceEnv, serviceProblems, type EnvProblem } from '@moim/kit';
import { TERM_CODE } from './import/normalise';
import { datasetsDir, SOURCES } from './import/sources';

const shape = {
  ...serviceEnv(4004),
  /** Terms re-imported on a schedule: `uiuc-csv:2025-su,purdue-banner8:2021-su` (none by default). */
  CATALOG_IMPORTS: z.string().default(''),
  CATALOG_IMPORT_EVERY_MINUTES: z.coerce.number().int().min(5).default(1440),
  /** Where sources read by default (the repository's ../shared/datasets). */
  MOIM_DATASETS: z.string().min(1).optional(),
};

export type CatalogConfig = ReturnType<typeof loadCatalogEnv>;

/** `uiuc-csv:2025-su, purdue-banner8:2021-su` → pairs; what is malformed is reported. */
function importsOf(value: string): {
  imports: Array<{ source: string; term: string }>;
  problems: EnvProblem[];
} {
  const imports: Array<{ source: string; term: string }> = [];
  const problems: EnvProblem[] = [];
  for (const item of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [source = '', term = ''] = item.split(':');
    if (!SOURCES.has(source) || !TERM_CODE.test(term))
      problems.push([
        'CATALOG_IMPORTS',
        `"${item}" is not <source>:<term> with a source among ${[...SOURCES.keys()].join(', ')} and a term such as 2025-su`,
      ]);
    else imports.push({ source, term });
  }
  return { imports, problems };
}

export function loadCatalogEnv(source: Record<string, string | undefined> = process.env) {
  const env = loadEnv(shape, source, (e) => [
    ...serviceProblems(e, true),
    ...importsOf(e.CATALOG_IMPORTS ?? '').problems,
  ]);
  return {
    ...env,
    imports: importsOf(env.CATALOG_IMPORTS).imports,
    datasets: env.MOIM_DATASETS ?? datasetsDir({}),
  };
}
