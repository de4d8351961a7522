import { afterEach, describe, expect, it } from 'vitest';
import type { BackendKind, Database } from '../src';
import { captureLogs, openTestBackend, type TestBackend } from '../src/testing';

// A failed statement is logged (error level, so in production too) without the values it
// carried: they are users' emails, password hashes, tokens.
describe.each<BackendKind>(['servers', 'embedded'])('on the %s backend', (kind) => {
  let test: TestBackend | undefined;
  let db: Database | undefined;
  afterEach(async () => {
    await db?.close();
    await test?.cleanUp();
  });

  it('logs a failed statement with its SQL and error code, never its parameters', async () => {
    test = await openTestBackend(kind);
    const logs = captureLogs('trace');
    db = await test.backend.openDatabase('social', await test.databaseUrl('social'), {
      entities: [],
      migrations: [],
      logger: logs.logger,
      migrate: true,
    });
    await db.dataSource.query(
      'CREATE TABLE people (email VARCHAR(100) NOT NULL UNIQUE, secret VARCHAR(100))',
    );
    const insert = 'INSERT INTO people (email, secret) VALUES (?, ?)';
    await db.dataSource.query(insert, ['bob@example.com', 'hunter2-secret']);
    await expect(db.dataSource.query(insert, ['bob@example.com', 'hunter2-secret'])).rejects.toThrow();

    // Not at error level, not at trace level (every statement), not anywhere.
    const all = logs.lines.join('\n');
    expect(all).not.toContain('bob@example.com');
    expect(all).not.toContain('hunter2-secret');
    expect(all).toContain(insert);
    const failed = logs.entries().filter((entry) => entry.msg === 'sql failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      level: 50,
      query: insert,
      err: { code: kind === 'servers' ? 'ER_DUP_ENTRY' : 'SQLITE_CONSTRAINT_UNIQUE' },
    });
  });
});
