import { readFileSync } from 'node:fs';
import type { Seeder } from '@moim/demo';
import type { CatalogDeps } from './domain/context';
import { addToTimetable, setMyUniversity } from './domain/timetable';
import { SectionEntity, TimetableEntryEntity, UniversityEntity } from './entities';
import { applyCatalog } from './import/apply';
import { parseBanner8Page } from './import/formats/banner8-html';
import { parseUiucCsv } from './import/formats/uiuc-csv';
import { PURDUE, UIUC } from './import/universities';

const demoFile = (name: string) => readFileSync(new URL(`../demo/${name}`, import.meta.url), 'utf8');

/**
 * Two universities' catalogs from the committed samples (see demo/README.md), through the same
 * importers as `npm run import`; then the demo user studies at Illinois with three sections on the
 * summer timetable.
 */
export const seed: Seeder<CatalogDeps> = async (deps, demo) => {
  const demoUser = demo.ids.get('demo');
  const repo = deps.db.dataSource;
  // Done when Illinois is there and the demo user has a timetable: every step below is
  // idempotent, so a seed stopped halfway is finished by the next one.
  if (
    (await repo.getRepository(UniversityEntity).existsBy({ key: UIUC.key })) &&
    (!demoUser || (await repo.getRepository(TimetableEntryEntity).existsBy({ userId: demoUser })))
  )
    return null;
  const purdue = await applyCatalog(deps.db, {
    source: 'purdue-banner8',
    university: PURDUE,
    termCode: '2021-su',
    catalog: parseBanner8Page(demoFile('202130.CS.bwckschd.p_get_crse_unsec.html')),
  });
  const uiuc = await applyCatalog(deps.db, {
    source: 'uiuc-csv',
    university: UIUC,
    termCode: '2025-su',
    catalog: parseUiucCsv(demoFile('uiuc-2025-su-cs-math-ece.csv')),
  });
  let timetable = 0;
  if (demoUser) {
    await setMyUniversity(deps, demoUser, uiuc.universityId);
    const sections = repo.getRepository(SectionEntity);
    for (const externalId of DEMO_TIMETABLE) {
      const section = await sections.findOneBy({ termId: uiuc.termId, externalId });
      if (!section) continue;
      await addToTimetable(deps, demoUser, section.id);
      timetable++;
    }
  }
  return {
    universities: 2,
    sections: purdue.created + uiuc.created,
    'timetable sections': timetable,
  };
};

/** CRNs of the summer 2025 sections the demo user takes: CS 225 AL1, CS 374 AL1, MATH 257 ONL. */
const DEMO_TIMETABLE = ['30770', '42186', '41270'];
