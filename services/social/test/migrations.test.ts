import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventPayloads } from '@moim/events';
import {
  createLogger,
  CreateOutbox1764200000000,
  CreateProcessedEvents1764200000001,
  isUniqueViolation,
  OutboxFailures1764500000000,
  type BackendKind,
  type MigrationClass,
} from '@moim/kit';
import { openTestBackend, type TestBackend } from '@moim/kit/testing';
import { CreateSocial1764300000000 } from '../src/migrations/1764300000000-create-social';
import { NormalisedKeys1764400000000 } from '../src/migrations/1764400000000-normalised-keys';
import { RefreshGrace1764500000000 } from '../src/migrations/1764500000000-refresh-grace';
import { Interactions1764600000000 } from '../src/migrations/1764600000000-interactions';
import { MediaRefs1764700000000 } from '../src/migrations/1764700000000-media-refs';
import { AnnounceBlocksAndLikes1765000000001 } from '../src/migrations/1765000000001-announce-blocks-and-likes';
import { AnnounceTastes1766000000000 } from '../src/migrations/1766000000000-announce-tastes';

// A social database created before emails and nicknames had normalised keys is migrated in
// place: keys filled in for the existing accounts, then unique. Refresh tokens issued before grace
// windows existed keep working and learn which token replaced them. Blocks and likes made before
// search consumed their events are announced once, so search learns of them.
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

  describe('announcing existing blocks and likes', () => {
    const before: MigrationClass[] = [
      CreateOutbox1764200000000,
      CreateProcessedEvents1764200000001,
      OutboxFailures1764500000000,
      CreateSocial1764300000000,
      NormalisedKeys1764400000000,
      RefreshGrace1764500000000,
      Interactions1764600000000,
      MediaRefs1764700000000,
    ];
    const at = (url: string | undefined, migrations: MigrationClass[]) =>
      test.backend.openDatabase('social', url, {
        entities: [],
        migrations,
        logger: createLogger('migrations-test', 'silent'),
        migrate: true,
      });
    type Db = Awaited<ReturnType<typeof at>>;
    /** Multi-row inserts of 200 rows. */
    const insert = async (db: Db, table: string, columns: string[], rows: unknown[][]) => {
      for (let i = 0; i < rows.length; i += 200) {
        const chunk = rows.slice(i, i + 200);
        await db.dataSource.query(
          `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk
            .map(() => `(${columns.map(() => '?').join(', ')})`)
            .join(', ')}`,
          chunk.flat(),
        );
      }
    };
    const outbox = async (db: Db) => {
      const rows: Array<{ topic: string; payload: string; published_at: unknown; attempts: number }> =
        await db.dataSource.query('SELECT topic, payload, published_at, attempts FROM outbox_events');
      return rows;
    };
    const time = '2026-01-01 00:00:00.000';
    const key = (...parts: string[]) => parts.join(' ');

    it('records block.created for every block and like.created for every like on a review or post', async () => {
      const url = await test.databaseUrl('social_announce_blocks_likes');
      const old = await at(url, before);
      // Three blockers with 400 blocks each, and three targets with 400 likes each: pages of 500
      // end in the middle of one blocker's blocks and one target's likes.
      const blockers = [randomUUID(), randomUUID(), randomUUID()];
      const blocks = Array.from({ length: 1200 }, (_, i) => ({
        blockerId: blockers[i % 3]!,
        blockedId: randomUUID(),
      }));
      await insert(
        old,
        'blocks',
        ['blocker_id', 'blocked_id', 'created_at'],
        blocks.map((b) => [b.blockerId, b.blockedId, time]),
      );
      const targets: Array<{ id: string; kind: 'REVIEW' | 'POST'; state: string }> = [
        { id: randomUUID(), kind: 'REVIEW', state: 'VISIBLE' },
        { id: randomUUID(), kind: 'REVIEW', state: 'HIDDEN' },
        { id: randomUUID(), kind: 'POST', state: 'VISIBLE' },
      ];
      await insert(
        old,
        'targets',
        ['id', 'kind', 'author_id', 'state', 'version'],
        targets.map((t) => [t.id, t.kind, randomUUID(), t.state, 1]),
      );
      const likes = Array.from({ length: 1200 }, (_, i) => ({
        userId: randomUUID(),
        targetKind: targets[i % 3]!.kind,
        targetId: targets[i % 3]!.id,
      }));
      await insert(
        old,
        'likes',
        ['target_id', 'user_id', 'created_at'],
        [...likes.map((l) => [l.targetId, l.userId, time]), [randomUUID(), randomUUID(), time]],
      );
      await old.close();

      const migrated = await at(url, [...before, AnnounceBlocksAndLikes1765000000001]);
      try {
        const rows = await outbox(migrated);
        expect(rows.every((r) => r.published_at === null && Number(r.attempts) === 0)).toBe(true);
        const payloads = <T extends 'block.created' | 'like.created'>(topic: T) =>
          rows.filter((r) => r.topic === topic).map((r) => JSON.parse(r.payload) as EventPayloads[T]);
        const announcedBlocks = payloads('block.created');
        const announcedLikes = payloads('like.created');
        expect(rows).toHaveLength(announcedBlocks.length + announcedLikes.length);
        // Exactly the payloads blocks.ts and reactions.ts record, each once; the like of a target
        // social does not know is left out.
        const byBlockKey = (b: EventPayloads['block.created']) => key(b.blockerId, b.blockedId);
        expect(announcedBlocks).toHaveLength(blocks.length);
        expect(new Map(announcedBlocks.map((b) => [byBlockKey(b), b]))).toEqual(
          new Map(blocks.map((b) => [byBlockKey(b), { blockerId: b.blockerId, blockedId: b.blockedId }])),
        );
        const byLikeKey = (l: EventPayloads['like.created']) => key(l.targetId, l.userId);
        expect(announcedLikes).toHaveLength(likes.length);
        // With when each was made: review's popular tab keeps that time.
        expect(new Map(announcedLikes.map((l) => [byLikeKey(l), l]))).toEqual(
          new Map(likes.map((l) => [byLikeKey(l), { ...l, at: '2026-01-01T00:00:00.000Z' }])),
        );
        for (const l of announcedLikes)
          expect(Object.keys(l)).toEqual(['userId', 'targetKind', 'targetId', 'at']);
        for (const b of announcedBlocks) expect(Object.keys(b)).toEqual(['blockerId', 'blockedId']);
      } finally {
        await migrated.close();
      }
    });

    it('records like.created, scrap.created and comment.created for every one on a review, with when it was made', async () => {
      const url = await test.databaseUrl('social_announce_tastes');
      const old = await at(url, [...before, AnnounceBlocksAndLikes1765000000001]);
      const [review, post] = [randomUUID(), randomUUID()];
      await insert(
        old,
        'targets',
        ['id', 'kind', 'author_id', 'state', 'version'],
        [
          [review, 'REVIEW', randomUUID(), 'VISIBLE', 1],
          [post, 'POST', randomUUID(), 'VISIBLE', 1],
        ],
      );
      // 600 likes and 3 scraps of the review (pages of 500), one like of the post (not review's concern).
      const fans = Array.from({ length: 600 }, () => randomUUID());
      await insert(
        old,
        'likes',
        ['target_id', 'user_id', 'created_at'],
        [...fans.map((u) => [review, u, time]), [post, randomUUID(), time]],
      );
      await insert(
        old,
        'scraps',
        ['target_id', 'user_id', 'created_at'],
        fans.slice(0, 3).map((u) => [review, u, '2026-02-03 04:05:06.789']),
      );
      const [live, gone, onPost] = [randomUUID(), randomUUID(), randomUUID()];
      await insert(
        old,
        'comments',
        ['id', 'target_id', 'parent_id', 'author_id', 'body', 'deleted_at', 'created_at', 'edited_at'],
        [
          [live, review, null, fans[0], 'Nice', null, time, null],
          [gone, review, null, fans[1], null, time, time, null],
          [onPost, post, null, fans[2], 'Hi', null, time, null],
        ],
      );
      await old.dataSource.query('DELETE FROM outbox_events');
      await old.close();

      const migrated = await at(url, [
        ...before,
        AnnounceBlocksAndLikes1765000000001,
        AnnounceTastes1766000000000,
      ]);
      try {
        // The embedded backend keeps one social database: the other tests' rows are there too.
        const rows = (await outbox(migrated)).filter((r) =>
          [review, post].includes(JSON.parse(r.payload).targetId),
        );
        const of = (topic: string) => rows.filter((r) => r.topic === topic).map((r) => JSON.parse(r.payload));
        expect(of('like.created')).toHaveLength(600);
        expect(new Set(of('like.created').map((l) => l.userId))).toEqual(new Set(fans));
        expect(of('like.created')[0]).toEqual({
          userId: expect.any(String),
          targetKind: 'REVIEW',
          targetId: review,
          at: '2026-01-01T00:00:00.000Z',
        });
        expect(of('scrap.created').map((l) => l.at)).toEqual(Array(3).fill('2026-02-03T04:05:06.789Z'));
        expect(of('comment.created')).toEqual([
          {
            commentId: live,
            userId: fans[0],
            targetKind: 'REVIEW',
            targetId: review,
            at: '2026-01-01T00:00:00.000Z',
          },
        ]);
        expect(rows).toHaveLength(604);
      } finally {
        await migrated.close();
      }
    });

    it('records nothing on a fresh database', async () => {
      // A backend of its own: the embedded one keeps one database per service.
      const fresh = await openTestBackend(kind);
      try {
        const db = await fresh.backend.openDatabase(
          'social',
          await fresh.databaseUrl('social_announce_fresh'),
          {
            entities: [],
            migrations: [...before, AnnounceBlocksAndLikes1765000000001],
            logger: createLogger('migrations-test', 'silent'),
            migrate: true,
          },
        );
        try {
          expect(await outbox(db)).toEqual([]);
        } finally {
          await db.close();
        }
      } finally {
        await fresh.cleanUp();
      }
    });
  });
});
