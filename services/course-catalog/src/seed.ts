import { readFileSync } from 'node:fs';
import type { Seeder } from '@moim/demo';
import type { CatalogDeps } from './domain/context';
import { addToTimetable, setMyUniversity } from './domain/timetable';
import { SectionEntity, StudentEntity, TermEntity, UniversityEntity } from './entities';
import { applyCatalog } from './import/apply';
import { parseBanner8Page } from './import/formats/banner8-html';
import { parseUiucCsv } from './import/formats/uiuc-csv';
import type { ParsedCatalog } from './import/records';
import { PURDUE, UIUC, type UniversityRecord } from './import/universities';

const demoFile = (name: string) => readFileSync(new URL(`../demo/${name}`, import.meta.url), 'utf8');

/** CRNs of the summer 2025 sections the demo user takes: CS 225 AL1, CS 374 AL1, MATH 257 ONL. */
const DEMO_TIMETABLE = ['30770', '42186', '41270'];

const DEMO_CATALOGS: Array<{
  source: string;
  university: UniversityRecord;
  term: string;
  read: () => ParsedCatalog;
}> = [
  {
    source: 'purdue-banner8',
    university: PURDUE,
    term: '2021-su',
    read: () => parseBanner8Page(demoFile('202130.CS.bwckschd.p_get_crse_unsec.html')),
  },
  {
    source: 'uiuc-csv',
    university: UIUC,
    term: '2025-su',
    read: () => parseUiucCsv(demoFile('uiuc-2025-su-cs-math-ece.csv')),
  },
];

/**
 * Two universities' catalogs from the committed samples (see demo/README.md), through the same
 * importers as `npm run import`; then the demo user studies at Illinois with three sections on the
 * summer timetable. Each step is skipped when done, so a seed stopped halfway is finished by the
 * next one, and a term imported in full before (`npm run import`) is never cut to the sample.
 */
export const seed: Seeder<CatalogDeps> = async (deps, demo) => {
  const repo = deps.db.dataSource;
  const termOf = async (key: string, code: string) => {
    const university = await repo.getRepository(UniversityEntity).findOneBy({ key });
    return university && repo.getRepository(TermEntity).findOneBy({ universityId: university.id, code });
  };
  const created: Record<string, number> = {};
  for (const c of DEMO_CATALOGS) {
    if (await termOf(c.university.key, c.term)) continue;
    const summary = await applyCatalog(deps.db, {
      source: c.source,
      university: c.university,
      termCode: c.term,
      catalog: c.read(),
    });
    created.universities = (created.universities ?? 0) + 1;
    created.sections = (created.sections ?? 0) + summary.created;
  }
  // Once: the demo user chooses Illinois and three sections (a later empty timetable is theirs).
  const demoUser = demo.ids.get('demo');
  const summer = await termOf(UIUC.key, '2025-su');
  if (demoUser && summer && !(await repo.getRepository(StudentEntity).existsBy({ userId: demoUser }))) {
    for (const externalId of DEMO_TIMETABLE) {
      const section = await repo.getRepository(SectionEntity).findOneBy({ termId: summer.id, externalId });
      if (!section) continue;
      if (!created['timetable sections']) await setMyUniversity(deps, demoUser, summer.universityId);
      await addToTimetable(deps, demoUser, section.id);
      created['timetable sections'] = (created['timetable sections'] ?? 0) + 1;
    }
  }
  return Object.keys(created).length ? created : null;
};
