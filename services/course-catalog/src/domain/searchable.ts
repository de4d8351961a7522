import { In, type EntityManager } from 'typeorm';
import type { SearchableChange, SearchDocument } from '@moim/events';
import { keysetPage, recordSearchableChanges, type SearchableSource } from '@moim/kit';
import { CourseEntity, type Course } from '../entities';
import type { CatalogDeps } from './context';

/**
 * Courses as the search subgraph learns them: announced by the imports that create, change or
 * cancel them, and served page by page for a rebuild, both through `toSearchDocument`.
 */

type CourseRow = Pick<
  Course,
  'id' | 'subject' | 'number' | 'title' | 'description' | 'offered' | 'createdAt'
>;

const COLUMNS = ['id', 'subject', 'number', 'title', 'description', 'offered', 'createdAt'] as const;
const SELECT = Object.fromEntries(COLUMNS.map((column) => [column, true])) as Record<
  (typeof COLUMNS)[number],
  true
>;

/** A course's document (`CS 225 Data Structures`), or null once none of its sections is offered. */
export function toSearchDocument(course: CourseRow): SearchDocument | null {
  if (!course.offered) return null;
  return {
    kind: 'COURSE',
    id: course.id,
    title: `${course.subject} ${course.number} ${course.title}`,
    body: course.description ?? '',
    authorId: null,
    popularity: 0,
    createdAt: course.createdAt.toISOString(),
  };
}

/** Rows per SELECT … IN: well under MySQL's placeholder limit. */
const CHUNK = 400;

/**
 * Announces the courses as they are now, in the caller's transaction: a few events for an import
 * that touched thousands (see recordSearchableChanges).
 */
export async function announceCourses(manager: EntityManager, ids: readonly string[]): Promise<void> {
  const changes: SearchableChange[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    const rows = new Map(
      (await manager.find(CourseEntity, { select: SELECT, where: { id: In(chunk) } })).map((c) => [c.id, c]),
    );
    for (const id of chunk) {
      const row = rows.get(id);
      changes.push({ kind: 'COURSE', id, document: row ? toSearchDocument(row) : null });
    }
  }
  await recordSearchableChanges(manager, changes);
}

/** Every course still offered, in id order, for `npm run reindex`. */
export function searchableSource(deps: CatalogDeps): SearchableSource {
  return {
    kinds: ['COURSE'],
    async page(_kind, after, limit) {
      const qb = deps.db.dataSource
        .getRepository(CourseEntity)
        .createQueryBuilder('c')
        .select(COLUMNS.map((column) => `c.${column}`))
        .where('c.offered = :offered', { offered: true });
      if (after) qb.andWhere('c.id > :after', { after });
      const rows = await qb
        .orderBy('c.id', 'ASC')
        .limit(limit + 1)
        .getMany();
      return keysetPage(
        rows.map((row) => toSearchDocument(row)!),
        limit,
      );
    },
  };
}
