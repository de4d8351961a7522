import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { column } from '@moim/kit';

export class BlockEdges1764600000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'block_edges',
        columns: [
          column.id('blocker_id', { primary: true }),
          column.id('blocked_id', { primary: true }),
          { name: 'active', type: 'boolean' },
          { name: 'version', type: 'bigint' },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('block_edges');
  }
}
