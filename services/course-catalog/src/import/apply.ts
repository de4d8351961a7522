import { createHash } from 'node:crypto';
import { In, type EntityManager } from 'typeorm';
import { isUniqueViolation, lockRows, newId, type Database } from '@moim/kit';
import {
  CourseEntity,
  ImportRunEntity,
  MeetingEntity,
  SectionEntity,
  TermEntity,
  UniversityEntity,
  type Course,
  type Meeting,
  type Section,
  type Term,
  type University,
} from '../entities';
import { announceCourses } from '../domain/searchable';
import { firstDayRank, TERM_CODE, termName } from './normalise';
import { sectionProblem } from './validate';
import {
  CatalogFormatError,
  type CourseRecord,
  type MeetingRecord,
  type ParsedCatalog,
  type RejectedRecord,
  type SectionRecord,
} from './records';
import type { UniversityRecord } from './universities';

export interface ImportInput {
  /** The source's name, kept with the run (`uiuc-csv`). */
  source: string;
  university: UniversityRecord;
  termCode: string;
  catalog: ParsedCatalog;
  /**
   * The subjects this import covers (a Banner 8 page holds one subject): only their sections are
   * cancelled when missing. Absent: the import is the whole term.
   */
  subjects?: string[];
  onProgress?: (done: number, total: number) => void;
  /**
   * Applies an import that would cancel more than half of the term's sections (in its subjects):
   * without it such an import is refused, as a truncated or mostly broken source would do that.
   */
  force?: boolean;
}

export interface ImportSummary {
  universityId: string;
  termId: string;
  created: number;
  updated: number;
  unchanged: number;
  cancelled: number;
  rejected: number;
  rejections: RejectedRecord[];
  /** Courses (the counts above are sections'): a course can change while its sections do not. */
  coursesCreated: number;
  coursesUpdated: number;
}

/** Rejections kept with a run: enough to fix a source, never a copy of a broken file. */
const KEPT_REJECTIONS = 100;
const MAX_REASON = 300;
/** Cancelling more than this share of a term's sections (and more than a few) needs `force`. */
const MASS_CANCEL_SHARE = 0.5;
const MASS_CANCEL_MIN = 20;
/** Rows per INSERT: well under MySQL's 65,535 placeholders. */
const CHUNK = 400;

const digest = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex');
const courseKey = (c: { subject: string; number: string }) => `${c.subject} ${c.number}`;

/** Lower-case words `courses(query)` matches: `cs 225 cs225 data structures koe, k`. */
export function searchTextOf(course: CourseRecord, instructors: string[]): string {
  // Sorted: the same people in another order (sections listed differently) is the same course.
  return [
    course.subject,
    course.number,
    `${course.subject}${course.number}`,
    course.title,
    ...[...instructors].sort(),
  ]
    .join(' ')
    .toLowerCase();
}

async function inChunks<T>(rows: T[], write: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await write(rows.slice(i, i + CHUNK));
}

async function upsertUniversity(manager: EntityManager, u: UniversityRecord, now: Date): Promise<University> {
  const existing = await manager.findOneBy(UniversityEntity, { key: u.key });
  if (!existing) {
    const row: University = { id: newId(), ...u, createdAt: now };
    await manager.insert(UniversityEntity, row);
    return row;
  }
  if (existing.name !== u.name || existing.country !== u.country || existing.timezone !== u.timezone)
    await manager.update(UniversityEntity, existing.id, {
      name: u.name,
      country: u.country,
      timezone: u.timezone,
    });
  return existing;
}

/** The term's row, locked: two imports of one term take turns. */
async function upsertTerm(
  manager: EntityManager,
  universityId: string,
  input: ImportInput,
  now: Date,
): Promise<Term> {
  const { termCode, catalog } = input;
  let term = await manager.findOneBy(TermEntity, { universityId, code: termCode });
  if (!term) {
    term = {
      id: newId(),
      universityId,
      code: termCode,
      name: catalog.term?.name ?? termName(termCode),
      startsOn: catalog.term?.startsOn ?? null,
      endsOn: catalog.term?.endsOn ?? null,
      importedAt: now,
      createdAt: now,
    };
    await manager.insert(TermEntity, term);
  }
  await lockRows(manager, TermEntity, { id: term.id });
  term = await manager.findOneByOrFail(TermEntity, { id: term.id });
  // Dates the source tells win and dates it does not tell are kept; a source of some subjects
  // only (Banner 8 pages) can only widen them.
  const earliest = (a: string | null, b: string | null) => (a && b ? (a < b ? a : b) : (a ?? b));
  const latest = (a: string | null, b: string | null) => (a && b ? (a > b ? a : b) : (a ?? b));
  const told = { startsOn: catalog.term?.startsOn ?? null, endsOn: catalog.term?.endsOn ?? null };
  const dates = input.subjects
    ? { startsOn: earliest(term.startsOn, told.startsOn), endsOn: latest(term.endsOn, told.endsOn) }
    : { startsOn: told.startsOn ?? term.startsOn, endsOn: told.endsOn ?? term.endsOn };
  await manager.update(TermEntity, term.id, { ...dates, importedAt: now });
  return term;
}

/**
 * Meetings in one order whatever the source's (by first day, time, place, dates): a section's
 * meetings are a set, and the same set listed differently is no change.
 */
function meetingOrder(a: MeetingRecord, b: MeetingRecord): number {
  const key = (m: MeetingRecord) =>
    [
      m.startTime ?? '~',
      m.endTime ?? '~',
      m.days,
      m.type ?? '',
      m.building ?? '',
      m.room ?? '',
      m.startDate ?? '',
      m.endDate ?? '',
      m.part ?? '',
    ].join('|');
  const [ka, kb] = [key(a), key(b)];
  // Code-unit order, not the locale's: the same everywhere.
  return firstDayRank(a.days) - firstDayRank(b.days) || (ka < kb ? -1 : ka > kb ? 1 : 0);
}

/**
 * What an import says of a section, and of its meetings apart: equal digests mean nothing
 * changed, and a section whose status alone changes (the daily case) keeps its meeting rows.
 */
const sectionDigest = (s: SectionRecord) =>
  digest([courseKey(s.course), s.code, s.type, s.online, s.instructors, s.status]);
const meetingsDigest = (s: SectionRecord) => digest(s.meetings);

function meetingRows(sectionId: string, record: SectionRecord): Meeting[] {
  return record.meetings.map(({ part, weeks, type, ...m }, position) => ({
    id: newId(),
    sectionId,
    position,
    ...m,
    part: part ?? null,
    type: type ?? null,
    firstWeek: weeks?.[0] ?? null,
    lastWeek: weeks?.[1] ?? null,
  }));
}

/**
 * Applies a source's records to one term, all in one transaction: the same import twice changes
 * nothing; a changed section is updated; a section missing from the import is marked cancelled,
 * never deleted (timetables hold it). A failure midway leaves the term as it was.
 */
export async function applyCatalog(db: Database, input: ImportInput): Promise<ImportSummary> {
  const { catalog, termCode } = input;
  if (!TERM_CODE.test(termCode)) throw new CatalogFormatError(`"${termCode}" is not a term such as 2025-su`);
  if (catalog.term && catalog.term.code !== termCode)
    throw new CatalogFormatError(
      `the source holds ${catalog.term.name} (${catalog.term.code}), not ${termCode}`,
    );

  // One record per section id: a repeated id is the source's mistake, reported, not guessed at.
  const rejections = [...catalog.rejected];
  const records = new Map<string, SectionRecord>();
  for (const record of catalog.sections) {
    const first = records.get(record.externalId);
    const problem = first
      ? `section ${record.externalId} already read at line ${first.line}`
      : sectionProblem(record);
    if (problem) rejections.push({ line: record.line, reason: problem, externalId: record.externalId });
    else records.set(record.externalId, { ...record, meetings: [...record.meetings].sort(meetingOrder) });
  }
  for (const r of rejections)
    if (r.reason.length > MAX_REASON) r.reason = `${r.reason.slice(0, MAX_REASON - 1)}…`;
  rejections.sort((a, b) => a.line - b.line);
  // A section the source lists but could not be read is left as it is, not cancelled.
  const unreadable = new Set(rejections.flatMap((r) => (r.externalId ? [r.externalId] : [])));

  // Each course once, with its sections' instructors for search.
  const courses = new Map<string, { record: CourseRecord; instructors: Set<string> }>();
  // The course as its section with the smallest id says it: the same whatever the source's order.
  const byId = [...records.values()].sort((a, b) =>
    a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0,
  );
  for (const s of byId) {
    const entry = courses.get(courseKey(s.course)) ?? { record: s.course, instructors: new Set<string>() };
    for (const name of s.instructors) entry.instructors.add(name);
    courses.set(courseKey(s.course), entry);
  }

  const apply = () =>
    db.transaction(
      async (manager) => {
        const now = new Date();
        const university = await upsertUniversity(manager, input.university, now);
        const term = await upsertTerm(manager, university.id, input, now);

        // Courses: insert the new, update the changed.
        const existingCourses = new Map(
          (
            await manager.find(CourseEntity, {
              select: { id: true, subject: true, number: true, digest: true, offered: true },
              where: { termId: term.id },
            })
          ).map((c) => [courseKey(c), c]),
        );
        const courseIds = new Map<string, string>();
        /** Courses whose text the import wrote (created or changed): search hears of them. */
        const written: string[] = [];
        const newCourses: Course[] = [];
        let coursesUpdated = 0;
        for (const [key, { record, instructors }] of courses) {
          const searchText = searchTextOf(record, [...instructors]);
          const fields = {
            title: record.title,
            description: record.description,
            creditsMin: record.creditsMin,
            creditsMax: record.creditsMax,
            searchText,
          };
          const courseDigest = digest(fields);
          const existing = existingCourses.get(key);
          if (!existing) {
            const id = newId();
            newCourses.push({
              id,
              termId: term.id,
              subject: record.subject,
              number: record.number,
              ...fields,
              digest: courseDigest,
              offered: true,
              createdAt: now,
              updatedAt: now,
            });
            courseIds.set(key, id);
            written.push(id);
            continue;
          }
          courseIds.set(key, existing.id);
          if (existing.digest === courseDigest) continue;
          await manager.update(CourseEntity, existing.id, {
            ...fields,
            digest: courseDigest,
            updatedAt: now,
          });
          written.push(existing.id);
          coursesUpdated++;
        }
        await inChunks(newCourses, (chunk) => manager.insert(CourseEntity, chunk));

        // Sections: insert the new, rewrite the changed (meetings and all), cancel the missing.
        const existingSections = new Map(
          (
            await manager.find(SectionEntity, {
              select: {
                id: true,
                externalId: true,
                courseId: true,
                digest: true,
                meetingsDigest: true,
                cancelled: true,
              },
              where: { termId: term.id },
            })
          ).map((s) => [s.externalId, s]),
        );
        const summary = { created: 0, updated: 0, unchanged: 0, cancelled: 0 };
        const newSections: Section[] = [];
        const newMeetings: Meeting[] = [];
        const staleMeetings: string[] = [];
        const total = records.size;
        let done = 0;
        for (const record of records.values()) {
          const sectionDigestValue = sectionDigest(record);
          const meetingsDigestValue = meetingsDigest(record);
          const fields = {
            courseId: courseIds.get(courseKey(record.course))!,
            code: record.code,
            type: record.type,
            online: record.online,
            instructors: record.instructors,
            status: record.status,
            cancelled: false,
            digest: sectionDigestValue,
            meetingsDigest: meetingsDigestValue,
            updatedAt: now,
          };
          const existing = existingSections.get(record.externalId);
          if (!existing) {
            const id = newId();
            newSections.push({
              id,
              termId: term.id,
              externalId: record.externalId,
              ...fields,
              createdAt: now,
            });
            newMeetings.push(...meetingRows(id, record));
            summary.created++;
          } else if (
            existing.digest !== sectionDigestValue ||
            existing.meetingsDigest !== meetingsDigestValue ||
            existing.cancelled
          ) {
            await manager.update(SectionEntity, existing.id, fields);
            if (existing.meetingsDigest !== meetingsDigestValue) {
              staleMeetings.push(existing.id);
              newMeetings.push(...meetingRows(existing.id, record));
            }
            summary.updated++;
          } else summary.unchanged++;
          if (++done % CHUNK === 0) input.onProgress?.(done, total);
        }
        await inChunks(staleMeetings, (ids) => manager.delete(MeetingEntity, { sectionId: In(ids) }));
        await inChunks(newSections, (chunk) => manager.insert(SectionEntity, chunk));
        await inChunks(newMeetings, (chunk) => manager.insert(MeetingEntity, chunk));

        const covered = input.subjects && new Set(input.subjects.map((s) => s.toUpperCase()));
        const subjectOf = covered && (await subjectsOfCourses(manager, term.id));
        const inScope = [...existingSections.values()].filter(
          (s) => !s.cancelled && (!covered || covered.has(subjectOf!.get(s.courseId)!)),
        );
        const missing = inScope.filter((s) => !records.has(s.externalId) && !unreadable.has(s.externalId));
        if (missing.length > 0 && records.size === 0 && !input.force)
          throw new CatalogFormatError(
            `the source lists no section of ${termCode}: refusing to cancel its ${missing.length} sections`,
          );
        if (
          !input.force &&
          missing.length > MASS_CANCEL_MIN &&
          missing.length > inScope.length * MASS_CANCEL_SHARE
        )
          throw new CatalogFormatError(
            `the import would cancel ${missing.length} of the term's ${inScope.length} sections: ` +
              'a truncated source? Import with --force if the university did cancel them',
          );
        await inChunks(missing, (chunk) =>
          manager.update(
            SectionEntity,
            chunk.map((s) => s.id),
            { cancelled: true, updatedAt: now },
          ),
        );
        summary.cancelled = missing.length;
        await markOffered(manager, term.id);
        await announceCourses(
          manager,
          await coursesToAnnounce(manager, term.id, written, [...existingCourses.values()]),
        );
        input.onProgress?.(total, total);

        await manager.insert(ImportRunEntity, {
          id: newId(),
          termId: term.id,
          source: input.source,
          ...summary,
          rejected: rejections.length,
          rejections: rejections.slice(0, KEPT_REJECTIONS),
          finishedAt: new Date(),
        });
        return {
          universityId: university.id,
          termId: term.id,
          ...summary,
          rejected: rejections.length,
          rejections,
          coursesCreated: newCourses.length,
          coursesUpdated,
        };
      },
      // READ COMMITTED: what an import reads after waiting for the term's lock is what the import
      // before it committed, not a snapshot taken before the wait (MySQL's REPEATABLE READ).
      { background: true, isolation: 'READ COMMITTED' },
    );
  // Two first imports of a new university or term at once: the second's insert collides, and its
  // second try finds the row and waits for the first on its lock.
  return apply().catch((err: unknown) => (isUniqueViolation(err) ? apply() : Promise.reject(err)));
}

/**
 * Which of the term's courses still have a section not cancelled, kept on the course so that
 * search filters on a column rather than a subquery per course. One statement.
 */
async function markOffered(manager: EntityManager, termId: string): Promise<void> {
  await manager.query(
    `UPDATE courses SET offered = CASE WHEN EXISTS (
       SELECT 1 FROM sections s WHERE s.course_id = courses.id AND s.cancelled = ?
     ) THEN ? ELSE ? END WHERE term_id = ?`,
    [false, true, false, termId],
  );
}

/**
 * The courses search must hear of after an import: those whose offered flag it turned (found
 * again, or their last section cancelled) and those it wrote that are offered; courses neither
 * offered before nor now are not findable either way.
 */
async function coursesToAnnounce(
  manager: EntityManager,
  termId: string,
  written: readonly string[],
  before: ReadonlyArray<Pick<Course, 'id' | 'offered'>>,
): Promise<string[]> {
  const wasOffered = new Map(before.map((c) => [c.id, c.offered]));
  const now = await manager.find(CourseEntity, { select: { id: true, offered: true }, where: { termId } });
  const wrote = new Set(written);
  return now
    .filter((c) => (wasOffered.get(c.id) ?? false) !== c.offered || (wrote.has(c.id) && c.offered))
    .map((c) => c.id);
}

async function subjectsOfCourses(manager: EntityManager, termId: string): Promise<Map<string, string>> {
  const rows = await manager.find(CourseEntity, { select: { id: true, subject: true }, where: { termId } });
  return new Map(rows.map((c) => [c.id, c.subject]));
}
