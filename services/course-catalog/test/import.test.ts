import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { EntitySchema, ObjectLiteral } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoData } from '@moim/demo';
import { lockRows, recordJob, startService, type BackendKind } from '@moim/kit';
import { eventually, openTestBackend, testEnv, type TestBackend } from '@moim/kit/testing';
import {
  CourseEntity,
  ImportRunEntity,
  MeetingEntity,
  SectionEntity,
  service,
  TermEntity,
  TimetableEntryEntity,
  UniversityEntity,
  applyCatalog,
  StudentEntity,
  seed,
  type CatalogService,
  type ImportSummary,
} from '../src';
import { addToTimetable, setMyUniversity, timetableOf } from '../src/domain/timetable';
import { IMPORT_TERM } from '../src/import/import-job';
import { runImport } from '../src/import/run';
import type { SectionRecord } from '../src/import/records';
import { searchCourses } from '../src/domain/courses';
import { datasetsDir } from '../src/import/sources';

// Imports of real catalogs (the full UIUC export, Purdue's pages, recorded Banner 9 responses)
// into a real database, on both backends: counts checked against the files themselves, the same
// import twice, a section gone, bad input of every kind, a failure midway, and the job.
const DATASETS = datasetsDir();
const dataset = (...path: string[]) => {
  const file = join(DATASETS, ...path);
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new Error(`The dataset ${file} is missing: set MOIM_DATASETS to the shared datasets folder`);
  }
};
const SUMMER = dataset('uiuc-courses', '2025-su.csv');
type Row = Record<
  'YearTerm' | 'Subject' | 'Number' | 'Name' | 'CRN' | 'Section' | 'Type' | 'Start Time' | 'Instructors',
  string
>;
/** The export read without the importer: one row per meeting. */
const summerRows = parse(SUMMER, { columns: true }) as Row[];

describe.each<BackendKind>(['servers', 'embedded'])('on the %s backend', (kind) => {
  let test: TestBackend;
  let catalog: CatalogService;
  let dir: string;

  beforeAll(async () => {
    test = await openTestBackend(kind);
    dir = mkdtempSync(join(tmpdir(), 'moim-catalog-'));
    const config = service.loadEnv(
      testEnv({
        ...test.env,
        DATABASE_URL: await test.databaseUrl('course-catalog'),
        MOIM_DATASETS: DATASETS,
      }),
    );
    catalog = await startService(service.define(config), config, { backend: test.backend, role: 'all' });
  });
  afterAll(async () => {
    await catalog?.stop();
    await test?.cleanUp();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const repo = <T extends ObjectLiteral>(entity: EntitySchema<T>) =>
    catalog.deps.db.dataSource.getRepository(entity);
  const importFile = (source: string, term: string, from?: string) =>
    runImport(catalog.deps, { source, term, from, datasets: DATASETS });
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  /** Everything an import could have touched, to prove a refused one touched nothing. */
  const snapshot = async () => ({
    universities: await repo(UniversityEntity).count(),
    terms: await repo(TermEntity).count(),
    courses: await repo(CourseEntity).count(),
    sections: await repo(SectionEntity).count(),
    meetings: await repo(MeetingEntity).count(),
    cancelled: await repo(SectionEntity).countBy({ cancelled: true }),
    runs: await repo(ImportRunEntity).count(),
  });
  const sectionByCrn = async (termId: string, crn: string) =>
    repo(SectionEntity).findOneByOrFail({
      termId,
      externalId: crn,
    });

  let summer: ImportSummary;

  it('imports the UIUC summer 2025 export as the file counts it, then a second time changes nothing', async () => {
    summer = await importFile('uiuc-csv', '2025-su');
    const crns = new Set(summerRows.map((r) => r.CRN));
    const courses = new Set(summerRows.map((r) => `${r.Subject} ${r.Number}`));
    expect(summer).toMatchObject({ created: crns.size, updated: 0, cancelled: 0, rejected: 0, unchanged: 0 });
    expect(await repo(SectionEntity).countBy({ termId: summer.termId })).toBe(crns.size);
    expect(await repo(CourseEntity).countBy({ termId: summer.termId })).toBe(courses.size);
    expect(await repo(MeetingEntity).count()).toBe(summerRows.length); // a row is a meeting

    // A CRN with two rows (a timed one among them) has two meetings, in the file's order.
    const byCrn = new Map<string, Row[]>();
    for (const r of summerRows) byCrn.set(r.CRN, [...(byCrn.get(r.CRN) ?? []), r]);
    const [crn, twoRows] = [...byCrn].find(
      ([, rows]) => rows.length === 2 && rows[0]!['Start Time'] !== 'ARRANGED',
    )!;
    const section = await sectionByCrn(summer.termId, crn);
    const meetings = await repo(MeetingEntity).find({
      where: { sectionId: section.id },
      order: { position: 'ASC' },
    });
    expect(meetings).toHaveLength(2);
    const clock = (t: string) => {
      const [h, m] = t.split(/[: ]/);
      const hour = (Number(h) % 12) + (t.endsWith('PM') ? 12 : 0);
      return `${String(hour).padStart(2, '0')}:${m}`;
    };
    expect(meetings.map((m) => m.startTime).sort()).toEqual(
      twoRows.map((r) => clock(r['Start Time'])).sort(),
    );

    // HTML entities come decoded.
    const withEntity = summerRows.find((r) => r.Name.includes('&amp;'))!;
    const course = await repo(CourseEntity).findOneByOrFail({
      termId: summer.termId,
      subject: withEntity.Subject,
      number: withEntity.Number,
    });
    expect(course.title).toBe(withEntity.Name.replaceAll('&amp;', '&'));
    expect(course.title).not.toContain('&amp;');

    const before = await snapshot();
    const again = await importFile('uiuc-csv', '2025-su');
    expect(again).toMatchObject({
      created: 0,
      updated: 0,
      cancelled: 0,
      rejected: 0,
      unchanged: crns.size,
      coursesCreated: 0,
      coursesUpdated: 0,
    });
    expect(summer).toMatchObject({ coursesCreated: courses.size, coursesUpdated: 0 });
    expect({ ...(await snapshot()), runs: before.runs }).toEqual(before);
  });

  it('marks a section missing from a newer import cancelled, keeps the timetables holding it, and updates the changed', async () => {
    const user = '00000000-0000-4000-8000-00000000a001';
    const [gone, changed, opened] = [...new Set(summerRows.map((r) => r.CRN))].slice(10, 13) as [
      string,
      string,
      string,
    ];
    const meetingIds = async (crn: string) =>
      (await repo(MeetingEntity).findBy({ sectionId: (await sectionByCrn(summer.termId, crn)).id }))
        .map((m) => m.id)
        .sort();
    const openedMeetings = await meetingIds(opened);
    await setMyUniversity(catalog.deps, user, summer.universityId);
    await addToTimetable(catalog.deps, user, (await sectionByCrn(summer.termId, gone)).id);

    // The same export without one section's rows, and another section's instructor renamed.
    const lines = SUMMER.split('\n');
    const header = lines[0]!;
    const rowsOf = (crn: string) => lines.filter((l) => l.includes(`,${crn},`));
    expect(rowsOf(gone).length).toBeGreaterThan(0);
    // And a third course renamed in every row of it: the course changes, none of its sections do.
    const renamed = summerRows.find(
      (r) =>
        /^[A-Za-z ]+$/.test(r.Name) &&
        ![gone, changed].some((crn) => summerRows.find((x) => x.CRN === crn)!.Subject === r.Subject),
    )!;
    const prefix = `2025,Summer,2025-su,${renamed.Subject},${renamed.Number},${renamed.Name},`;
    const newer = lines
      .filter((l) => !rowsOf(gone).includes(l))
      .map((l) => (rowsOf(changed).includes(l) ? l.replace(/"([^"]*)"\s*$/, '"Newcomer, N"') : l))
      .map((l) => (rowsOf(opened).includes(l) ? l.replace(',UNKNOWN,', ',Open,') : l))
      .map((l) =>
        l.startsWith(prefix)
          ? l.replace(prefix, `${prefix.slice(0, -renamed.Name.length - 1)}Renamed Course,`)
          : l,
      );
    expect(newer[0]).toBe(header);
    expect(newer.filter((l) => l.includes(',Renamed Course,')).length).toBeGreaterThan(0);
    const result = await importFile('uiuc-csv', '2025-su', file('2025-su-newer.csv', newer.join('\n')));
    // The renamed course and the course of the section whose instructor changed (search text).
    expect(result).toMatchObject({ created: 0, updated: 2, cancelled: 1, rejected: 0, coursesUpdated: 2 });
    // Its status alone changed: the section is updated, its meetings are the same rows.
    expect(
      await repo(SectionEntity).findOneByOrFail({ termId: summer.termId, externalId: opened }),
    ).toMatchObject({ status: 'OPEN' });
    expect(await meetingIds(opened)).toEqual(openedMeetings);
    const course = await repo(CourseEntity).findOneByOrFail({
      termId: summer.termId,
      subject: renamed.Subject,
      number: renamed.Number,
    });
    expect(course.title).toBe('Renamed Course');

    expect((await sectionByCrn(summer.termId, gone)).cancelled).toBe(true);
    expect((await sectionByCrn(summer.termId, changed)).instructors).toEqual(['Newcomer, N']);
    expect(await repo(TimetableEntryEntity).countBy({ userId: user })).toBe(1);
    const timetable = await timetableOf(catalog.deps.db.dataSource.manager, user, summer.termId);
    expect(timetable.sections.map((s) => [s.externalId, s.cancelled])).toEqual([[gone, true]]);

    // The section comes back with the full export: restored, not duplicated.
    const restored = await importFile('uiuc-csv', '2025-su');
    expect(restored).toMatchObject({ created: 0, updated: 3, cancelled: 0, coursesUpdated: 2 });
    expect((await sectionByCrn(summer.termId, gone)).cancelled).toBe(false);
  });

  it('imports Purdue pages with the section counts their README states, meetings included; the empty page imports nothing', async () => {
    const pages = join(DATASETS, 'course-pages', 'purdue-banner8');
    const fall = await importFile('purdue-banner8', '2021-fa', pages); // the folder: its 2021-fa page
    expect(fall).toMatchObject({ created: 271, rejected: 0 });
    expect(await repo(CourseEntity).countBy({ termId: fall.termId })).toBe(67);
    const cs = await importFile(
      'purdue-banner8',
      '2021-su',
      join(pages, '202130.CS.bwckschd.p_get_crse_unsec.html'),
    );
    expect(cs).toMatchObject({ created: 287, rejected: 0 });

    // A section with two meeting rows in the page has two meetings.
    const sections = await repo(SectionEntity).findBy({ termId: fall.termId });
    const counts = await Promise.all(sections.map((s) => repo(MeetingEntity).countBy({ sectionId: s.id })));
    expect(counts.some((n) => n === 2)).toBe(true);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(316); // the README's meeting rows

    const before = await snapshot();
    const empty = await importFile(
      'purdue-banner8',
      '2021-su',
      join(pages, 'empty_bwckschd.p_get_crse_unsec.html'),
    );
    expect(empty).toMatchObject({ created: 0, updated: 0, cancelled: 0, rejected: 0 });
    expect({ ...(await snapshot()), runs: before.runs }).toEqual(before);
    // The term's dates come from its meetings.
    expect(await repo(TermEntity).findOneByOrFail({ id: fall.termId })).toMatchObject({
      startsOn: expect.stringMatching(/^2021-08-/),
      endsOn: expect.stringMatching(/^2021-12-/),
    });
  });

  it('refuses bad input with a clear error and imports nothing of it', async () => {
    const before = await snapshot();
    const refused = async (run: Promise<unknown>, message: RegExp) => {
      await expect(run).rejects.toThrow(message);
      expect(await snapshot()).toEqual(before);
    };
    const [header, ...body] = SUMMER.split('\n');
    // A term the file does not hold, or no file for the term.
    await refused(
      importFile('uiuc-csv', '2025-fa', file('x.csv', SUMMER)),
      /holds Summer 2025 \(2025-su\), not 2025-fa/,
    );
    await refused(importFile('uiuc-csv', '2031-fa'), /nothing to read at .*2031-fa\.csv/);
    await refused(importFile('uiuc-csv', 'summer'), /"summer" is not a term such as 2025-su/);
    await refused(importFile('nope', '2025-su'), /unknown source "nope"/);
    // A wrong header; an unterminated quote.
    await refused(
      importFile('uiuc-csv', '2025-su', file('h.csv', [header!.replace('CRN', 'Id'), ...body].join('\n'))),
      /missing columns CRN/,
    );
    await refused(
      importFile(
        'uiuc-csv',
        '2025-su',
        file(
          'q.csv',
          [header, ...body.slice(0, 50), '2025,Summer,2025-su,CS,1,"Broken', ...body.slice(50)].join('\n'),
        ),
      ),
      /not a readable CSV file: .*quote.*\(line \d+\)/i,
    );
    // An HTML page of another layout: the term list page, and a page that is not Banner at all.
    const pages = join(DATASETS, 'course-pages', 'purdue-banner8');
    await refused(
      importFile('purdue-banner8', '2021-su', join(pages, 'bwckschd.p_disp_dyn_sched.html')),
      /not a Banner 8/,
    );
    await refused(
      importFile(
        'purdue-banner8',
        '2021-su',
        file('p_get_crse_unsec.html', '<html><body><p>Maintenance</p></body></html>'),
      ),
      /not a Banner 8/,
    );
    // A page of another term named on its own.
    await refused(
      importFile('purdue-banner8', '2021-fa', join(pages, '202130.CS.bwckschd.p_get_crse_unsec.html')),
      /holds Summer 2021, not 2021-fa/,
    );
  });

  it('skips malformed rows, reporting their lines, lands the rest, and cancels none of their sections', async () => {
    const lines = SUMMER.split('\n');
    const at = (crn: string) => lines.flatMap((l, i) => (l.includes(`,${crn},`) ? [i] : []));
    // The second row of a two-row section gets a time no clock has: that row's line is reported.
    const crns = [...new Set(summerRows.map((r) => r.CRN))];
    const twoRows = crns.find((crn) => {
      const rows = summerRows.filter((r) => r.CRN === crn);
      return rows.length === 2 && /M$/.test(rows[1]!['Start Time']);
    })!;
    const second = at(twoRows)[1]!;
    const start = summerRows.filter((r) => r.CRN === twoRows)[1]!['Start Time'];
    lines[second] = lines[second]!.replace(`,${start},`, ',25:61 PM,');
    // Another section's code is longer than any column holds.
    const long = crns.find((crn) => crn !== twoRows && at(crn).length === 1)!;
    const row = summerRows.find((r) => r.CRN === long)!;
    lines[at(long)[0]!] = lines[at(long)[0]!]!.replace(
      `,${long},${row.Section},`,
      `,${long},${'X'.repeat(24)},`,
    );

    const result = await importFile('uiuc-csv', '2025-su', file('broken.csv', lines.join('\n')));
    expect(result.rejections).toEqual(
      [
        {
          line: second + 1,
          reason: expect.stringMatching(/unreadable time "25:61 PM"/),
          externalId: twoRows,
        },
        { line: at(long)[0]! + 1, reason: 'a section code over 16 characters', externalId: long },
      ].sort((a, b) => a.line - b.line),
    );
    // The rest is as before; the two sections are left as they were, not cancelled.
    expect(result).toMatchObject({
      created: 0,
      updated: 0,
      cancelled: 0,
      rejected: 2,
      unchanged: crns.length - 2,
    });
    expect((await sectionByCrn(summer.termId, twoRows)).cancelled).toBe(false);
    expect((await sectionByCrn(summer.termId, long)).cancelled).toBe(false);
    const run = await repo(ImportRunEntity).findOne({
      where: { termId: summer.termId },
      order: { finishedAt: 'DESC' },
    });
    expect(run!.rejections).toEqual(result.rejections);
  });

  it('refuses a source that lists nothing, or would cancel most of the term, unless forced', async () => {
    const before = await snapshot();
    const [header, ...body] = SUMMER.split('\n');
    await expect(importFile('uiuc-csv', '2025-su', file('empty.csv', `${header}\n`))).rejects.toThrow(
      /lists no section of 2025-su: refusing to cancel its 1638 sections/,
    );
    const truncated = file('truncated.csv', [header, ...body.slice(0, 100)].join('\n'));
    await expect(importFile('uiuc-csv', '2025-su', truncated)).rejects.toThrow(
      /would cancel \d+ of the term's 1638 sections: a truncated source\? Import with --force/,
    );
    expect(await snapshot()).toEqual(before);

    const forced = await runImport(catalog.deps, {
      source: 'uiuc-csv',
      term: '2025-su',
      from: truncated,
      datasets: DATASETS,
      force: true,
    });
    const kept = new Set(
      (parse([header, ...body.slice(0, 100)].join('\n'), { columns: true }) as Row[]).map((r) => r.CRN),
    );
    expect(forced).toMatchObject({ created: 0, cancelled: 1638 - kept.size, unchanged: kept.size });
    const back = await importFile('uiuc-csv', '2025-su');
    expect(back).toMatchObject({ updated: 1638 - kept.size, cancelled: 0 });
  });

  it('reports no change for the same catalog in another order', async () => {
    const [header, ...body] = SUMMER.trimEnd().split('\n');
    const reversed = await importFile(
      'uiuc-csv',
      '2025-su',
      file('reversed.csv', [header, ...body.reverse()].join('\n')),
    );
    expect(reversed).toMatchObject({
      created: 0,
      updated: 0,
      cancelled: 0,
      coursesUpdated: 0,
      unchanged: 1638,
    });
  });

  it('imports after an import of the same term holding its lock, from what that one committed', async () => {
    const crn = summerRows[0]!.CRN;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const hasLock = new Promise<void>((resolve) => (locked = resolve));
    const first = catalog.deps.db.transaction(
      async (manager) => {
        await lockRows(manager, TermEntity, { id: summer.termId });
        await manager.update(SectionEntity, { termId: summer.termId, externalId: crn }, { cancelled: true });
        locked();
        await held;
      },
      { background: true },
    );
    await hasLock;
    const second = importFile('uiuc-csv', '2025-su');
    await new Promise((resolve) => setTimeout(resolve, 300)); // the second import is waiting now
    release();
    await first;
    // The second saw the first's cancellation once it had the lock, and undid it.
    expect(await second).toMatchObject({ updated: 1, cancelled: 0 });
    expect((await sectionByCrn(summer.termId, crn)).cancelled).toBe(false);
  });

  it('leaves the term as it was when an import fails midway', async () => {
    const before = await snapshot();
    const lines = SUMMER.split('\n');
    const renamed = lines.map((l, i) => (i > 0 ? l.replace(/"([^"]*)"\s*$/, '"Someone, S"') : l)).join('\n');
    let calls = 0;
    await expect(
      runImport(catalog.deps, {
        source: 'uiuc-csv',
        term: '2025-su',
        from: file('renamed.csv', renamed),
        datasets: DATASETS,
        // The first progress report comes after the first chunk of sections was written.
        onProgress: (phase) => {
          if (phase === 'apply' && ++calls === 2) throw new Error('the disk is full');
        },
      }),
    ).rejects.toThrow('the disk is full');
    expect(calls).toBe(2);
    expect(await snapshot()).toEqual(before);
    const someone = await repo(SectionEntity)
      .createQueryBuilder('s')
      .where('s.instructors LIKE :n', { n: '%Someone%' })
      .getCount();
    expect(someone).toBe(0);
  });

  it("imports a Banner 9 server's class search (recorded University of Hawaiʻi responses)", async () => {
    const fixture = (name: string) =>
      JSON.parse(readFileSync(new URL(`./fixtures/banner9/${name}`, import.meta.url), 'utf8')) as {
        data: unknown[];
      };
    const sections = [
      ...fixture('uh-fall2026-ics111.json').data,
      ...fixture('uh-fall2026-ics-online.json').data,
    ];
    const requests: string[] = [];
    const server: Server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url!.split('?')[0]}`);
      if (req.method === 'POST') {
        res.setHeader('set-cookie', 'JSESSIONID=abc; Path=/');
        res.end('{}');
        return;
      }
      const url = new URL(req.url!, 'http://x');
      expect(url.searchParams.get('txt_term')).toBe('202710');
      const offset = Number(url.searchParams.get('pageOffset'));
      const size = Number(url.searchParams.get('pageMaxSize'));
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          success: true,
          totalCount: sections.length,
          data: sections.slice(offset, offset + size),
          pageOffset: offset,
          pageMaxSize: size,
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const result = await importFile('uh-banner9', '2026-fa', base);
      const distinct = new Set(
        sections.map((s) => (s as { courseReferenceNumber: string }).courseReferenceNumber),
      );
      expect(result).toMatchObject({ created: distinct.size, rejected: sections.length - distinct.size });
      expect(requests[0]).toBe('POST /StudentRegistrationSsb/ssb/term/search');
      expect(
        requests.slice(1).every((r) => r === 'GET /StudentRegistrationSsb/ssb/searchResults/searchResults'),
      ).toBe(true);
      const university = await repo(UniversityEntity).findOneByOrFail({
        id: result.universityId,
      });
      expect(university.name).toBe('University of Hawaiʻi');
      expect((await importFile('uh-banner9', '2026-fa', base)).unchanged).toBe(distinct.size);
    } finally {
      server.close();
    }
  });

  it('ranks the exact code first, then code, subject and title prefixes, then the rest; leaves out courses no longer offered', async () => {
    const course = (subject: string, number: string, title: string, crn: string): SectionRecord => ({
      line: Number(crn),
      course: { subject, number, title, description: null, creditsMin: 3, creditsMax: 3 },
      externalId: crn,
      code: 'A',
      type: 'Lecture',
      online: false,
      instructors: ['Lee, K'],
      status: 'OPEN',
      meetings: [],
    });
    const importRankTest = (list: SectionRecord[]) =>
      applyCatalog(catalog.deps.db, {
        source: 'test',
        university: { key: 'rank-test', name: 'Rank Test University', country: 'US', timezone: 'UTC' },
        termCode: '2030-fa',
        catalog: { term: null, rejected: [], sections: list },
      });
    const sections = [
      course('CS', '2250', 'Systems', '1'),
      course('CS', '225', 'Data Structures', '2'),
      course('PHYS', '122', 'Physics of 22 things', '3'),
      course('ABC', '100', 'CS 22 for everyone', '4'),
      course('CS', '22', 'Intro', '5'),
      course('CS', '999', 'Gone', '6'),
    ];
    const { termId } = await importRankTest(sections);
    const codes = async (query: string) =>
      (await searchCourses(catalog.deps, { termId, query })).edges.map(
        (e) => `${e.node.subject} ${e.node.number}`,
      );
    expect(await codes('gone')).toEqual(['CS 999']);
    // The next import no longer lists its only section: cancelled, and the course with it.
    const again = await importRankTest(sections.filter((x) => x.externalId !== '6'));
    expect(again).toMatchObject({ cancelled: 1, unchanged: 5 });
    expect(await codes('gone')).toEqual([]);
    // And back: offered again.
    const back = await importRankTest(sections);
    expect(back).toMatchObject({ updated: 1 });
    expect(await codes('gone')).toEqual(['CS 999']);
    await importRankTest(sections.filter((x) => x.externalId !== '6'));
    expect(await codes('cs 22')).toEqual(['CS 22', 'ABC 100', 'CS 225', 'CS 2250', 'PHYS 122']);
    // Written as one word, it is a code: no title holds it.
    expect(await codes('CS22')).toEqual(['CS 22', 'CS 225', 'CS 2250']);
    expect(await codes('cs')).toEqual(['ABC 100', 'CS 22', 'CS 225', 'CS 2250', 'PHYS 122']);
    expect(await codes('lee')).toEqual(['ABC 100', 'CS 22', 'CS 225', 'CS 2250', 'PHYS 122']);
    expect(await codes('gone')).toEqual([]);
  });

  it('keeps a section as it was when one of its rows has a wrong number of fields, and sees a meeting change its type', async () => {
    const lines = SUMMER.split('\n');
    const crns = [...new Set(summerRows.map((r) => r.CRN))];
    const twoRows = crns.find((crn) => summerRows.filter((r) => r.CRN === crn).length === 2)!;
    const at = lines.flatMap((l, i) => (l.includes(`,${twoRows},`) ? [i] : []));
    const broken = [...lines];
    broken[at[1]!] = `${broken[at[1]!]},extra`;
    const result = await importFile('uiuc-csv', '2025-su', file('fields.csv', broken.join('\n')));
    expect(result.rejections).toEqual([
      { line: at[1]! + 1, reason: '28 fields where the header has 27', externalId: twoRows },
    ]);
    expect(result).toMatchObject({ updated: 0, cancelled: 0, unchanged: crns.length - 1 });
    const section = await sectionByCrn(summer.termId, twoRows);
    expect(await repo(MeetingEntity).countBy({ sectionId: section.id })).toBe(2);

    // A section's two rows of different types (a lecture and a lab) swap types: a change.
    const mixed = crns.find((crn) => {
      const rows = summerRows.filter((r) => r.CRN === crn);
      return rows.length === 2 && rows[0]!.Type !== rows[1]!.Type;
    })!;
    expect(mixed).toBeDefined();
    const [first, second] = summerRows.filter((r) => r.CRN === mixed).map((r) => r.Type) as [string, string];
    const mixedAt = lines.flatMap((l, i) => (l.includes(`,${mixed},`) ? [i] : []));
    const swapped = [...lines];
    swapped[mixedAt[0]!] = swapped[mixedAt[0]!]!.replace(`,${first},`, `,${second},`);
    swapped[mixedAt[1]!] = swapped[mixedAt[1]!]!.replace(`,${second},`, `,${first},`);
    const changed = await importFile('uiuc-csv', '2025-su', file('swapped.csv', swapped.join('\n')));
    expect(changed).toMatchObject({ updated: 1, cancelled: 0 });
    expect(await importFile('uiuc-csv', '2025-su')).toMatchObject({ updated: 1 });
  });

  it('holds the timetable cap when two adds of one student race', async () => {
    const user = '00000000-0000-4000-8000-00000000a0c0';
    await setMyUniversity(catalog.deps, user, summer.universityId);
    const sections = await repo(SectionEntity).find({
      where: { termId: summer.termId, cancelled: false },
      take: 31,
    });
    await repo(TimetableEntryEntity).insert(
      sections.slice(0, 29).map((x, i) => ({
        userId: user,
        sectionId: x.id,
        termId: summer.termId,
        createdAt: new Date(Date.now() + i),
      })),
    );
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const hasLock = new Promise<void>((resolve) => (locked = resolve));
    const other = catalog.deps.db.transaction(async (manager) => {
      await lockRows(manager, StudentEntity, { userId: user });
      await manager.insert(TimetableEntryEntity, {
        userId: user,
        sectionId: sections[29]!.id,
        termId: summer.termId,
        createdAt: new Date(),
      });
      locked();
      await held;
    });
    await hasLock;
    const add = addToTimetable(catalog.deps, user, sections[30]!.id).then(
      () => 'added',
      (err: { extensions?: { code?: string } }) => err.extensions?.code,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();
    await other;
    expect(await add).toBe('BAD_USER_INPUT');
    expect(await repo(TimetableEntryEntity).countBy({ userId: user })).toBe(30);
  });

  it('seeds the demo catalogs only where their terms are missing, never cutting a full import to the sample', async () => {
    const demoUser = '00000000-0000-4000-8000-00000000d3e0';
    const demo = { ids: new Map([['demo', demoUser]]) } as unknown as DemoData;
    const sections = await repo(SectionEntity).countBy({ termId: summer.termId });
    expect(await seed(catalog.deps, demo)).toEqual({ 'timetable sections': 3 });
    expect(await repo(SectionEntity).countBy({ termId: summer.termId, cancelled: false })).toBe(sections);
    expect(await seed(catalog.deps, demo)).toBeNull();
  });

  it('runs an import as a job (the repeatable job of CATALOG_IMPORTS runs the same)', async () => {
    await catalog.deps.db.transaction((manager) =>
      recordJob(manager, IMPORT_TERM, { source: 'uiuc-csv', term: '2025-wi' }),
    );
    const winter = new Set(
      (parse(dataset('uiuc-courses', '2025-wi.csv'), { columns: true }) as Row[]).map((r) => r.CRN),
    );
    await eventually(async () => {
      const runs = await repo(ImportRunEntity).find({
        where: { source: 'uiuc-csv' },
        order: { finishedAt: 'DESC' },
        take: 1,
      });
      expect(runs[0]).toMatchObject({ created: winter.size, rejected: 0 });
      return true;
    }, 20_000);
    const term = await repo(TermEntity).findOneByOrFail({ code: '2025-wi' });
    expect(await repo(SectionEntity).countBy({ termId: term.id })).toBe(winter.size);
  });
});
