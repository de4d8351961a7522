import { notFound, parseId, type PageArgs } from '@moim/kit';
import {
  UniversityEntity,
  type Course,
  type ImportRun,
  type Meeting,
  type Section,
  type Term,
  type University,
} from '../entities';
import type { CatalogContext } from '../domain/context';
import { searchCourses } from '../domain/courses';
import { importRunsPage } from '../domain/import-runs';

const found =
  <T>(what: string, id: string) =>
  (row: T | null): T => {
    if (!row) throw notFound(`No ${what} ${id}`);
    return row;
  };

/** Universities, terms, courses, sections and meetings: read-only, every list batched. */
export const catalogResolvers = {
  Query: {
    universities: (_: unknown, __: unknown, ctx: CatalogContext) =>
      ctx.deps.db.dataSource.getRepository(UniversityEntity).find({ order: { name: 'ASC' } }),
    university: (_: unknown, args: { id: string }, ctx: CatalogContext) =>
      ctx.loaders.university.load(parseId(args.id)),
    terms: async (_: unknown, args: { universityId: string }, ctx: CatalogContext) => {
      const id = parseId(args.universityId, 'universityId');
      await ctx.loaders.university.load(id).then(found('university', id));
      return ctx.loaders.termsOfUniversity.load(id);
    },
    courses: (
      _: unknown,
      args: PageArgs & { termId: string; query?: string | null; subject?: string | null },
      ctx: CatalogContext,
    ) => searchCourses(ctx.deps, args),
    course: (_: unknown, args: { id: string }, ctx: CatalogContext) =>
      ctx.loaders.course.load(parseId(args.id)),
    section: (_: unknown, args: { id: string }, ctx: CatalogContext) =>
      ctx.loaders.section.load(parseId(args.id)),
    courseImports: (_: unknown, args: PageArgs, ctx: CatalogContext) =>
      importRunsPage(ctx.deps, ctx.caller, args),
  },
  CourseImport: {
    term: (run: ImportRun, _: unknown, ctx: CatalogContext) => ctx.loaders.term.load(run.termId),
  },
  University: {
    __resolveReference: (ref: { id: string }, ctx: CatalogContext) => ctx.loaders.university.load(ref.id),
    boardKey: (u: University) => u.key,
    terms: (u: University, _: unknown, ctx: CatalogContext) => ctx.loaders.termsOfUniversity.load(u.id),
  },
  Term: {
    __resolveReference: (ref: { id: string }, ctx: CatalogContext) => ctx.loaders.term.load(ref.id),
    university: (t: Term, _: unknown, ctx: CatalogContext) =>
      ctx.loaders.university.load(t.universityId).then(found('university', t.universityId)),
  },
  Course: {
    __resolveReference: (ref: { id: string }, ctx: CatalogContext) => ctx.loaders.course.load(ref.id),
    term: (c: Course, _: unknown, ctx: CatalogContext) =>
      ctx.loaders.term.load(c.termId).then(found('term', c.termId)),
    code: (c: Course) => `${c.subject} ${c.number}`,
    sections: (c: Course, _: unknown, ctx: CatalogContext) => ctx.loaders.sectionsOfCourse.load(c.id),
  },
  Section: {
    __resolveReference: (ref: { id: string }, ctx: CatalogContext) => ctx.loaders.section.load(ref.id),
    course: (s: Section, _: unknown, ctx: CatalogContext) =>
      ctx.loaders.course.load(s.courseId).then(found('course', s.courseId)),
    meetings: (s: Section, _: unknown, ctx: CatalogContext) => ctx.loaders.meetingsOfSection.load(s.id),
  },
  Meeting: {
    section: (m: Meeting, _: unknown, ctx: CatalogContext) =>
      ctx.loaders.section.load(m.sectionId).then(found('section', m.sectionId)),
    days: (m: Meeting) => [...m.days],
    arranged: (m: Meeting) => m.startTime === null,
    partOfTerm: (m: Meeting) => m.part,
  },
};
