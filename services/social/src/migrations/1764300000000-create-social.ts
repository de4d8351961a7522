import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { column } from '@moim/kit';

export class CreateSocial1764300000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'users',
        columns: [
          column.id('id', { primary: true }),
          column.text('email', 254, { unique: true }),
          column.text('password_hash', 255),
          column.text('nickname', 20, { unique: true }),
          column.text('bio', 300, { nullable: true }),
          column.text('role', 10),
          column.text('phone', 20, { nullable: true, unique: true }),
          column.time('phone_verified_at', { nullable: true }),
          column.time('created_at'),
          column.time('updated_at'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'sessions',
        columns: [
          column.id('id', { primary: true }),
          column.id('user_id'),
          column.time('created_at'),
          column.time('revoked_at', { nullable: true }),
          column.text('revoked_reason', 20, { nullable: true }),
        ],
        indices: [{ name: 'idx_sessions_user', columnNames: ['user_id'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'refresh_tokens',
        columns: [
          column.id('id', { primary: true }),
          column.id('session_id'),
          column.text('secret_hash', 64),
          column.time('created_at'),
          column.time('expires_at'),
          column.time('used_at', { nullable: true }),
        ],
        indices: [{ name: 'idx_refresh_tokens_session', columnNames: ['session_id'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'follows',
        columns: [
          column.id('follower_id', { primary: true }),
          column.id('followee_id', { primary: true }),
          column.time('created_at'),
        ],
      }),
    );
    // Keyset pages of followers and of following, newest first.
    await q.createIndex(
      'follows',
      new TableIndex({
        name: 'idx_follows_followee',
        columnNames: ['followee_id', 'created_at', 'follower_id'],
      }),
    );
    await q.createIndex(
      'follows',
      new TableIndex({
        name: 'idx_follows_follower',
        columnNames: ['follower_id', 'created_at', 'followee_id'],
      }),
    );
    await q.createTable(
      new Table({
        name: 'phone_codes',
        columns: [
          column.id('id', { primary: true }),
          column.id('user_id'),
          column.text('phone', 20),
          column.text('code_hash', 64),
          { name: 'attempts', type: 'int', default: 0 },
          column.time('created_at'),
          column.time('expires_at'),
          column.time('consumed_at', { nullable: true }),
        ],
        indices: [{ name: 'idx_phone_codes_user_phone', columnNames: ['user_id', 'phone', 'created_at'] }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['phone_codes', 'follows', 'refresh_tokens', 'sessions', 'users'])
      await q.dropTable(table);
  }
}
