import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { column } from '@moim/kit';

/**
 * Images on reviews: `media_refs`, review's replica of media's uploads (fed by media.created and
 * media.failed), and `review_images`, each review's images in order. An upload is attached once:
 * `media_id` is unique.
 */
export class MediaRefs1764700000001 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'media_refs',
        columns: [
          column.id('id', { primary: true }),
          column.id('owner_id'),
          column.text('purpose', 10, { nullable: true }),
          column.text('state', 10),
          { name: 'version', type: 'bigint' },
          column.time('uploaded_at'),
          column.text('subject', 60, { nullable: true }),
          column.time('detached_at', { nullable: true }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'review_images',
        columns: [
          column.id('review_id', { primary: true }),
          column.id('media_id', { primary: true }),
          { name: 'position', type: 'int' },
        ],
        indices: [{ name: 'uq_review_images_media', columnNames: ['media_id'], isUnique: true }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('review_images');
    await q.dropTable('media_refs');
  }
}
