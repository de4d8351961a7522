import type { Database, Logger } from '@moim/kit';
import { applyCatalog, type ImportSummary } from './apply';
import { TERM_CODE } from './normalise';
import { CatalogFormatError } from './records';
import { sourceNamed } from './sources';

export interface ImportRequest {
  source: string;
  term: string;
  /** Overrides where the source reads (a file, a folder, a URL). */
  from?: string;
  datasets: string;
  /** Applies an import that would cancel most of the term's sections (see ImportInput.force). */
  force?: boolean;
  /** `read`: pages fetched (a remote source); `apply`: sections written. */
  onProgress?: (phase: 'read' | 'apply', done: number, total: number) => void;
}

/** Reads one term from a source and applies it: the CLI and the repeatable job both run this. */
export async function runImport(
  deps: { db: Database; logger: Logger },
  request: ImportRequest,
): Promise<ImportSummary> {
  const source = sourceNamed(request.source);
  // Before reading: the term names the default file, and a remote source's term code.
  if (!TERM_CODE.test(request.term))
    throw new CatalogFormatError(`"${request.term}" is not a term such as 2025-su`);
  const { catalog, subjects } = await source.read(request.term, {
    from: request.from,
    datasets: request.datasets,
    onProgress: (done, total) => request.onProgress?.('read', done, total),
  });
  const summary = await applyCatalog(deps.db, {
    source: source.name,
    university: source.university,
    termCode: request.term,
    catalog,
    subjects,
    force: request.force,
    onProgress: (done, total) => request.onProgress?.('apply', done, total),
  });
  const { rejections, ...counts } = summary;
  deps.logger.info(
    { source: source.name, term: request.term, ...counts, firstRejections: rejections.slice(0, 5) },
    'catalog imported',
  );
  return summary;
}

/** The summary line, of sections: `created 1638 · updated 0 · cancelled 0 · rejected 0 (unchanged 0; courses 1047 new, 0 changed)`. */
export const summaryLine = (s: ImportSummary): string =>
  `created ${s.created} · updated ${s.updated} · cancelled ${s.cancelled} · rejected ${s.rejected} ` +
  `(unchanged ${s.unchanged}; courses ${s.coursesCreated} new, ${s.coursesUpdated} changed)`;
