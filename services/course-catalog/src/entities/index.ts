import { CourseEntity, MeetingEntity, SectionEntity, TermEntity, UniversityEntity } from './catalog';
import { ImportRunEntity } from './import-run';
import { StudentEntity, TimetableEntryEntity } from './timetable';

export * from './catalog';
export * from './import-run';
export * from './timetable';

export const entities = [
  UniversityEntity,
  TermEntity,
  CourseEntity,
  SectionEntity,
  MeetingEntity,
  TimetableEntryEntity,
  StudentEntity,
  ImportRunEntity,
];
