import {
  Table,
  TableColumn,
  TableIndex,
  type MigrationInterface,
  type QueryRunner,
  type TableColumnOptions,
} from 'typeorm';
import { column } from '@moim/kit';

/** Posts, comments, likes, scraps, blocks, reports, notifications, devices and Firebase links. */
export class Interactions1764600000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    const table = async (
      name: string,
      columns: TableColumnOptions[],
      indexes: Array<[string, string[], boolean?]> = [],
    ) =>
      q.createTable(
        new Table({
          name,
          columns,
          indices: indexes.map(([index, columnNames, isUnique]) => ({ name: index, columnNames, isUnique })),
        }),
      );
    await table('targets', [
      column.id('id', { primary: true }),
      column.text('kind', 10),
      column.id('author_id'),
      column.text('state', 10),
      { name: 'version', type: 'bigint' },
    ]);
    // Keyset pages newest first: a board's posts, a user's posts.
    await table(
      'posts',
      [
        column.id('id', { primary: true }),
        column.text('board', 40),
        column.text('title', 100),
        { name: 'body', type: 'text' },
        column.id('author_id'),
        { name: 'hidden', type: 'boolean', default: false },
        column.time('created_at'),
        column.time('updated_at'),
      ],
      [
        ['idx_posts_board', ['board', 'created_at', 'id']],
        ['idx_posts_author', ['author_id', 'created_at', 'id']],
      ],
    );
    await table(
      'comments',
      [
        column.id('id', { primary: true }),
        column.id('target_id'),
        column.id('parent_id', { nullable: true }),
        column.id('author_id'),
        { name: 'body', type: 'text', isNullable: true },
        column.time('deleted_at', { nullable: true }),
        column.time('created_at'),
        column.time('edited_at', { nullable: true }),
      ],
      [
        ['idx_comments_target', ['target_id', 'created_at', 'id']],
        ['idx_comments_parent', ['parent_id', 'created_at', 'id']],
        ['idx_comments_author', ['author_id', 'created_at', 'id']],
      ],
    );
    // Likes: counted per target, looked up per (target, viewer). Scraps: paged per user.
    await table('likes', [
      column.id('target_id', { primary: true }),
      column.id('user_id', { primary: true }),
      column.time('created_at'),
    ]);
    await table(
      'scraps',
      [
        column.id('user_id', { primary: true }),
        column.id('target_id', { primary: true }),
        column.time('created_at'),
      ],
      [['idx_scraps_user', ['user_id', 'created_at', 'target_id']]],
    );
    await table(
      'blocks',
      [
        column.id('blocker_id', { primary: true }),
        column.id('blocked_id', { primary: true }),
        column.time('created_at'),
      ],
      [['idx_blocks_blocker', ['blocker_id', 'created_at', 'blocked_id']]],
    );
    await table(
      'reports',
      [
        column.id('id', { primary: true }),
        column.id('target_id'),
        column.id('reporter_id'),
        column.text('reason', 20),
        column.text('note', 500, { nullable: true }),
        column.text('status', 10),
        column.time('created_at'),
        column.time('resolved_at', { nullable: true }),
        column.id('resolved_by', { nullable: true }),
      ],
      [
        ['uq_reports_reporter_target', ['reporter_id', 'target_id'], true],
        ['idx_reports_status', ['status', 'created_at', 'id']],
        ['idx_reports_target', ['target_id']],
      ],
    );
    await table(
      'notifications',
      [
        column.id('id', { primary: true }),
        column.id('recipient_id'),
        column.text('kind', 10),
        column.id('actor_id'),
        { name: 'actor_count', type: 'int' },
        column.id('target_id', { nullable: true }),
        column.id('comment_id', { nullable: true }),
        column.time('read_at', { nullable: true }),
        column.time('created_at'),
        column.time('updated_at'),
      ],
      [
        ['idx_notifications_inbox', ['recipient_id', 'created_at', 'id']],
        ['idx_notifications_unread', ['recipient_id', 'read_at']],
        ['idx_notifications_target', ['target_id']],
      ],
    );
    await table('notification_actors', [
      column.id('notification_id', { primary: true }),
      column.id('actor_id', { primary: true }),
    ]);
    await table('notification_mutes', [
      column.id('user_id', { primary: true }),
      column.text('kind', 10, { primary: true }),
    ]);
    await table(
      'devices',
      [
        column.text('token', 512, { primary: true }),
        column.id('user_id'),
        column.text('platform', 10),
        column.time('created_at'),
        column.time('updated_at'),
      ],
      [['idx_devices_user', ['user_id']]],
    );
    await q.addColumn('users', new TableColumn(column.text('firebase_uid', 128, { nullable: true })));
    await q.createIndex(
      'users',
      new TableIndex({ name: 'uq_users_firebase_uid', columnNames: ['firebase_uid'], isUnique: true }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('users', 'uq_users_firebase_uid');
    await q.dropColumn('users', 'firebase_uid');
    for (const name of [
      'devices',
      'notification_mutes',
      'notification_actors',
      'notifications',
      'reports',
      'blocks',
      'scraps',
      'likes',
      'comments',
      'posts',
      'targets',
    ])
      await q.dropTable(name);
  }
}
