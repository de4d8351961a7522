import { EntitySchema } from 'typeorm';
import type { SectionStatus } from '../import/records';

export interface University {
  id: string;
  /** Short and stable (`uiuc`): names the university in imports and is its board key for posts. */
  key: string;
  name: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  /** IANA zone: meeting times are local to it. */
  timezone: string;
  createdAt: Date;
}

export interface Term {
  id: string;
  universityId: string;
  /** `2025-su` */
  code: string;
  name: string;
  /** ISO dates; null when the source does not say. */
  startsOn: string | null;
  endsOn: string | null;
  importedAt: Date | null;
  createdAt: Date;
}

export interface Course {
  id: string;
  termId: string;
  subject: string;
  number: string;
  title: string;
  description: string | null;
  creditsMin: number | null;
  creditsMax: number | null;
  /** Lower-case words searched by `courses(query)`: code, title, instructors. */
  searchText: string;
  /** Of what the last import said: an import that says the same changes nothing. */
  digest: string;
  /** Some section is not cancelled: the course is still offered (search lists only those). */
  offered: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface Section {
  id: string;
  termId: string;
  courseId: string;
  externalId: string;
  code: string;
  type: string;
  online: boolean;
  instructors: string[];
  status: SectionStatus;
  /** Missing from the term's latest import: kept, since timetables hold it. */
  cancelled: boolean;
  digest: string;
  meetingsDigest: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface Meeting {
  id: string;
  sectionId: string;
  position: number;
  days: string;
  startTime: string | null;
  endTime: string | null;
  building: string | null;
  room: string | null;
  startDate: string | null;
  endDate: string | null;
  /** The university's part of term (`S1`), and the weeks of the term it spans when known. */
  part: string | null;
  /** Lecture, Laboratory… when the source says per meeting. */
  type: string | null;
  firstWeek: number | null;
  lastWeek: number | null;
}

const id = { type: 'varchar', length: 36 } as const;
const time = { type: 'datetime', precision: 3 } as const;

export const UniversityEntity = new EntitySchema<University>({
  name: 'University',
  tableName: 'universities',
  columns: {
    id: { ...id, primary: true },
    key: { type: 'varchar', length: 40, unique: true },
    name: { type: 'varchar', length: 200 },
    country: { type: 'varchar', length: 2 },
    timezone: { type: 'varchar', length: 64 },
    createdAt: { name: 'created_at', ...time },
  },
});

export const TermEntity = new EntitySchema<Term>({
  name: 'Term',
  tableName: 'terms',
  columns: {
    id: { ...id, primary: true },
    universityId: { name: 'university_id', ...id },
    code: { type: 'varchar', length: 7 },
    name: { type: 'varchar', length: 40 },
    startsOn: { name: 'starts_on', type: 'varchar', length: 10, nullable: true },
    endsOn: { name: 'ends_on', type: 'varchar', length: 10, nullable: true },
    importedAt: { name: 'imported_at', ...time, nullable: true },
    createdAt: { name: 'created_at', ...time },
  },
});

export const CourseEntity = new EntitySchema<Course>({
  name: 'Course',
  tableName: 'courses',
  columns: {
    id: { ...id, primary: true },
    termId: { name: 'term_id', ...id },
    subject: { type: 'varchar', length: 16 },
    number: { type: 'varchar', length: 16 },
    title: { type: 'varchar', length: 200 },
    description: { type: 'text', nullable: true },
    creditsMin: { name: 'credits_min', type: 'double', nullable: true },
    creditsMax: { name: 'credits_max', type: 'double', nullable: true },
    searchText: { name: 'search_text', type: 'text' },
    digest: { type: 'varchar', length: 64 },
    offered: { type: 'boolean' },
    createdAt: { name: 'created_at', ...time },
    updatedAt: { name: 'updated_at', ...time },
  },
});

export const SectionEntity = new EntitySchema<Section>({
  name: 'Section',
  tableName: 'sections',
  columns: {
    id: { ...id, primary: true },
    termId: { name: 'term_id', ...id },
    courseId: { name: 'course_id', ...id },
    externalId: { name: 'external_id', type: 'varchar', length: 32 },
    code: { type: 'varchar', length: 16 },
    type: { type: 'varchar', length: 100 },
    online: { type: 'boolean' },
    // A JSON array in a text column: read whole, never queried (search reads courses.search_text).
    instructors: { type: 'simple-json' },
    status: { type: 'varchar', length: 10 },
    cancelled: { type: 'boolean' },
    digest: { type: 'varchar', length: 64 },
    meetingsDigest: { name: 'meetings_digest', type: 'varchar', length: 64 },
    createdAt: { name: 'created_at', ...time },
    updatedAt: { name: 'updated_at', ...time },
  },
});

export const MeetingEntity = new EntitySchema<Meeting>({
  name: 'Meeting',
  tableName: 'meetings',
  columns: {
    id: { ...id, primary: true },
    sectionId: { name: 'section_id', ...id },
    position: { type: 'int' },
    days: { type: 'varchar', length: 7 },
    startTime: { name: 'start_time', type: 'varchar', length: 5, nullable: true },
    endTime: { name: 'end_time', type: 'varchar', length: 5, nullable: true },
    building: { type: 'varchar', length: 120, nullable: true },
    room: { type: 'varchar', length: 40, nullable: true },
    startDate: { name: 'start_date', type: 'varchar', length: 10, nullable: true },
    endDate: { name: 'end_date', type: 'varchar', length: 10, nullable: true },
    part: { type: 'varchar', length: 8, nullable: true },
    type: { type: 'varchar', length: 60, nullable: true },
    firstWeek: { name: 'first_week', type: 'int', nullable: true },
    lastWeek: { name: 'last_week', type: 'int', nullable: true },
  },
});
