import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { column } from '@moim/kit';
import { nicknameKeyOf, normalisedKey } from '../domain/validation';

/**
 * Emails and nicknames are unique by their normalised key (case, accents and compatibility forms
 * folded; for nicknames also look-alike letters) in columns of their own, so uniqueness does not depend on a database's collation and
 * holds the same on MySQL and SQLite.
 */
export class NormalisedKeys1764400000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('users', [
      new TableColumn(column.text('email_key', 300, { nullable: true })),
      new TableColumn(column.text('nickname_key', 80, { nullable: true })),
    ]);
    const users: Array<{ id: string; email: string; nickname: string }> = await q.query(
      'SELECT id, email, nickname FROM users',
    );
    for (const u of users)
      await q.query('UPDATE users SET email_key = ?, nickname_key = ? WHERE id = ?', [
        normalisedKey(u.email),
        nicknameKeyOf(u.nickname),
        u.id,
      ]);
    for (const name of ['email_key', 'nickname_key']) {
      const length = name === 'email_key' ? 300 : 80;
      await q.changeColumn('users', name, new TableColumn(column.text(name, length)));
      await q.createIndex(
        'users',
        new TableIndex({ name: `uq_users_${name}`, columnNames: [name], isUnique: true }),
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('users', 'uq_users_nickname_key');
    await q.dropIndex('users', 'uq_users_email_key');
    await q.dropColumns('users', ['email_key', 'nickname_key']);
  }
}
