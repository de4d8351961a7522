import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBanner8Page } from './formats/banner8-html';
import { fetchBanner9Term, parseBanner9Results } from './formats/banner9-api';
import { parseUiucCsv } from './formats/uiuc-csv';
import { CatalogFormatError, type ParsedCatalog } from './records';
import { HAWAII, PURDUE, UIUC, type UniversityRecord } from './universities';

/** What a source read for one term, ready for applyCatalog. */
export interface SourceRead {
  catalog: ParsedCatalog;
  /** The subjects the read covers when it is not the whole term (see ImportInput.subjects). */
  subjects?: string[];
}

/**
 * One module per source: it knows its university, where its data is, and which format reads it.
 * `from` overrides where (a file, a folder, a URL, depending on the source).
 */
export interface CatalogSource {
  name: string;
  university: UniversityRecord;
  /** Where it reads by default, for `npm run import` help. */
  describe: string;
  read(
    termCode: string,
    options: { from?: string; datasets: string; onProgress?: (done: number, total: number) => void },
  ): Promise<SourceRead>;
}

/** The repository's `../shared/datasets`, unless MOIM_DATASETS says otherwise. */
export function datasetsDir(env: Record<string, string | undefined> = process.env): string {
  return (
    env.MOIM_DATASETS ?? resolve(fileURLToPath(new URL('../../../../../shared/datasets', import.meta.url)))
  );
}

function readSourceFile(path: string): string {
  if (!existsSync(path)) throw new CatalogFormatError(`nothing to read at ${path}`);
  return readFileSync(path, 'utf8');
}

const uiucCsv: CatalogSource = {
  name: 'uiuc-csv',
  university: UIUC,
  describe:
    'the University of Illinois schedule export: <datasets>/uiuc-courses/<term>.csv, or --from <file.csv>',
  read: async (termCode, { from, datasets }) => ({
    catalog: parseUiucCsv(readSourceFile(from ?? join(datasets, 'uiuc-courses', `${termCode}.csv`))),
  }),
};

/** Banner 8 lists one subject per page: a folder holds a term's pages, and others, side by side. */
const PAGE = /p_get_crse_unsec\.html?$/;

const purdueBanner8: CatalogSource = {
  name: 'purdue-banner8',
  university: PURDUE,
  describe:
    "Purdue's Banner 8 Class Schedule Listing pages: every *p_get_crse_unsec.html of <datasets>/course-pages/purdue-banner8 holding the term, or --from <page or folder>",
  read: async (termCode, { from, datasets }) => {
    const where = from ?? join(datasets, 'course-pages', 'purdue-banner8');
    if (!existsSync(where)) throw new CatalogFormatError(`nothing to read at ${where}`);
    const folder = statSync(where).isDirectory();
    const files = folder
      ? readdirSync(where)
          .filter((f) => PAGE.test(f))
          .sort()
          .map((f) => join(where, f))
      : [where];
    const pages = files.map((file) => ({ file, catalog: parseBanner8Page(readFileSync(file, 'utf8')) }));
    // In a folder, pages of other terms (and empty searches) are someone else's; a page named on
    // its own must hold the term.
    const chosen = folder ? pages.filter((p) => p.catalog.term?.code === termCode) : pages;
    if (folder && chosen.length === 0) throw new CatalogFormatError(`no page of ${termCode} in ${where}`);
    const other = chosen.find((p) => p.catalog.term && p.catalog.term.code !== termCode);
    if (other)
      throw new CatalogFormatError(
        `${basename(other.file)} holds ${other.catalog.term!.name}, not ${termCode}`,
      );
    const dates = chosen
      .flatMap((p) => [p.catalog.term?.startsOn, p.catalog.term?.endsOn])
      .filter((d): d is string => !!d)
      .sort();
    const term = chosen.find((p) => p.catalog.term)?.catalog.term ?? null;
    return {
      catalog: {
        term: term && { ...term, startsOn: dates[0] ?? null, endsOn: dates.at(-1) ?? null },
        sections: chosen.flatMap((p) => p.catalog.sections),
        rejected: chosen.flatMap((p) =>
          p.catalog.rejected.map((r) => ({ line: r.line, reason: `${basename(p.file)}: ${r.reason}` })),
        ),
      },
      subjects: [...new Set(chosen.flatMap((p) => p.catalog.sections.map((s) => s.course.subject)))],
    };
  },
};

/**
 * Banner's term codes name the academic year a term belongs to: fall 2026 is `202710` (as the
 * recorded responses of test/fixtures/banner9 show), spring 2027 `202730`, summer 2027 `202740`.
 * A wrong code cannot slip through: the import checks the term the responses name.
 */
export function bannerTermCode(termCode: string): string {
  const year = Number(termCode.slice(0, 4));
  const season = termCode.slice(5);
  if (season === 'fa') return `${year + 1}10`;
  if (season === 'sp') return `${year}30`;
  if (season === 'su') return `${year}40`;
  throw new CatalogFormatError(
    `Banner 9 terms of the University of Hawaiʻi are fall, spring or summer, not ${termCode}`,
  );
}

const UH_BANNER9 = 'https://www.sis.hawaii.edu:9234';

const hawaiiBanner9: CatalogSource = {
  name: 'uh-banner9',
  university: HAWAII,
  describe: `the University of Hawaiʻi's Banner 9 class search (${UH_BANNER9}), or --from <another Banner 9 server>`,
  read: async (termCode, { from, onProgress }) => ({
    catalog: parseBanner9Results(
      await fetchBanner9Term(from ?? UH_BANNER9, bannerTermCode(termCode), { onPage: onProgress }),
    ),
  }),
};

export const SOURCES: ReadonlyMap<string, CatalogSource> = new Map(
  [uiucCsv, purdueBanner8, hawaiiBanner9].map((s) => [s.name, s]),
);

export function sourceNamed(name: string): CatalogSource {
  const source = SOURCES.get(name);
  if (!source)
    throw new CatalogFormatError(`unknown source "${name}": one of ${[...SOURCES.keys()].join(', ')}`);
  return source;
}
