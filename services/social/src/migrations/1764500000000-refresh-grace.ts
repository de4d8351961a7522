import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { column } from '@moim/kit';

/**
 * A rotated refresh token records which token replaced it (`used_at` says when): presented again
 * within the grace window, it gets that same successor instead of revoking the session. Each
 * session keeps the random key its successors are derived with.
 */
export class RefreshGrace1764500000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('refresh_tokens', new TableColumn(column.id('replaced_by', { nullable: true })));
    await q.addColumn('sessions', new TableColumn(column.text('rotation_key', 64, { nullable: true })));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('sessions', 'rotation_key');
    await q.dropColumn('refresh_tokens', 'replaced_by');
  }
}
