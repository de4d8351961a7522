import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxEvent } from '@moim/kit';
import { eventually } from '@moim/kit/testing';
import {
  applyCatalog,
  parseBanner8Page,
  parseUiucCsv,
  PURDUE,
  UIUC,
  SectionEntity,
  TermEntity,
  type CatalogDeps,
  type ImportSummary,
} from '@moim/course-catalog';

import { codeOf, ok, startGraph, type Graph } from '../src';

// The course catalog through the gateway: the committed demo samples (UIUC summer 2025 CS, MATH
// and ECE; Purdue's CS page of summer 2021) imported as `npm start` does, then found, browsed
// and put on timetables by students.
let graph: Graph;
let uiuc: ImportSummary;
let purdue: ImportSummary;
const demoFile = (name: string) =>
  readFileSync(new URL(`../../../services/course-catalog/demo/${name}`, import.meta.url), 'utf8');
const UIUC_CSV = demoFile('uiuc-2025-su-cs-math-ece.csv');

beforeAll(async () => {
  graph = await startGraph();
  const db = catalog().deps.db;
  uiuc = await applyCatalog(db, {
    source: 'uiuc-csv',
    university: UIUC,
    termCode: '2025-su',
    catalog: parseUiucCsv(UIUC_CSV),
  });
  purdue = await applyCatalog(db, {
    source: 'purdue-banner8',
    university: PURDUE,
    termCode: '2021-su',
    catalog: parseBanner8Page(demoFile('202130.CS.bwckschd.p_get_crse_unsec.html')),
  });
});
afterAll(() => graph?.stop());

const catalog = () => graph.service<CatalogDeps>('course-catalog');
/** The sample's rows, read independently of the importer. */
const rows = parse(UIUC_CSV, { columns: true }) as Array<
  Record<'Subject' | 'Number' | 'CRN' | 'Instructors', string>
>;
const sectionId = async (termId: string, crn: string) =>
  (
    await catalog()
      .deps.db.dataSource.getRepository(SectionEntity)
      .findOneByOrFail({ termId, externalId: crn })
  ).id;

const COURSES = `query($termId: ID!, $query: String, $subject: String, $first: Int, $after: String) {
  courses(termId: $termId, query: $query, subject: $subject, first: $first, after: $after) {
    edges { cursor node { id code title creditsMin creditsMax } }
    pageInfo { hasNextPage endCursor }
  }
}`;
type CoursePage = {
  courses: {
    edges: Array<{
      node: { id: string; code: string; title: string; creditsMin: number; creditsMax: number };
    }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
};
const codes = (page: CoursePage) => page.courses.edges.map((e) => e.node.code);

describe('the catalog', () => {
  it('lists universities with their board keys and terms', async () => {
    const data = ok(
      await graph.gql<{
        universities: Array<{ boardKey: string; name: string; terms: Array<{ code: string; name: string }> }>;
      }>('{ universities { boardKey name terms { code name } } }'),
    );
    expect(data.universities).toEqual([
      { boardKey: 'purdue', name: 'Purdue University', terms: [{ code: '2021-su', name: 'Summer 2021' }] },
      {
        boardKey: 'uiuc',
        name: 'University of Illinois Urbana-Champaign',
        terms: [{ code: '2025-su', name: 'Summer 2025' }],
      },
    ]);
    const terms = ok(
      await graph.gql<{ terms: Array<{ id: string; startsOn: string | null; endsOn: string | null }> }>(
        'query($u: ID!) { terms(universityId: $u) { id startsOn endsOn } }',
        { u: purdue.universityId },
      ),
    );
    // Purdue's pages date every meeting: the term spans them.
    expect(terms.terms).toEqual([
      {
        id: purdue.termId,
        startsOn: expect.stringMatching(/^2021-0[56]-/),
        endsOn: expect.stringMatching(/^2021-0[78]-/),
      },
    ]);
  });

  it('finds a course by its code written either way, by title words and by instructor; the exact code first', async () => {
    for (const query of ['CS 225', 'cs225', ' cs  225 ']) {
      const page = ok(await graph.gql<CoursePage>(COURSES, { termId: uiuc.termId, query }));
      expect(codes(page)[0]).toBe('CS 225');
      expect(page.courses.edges[0]!.node).toMatchObject({
        title: 'Data Structures',
        creditsMin: 4,
        creditsMax: 4,
      });
    }
    expect(
      codes(ok(await graph.gql<CoursePage>(COURSES, { termId: uiuc.termId, query: 'data structures' }))),
    ).toContain('CS 225');
    // CS 225's only instructor in the sample, as the file writes it.
    const instructor = rows.find((r) => r.Subject === 'CS' && r.Number === '225')!.Instructors.split(',')[0]!;
    expect(
      codes(ok(await graph.gql<CoursePage>(COURSES, { termId: uiuc.termId, query: instructor }))),
    ).toContain('CS 225');
    // `cs 22` ranks CS courses numbered 22x before courses that merely mention the words.
    const prefix = codes(
      ok(await graph.gql<CoursePage>(COURSES, { termId: uiuc.termId, query: 'cs 22', first: 50 })),
    );
    const expected = [
      ...new Set(
        rows.filter((r) => r.Subject === 'CS' && r.Number.startsWith('22')).map((r) => `CS ${r.Number}`),
      ),
    ].sort();
    expect(prefix.slice(0, expected.length)).toEqual(expected);
    expect(
      ok(await graph.gql<CoursePage>(COURSES, { termId: uiuc.termId, query: 'no such course zzz' })).courses
        .edges,
    ).toEqual([]);
  });

  it('pages a subject in code order without gaps or repeats', async () => {
    const expected = [
      ...new Set(rows.filter((r) => r.Subject === 'ECE').map((r) => `ECE ${r.Number}`)),
    ].sort();
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page: CoursePage = ok(
        await graph.gql<CoursePage>(COURSES, { termId: uiuc.termId, subject: 'ece', first: 7, after }),
      );
      seen.push(...codes(page));
      after = page.courses.pageInfo.hasNextPage ? page.courses.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toEqual(expected);
  });

  it('shows a course with its sections and a section with its course and meetings', async () => {
    // CRN 40789 (ECE 210 ON1) has a lab row and a lecture row in the file.
    const lines = rows.filter((r) => r.CRN === '40789');
    expect(lines).toHaveLength(2);
    const id = await sectionId(uiuc.termId, '40789');
    const data = ok(
      await graph.gql<{
        section: {
          code: string;
          course: { code: string; sections: Array<{ id: string }> };
          meetings: Array<{ days: string[]; startTime: string; endTime: string; arranged: boolean }>;
        };
      }>(
        'query($id: ID!) { section(id: $id) { code course { code sections { id } } meetings { days startTime endTime arranged } } }',
        { id },
      ),
    );
    expect(data.section.code).toBe('ON1');
    expect(data.section.course.code).toBe('ECE 210');
    expect(data.section.course.sections.map((s) => s.id)).toContain(id);
    // By first day then time, whatever the file's order (the lab row comes first there).
    expect(data.section.meetings).toEqual([
      { days: ['M', 'T', 'W', 'R', 'F'], startTime: '09:00', endTime: '10:20', arranged: false },
      { days: ['W'], startTime: '16:00', endTime: '17:50', arranged: false },
    ]);
  });

  it('loads sections and meetings of a page of courses in a fixed number of statements', async () => {
    const QUERY = `query($termId: ID!, $first: Int) { courses(termId: $termId, first: $first) {
      edges { node { code term { code university { name } } sections { code meetings { days section { code } } } } } } }`;
    const statements = async (first: number) => {
      const before = catalog().deps.db.queryCount();
      ok(await graph.gql(QUERY, { termId: uiuc.termId, first }));
      return catalog().deps.db.queryCount() - before;
    };
    const few = await statements(3);
    expect(await statements(40)).toBe(few);
  });

  it('refuses an unknown term, a malformed id and a query too long, clearly', async () => {
    const unknown = await graph.gql(COURSES, { termId: '00000000-0000-4000-8000-000000000000' });
    expect(codeOf(unknown)).toBe('NOT_FOUND');
    expect(codeOf(await graph.gql(COURSES, { termId: 'nope' }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await graph.gql(COURSES, { termId: uiuc.termId, query: 'x'.repeat(101) }))).toBe(
      'BAD_USER_INPUT',
    );
    expect(codeOf(await graph.gql(COURSES, { termId: uiuc.termId, first: 1000 }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await graph.gql(COURSES, { termId: uiuc.termId, after: 'garbage' }))).toBe(
      'BAD_USER_INPUT',
    );
  });
});

const TIMETABLE_FIELDS = `term { code } sections { id code course { code } }
  meetings { days startTime section { code } }
  conflicts { sections { course { code } } day startTime endTime }`;
type TimetableView = {
  term: { code: string };
  sections: Array<{ id: string; code: string; course: { code: string } }>;
  conflicts: Array<{
    sections: Array<{ course: { code: string } }>;
    day: string;
    startTime: string;
    endTime: string;
  }>;
};
const ADD = `mutation($id: ID!) { addToTimetable(sectionId: $id) { ${TIMETABLE_FIELDS} } }`;
const REMOVE = `mutation($id: ID!) { removeFromTimetable(sectionId: $id) { ${TIMETABLE_FIELDS} } }`;
const SET_UNIVERSITY =
  'mutation($u: ID) { setMyUniversity(universityId: $u) { id university { boardKey } } }';

const IMPORTS = `query($first: Int, $after: String) {
  courseImports(first: $first, after: $after) {
    edges { cursor node {
      id source created updated unchanged cancelled rejected rejections { line reason } finishedAt
      term { id code university { name } }
    } }
    pageInfo { hasNextPage endCursor }
  }
}`;
type ImportView = {
  id: string;
  source: string;
  created: number;
  updated: number;
  unchanged: number;
  cancelled: number;
  rejected: number;
  rejections: Array<{ line: number; reason: string }>;
  finishedAt: string;
  term: { id: string; code: string; university: { name: string } };
};
type ImportsPage = {
  courseImports: {
    edges: Array<{ cursor: string; node: ImportView }>;
    pageInfo: { hasNextPage: boolean; endCursor: string };
  };
};

describe('course imports (admin)', () => {
  it('lists each import with its summary, the last finished first, in pages; admins only', async () => {
    const admin = await graph.person('importadmin');
    const adminToken = await graph.makeAdmin(admin.id);
    const first = ok(await graph.gql<ImportsPage>(IMPORTS, { first: 1 }, adminToken)).courseImports;
    expect(first.edges.map((e) => e.node.source)).toEqual(['purdue-banner8']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = ok(
      await graph.gql<ImportsPage>(IMPORTS, { first: 5, after: first.pageInfo.endCursor }, adminToken),
    ).courseImports;
    expect(second.edges.map((e) => e.node.source)).toEqual(['uiuc-csv']);
    expect(second.pageInfo.hasNextPage).toBe(false);

    for (const [view, summary, code] of [
      [first.edges[0]!.node, purdue, '2021-su'],
      [second.edges[0]!.node, uiuc, '2025-su'],
    ] as const) {
      expect(view).toMatchObject({
        created: summary.created,
        updated: summary.updated,
        unchanged: summary.unchanged,
        cancelled: summary.cancelled,
        rejected: summary.rejected,
        term: { id: summary.termId, code },
      });
      expect(view.rejections).toEqual(
        summary.rejections.slice(0, 100).map(({ line, reason }) => ({ line, reason })),
      );
      expect(Date.parse(view.finishedAt)).not.toBeNaN();
    }
    expect(second.edges[0]!.node.term.university.name).toMatch(/Illinois/);

    const student = await graph.person('importstudent');
    expect(codeOf(await graph.gql(IMPORTS, {}, student.token))).toBe('FORBIDDEN');
    expect(codeOf(await graph.gql(IMPORTS, { after: 'not-a-cursor' }, adminToken))).toBe('BAD_USER_INPUT');
  });
});

describe('a timetable', () => {
  it('reports overlapping sections as conflicts, lets either go, and announces each change', async () => {
    const student = await graph.person('student');
    // CS 374 AL1 and ECE 374 AL1 (the same class, cross-listed) both meet TR 10:00–11:20.
    const [cs374, ece374, cs225] = await Promise.all(
      ['42186', '42187', '30770'].map((crn) => sectionId(uiuc.termId, crn)),
    );
    expect(codeOf(await graph.gql(ADD, { id: cs374 }, student.token))).toBe('FORBIDDEN'); // no university yet
    const set = ok(
      await graph.gql<{ setMyUniversity: { university: { boardKey: string } } }>(
        SET_UNIVERSITY,
        { u: uiuc.universityId },
        student.token,
      ),
    );
    expect(set.setMyUniversity.university.boardKey).toBe('uiuc');

    ok(await graph.gql(ADD, { id: cs374 }, student.token));
    const both = ok(
      await graph.gql<{ addToTimetable: TimetableView }>(ADD, { id: ece374 }, student.token),
    ).addToTimetable;
    expect(both.sections.map((s) => s.course.code)).toEqual(['CS 374', 'ECE 374']);
    expect(both.conflicts).toEqual(
      ['T', 'R'].map((day) => ({
        sections: [{ course: { code: 'CS 374' } }, { course: { code: 'ECE 374' } }],
        day,
        startTime: '10:00',
        endTime: '11:20',
      })),
    );
    // An arranged (online) section clashes with nothing; adding twice changes nothing.
    ok(await graph.gql(ADD, { id: cs225 }, student.token));
    const again = ok(
      await graph.gql<{ addToTimetable: TimetableView }>(ADD, { id: cs225 }, student.token),
    ).addToTimetable;
    expect(again.sections.map((s) => s.course.code)).toEqual(['CS 374', 'ECE 374', 'CS 225']);
    expect(again.conflicts).toHaveLength(2);

    const removed = ok(
      await graph.gql<{ removeFromTimetable: TimetableView }>(REMOVE, { id: ece374 }, student.token),
    ).removeFromTimetable;
    expect(removed.sections.map((s) => s.course.code)).toEqual(['CS 374', 'CS 225']);
    expect(removed.conflicts).toEqual([]);
    ok(await graph.gql(REMOVE, { id: ece374 }, student.token)); // again: nothing to do

    // Three adds and one remove were announced, once each, and the relay sent them on.
    const outbox = catalog().deps.db.dataSource.getRepository(OutboxEvent);
    const mine = async () =>
      (await outbox.find({ order: { seq: 'ASC' } }))
        .map((row) => ({
          topic: row.topic,
          payload: JSON.parse(row.payload) as Record<string, string>,
          sent: row.publishedAt !== null,
        }))
        .filter((e) => e.payload.userId === student.id);
    await eventually(async () => expect((await mine()).every((e) => e.sent)).toBe(true));
    expect(await mine()).toEqual([
      ...[cs374, ece374, cs225].map((sectionId) => ({
        topic: 'timetable.section.added',
        payload: { userId: student.id, sectionId, termId: uiuc.termId },
        sent: true,
      })),
      {
        topic: 'timetable.section.removed',
        payload: { userId: student.id, sectionId: ece374, termId: uiuc.termId },
        sent: true,
      },
    ]);
  });

  it('refuses a section of another university and a cancelled one, and keeps timetables private', async () => {
    const student = await graph.person('student');
    const other = await graph.person('other');
    ok(await graph.gql(SET_UNIVERSITY, { u: uiuc.universityId }, student.token));
    const purdueSection = (
      await catalog()
        .deps.db.dataSource.getRepository(SectionEntity)
        .findOneByOrFail({ termId: purdue.termId })
    ).id;
    const refused = await graph.gql(ADD, { id: purdueSection }, student.token);
    expect(codeOf(refused)).toBe('FORBIDDEN');
    expect(refused.errors![0]!.message).toMatch(/Purdue University/);
    expect(codeOf(await graph.gql(ADD, { id: '00000000-0000-4000-8000-000000000000' }, student.token))).toBe(
      'NOT_FOUND',
    );
    expect(codeOf(await graph.gql(ADD, { id: purdueSection }))).toBe('UNAUTHENTICATED');

    const sections = catalog().deps.db.dataSource.getRepository(SectionEntity);
    const cancelled = await sections.findOneByOrFail({ termId: uiuc.termId, externalId: '41568' });
    await sections.update(cancelled.id, { cancelled: true });
    try {
      expect(codeOf(await graph.gql(ADD, { id: cancelled.id }, student.token))).toBe('BAD_USER_INPUT');
    } finally {
      await sections.update(cancelled.id, { cancelled: false });
    }

    ok(await graph.gql(ADD, { id: await sectionId(uiuc.termId, '30770') }, student.token));
    const USER_TIMETABLE =
      'query($u: ID!, $t: ID!) { user(id: $u) { university { name } timetable(termId: $t) { sections { code } } } }';
    const own = ok(
      await graph.gql<{ user: { university: { name: string }; timetable: { sections: unknown[] } | null } }>(
        USER_TIMETABLE,
        { u: student.id, t: uiuc.termId },
        student.token,
      ),
    );
    expect(own.user.timetable!.sections).toEqual([{ code: 'AL1' }]);
    const seen = ok(
      await graph.gql<{ user: { university: { name: string }; timetable: unknown } }>(
        USER_TIMETABLE,
        { u: student.id, t: uiuc.termId },
        other.token,
      ),
    );
    expect(seen.user).toEqual({
      university: { name: 'University of Illinois Urbana-Champaign' },
      timetable: null,
    });
    expect(
      codeOf(
        await graph.gql(
          'query($t: ID!) { timetable(termId: $t) { sections { id } } }',
          { t: '00000000-0000-4000-8000-000000000000' },
          student.token,
        ),
      ),
    ).toBe('NOT_FOUND');

    // Leaving the university: nothing more can be added.
    ok(await graph.gql(SET_UNIVERSITY, { u: null }, student.token));
    expect(codeOf(await graph.gql(ADD, { id: await sectionId(uiuc.termId, '42186') }, student.token))).toBe(
      'FORBIDDEN',
    );
    expect(
      codeOf(await graph.gql(SET_UNIVERSITY, { u: '00000000-0000-4000-8000-000000000000' }, student.token)),
    ).toBe('NOT_FOUND');
  });
});

it("lists a university's board posts through social (the board key comes from the catalog)", async () => {
  const author = await graph.person('poster');
  const CREATE = 'mutation($i: CreatePostInput!) { createPost(input: $i) { id } }';
  const posted = ok(
    await graph.gql<{ createPost: { id: string } }>(
      CREATE,
      { i: { board: 'uiuc', title: 'Study group', body: 'CS 225 anyone?' } },
      author.token,
    ),
  );
  ok(await graph.gql(CREATE, { i: { board: 'purdue', title: 'Elsewhere', body: 'not here' } }, author.token));
  const data = ok(
    await graph.gql<{
      universities: Array<{
        boardKey: string;
        posts: { edges: Array<{ node: { id: string; board: string } }> };
      }>;
    }>('{ universities { boardKey posts(first: 5) { edges { node { id board } } } } }'),
  );
  const uiucBoard = data.universities.find((u) => u.boardKey === 'uiuc')!;
  expect(uiucBoard.posts.edges.map((e) => e.node)).toEqual([{ id: posted.createPost.id, board: 'uiuc' }]);
  expect(
    data.universities.find((u) => u.boardKey === 'purdue')!.posts.edges.map((e) => e.node.board),
  ).toEqual(['purdue']);
  expect(await catalog().deps.db.dataSource.getRepository(TermEntity).countBy({})).toBe(2);
});
