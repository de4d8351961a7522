import type { MigrationInterface, QueryRunner } from 'typeorm';
import { column, tableMaker } from '@moim/kit';

export class CreateCatalog1764800000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    const table = tableMaker(q);
    await table('universities', [
      column.id('id', { primary: true }),
      column.text('key', 40, { unique: true }),
      column.text('name', 200),
      column.text('country', 2),
      column.text('timezone', 64),
      column.time('created_at'),
    ]);
    await table(
      'terms',
      [
        column.id('id', { primary: true }),
        column.id('university_id'),
        column.text('code', 7),
        column.text('name', 40),
        column.text('starts_on', 10, { nullable: true }),
        column.text('ends_on', 10, { nullable: true }),
        column.time('imported_at', { nullable: true }),
        column.time('created_at'),
      ],
      [['uq_terms_university_code', ['university_id', 'code'], true]],
    );
    await table(
      'courses',
      [
        column.id('id', { primary: true }),
        column.id('term_id'),
        column.text('subject', 16),
        column.text('number', 16),
        column.text('title', 200),
        { name: 'description', type: 'text', isNullable: true },
        { name: 'credits_min', type: 'double', isNullable: true },
        { name: 'credits_max', type: 'double', isNullable: true },
        { name: 'search_text', type: 'text' },
        column.text('digest', 64),
        { name: 'offered', type: 'boolean' },
        column.time('created_at'),
        column.time('updated_at'),
      ],
      // A term's courses in (subject, number) order: the catalog's browsing and search order.
      [['uq_courses_term_code', ['term_id', 'subject', 'number'], true]],
    );
    await table(
      'sections',
      [
        column.id('id', { primary: true }),
        column.id('term_id'),
        column.id('course_id'),
        column.text('external_id', 32),
        column.text('code', 16),
        column.text('type', 100),
        { name: 'online', type: 'boolean' },
        { name: 'instructors', type: 'text' },
        column.text('status', 10),
        { name: 'cancelled', type: 'boolean' },
        column.text('digest', 64),
        column.text('meetings_digest', 64),
        column.time('created_at'),
        column.time('updated_at'),
      ],
      [
        ['uq_sections_term_external', ['term_id', 'external_id'], true],
        ['idx_sections_course', ['course_id', 'code']],
      ],
    );
    await table(
      'meetings',
      [
        column.id('id', { primary: true }),
        column.id('section_id'),
        { name: 'position', type: 'int' },
        column.text('days', 7),
        column.text('start_time', 5, { nullable: true }),
        column.text('end_time', 5, { nullable: true }),
        column.text('building', 120, { nullable: true }),
        column.text('room', 40, { nullable: true }),
        column.text('start_date', 10, { nullable: true }),
        column.text('end_date', 10, { nullable: true }),
        column.text('part', 8, { nullable: true }),
        column.text('type', 60, { nullable: true }),
        { name: 'first_week', type: 'int', isNullable: true },
        { name: 'last_week', type: 'int', isNullable: true },
      ],
      [['idx_meetings_section', ['section_id', 'position']]],
    );
    await table(
      'timetable_entries',
      [
        column.id('user_id', { primary: true }),
        column.id('section_id', { primary: true }),
        column.id('term_id'),
        column.time('created_at'),
      ],
      [['idx_timetable_user_term', ['user_id', 'term_id']]],
    );
    await table('students', [
      column.id('user_id', { primary: true }),
      column.id('university_id'),
      column.time('updated_at'),
    ]);
    await table(
      'import_runs',
      [
        column.id('id', { primary: true }),
        column.id('term_id'),
        column.text('source', 40),
        { name: 'created', type: 'int' },
        { name: 'updated', type: 'int' },
        { name: 'unchanged', type: 'int' },
        { name: 'cancelled', type: 'int' },
        { name: 'rejected', type: 'int' },
        { name: 'rejections', type: 'text' },
        column.time('finished_at'),
      ],
      [['idx_import_runs_term', ['term_id', 'finished_at']]],
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const name of [
      'import_runs',
      'students',
      'timetable_entries',
      'meetings',
      'sections',
      'courses',
      'terms',
      'universities',
    ])
      await q.dropTable(name);
  }
}
