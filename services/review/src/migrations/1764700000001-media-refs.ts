import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { column } from '@moim/kit';
import { createMediaRefsTable } from '@moim/media-refs';

/**
 * Images on reviews: `media_refs`, review's replica of media's uploads (fed by media.created and
 * media.failed), and `review_images`, each review's images in order. An upload is attached once:
 * `media_id` is unique.
 */
export class MediaRefs1764700000001 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await createMediaRefsTable(q);
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
