import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { column } from '@moim/kit';

/**
 * A rotated refresh token records which token replaced it (`used_at` says when): presented again
 * within the grace window, it gets that same successor instead of revoking the session.
 */
export class RefreshGrace1764500000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('refresh_tokens', new TableColumn(column.id('replaced_by', { nullable: true })));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('refresh_tokens', 'replaced_by');
  }
}
