import {
  badInput,
  decodeRankedCursor,
  encodeRankedCursor,
  likeLiteral,
  notFound,
  parseId,
  pageSize,
  type Connection,
  type PageArgs,
} from '@moim/kit';
import { CourseEntity, TermEntity, type Course } from '../entities';
import type { CatalogDeps } from './context';

/** `CS 225`, `cs225`, `cs 22`: a subject then the start of a number. */
const CODE = /^([a-z]{1,16})\s*(\d[\da-z]{0,15})$/i;
const SUBJECT = /^[A-Z]{1,16}$/;
const MAX_QUERY = 100;
const MAX_WORDS = 8;

export interface CourseSearch extends PageArgs {
  termId: string;
  query?: string | null;
  subject?: string | null;
}

/**
 * A term's courses still offered (a section not cancelled) matching a query — a code, a subject,
 * title words, an instructor — most relevant first: the exact code, then codes starting with it
 * (`cs 22` → CS 220s), the subject (`cs`) and titles starting with the query, then the rest; each
 * rank by subject and number.
 */
export async function searchCourses(deps: CatalogDeps, args: CourseSearch): Promise<Connection<Course>> {
  const termId = parseId(args.termId, 'termId');
  const size = pageSize(args.first);
  const after = args.after ? decodeRankedCursor(args.after) : null;
  if (after && after.keys.length !== 2) throw badInput('after is not a valid cursor', 'after');
  const query = (args.query ?? '').trim().toLowerCase().replace(/\s+/g, ' ');
  if (query.length > MAX_QUERY) throw badInput(`query must be at most ${MAX_QUERY} characters`, 'query');
  const words = query ? query.split(' ') : [];
  if (words.length > MAX_WORDS) throw badInput(`query must be at most ${MAX_WORDS} words`, 'query');
  const subject = args.subject?.trim().toUpperCase() || null;
  if (subject !== null && !SUBJECT.test(subject))
    throw badInput('subject must be letters, e.g. CS', 'subject');

  const repo = deps.db.dataSource.getRepository(CourseEntity);
  if (!(await deps.db.dataSource.getRepository(TermEntity).existsBy({ id: termId })))
    throw notFound(`No term ${termId}`);

  const code = CODE.exec(query);
  const params: Record<string, unknown> = {
    termId,
    codeSubject: code ? code[1]!.toUpperCase() : '',
    codeNumber: code ? code[2]!.toUpperCase() : '',
    codePrefix: code ? `${likeLiteral(code[2]!.toUpperCase())}%` : '',
    titlePrefix: `${likeLiteral(query)}%`,
    // `cs` alone: the subject's courses before those that merely contain the letters.
    subjectWord: /^[a-z]{1,16}$/.test(query) ? query.toUpperCase() : '',
  };
  const exact = 'c.subject = :codeSubject AND UPPER(c.number) = :codeNumber';
  const codeStart = "c.subject = :codeSubject AND UPPER(c.number) LIKE :codePrefix ESCAPE '!'";
  const rank = query
    ? `CASE WHEN ${exact} THEN 0 WHEN (${codeStart}) OR c.subject = :subjectWord ` +
      `OR LOWER(c.title) LIKE :titlePrefix ESCAPE '!' THEN 1 ELSE 2 END`
    : '2';
  const qb = repo
    .createQueryBuilder('c')
    .where('c.term_id = :termId')
    // A course none of whose sections is still offered is no longer the term's.
    .andWhere('c.offered = :offered', { offered: true })
    .addSelect(rank, 'rank');
  if (subject) qb.andWhere('c.subject = :subject', { subject });
  if (words.length) {
    const all = words.map((word, i) => {
      params[`word${i}`] = `%${likeLiteral(word)}%`;
      return `c.search_text LIKE :word${i} ESCAPE '!'`;
    });
    const subjectMatch = code ? `(${codeStart})` : params.subjectWord ? 'c.subject = :subjectWord' : null;
    qb.andWhere(subjectMatch ? `(${subjectMatch} OR (${all.join(' AND ')}))` : `(${all.join(' AND ')})`);
  }
  if (after) {
    Object.assign(params, {
      aRank: after.rank,
      aSubject: after.keys[0],
      aNumber: after.keys[1],
      aId: after.id,
    });
    qb.andWhere(
      `(${rank} > :aRank OR (${rank} = :aRank AND (c.subject > :aSubject OR (c.subject = :aSubject AND ` +
        '(c.number > :aNumber OR (c.number = :aNumber AND c.id > :aId))))))',
    );
  }
  const { entities, raw } = await qb
    .setParameters(params)
    .orderBy('rank', 'ASC')
    .addOrderBy('c.subject', 'ASC')
    .addOrderBy('c.number', 'ASC')
    .addOrderBy('c.id', 'ASC')
    .limit(size + 1)
    .getRawAndEntities<{ rank: number | string }>();
  const rows = entities.slice(0, size).map((course, i) => ({ course, rank: Number(raw[i]!.rank) }));
  const edges = rows.map(({ course, rank: r }) => ({
    node: course,
    cursor: encodeRankedCursor({ rank: r, keys: [course.subject, course.number], id: course.id }),
  }));
  return {
    edges,
    pageInfo: { hasNextPage: entities.length > size, endCursor: edges.at(-1)?.cursor ?? null },
  };
}
