import { EntitySchema } from 'typeorm';

/** A section on a student's timetable. */
export interface TimetableEntry {
  userId: string;
  sectionId: string;
  termId: string;
  createdAt: Date;
}

/** Which university a user studies at (`setMyUniversity`). */
export interface Student {
  userId: string;
  universityId: string;
  updatedAt: Date;
}

export const TimetableEntryEntity = new EntitySchema<TimetableEntry>({
  name: 'TimetableEntry',
  tableName: 'timetable_entries',
  columns: {
    userId: { name: 'user_id', type: 'varchar', length: 36, primary: true },
    sectionId: { name: 'section_id', type: 'varchar', length: 36, primary: true },
    termId: { name: 'term_id', type: 'varchar', length: 36 },
    createdAt: { name: 'created_at', type: 'datetime', precision: 3 },
  },
});

export const StudentEntity = new EntitySchema<Student>({
  name: 'Student',
  tableName: 'students',
  columns: {
    userId: { name: 'user_id', type: 'varchar', length: 36, primary: true },
    universityId: { name: 'university_id', type: 'varchar', length: 36 },
    updatedAt: { name: 'updated_at', type: 'datetime', precision: 3 },
  },
});
