import DataLoader from 'dataloader';
import { In, type EntitySchema, type FindOptionsWhere } from 'typeorm';
import { keyedLoader } from '@moim/kit';
import {
  CourseEntity,
  MeetingEntity,
  SectionEntity,
  StudentEntity,
  TermEntity,
  UniversityEntity,
  type Course,
  type Meeting,
  type Section,
  type Student,
  type Term,
  type University,
} from './entities';
import type { CatalogDeps } from './domain/context';

export interface CatalogLoaders {
  university: DataLoader<string, University | null>;
  term: DataLoader<string, Term | null>;
  course: DataLoader<string, Course | null>;
  section: DataLoader<string, Section | null>;
  /** Each course's sections by code. */
  sectionsOfCourse: DataLoader<string, Section[]>;
  /** Each section's meetings in the source's order. */
  meetingsOfSection: DataLoader<string, Meeting[]>;
  /** Each university's terms, latest first. */
  termsOfUniversity: DataLoader<string, Term[]>;
  student: DataLoader<string, Student | null>;
}

/** Within a year: winter (the session around new year), spring, summer, fall. */
const SEASON_ORDER = ['wi', 'sp', 'su', 'fa'];
const chronological = (code: string) => Number(code.slice(0, 4)) * 10 + SEASON_ORDER.indexOf(code.slice(5));
const latestFirst = (a: Term, b: Term) => chronological(b.code) - chronological(a.code);

/** Rows grouped by a parent key, every key answered (empty lists for parents without rows). */
function groupedLoader<T>(fetch: (keys: string[]) => Promise<T[]>, keyOf: (row: T) => string) {
  return new DataLoader<string, T[]>(async (keys) => {
    const groups = new Map<string, T[]>(keys.map((k) => [k, []]));
    for (const row of await fetch([...keys])) groups.get(keyOf(row))?.push(row);
    return keys.map((k) => groups.get(k)!);
  });
}

/** Built per request: one query per loader per plan level. */
export function createLoaders(deps: CatalogDeps): CatalogLoaders {
  const ds = deps.db.dataSource;
  const byIds = <T extends { id: string }>(entity: EntitySchema<T>) =>
    keyedLoader<string, T>(
      (ids) => ds.getRepository(entity).findBy({ id: In([...ids]) } as FindOptionsWhere<T>),
      (r) => r.id,
    );
  return {
    university: byIds(UniversityEntity),
    term: byIds(TermEntity),
    course: byIds(CourseEntity),
    section: byIds(SectionEntity),
    sectionsOfCourse: groupedLoader(
      (ids) =>
        ds
          .getRepository(SectionEntity)
          .find({ where: { courseId: In(ids) }, order: { code: 'ASC', id: 'ASC' } }),
      (s) => s.courseId,
    ),
    meetingsOfSection: groupedLoader(
      (ids) =>
        ds.getRepository(MeetingEntity).find({ where: { sectionId: In(ids) }, order: { position: 'ASC' } }),
      (m) => m.sectionId,
    ),
    termsOfUniversity: groupedLoader(
      async (ids) => (await ds.getRepository(TermEntity).findBy({ universityId: In(ids) })).sort(latestFirst),
      (t) => t.universityId,
    ),
    student: keyedLoader(
      (ids) => ds.getRepository(StudentEntity).findBy({ userId: In([...ids]) }),
      (s) => s.userId,
    ),
  };
}
