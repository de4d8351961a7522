import type { MigrationInterface, QueryRunner } from 'typeorm';
import { column, tableMaker } from '@moim/kit';

/** The popular tab (issue 22): the interaction log, and each refresh's lists. */
export class PopularTab1766000000001 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    const table = tableMaker(q);
    await table('interactions', [
      column.id('user_id', { primary: true }),
      column.id('review_id', { primary: true }),
      column.text('kind', 8, { primary: true }),
      column.text('ref', 36, { primary: true }),
      { name: 'active', type: 'boolean' },
      column.time('at'),
      { name: 'version', type: 'bigint' },
    ]);
    await table('recommendation_runs', [
      column.id('version', { primary: true }),
      column.time('started_at'),
      column.time('finished_at', { nullable: true }),
      column.time('superseded_at', { nullable: true }),
      { name: 'summary', type: 'text', isNullable: true },
    ]);
    await table('recommendations', [
      column.id('version', { primary: true }),
      column.id('viewer_id', { primary: true }),
      { name: 'position', type: 'int', isPrimary: true },
      column.id('review_id'),
      column.id('reason_id', { nullable: true }),
      column.text('reason_kind', 8, { nullable: true }),
    ]);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('recommendations');
    await q.dropTable('recommendation_runs');
    await q.dropTable('interactions');
  }
}
