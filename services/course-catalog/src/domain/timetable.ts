import { In, type EntityManager } from 'typeorm';
import { badInput, forbidden, isUniqueViolation, lockRows, notFound, parseId, recordEvent } from '@moim/kit';
import {
  MeetingEntity,
  SectionEntity,
  StudentEntity,
  TermEntity,
  TimetableEntryEntity,
  UniversityEntity,
  type Meeting,
  type Section,
  type Term,
} from '../entities';
import { firstDayRank, minutesOf } from '../import/normalise';
import type { CatalogDeps } from './context';

/** Sections one student may hold in one term: far above a real load, low enough to bound conflicts. */
export const MAX_TIMETABLE_SECTIONS = 30;

export interface Conflict {
  sections: [Section, Section];
  day: string;
  startTime: string;
  endTime: string;
}

export interface TimetableView {
  term: Term;
  sections: Section[];
  meetings: Meeting[];
  conflicts: Conflict[];
}

/** By first day, then start time; arranged meetings last. */
function meetingOrder(a: Meeting, b: Meeting): number {
  const arranged = Number(a.startTime === null) - Number(b.startTime === null);
  return (
    arranged ||
    firstDayRank(a.days) - firstDayRank(b.days) ||
    (a.startTime ?? '').localeCompare(b.startTime ?? '')
  );
}

/** The dates a meeting runs: its own (part of term), else the term's; unknown ends are open. */
function datesOf(m: Meeting, term: Term): [string, string] {
  return [m.startDate ?? term.startsOn ?? '0000-00-00', m.endDate ?? term.endsOn ?? '9999-99-99'];
}

/**
 * Whether two meetings run in some same week of the term: by their dates, and by the weeks of
 * their parts of term when the source gave parts (Illinois' summer session I and II never meet).
 */
function sameWeeks(a: Meeting, b: Meeting, term: Term): boolean {
  const [aFrom, aTo] = datesOf(a, term);
  const [bFrom, bTo] = datesOf(b, term);
  if (aFrom > bTo || bFrom > aTo) return false;
  if (a.firstWeek === null || a.lastWeek === null || b.firstWeek === null || b.lastWeek === null) return true;
  return a.firstWeek <= b.lastWeek && b.firstWeek <= a.lastWeek;
}

/**
 * Pairs of sections meeting on the same day at overlapping times within overlapping dates. The
 * client decides what to do; a timetable holds at most MAX_TIMETABLE_SECTIONS, so pairs stay few.
 */
export function conflictsOf(term: Term, sections: Section[], meetings: Meeting[]): Conflict[] {
  const bySection = new Map<string, Meeting[]>();
  for (const m of meetings)
    if (m.startTime && m.endTime && m.days)
      bySection.set(m.sectionId, [...(bySection.get(m.sectionId) ?? []), m]);
  const conflicts: Conflict[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < sections.length; i++)
    for (let j = i + 1; j < sections.length; j++)
      for (const a of bySection.get(sections[i]!.id) ?? [])
        for (const b of bySection.get(sections[j]!.id) ?? []) {
          const start = Math.max(minutesOf(a.startTime!), minutesOf(b.startTime!));
          const end = Math.min(minutesOf(a.endTime!), minutesOf(b.endTime!));
          if (start >= end || !sameWeeks(a, b, term)) continue;
          for (const day of a.days) {
            if (!b.days.includes(day)) continue;
            const conflict: Conflict = {
              sections: [sections[i]!, sections[j]!],
              day,
              startTime: a.startTime! > b.startTime! ? a.startTime! : b.startTime!,
              endTime: a.endTime! < b.endTime! ? a.endTime! : b.endTime!,
            };
            const key = `${sections[i]!.id}/${sections[j]!.id}/${day}/${conflict.startTime}/${conflict.endTime}`;
            if (!seen.has(key)) conflicts.push(conflict);
            seen.add(key);
          }
        }
  return conflicts;
}

/** A student's timetable of a term, conflicts computed: three queries whatever its size. */
export async function timetableOf(
  manager: EntityManager,
  userId: string,
  termId: string,
): Promise<TimetableView> {
  const term = await manager.findOneBy(TermEntity, { id: termId });
  if (!term) throw notFound(`No term ${termId}`);
  const entries = await manager.find(TimetableEntryEntity, {
    where: { userId, termId },
    order: { createdAt: 'ASC', sectionId: 'ASC' },
  });
  const ids = entries.map((e) => e.sectionId);
  const [found, meetings] = ids.length
    ? await Promise.all([
        manager.findBy(SectionEntity, { id: In(ids) }),
        manager.find(MeetingEntity, { where: { sectionId: In(ids) }, order: { position: 'ASC' } }),
      ])
    : [[], []];
  const byId = new Map(found.map((s) => [s.id, s]));
  const sections = ids.map((id) => byId.get(id)).filter((s): s is Section => s !== undefined);
  return {
    term,
    sections,
    meetings: [...meetings].sort(meetingOrder),
    conflicts: conflictsOf(term, sections, meetings),
  };
}

/** The section with its term, refused when unknown. */
async function sectionAndTerm(
  manager: EntityManager,
  sectionId: string,
): Promise<{ section: Section; term: Term }> {
  const section = await manager.findOneBy(SectionEntity, { id: sectionId });
  if (!section) throw notFound(`No section ${sectionId}`);
  const term = await manager.findOneByOrFail(TermEntity, { id: section.termId });
  return { section, term };
}

/**
 * Puts a section on the student's timetable: it must be of their university and not cancelled.
 * Adding twice changes nothing; the first add announces `timetable.section.added` (chat joins the
 * section's room).
 */
export async function addToTimetable(
  deps: CatalogDeps,
  userId: string,
  rawSectionId: string,
): Promise<TimetableView> {
  const sectionId = parseId(rawSectionId, 'sectionId');
  const add = () =>
    deps.db.transaction(
      async (manager) => {
        const { section, term } = await sectionAndTerm(manager, sectionId);
        // Locked: two adds of one student take turns, so the cap holds.
        await lockRows(manager, StudentEntity, { userId });
        const student = await manager.findOneBy(StudentEntity, { userId });
        if (!student) throw forbidden('Choose your university first (setMyUniversity)');
        if (student.universityId !== term.universityId) {
          const university = await manager.findOneByOrFail(UniversityEntity, { id: term.universityId });
          throw forbidden(`This section is of ${university.name}, not of your university`);
        }
        if (!(await manager.existsBy(TimetableEntryEntity, { userId, sectionId }))) {
          if (section.cancelled) throw badInput('This section was cancelled by the university', 'sectionId');
          const held = await manager.countBy(TimetableEntryEntity, { userId, termId: term.id });
          if (held >= MAX_TIMETABLE_SECTIONS)
            throw badInput(
              `A timetable holds at most ${MAX_TIMETABLE_SECTIONS} sections per term`,
              'sectionId',
            );
          await manager.insert(TimetableEntryEntity, {
            userId,
            sectionId,
            termId: term.id,
            createdAt: new Date(),
          });
          await recordEvent(manager, 'timetable.section.added', { userId, sectionId, termId: term.id });
        }
        return timetableOf(manager, userId, term.id);
      },
      { isolation: 'READ COMMITTED' },
    ); // after the student's lock, count what the add before committed
  // Two adds at once: the second finds the first's row on its retry and changes nothing.
  return add().catch((err: unknown) => (isUniqueViolation(err) ? add() : Promise.reject(err)));
}

/** Takes a section off the timetable; removing what is not there changes nothing. */
export async function removeFromTimetable(
  deps: CatalogDeps,
  userId: string,
  rawSectionId: string,
): Promise<TimetableView> {
  const sectionId = parseId(rawSectionId, 'sectionId');
  return deps.db.transaction(async (manager) => {
    const { term } = await sectionAndTerm(manager, sectionId);
    // Locked: of two removes at once, only the first finds the row and announces it.
    if (await lockRows(manager, TimetableEntryEntity, { userId, sectionId })) {
      await manager.delete(TimetableEntryEntity, { userId, sectionId });
      await recordEvent(manager, 'timetable.section.removed', { userId, sectionId, termId: term.id });
    }
    return timetableOf(manager, userId, term.id);
  });
}

/** Sets or clears the university a user studies at; an unknown university is refused. */
export async function setMyUniversity(
  deps: CatalogDeps,
  userId: string,
  universityId: string | null,
): Promise<void> {
  await deps.db.transaction(async (manager) => {
    if (universityId === null) {
      await manager.delete(StudentEntity, { userId });
      return;
    }
    const id = parseId(universityId, 'universityId');
    if (!(await manager.existsBy(UniversityEntity, { id }))) throw notFound(`No university ${id}`);
    await manager.upsert(StudentEntity, { userId, universityId: id, updatedAt: new Date() }, ['userId']);
  });
}
