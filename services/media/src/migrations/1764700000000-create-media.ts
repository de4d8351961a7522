import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { column } from '@moim/kit';

export class CreateMedia1764700000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'media',
        columns: [
          column.id('id', { primary: true }),
          column.id('owner_id'),
          column.text('purpose', 10),
          column.text('content_type', 50),
          { name: 'byte_size', type: 'int' },
          column.text('state', 12),
          column.text('failure_reason', 300, { nullable: true }),
          { name: 'width', type: 'int', isNullable: true },
          { name: 'height', type: 'int', isNullable: true },
          { name: 'placeholder', type: 'text', isNullable: true },
          column.time('uploaded_at', { nullable: true }),
          column.text('attached_to', 60, { nullable: true }),
          column.time('detached_at', { nullable: true }),
          column.time('created_at'),
          column.time('updated_at'),
        ],
        indices: [
          // The cleanup job: unattached uploads by age, detached media.
          { name: 'idx_media_unattached', columnNames: ['attached_to', 'created_at'] },
          { name: 'idx_media_detached', columnNames: ['detached_at'] },
          { name: 'idx_media_owner', columnNames: ['owner_id', 'created_at'] },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('media');
  }
}
