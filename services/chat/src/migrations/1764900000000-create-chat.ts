import type { MigrationInterface, QueryRunner } from 'typeorm';
import { column, tableMaker } from '@moim/kit';
import { createMediaRefsTable } from '@moim/media-refs';

export class CreateChat1764900000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    const table = tableMaker(q);
    await table(
      'chat_rooms',
      [
        column.id('id', { primary: true }),
        column.text('kind', 8),
        column.id('section_id', { nullable: true }),
        column.text('direct_key', 73, { nullable: true }),
        { name: 'last_seq', type: 'int' },
        { name: 'member_count', type: 'int' },
        column.id('last_message_id', { nullable: true }),
        column.time('last_activity_at'),
        column.time('created_at'),
      ],
      // Unique: two first adds of a section (or two first DMs of a pair) at once make one room.
      [
        ['uq_chat_rooms_section', ['section_id'], true],
        ['uq_chat_rooms_direct', ['direct_key'], true],
      ],
    );
    await table(
      'chat_members',
      [
        column.id('room_id', { primary: true }),
        column.id('user_id', { primary: true }),
        column.time('joined_at'),
        { name: 'last_read_seq', type: 'int' },
        { name: 'muted', type: 'boolean' },
        column.time('last_pushed_at', { nullable: true }),
      ],
      // A user's rooms (User.chatRooms joins the rooms for their activity order); readBy counts
      // the members whose read position reaches a message.
      [
        ['idx_chat_members_user', ['user_id', 'room_id']],
        ['idx_chat_members_read', ['room_id', 'last_read_seq']],
      ],
    );
    await table(
      'chat_messages',
      [
        column.id('id', { primary: true }),
        column.id('room_id'),
        { name: 'seq', type: 'int' },
        column.id('sender_id'),
        { name: 'body', type: 'text', isNullable: true },
        column.text('client_message_id', 64),
        column.time('created_at'),
        column.time('edited_at', { nullable: true }),
        column.time('deleted_at', { nullable: true }),
      ],
      [
        // Pages of a room by seq; one message per seq (the room row's lock hands them out).
        ['uq_chat_messages_room_seq', ['room_id', 'seq'], true],
        // A retried send is the same message.
        ['uq_chat_messages_client_id', ['room_id', 'sender_id', 'client_message_id'], true],
      ],
    );
    await table(
      'chat_message_attachments',
      [
        column.id('message_id', { primary: true }),
        column.id('media_id', { primary: true }),
        { name: 'position', type: 'int' },
      ],
      [['uq_chat_attachments_media', ['media_id'], true]],
    );
    await table('chat_blocks', [
      column.id('blocker_id', { primary: true }),
      column.id('blocked_id', { primary: true }),
      { name: 'active', type: 'boolean' },
      { name: 'version', type: 'bigint' },
    ]);
    await table('chat_membership_versions', [
      column.id('section_id', { primary: true }),
      column.id('user_id', { primary: true }),
      { name: 'version', type: 'bigint' },
    ]);
    // The replica of media's uploads (@moim/media-refs), as review and social keep theirs.
    await createMediaRefsTable(q);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const name of [
      'media_refs',
      'chat_membership_versions',
      'chat_blocks',
      'chat_message_attachments',
      'chat_messages',
      'chat_members',
      'chat_rooms',
    ])
      await q.dropTable(name);
  }
}
