import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, isUniqueViolation, type BackendKind, type MigrationClass } from '@moim/kit';
import { openTestBackend, type TestBackend } from '@moim/kit/testing';
import { CreateSocial1764300000000 } from '../src/migrations/1764300000000-create-social';
import { NormalisedKeys1764400000000 } from '../src/migrations/1764400000000-normalised-keys';
import { RefreshGrace1764500000000 } from '../src/migrations/1764500000000-refresh-grace';

// A social database created before emails and nicknames had normalised keys is migrated in
// place: keys filled in for the existing accounts, then unique. Refresh tokens issued before grace
// windows existed keep working and learn which token replaced them.
describe.each<BackendKind>(['servers', 'embedded'])('on the %s backend', (kind) => {
  let test: TestBackend;
  let url: string | undefined;
  beforeAll(async () => {
    test = await openTestBackend(kind);
    url = await test.databaseUrl('social_migrations');
  });
  afterAll(() => test?.cleanUp());

  const open = (migrations: MigrationClass[]) =>
    test.backend.openDatabase('social', url, {
      entities: [],
      migrations,
      logger: createLogger('migrations-test', 'silent'),
      migrate: true,
    });
  const insertUser = (
    db: Awaited<ReturnType<typeof open>>,
    email: string,
    nickname: string,
    keys?: string[],
  ) =>
    db.dataSource.query(
      `INSERT INTO users (id, email, password_hash, nickname, role, created_at, updated_at${keys ? ', email_key, nickname_key' : ''})
       VALUES (?, ?, 'h', ?, 'USER', '2026-01-01 00:00:00.000', '2026-01-01 00:00:00.000'${keys ? ', ?, ?' : ''})`,
      [randomUUID(), email, nickname, ...(keys ?? [])],
    );

  it('fills the keys of existing accounts and makes them unique', async () => {
    const before = await open([CreateSocial1764300000000]);
    await insertUser(before, 'zoë@example.com', 'José');
    await insertUser(before, 'ann@example.com', 'ann');
    await before.close();

    const after = await open([CreateSocial1764300000000, NormalisedKeys1764400000000]);
    try {
      const rows: Array<{ email_key: string; nickname_key: string }> = await after.dataSource.query(
        'SELECT email_key, nickname_key FROM users ORDER BY email_key',
      );
      expect(rows).toEqual([
        { email_key: 'ann@example.com', nickname_key: 'ann' },
        { email_key: 'zoe@example.com', nickname_key: 'jose' },
      ]);
      const duplicate = await insertUser(after, 'other@example.com', 'JOSE', [
        'other@example.com',
        'jose',
      ]).catch((err: unknown) => err);
      expect(isUniqueViolation(duplicate)).toBe(true);
    } finally {
      await after.close();
    }
  });

  it('adds the successor column to refresh tokens already issued, and takes it away again', async () => {
    const url = await test.databaseUrl('social_refresh_grace');
    const at = (migrations: MigrationClass[]) =>
      test.backend.openDatabase('social', url, {
        entities: [],
        migrations,
        logger: createLogger('migrations-test', 'silent'),
        migrate: true,
      });
    const before = await at([CreateSocial1764300000000, NormalisedKeys1764400000000]);
    const tokenId = randomUUID();
    await before.dataSource.query(
      `INSERT INTO refresh_tokens (id, session_id, secret_hash, created_at, expires_at, used_at)
       VALUES (?, ?, 'h', '2026-01-01 00:00:00.000', '2026-02-01 00:00:00.000', NULL)`,
      [tokenId, randomUUID()],
    );
    await before.close();

    const after = await at([
      CreateSocial1764300000000,
      NormalisedKeys1764400000000,
      RefreshGrace1764500000000,
    ]);
    try {
      const successor = randomUUID();
      await after.dataSource.query(
        "UPDATE refresh_tokens SET used_at = '2026-01-02 00:00:00.000', replaced_by = ? WHERE id = ?",
        [successor, tokenId],
      );
      expect(await after.dataSource.query('SELECT id, secret_hash, replaced_by FROM refresh_tokens')).toEqual(
        [{ id: tokenId, secret_hash: 'h', replaced_by: successor }],
      );
      await after.dataSource.undoLastMigration({ transaction: 'none' });
      const columns: Array<{ id: string }> = await after.dataSource.query('SELECT * FROM refresh_tokens');
      expect(Object.keys(columns[0]!)).not.toContain('replaced_by');
    } finally {
      await after.close();
    }
  });
});
