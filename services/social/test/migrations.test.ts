import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, isUniqueViolation, type BackendKind, type MigrationClass } from '@moim/kit';
import { openTestBackend, type TestBackend } from '@moim/kit/testing';
import { CreateSocial1764300000000 } from '../src/migrations/1764300000000-create-social';
import { NormalisedKeys1764400000000 } from '../src/migrations/1764400000000-normalised-keys';

// A social database created before emails and nicknames had normalised keys is migrated in
// place: keys filled in for the existing accounts, then unique.
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
});
