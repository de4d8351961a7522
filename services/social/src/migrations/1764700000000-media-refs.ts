import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { column } from '@moim/kit';
import { createMediaRefsTable } from '@moim/media-refs';

/**
 * Images on posts and avatars: `media_refs`, social's replica of media's uploads (fed by
 * media.created and media.failed), `post_images`, each post's images in order, and the users'
 * `avatar_id`. An upload is attached once: `media_id` and `avatar_id` are unique.
 */
export class MediaRefs1764700000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await createMediaRefsTable(q);
    await q.createTable(
      new Table({
        name: 'post_images',
        columns: [
          column.id('post_id', { primary: true }),
          column.id('media_id', { primary: true }),
          { name: 'position', type: 'int' },
        ],
        indices: [{ name: 'uq_post_images_media', columnNames: ['media_id'], isUnique: true }],
      }),
    );
    await q.addColumn('users', new TableColumn(column.id('avatar_id', { nullable: true })));
    await q.createIndex(
      'users',
      new TableIndex({ name: 'uq_users_avatar', columnNames: ['avatar_id'], isUnique: true }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('users', 'uq_users_avatar');
    await q.dropColumn('users', 'avatar_id');
    await q.dropTable('post_images');
    await q.dropTable('media_refs');
  }
}
