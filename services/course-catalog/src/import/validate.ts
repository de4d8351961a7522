import { WEEKDAYS, type MeetingRecord, type SectionRecord } from './records';

/** The column sizes of the catalog's tables (migrations/1764800000000-create-catalog.ts). */
const LIMITS = {
  externalId: 32,
  code: 16,
  type: 100,
  subject: 16,
  number: 16,
  title: 200,
  instructor: 100,
  building: 120,
  room: 40,
  part: 8,
  meetingType: 60,
  description: 20_000,
} as const;
// Illinois lists a course with 40 instructors on one section.
const MAX_INSTRUCTORS = 200;
const MAX_MEETINGS = 30;
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

function validDate(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return false;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return date.toISOString().slice(0, 10) === value;
}

function meetingProblem(m: MeetingRecord): string | null {
  if ([...m.days].some((d) => !(WEEKDAYS as readonly string[]).includes(d)))
    return `unknown days "${m.days}"`;
  if ((m.startTime === null) !== (m.endTime === null)) return 'a meeting with a start but no end time';
  if (m.startTime !== null && m.endTime !== null) {
    if (!TIME.test(m.startTime) || !TIME.test(m.endTime))
      return `unreadable times ${m.startTime}–${m.endTime}`;
    if (m.endTime <= m.startTime) return `a meeting ending (${m.endTime}) before it starts (${m.startTime})`;
  }
  for (const date of [m.startDate, m.endDate])
    if (date !== null && !validDate(date)) return `no such date "${date}"`;
  if (m.startDate && m.endDate && m.endDate < m.startDate) return `dates ending before they start`;
  if ((m.building?.length ?? 0) > LIMITS.building)
    return `a building name over ${LIMITS.building} characters`;
  if ((m.room?.length ?? 0) > LIMITS.room) return `a room over ${LIMITS.room} characters`;
  if ((m.part?.length ?? 0) > LIMITS.part) return `a part of term over ${LIMITS.part} characters`;
  if ((m.type?.length ?? 0) > LIMITS.meetingType)
    return `a meeting type over ${LIMITS.meetingType} characters`;
  if (
    m.weeks &&
    !(Number.isInteger(m.weeks[0]) && m.weeks[0] >= 1 && m.weeks[1] >= m.weeks[0] && m.weeks[1] <= 60)
  )
    return `weeks ${m.weeks.join('–')} are not a range of the term`;
  return null;
}

/**
 * What is wrong with a section as a source gave it, or null. Checked in one place for every
 * source, before anything is written: a field too long for its column would fail the whole
 * import on MySQL (and be kept whole on SQLite).
 */
export function sectionProblem(s: SectionRecord): string | null {
  const text: Array<[string, string, number]> = [
    ['section id', s.externalId, LIMITS.externalId],
    ['subject', s.course.subject, LIMITS.subject],
    ['course number', s.course.number, LIMITS.number],
    ['title', s.course.title, LIMITS.title],
  ];
  for (const [name, value, max] of text) {
    if (!value) return `no ${name}`;
    if (value.length > max) return `a ${name} over ${max} characters`;
  }
  // Real exports leave some section codes empty (independent study at Illinois).
  if (s.code.length > LIMITS.code) return `a section code over ${LIMITS.code} characters`;
  if (s.type.length > LIMITS.type) return `a section type over ${LIMITS.type} characters`;
  if (s.instructors.length > MAX_INSTRUCTORS) return `more than ${MAX_INSTRUCTORS} instructors`;
  if (s.instructors.some((name) => name.length > LIMITS.instructor))
    return `an instructor name over ${LIMITS.instructor} characters`;
  if ((s.course.description?.length ?? 0) > LIMITS.description)
    return `a description over ${LIMITS.description} characters`;
  // Instructors are kept as JSON in a TEXT column (64 KB on MySQL) and in the course's search text.
  if (JSON.stringify(s.instructors).length > 10_000) return 'instructor names over 10,000 characters in all';
  if (s.meetings.length > MAX_MEETINGS) return `more than ${MAX_MEETINGS} meetings`;
  const { creditsMin: min, creditsMax: max } = s.course;
  if ((min !== null && !(min >= 0 && min <= 100)) || (max !== null && !(max >= (min ?? 0) && max <= 100)))
    return `credits ${min}–${max} are not a range of credit hours`;
  for (const m of s.meetings) {
    const problem = meetingProblem(m);
    if (problem) return problem;
  }
  return null;
}
