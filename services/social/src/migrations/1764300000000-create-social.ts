import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

const id = (name: string, primary = false) => ({ name, type: 'varchar', length: '36', isPrimary: primary });
const time = (name: string, nullable = false) => ({
  name,
  type: 'datetime',
  precision: 3,
  isNullable: nullable,
});

export class CreateSocial1764300000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'users',
        columns: [
          id('id', true),
          { name: 'email', type: 'varchar', length: '254', isUnique: true },
          { name: 'password_hash', type: 'varchar', length: '255' },
          { name: 'nickname', type: 'varchar', length: '20', isUnique: true },
          { name: 'bio', type: 'varchar', length: '300', isNullable: true },
          { name: 'role', type: 'varchar', length: '10' },
          { name: 'phone', type: 'varchar', length: '20', isNullable: true, isUnique: true },
          time('phone_verified_at', true),
          time('created_at'),
          time('updated_at'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'sessions',
        columns: [
          id('id', true),
          id('user_id'),
          time('created_at'),
          time('revoked_at', true),
          { name: 'revoked_reason', type: 'varchar', length: '20', isNullable: true },
        ],
        indices: [{ name: 'idx_sessions_user', columnNames: ['user_id'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'refresh_tokens',
        columns: [
          id('id', true),
          id('session_id'),
          { name: 'secret_hash', type: 'varchar', length: '64' },
          time('created_at'),
          time('expires_at'),
          time('used_at', true),
        ],
        indices: [{ name: 'idx_refresh_tokens_session', columnNames: ['session_id'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'follows',
        columns: [id('follower_id', true), id('followee_id', true), time('created_at')],
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
          id('id', true),
          id('user_id'),
          { name: 'phone', type: 'varchar', length: '20' },
          { name: 'code_hash', type: 'varchar', length: '64' },
          { name: 'attempts', type: 'int', default: 0 },
          time('created_at'),
          time('expires_at'),
          time('consumed_at', true),
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
